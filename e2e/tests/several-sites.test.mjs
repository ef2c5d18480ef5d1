// Two blogs on one server (`[[site]]` tables): the same page path on each is its own thread,
// recognised from the page's origin alone; badges count per blog.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { startServer, startBlog, launch, widget, article } from "../harness.mjs";

let server, alpha, beta, browser;
const alphaPages = {};
const betaPages = {};

before(async () => {
  alpha = await startBlog(alphaPages);
  beta = await startBlog(betaPages);
  const dir = mkdtempSync(path.join(tmpdir(), "palabre-sites-"));
  const config = path.join(dir, "palabre.toml");
  writeFileSync(config, `[[site]]\nname = "alpha"\norigins = ["${alpha.origin}"]\n\n`
    + `[[site]]\nname = "beta"\norigins = ["${beta.origin}"]\n`);
  server = await startServer({ dataDir: dir, args: ["--config", config] });
  for (const [pages, name] of [[alphaPages, "Alpha"], [betaPages, "Beta"]]) {
    pages["/about"] = article(server.url, { thread: "/about", title: `About ${name}` });
    pages["/"] = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${name}</title></head><body>
<a href="/about">About</a> <span data-palabre-count="/about">…</span>
<script async src="${server.url}/embed/palabre.js" data-widget="false"></script></body></html>`;
  }
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await alpha?.stop();
  await beta?.stop();
});

async function post(page, text) {
  const form = widget(page).locator("form.reply-form:not(.inline)");
  await form.waitFor();
  await form.locator("textarea[name=body]").fill(text);
  await form.locator("button[type=submit]").click();
  await widget(page).locator("li.comment", { hasText: text }).waitFor();
}

test("/about on two blogs is two threads, each blog's badges its own", async () => {
  const page = await browser.newPage();
  await page.goto(`${beta.origin}/about`);
  await post(page, "Only on beta");
  await page.goto(`${alpha.origin}/about`);
  await post(page, "Only on alpha");
  await post(page, "Alpha again");
  assert.equal(await widget(page).locator("li.comment", { hasText: "Only on beta" }).count(), 0);

  await page.goto(`${beta.origin}/about`);
  await widget(page).locator("li.comment", { hasText: "Only on beta" }).waitFor();
  assert.equal(await widget(page).locator("li.comment").count(), 1);

  for (const [blog, expected] of [[alpha, "2 comments"], [beta, "1 comment"]]) {
    await page.goto(`${blog.origin}/`);
    await page.waitForFunction(() => document.querySelector("[data-palabre-count]").textContent !== "…");
    assert.equal(await page.locator("[data-palabre-count]").textContent(), expected, blog.origin);
  }
  await page.close();
});

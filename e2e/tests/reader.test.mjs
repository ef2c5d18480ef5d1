// A reader's path through the widget on a blog served from another origin than the server.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { startServer, startBlog, article, launch, widget, ARTIFACTS } from "../harness.mjs";

let server, blog, browser, serverUrl;
const pages = {};

before(async () => {
  blog = await startBlog(pages);
  server = await startServer({ blogOrigin: blog.origin });
  serverUrl = server.url;
  pages["/post"] = article(serverUrl, { thread: "/post" });
  pages["/hostile"] = article(serverUrl, {
    thread: "/hostile",
    head: "<style>* { all: unset !important; } html, body, div, p { font-size: 90px !important; } .comment, .reply-form, textarea, button, .palabre { display: none !important; }</style>",
  });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await blog?.stop();
});

async function post(page, text, scope = widget(page).locator("form.reply-form:not(.inline)")) {
  await scope.locator("textarea[name=body]").fill(text);
  await scope.locator("button[type=submit]").click();
}

test("a reader posts, replies, reloads, and finds both nested", async () => {
  const page = await browser.newPage();
  const hosts = new Set();
  page.on("request", (r) => hosts.add(new URL(r.url()).host));
  await page.goto(`${blog.origin}/post`);
  const w = widget(page);
  await w.locator("form.reply-form").waitFor();
  await w.locator("input[name=author]").first().fill("Ana");
  await post(page, "Hello from **Ana**");
  const first = w.locator("li.comment", { hasText: "Hello from Ana" });
  await first.waitFor();
  await first.locator("button.reply").first().click();
  const inline = w.locator("form.reply-form.inline");
  await post(page, "A reply to Ana", inline);
  await w.locator("li.comment ol.replies li.comment", { hasText: "A reply to Ana" }).waitFor();

  // The loader asks for the first page while the wasm loads; the widget takes that answer
  // instead of asking again, which it would if the two built different URLs.
  const pageRequests = [];
  page.on("request", (r) => { if (r.url().includes("/api/v1/comments?")) pageRequests.push(r.url()); });
  await page.reload();
  const nested = widget(page).locator("li.comment", { hasText: "Hello from Ana" }).locator("ol.replies li.comment", { hasText: "A reply to Ana" });
  await nested.waitFor();
  assert.equal(await widget(page).locator("h2.count").textContent(), "2 comments");
  assert.equal(pageRequests.length, 1, `the first page asked once: ${pageRequests.join(", ")}`);
  await page.screenshot({ path: path.join(ARTIFACTS, "article-with-thread.png"), fullPage: true });

  const allowed = new Set([new URL(blog.origin).host, new URL(serverUrl).host]);
  for (const host of hosts) assert.ok(allowed.has(host), `request to a third party: ${host}`);
  await page.close();
});

test("a script payload stays inert: no dialog, no console error", async () => {
  const page = await browser.newPage();
  const dialogs = [];
  const errors = [];
  page.on("dialog", (d) => { dialogs.push(d.message()); d.dismiss(); });
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(`${blog.origin}/post`);
  await widget(page).locator("form.reply-form").waitFor();
  // One payload per paragraph, so the Markdown link is parsed as a link.
  const payload = "[click](javascript:alert(3))\n\n<img src=x onerror=alert(2)>\n\n<script>alert(1)</script>";
  await post(page, payload);
  await widget(page).locator("li.comment", { hasText: "<script>alert(1)</script>" }).waitFor();
  await page.reload();
  const shown = widget(page).locator("li.comment", { hasText: "<script>alert(1)</script>" });
  await shown.waitFor();
  // The link lost its javascript: href; clicking it must do nothing.
  await shown.locator("a", { hasText: "click" }).evaluate((a) => a.click());
  await page.waitForTimeout(300);
  assert.equal(await shown.locator("img, script").count(), 0);
  assert.deepEqual(dialogs, []);
  assert.deepEqual(errors, []);
  await page.close();
});

test("a hostile host stylesheet leaves the widget readable and usable", async () => {
  const page = await browser.newPage();
  await page.goto(`${blog.origin}/hostile`);
  const textarea = widget(page).locator("textarea[name=body]");
  await textarea.waitFor({ state: "visible" });
  await post(page, "Still usable");
  const c = widget(page).locator("li.comment", { hasText: "Still usable" });
  await c.waitFor({ state: "visible" });
  const size = await c.locator(".body").evaluate((el) => getComputedStyle(el).fontSize);
  assert.notEqual(size, "90px");
  await page.close();
});

// A reader waiting for the proof of work sees it progress: the Post button counts the share of
// the expected work done. Checked against the counter the post carries, so the test knows
// whether the solution came too soon for any progress to show.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, startBlog, article, launch, widget } from "../harness.mjs";

const BITS = 20;
let server, blog, browser;
const pages = {};

before(async () => {
  blog = await startBlog(pages);
  server = await startServer({ blogOrigin: blog.origin, args: ["--pow-difficulty", String(BITS)] });
  pages["/post"] = article(server.url, { thread: "/pow" });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await blog?.stop();
});

test("the Post button shows how far the proof of work has come", async () => {
  const page = await browser.newPage();
  let counter = null;
  page.on("request", (r) => {
    if (r.method() === "POST" && r.url().endsWith("/api/v1/comments")) counter = JSON.parse(r.postData()).pow.counter;
  });
  await page.goto(`${blog.origin}/post`);
  const w = widget(page);
  await w.locator("textarea[name=body]").fill("Worth the wait");
  await page.waitForTimeout(1200); // past the minimum delay: only the solving shows
  const button = w.locator("form.reply-form button[type=submit]");
  await button.click();
  const labels = new Set();
  while (!(await w.locator("li.comment", { hasText: "Worth the wait" }).count())) {
    labels.add(await button.textContent());
    await page.waitForTimeout(20);
  }
  const shown = [...labels].filter((l) => /^Posting… \d+ %$/.test(l)).map((l) => Number(l.match(/\d+/)[0]));
  // Progress is reported after each slice of 4,000 counters, in whole percents.
  if (counter >= 2 ** BITS / 100 + 8000) {
    assert.ok(shown.length > 0, `counter ${counter}, labels ${[...labels]}`);
    assert.ok(shown.every((p) => p >= 1 && p <= 99), `${shown}`);
    assert.deepEqual(shown, [...shown].sort((a, b) => a - b), "it only moves forward");
  }
  await page.close();
});

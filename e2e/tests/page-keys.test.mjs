// Pages told apart by their query keep their own thread: a blog on WordPress's default
// permalinks (/?p=4) without a canonical link or data-thread. Their key follows rules only the
// widget carries (api/src/page_key.rs), so the loader leaves the request to it.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, startBlog, launch, seedComment, widget } from "../harness.mjs";

let server, blog, browser;
const pages = {};

before(async () => {
  blog = await startBlog(pages);
  server = await startServer({ blogOrigin: blog.origin, args: ["--pow-difficulty", "0"] });
  pages["/"] = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Plain</title></head>
<body><article><h1>A post on plain permalinks</h1></article>
<script async src="${server.url}/embed/palabre.js" data-lazy="false"></script></body></html>`;
  await seedComment(server.url, { thread: "/?p=4", body: "on the fourth post" });
  await seedComment(server.url, { thread: "/?p=5", body: "on the fifth post" });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await blog?.stop();
});

test("a page keyed by its query shows its own thread, trackers or not, from one request", async () => {
  const page = await browser.newPage();
  const asked = [];
  page.on("request", (r) => {
    const u = new URL(r.url());
    if (u.pathname === "/api/v1/comments" && r.method() === "GET") asked.push(u.searchParams.get("thread"));
  });
  await page.goto(`${blog.origin}/?utm_source=newsletter&p=4&fbclid=abc#comments`);
  await widget(page).locator("li.comment", { hasText: "on the fourth post" }).waitFor();
  assert.equal(await widget(page).locator("li.comment").count(), 1, "only /?p=4's comment");
  assert.deepEqual(asked, ["/?p=4"], "one request, for the page's key, trackers left out");
  await page.close();
});

// A blog's index page: count badges only (data-widget="false"). The badges' own script fills
// them, worded by the server in each badge's language, and the page never downloads the
// widget's glue or WebAssembly.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, startBlog, launch, seedComment } from "../harness.mjs";

let server, blog, browser;
const pages = {};

before(async () => {
  blog = await startBlog(pages);
  server = await startServer({ blogOrigin: blog.origin });
  const many = Array.from({ length: 201 }, (_, i) => `<span data-palabre-count="/many/${i}">…</span>`).join("");
  pages["/index"] = `<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Le blog</title></head><body>
<ul>
  <li>Soupe: <span id="soup" data-palabre-count="/soupe">…</span></li>
  <li>Bread: <span id="bread" data-palabre-count="/bread" data-lang="en">…</span></li>
  <li>Kuchen: <span id="cake" data-palabre-count="/kuchen" data-lang="de">…</span></li>
  <li>Ramen: <span id="ramen" data-palabre-count="/ramen" data-lang="ja">…</span></li>
  <li>Soupe again: <span id="soup-again" data-palabre-count=" /soupe ">…</span></li>
  <li>No key: <span id="none" data-palabre-count="">…</span></li>
</ul>
<div id="many">${many}</div>
<script async src="${server.url}/embed/palabre.js" data-widget="false"></script>
</body></html>`;
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await blog?.stop();
});

test("an index page fills its count badges without the widget's code", async () => {
  await Promise.all([
    seedComment(server.url, { thread: "/soupe", body: "Délicieux", author: "A" }),
    seedComment(server.url, { thread: "/soupe", body: "Trop salée", author: "B" }),
    seedComment(server.url, { thread: "/bread", body: "Crusty", author: "C" }),
    seedComment(server.url, { thread: "/many/200", body: "Last one", author: "D" }),
  ]);
  const page = await browser.newPage();
  const requested = [];
  page.on("request", (r) => requested.push(r.url()));
  await page.goto(`${blog.origin}/index`);
  const text = (selector) => page.locator(selector).textContent();
  await page.waitForFunction(() => ["soup", "bread", "cake", "ramen", "soup-again"]
    .every((id) => document.getElementById(id).textContent !== "…"));
  await page.waitForFunction(() => document.querySelector('[data-palabre-count="/many/200"]').textContent !== "…");

  assert.equal(await text("#soup"), "2 commentaires", "the page's language");
  assert.equal(await text("#soup-again"), "2 commentaires", "the key is trimmed");
  assert.equal(await text("#bread"), "1 comment", "the badge's own language");
  assert.equal(await text("#cake"), "Keine Kommentare", "German, with its own words");
  assert.equal(await text("#ramen"), "Aucun commentaire", "a language the server lacks: the page's");
  assert.equal(await text("#none"), "…", "no key, left alone");
  assert.equal(await text('[data-palabre-count="/many/0"]'), "Aucun commentaire");
  assert.equal(await text('[data-palabre-count="/many/200"]'), "1 commentaire");

  const counts = requested.filter((u) => u.endsWith("/api/v1/counts"));
  // The page's language: 2 soups and 201 more keys (200 per request), then one request each
  // for the badges with their own language.
  assert.equal(counts.length, 5, counts.join("\n"));
  const widgetCode = requested.filter((u) => /palabre-widget/.test(u) || u.endsWith(".wasm"));
  assert.deepEqual(widgetCode, [], "no widget code on an index page");
  assert.ok(requested.some((u) => /\/embed\/palabre-count\.[0-9a-f]{10}\.js$/.test(u)), requested.join("\n"));
  await page.close();
});

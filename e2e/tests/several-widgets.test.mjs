// One page with two comment threads and count badges: one wasm instance serves them all, and
// each thread keeps its own comments.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, startBlog, launch, seedComment } from "../harness.mjs";

let server, blog, browser;
const pages = {};
let wasmRequests = 0;

before(async () => {
  blog = await startBlog(pages);
  server = await startServer({ blogOrigin: blog.origin });
  const src = `${server.url}/embed/palabre.js`;
  pages["/both"] = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Two threads</title></head><body>
<p>Recipe: <span data-palabre-count="/recipe">…</span> · Review: <span data-palabre-count="/review" data-lang="fr">…</span>
 · Empty: <span data-palabre-count="/nobody">…</span></p>
<section><h2>Recipe</h2><script async src="${src}" data-thread="/recipe" data-lazy="false"></script></section>
<section><h2>Review</h2><script async src="${src}" data-thread="/review" data-lang="fr" data-lazy="false"></script></section>
</body></html>`;
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await blog?.stop();
});

const seed = (thread, body) => seedComment(server.url, { thread, body, author: "Seed" });

test("two widgets and count badges on one page", async () => {
  await Promise.all([
    seed("/recipe", "Recipe comment one"),
    seed("/recipe", "Recipe comment two"),
    seed("/review", "Une critique"),
  ]);

  const page = await browser.newPage();
  // The widget's wasm (chunks fetched on intent are other files: posting fetches its own).
  page.on("request", (r) => { if (/\/palabre-widget_bg\.[0-9a-f]{10}\.wasm$/.test(r.url())) wasmRequests += 1; });
  await page.goto(`${blog.origin}/both`);
  // Each widget's host element is placed right after its script tag, inside its section.
  const [recipe, review] = [page.locator("section").nth(0), page.locator("section").nth(1)];
  await review.locator("form.reply-form").waitFor();
  await recipe.locator("form.reply-form").waitFor();
  assert.equal(await page.locator("body > section > div.palabre").count(), 2);
  await recipe.locator("li.comment", { hasText: "Recipe comment two" }).waitFor();
  await review.locator("li.comment", { hasText: "Une critique" }).waitFor();
  assert.equal(await recipe.locator("li.comment").count(), 2);
  assert.equal(await review.locator("li.comment").count(), 1);
  assert.equal(await review.locator("h2.count").textContent(), "1 commentaire");

  const badge = (key) => page.locator(`[data-palabre-count="${key}"]`);
  // Filled once the counts request answers.
  await page.waitForFunction(() => document.querySelector('[data-palabre-count="/recipe"]').textContent !== "…");
  assert.equal(await badge("/recipe").textContent(), "2 comments");
  assert.equal(await badge("/review").textContent(), "1 commentaire");
  assert.equal(await badge("/nobody").textContent(), "No comments");

  // Posting in one widget leaves the other alone.
  const form = review.locator("form.reply-form:not(.inline)");
  await form.locator("textarea[name=body]").fill("Deuxième avis");
  await form.locator("button[type=submit]").click();
  await review.locator("li.comment", { hasText: "Deuxième avis" }).waitFor();
  assert.equal(await recipe.locator("li.comment").count(), 2);
  assert.equal(wasmRequests, 1, "one wasm download for the whole page");
  await page.close();
});

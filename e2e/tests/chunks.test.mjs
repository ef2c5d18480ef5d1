// Features only some readers use come in chunks fetched on intent (src/chunk.rs): a reader who
// only reads downloads none; a pointer over the form fetches the writing chunk before the first
// keystroke; posting, editing and voting work through them; a chunk that cannot be fetched
// reads as the server out of reach, the text kept, and the retry posts once it comes.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, startBlog, article, launch, widget, seedComment } from "../harness.mjs";

let server, blog, browser;
const pages = {};

before(async () => {
  blog = await startBlog(pages);
  server = await startServer({ blogOrigin: blog.origin });
  pages["/read"] = article(server.url, { thread: "/chunks" });
  await seedComment(server.url, { thread: "/chunks", body: "Already here" });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await blog?.stop();
});

async function reader() {
  const context = await browser.newContext();
  const page = await context.newPage();
  const chunks = [];
  page.on("request", (r) => /\/embed\/(split|chunk)_/.test(r.url()) && chunks.push(new URL(r.url()).pathname.split("/").pop()));
  await page.goto(`${blog.origin}/read`);
  const w = widget(page);
  await w.locator("li.comment", { hasText: "Already here" }).waitFor();
  return { context, page, w, chunks };
}

const feature = (chunks, name) => chunks.some((c) => c.startsWith(`split_${name}.`));

test("a reader who only reads fetches no chunk; intent fetches the one it needs", async () => {
  const r = await reader();
  await r.page.mouse.wheel(0, 400);
  await new Promise((res) => setTimeout(res, 1000));
  assert.deepEqual(r.chunks, [], "reading fetches no chunk");

  // A pointer over the form: the writing chunk comes before the first keystroke.
  await r.w.locator("form.reply-form").hover();
  for (let i = 0; i < 100 && !feature(r.chunks, "write"); i++) await new Promise((res) => setTimeout(res, 20));
  assert.ok(feature(r.chunks, "write"), `the writing chunk on hover (${r.chunks})`);
  assert.ok(!feature(r.chunks, "own") && !feature(r.chunks, "vote"), "and only it");

  const form = r.w.locator("form.reply-form:not(.inline)");
  await form.locator("textarea[name=body]").fill("Posted through the chunk");
  await form.locator("button[type=submit]").click();
  const mine = r.w.locator("li.comment", { hasText: "Posted through the chunk" });
  await mine.waitFor();
  // Voting and editing: each its own chunk, fetched on its own intent.
  await r.w.locator("li.comment", { hasText: "Already here" }).locator("button.like").click();
  await r.w.locator("li.comment", { hasText: "Already here" }).locator("button.like", { hasText: "1" }).waitFor();
  assert.ok(feature(r.chunks, "vote"));
  await mine.locator("button.edit").click();
  await r.w.locator("form.edit-form textarea[name=body]").fill("Edited through the chunk");
  await r.w.locator("form.edit-form button[type=submit]").click();
  await r.w.locator("li.comment", { hasText: "Edited through the chunk" }).waitFor();
  assert.ok(feature(r.chunks, "own"));
  await r.context.close();
});

test("a chunk that cannot be fetched: the server out of reach, the text kept, the retry posts", async () => {
  const r = await reader();
  let blocked = true;
  await r.page.route(/\/embed\/(split|chunk)_/, (route) => (blocked ? route.abort() : route.continue()));
  const form = r.w.locator("form.reply-form:not(.inline)");
  await form.locator("textarea[name=body]").fill("Kept while the chunk is away");
  await form.locator("button[type=submit]").click();
  const error = form.locator(".form-error");
  await error.waitFor();
  assert.match(await error.textContent(), /reach/i);
  assert.equal(await form.locator("textarea[name=body]").inputValue(), "Kept while the chunk is away");
  assert.equal((await form.locator("button[type=submit]").textContent()).trim(), "Retry");

  blocked = false;
  await form.locator("button[type=submit]").click();
  await r.w.locator("li.comment", { hasText: "Kept while the chunk is away" }).waitFor();
  assert.equal(await form.locator("textarea[name=body]").inputValue(), "", "posted: the form is empty again");
  await r.context.close();
});

// A reader edits and deletes their own comment, and likes another's; all survive a reload.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, startBlog, article, launch, widget } from "../harness.mjs";

let server, blog, browser;
const pages = {};

before(async () => {
  blog = await startBlog(pages);
  server = await startServer({ blogOrigin: blog.origin });
  pages["/post"] = article(server.url, { thread: "/own" });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await blog?.stop();
});

async function post(w, text) {
  const form = w.locator("form.reply-form:not(.inline)");
  await form.locator("textarea[name=body]").fill(text);
  await form.locator("button[type=submit]").click();
  const c = w.locator("li.comment", { hasText: text });
  await c.waitFor();
  return c;
}

test("a reader edits then deletes their own comment; the edit and the deletion persist", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${blog.origin}/post`);
  const w = widget(page);
  await w.locator("form.reply-form").waitFor();
  const mine = await post(w, "Frist post");
  await mine.locator("button.edit").click();
  // The form replaces the body, so `mine` (found by its text) no longer matches.
  const edit = w.locator("form.edit-form");
  assert.equal(await edit.locator("textarea[name=body]").inputValue(), "Frist post", "the Markdown source is offered");
  await edit.locator("textarea[name=body]").fill("First post, *fixed*");
  await edit.locator("button[type=submit]").click();
  await w.locator("li.comment em", { hasText: "fixed" }).waitFor();

  await page.reload();
  const edited = widget(page).locator("li.comment", { hasText: "First post, fixed" });
  await edited.waitFor();
  await edited.locator(".edited").waitFor();

  // A second reader (no edit token) is offered neither edit nor delete on it.
  const other = await browser.newContext();
  const otherPage = await other.newPage();
  await otherPage.goto(`${blog.origin}/post`);
  const seen = widget(otherPage).locator("li.comment", { hasText: "First post, fixed" });
  await seen.waitFor();
  assert.equal(await seen.locator("button.edit, button.delete").count(), 0);
  await other.close();

  await edited.locator("button.delete").click();
  await edited.locator("button.confirm-yes").click();
  await widget(page).locator("li.comment", { hasText: "First post, fixed" }).waitFor({ state: "detached" });
  await page.reload();
  await widget(page).locator("form.reply-form").waitFor();
  await widget(page).locator("h2.count").waitFor();
  assert.equal(await widget(page).locator("li.comment", { hasText: "First post" }).count(), 0);
  await context.close();
});

test("a like is counted once, shown pressed, and withdrawn by pressing again", async () => {
  const author = await browser.newContext();
  const authorPage = await author.newPage();
  await authorPage.goto(`${blog.origin}/post`);
  await widget(authorPage).locator("form.reply-form").waitFor();
  await post(widget(authorPage), "Worth a like");
  await author.close();

  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${blog.origin}/post`);
  const c = widget(page).locator("li.comment", { hasText: "Worth a like" });
  await c.waitFor();
  const like = c.locator("button.like");
  assert.equal(await like.locator(".n").textContent(), "0");
  await like.click();
  await like.and(page.locator("[aria-pressed=true]")).waitFor();
  assert.equal(await like.locator(".n").textContent(), "1");
  await like.click();
  await like.and(page.locator("[aria-pressed=false]")).waitFor();
  assert.equal(await like.locator(".n").textContent(), "0", "pressing again withdraws the like");
  await like.click();
  await like.and(page.locator("[aria-pressed=true]")).waitFor();

  await page.reload();
  const again = widget(page).locator("li.comment", { hasText: "Worth a like" }).locator("button.like");
  await again.waitFor();
  assert.equal(await again.locator(".n").textContent(), "1", "the like is stored by the server");
  // The same reader liking again after a reload still counts once.
  await again.click();
  await again.and(page.locator("[aria-pressed=true]")).waitFor();
  assert.equal(await again.locator(".n").textContent(), "1");
  await context.close();
});

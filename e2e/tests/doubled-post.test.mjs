// A post is never doubled: the server stores the comment, but its answer never reaches the
// page (a proxy in the test lets the request through, waits for the server's answer, then
// drops the connection). The reader sees "cannot be reached", the text kept; the retry gets the
// first answer back: one comment, shown once, editable by its author.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, startBlog, article, launch, widget } from "../harness.mjs";

let server, blog, browser;
const pages = {};

before(async () => {
  blog = await startBlog(pages);
  server = await startServer({ blogOrigin: blog.origin });
  pages["/post"] = article(server.url, { thread: "/doubled" });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await blog?.stop();
});

async function stored(text) {
  const res = await fetch(`${server.url}/api/v1/comments?thread=${encodeURIComponent("/doubled")}`);
  const page = await res.json();
  return page.comments.filter((c) => c.html.includes(text)).length;
}

test("an answer lost after the server stored the post: the retry shows it once, stored once", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(`${blog.origin}/post`);
  const w = widget(page);
  await w.locator("form.reply-form").waitFor();
  const text = "Stored, but the answer was lost";
  let answered = 0;
  await page.route("**/api/v1/comments", async (route) => {
    if (route.request().method() !== "POST") return route.continue();
    const response = await route.fetch();
    answered = response.status();
    await route.abort("connectionreset");
  });
  await w.locator("textarea[name=body]").fill(text);
  await w.locator("form.reply-form button[type=submit]").click();
  await w.locator(".form-error").waitFor();
  assert.equal(answered, 201, "the server stored it and answered");
  assert.equal(await stored(text), 1);
  assert.match(await w.locator(".form-error").textContent(), /cannot be reached/);
  assert.equal(await w.locator("textarea[name=body]").inputValue(), text, "the text kept");

  await page.unroute("**/api/v1/comments");
  await w.locator("form.reply-form button[type=submit]").click();
  const mine = w.locator("li.comment", { hasText: text });
  await mine.waitFor();
  assert.equal(await mine.count(), 1, "shown once");
  assert.equal(await stored(text), 1, "stored once");
  assert.equal(await w.locator("textarea[name=body]").inputValue(), "", "the form is cleared");
  // The edit token came back with the first answer: its author can edit it.
  await mine.locator("button.edit").click();
  const edit = w.locator("form.edit-form");
  await edit.locator("textarea[name=body]").fill(`${text}, edited`);
  await edit.locator("button[type=submit]").click();
  await w.locator("li.comment", { hasText: `${text}, edited` }).waitFor();

  // And after a reload, still one.
  await page.reload();
  await widget(page).locator("li.comment", { hasText: `${text}, edited` }).waitFor();
  assert.equal(await widget(page).locator("li.comment", { hasText: text }).count(), 1);
  assert.deepEqual(errors, []);
  await context.close();
});

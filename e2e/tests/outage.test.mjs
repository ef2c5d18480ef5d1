// The server goes away in the middle of a reader's session: nothing typed is lost.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, startBlog, article, launch, widget } from "../harness.mjs";

let server, blog, browser;
const pages = {};

before(async () => {
  blog = await startBlog(pages);
  server = await startServer({ blogOrigin: blog.origin });
  pages["/post"] = article(server.url, { thread: "/outage" });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await blog?.stop();
});

test("the server stops mid-session: a clear error, the text survives, posting works once it is back", async () => {
  const page = await browser.newPage();
  await page.goto(`${blog.origin}/post`);
  const w = widget(page);
  await w.locator("form.reply-form").waitFor();
  const { port, dataDir } = server;
  await server.stop();

  const text = "Written while the server was down";
  await w.locator("textarea[name=body]").fill(text);
  await w.locator("form.reply-form button[type=submit]").click();
  await w.locator(".form-error").waitFor();
  assert.match(await w.locator(".form-error").textContent(), /cannot be reached/);
  assert.equal(await w.locator("textarea[name=body]").inputValue(), text);

  server = await startServer({ port, dataDir, blogOrigin: blog.origin });
  await widget(page).locator("form.reply-form button[type=submit]").click();
  await widget(page).locator("li.comment", { hasText: text }).waitFor();
  assert.equal(await widget(page).locator("textarea[name=body]").inputValue(), "");
  await page.close();
});

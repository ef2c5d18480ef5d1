// Who is speaking, in Chromium: the blog's author signs in (through the API here; the widget's
// panel is signing-in.test.mjs) and posts; the first paint and the widget both mark the
// comment, in the reader's language; a guest taking a lookalike of the author's name is told
// so at the name field, with everything typed kept.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { startServer, startBlog, article, launch, widget, seedComment, setAdminPassword, setAdminDisplayName } from "../harness.mjs";

const PASSWORD = "an admin password for the e2e";
let server, blog, browser;
const pages = {};

before(async () => {
  blog = await startBlog(pages);
  const dataDir = mkdtempSync(path.join(tmpdir(), "palabre-e2e-"));
  await setAdminPassword(dataDir, PASSWORD);
  await setAdminDisplayName(dataDir, "Claire Dubois");
  server = await startServer({ blogOrigin: blog.origin, dataDir });
  pages["/post"] = article(server.url, { thread: "/spoken" });
  pages["/fr"] = article(server.url, { thread: "/spoken", lang: "fr" });
  browser = await launch();
  const res = await fetch(`${server.url}/api/v1/auth/password`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: blog.origin },
    body: JSON.stringify({ name: "admin", password: PASSWORD }),
  });
  assert.equal(res.status, 200);
  const { token, me } = await res.json();
  assert.equal(me.role, "author");
  await seedComment(server.url, { thread: "/spoken", body: "Thanks for reading, everyone." }, 201,
    { authorization: `Bearer ${token}`, origin: blog.origin });
  await seedComment(server.url, { thread: "/spoken", author: "Bo", body: "A guest's word." });
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await blog?.stop();
});

test("the author's comment carries the mark in the first paint and in the widget", async () => {
  // The server's first paint alone: the widget's wasm never arrives.
  const painting = await browser.newContext();
  const painted = await painting.newPage();
  await painted.route(/_bg\.wasm/, (route) => route.abort());
  await painted.goto(`${blog.origin}/post`);
  await painted.locator(".palabre-root[data-first-paint] li.comment", { hasText: "Thanks for reading" })
    .locator(".role[data-role=author]", { hasText: "Author" }).waitFor();
  await painting.close();

  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${blog.origin}/post`);
  const w = widget(page);
  const mine = w.locator("li.comment", { hasText: "Thanks for reading" });
  await mine.locator(".role[data-role=author]").waitFor();
  assert.equal(await mine.locator(".author").textContent(), "Claire Dubois");
  assert.equal(await mine.locator(".role").textContent(), "Author");
  const guest = w.locator("li.comment", { hasText: "A guest's word." });
  assert.equal(await guest.locator(".role").count(), 0, "no mark for a guest");
  // Read out with the name, not as a separate thing.
  const name = await mine.locator("header.meta").evaluate((h) => h.textContent);
  assert.match(name, /Claire Dubois\s*Author/);
  await context.close();
});

test("in French the mark is the French word", async () => {
  const context = await browser.newContext({ locale: "fr-FR" });
  const page = await context.newPage();
  await page.goto(`${blog.origin}/fr`);
  const w = widget(page);
  await w.locator("li.comment .role[data-role=author]", { hasText: "Auteur" }).waitFor();
  await context.close();
});

test("a lookalike of the author's name is refused at the name field, nothing typed is lost", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${blog.origin}/post`);
  const w = widget(page);
  const form = w.locator("form.reply-form:not(.inline)");
  await form.locator("textarea[name=body]").fill("I am totally the author.");
  await form.locator("input[name=author]").fill("Сlaire Dubоis"); // two Cyrillic letters
  await form.locator("button[type=submit]").click();
  const error = form.locator("[id$='-author-error']");
  await error.filter({ hasText: "This name is taken here" }).waitFor();
  const input = form.locator("input[name=author]");
  assert.equal(await input.getAttribute("aria-invalid"), "true");
  assert.equal(await form.locator("textarea[name=body]").inputValue(), "I am totally the author.");
  assert.equal(await w.locator("li.comment", { hasText: "totally the author" }).count(), 0);
  // Another name goes through.
  await input.fill("Claire D. fan");
  await form.locator("button[type=submit]").click();
  await w.locator("li.comment", { hasText: "totally the author" }).waitFor();
  await context.close();
});

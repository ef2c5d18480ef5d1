// The moderation flow across two readers and the admin pages: a held comment is shown only to
// its author (also after a reload), approved in /admin by keyboard-free clicks, then visible
// to another reader.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { startServer, startBlog, article, launch, widget, setAdminPassword, ARTIFACTS } from "../harness.mjs";

const PASSWORD = "an admin password for the e2e";
let server, blog, browser;
const pages = {};

before(async () => {
  blog = await startBlog(pages);
  const dataDir = mkdtempSync(path.join(tmpdir(), "palabre-e2e-"));
  await setAdminPassword(dataDir, PASSWORD);
  server = await startServer({ blogOrigin: blog.origin, dataDir, args: ["--moderation", "all"] });
  pages["/post"] = article(server.url, { thread: "/moderated" });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await blog?.stop();
});

test("a held comment is approved in /admin, then another reader sees it", async () => {
  const author = await browser.newContext();
  const page = await author.newPage();
  await page.goto(`${blog.origin}/post`);
  const w = widget(page);
  const form = w.locator("form.reply-form:not(.inline)");
  await form.locator("textarea[name=body]").fill("Held until a moderator agrees");
  await form.locator("button[type=submit]").click();
  const mine = w.locator("li.comment", { hasText: "Held until a moderator agrees" });
  await mine.locator(".pending-note").waitFor();
  await page.reload();
  await widget(page).locator("li.comment .pending-note").waitFor();

  const reader = await browser.newContext();
  const readerPage = await reader.newPage();
  await readerPage.goto(`${blog.origin}/post`);
  await widget(readerPage).locator("p.empty").waitFor();
  assert.equal(await widget(readerPage).locator("li.comment").count(), 0, "not shown to others");

  const admin = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const adminPage = await admin.newPage();
  await adminPage.goto(`${server.url}/admin`);
  await adminPage.getByLabel("Password").fill(PASSWORD);
  await adminPage.getByRole("button", { name: "Sign in", exact: true }).click();
  await adminPage.getByRole("heading", { name: "Moderation queue" }).waitFor();
  const row = adminPage.locator("li.comment", { hasText: "Held until a moderator agrees" });
  await adminPage.screenshot({ path: path.join(ARTIFACTS, "admin-queue-phone.png"), fullPage: true });
  await row.getByRole("button", { name: /^Approve comment/ }).click();
  await adminPage.getByText("1 item updated.").waitFor();
  assert.equal(await adminPage.locator("li.comment").count(), 0, "the queue is empty");

  await readerPage.reload();
  await widget(readerPage).locator("li.comment", { hasText: "Held until a moderator agrees" }).waitFor();
  assert.equal(await widget(readerPage).locator(".pending-note").count(), 0);
  await author.close();
  await reader.close();
  await admin.close();
});

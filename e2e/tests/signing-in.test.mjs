// Signing in inside the widget, in Chromium, against a real SMTP exchange: a reader proves
// her email with a code and stays signed in across a reload with no cookie; a guest asking for
// replies types the code the post sent; the blog's author signs in with the password and
// moderates in place (approve, reject, close the thread); a site's member arrives signed in
// by `data-sso-token`.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  startServer, startBlog, article, launch, widget, seedComment, setAdminPassword,
  setAdminDisplayName, smtpSink, ssoToken,
} from "../harness.mjs";

const PASSWORD = "an admin password for the e2e";
const SSO_KEY = "the members' site key, long enough to sign with";
let server, authorServer, blog, browser, smtp;
const pages = {};

before(async () => {
  blog = await startBlog(pages);
  smtp = await smtpSink();
  const dataDir = mkdtempSync(path.join(tmpdir(), "palabre-e2e-"));
  await setAdminPassword(dataDir, PASSWORD);
  await setAdminDisplayName(dataDir, "Claire Dubois");
  server = await startServer({
    blogOrigin: blog.origin,
    args: [...smtp.args, "--sso-secret", SSO_KEY],
  });
  // The author's own server: sign-in attempts are limited per network, and every test's
  // browser is on this one.
  authorServer = await startServer({
    blogOrigin: blog.origin,
    dataDir,
    // Comments naming a casino are held: the author's queue has something in it.
    args: ["--blocked-word", "casino"],
  });
  pages["/post"] = article(server.url, { thread: "/signing-in" });
  pages["/held"] = article(authorServer.url, { thread: "/held" });
  pages["/replies"] = article(server.url, { thread: "/replies" });
  // The site's backend signs its member's token for the page.
  const token = await ssoToken(SSO_KEY, { sub: "m-42", name: "Mia Member", exp: Math.floor(Date.now() / 1000) + 300 });
  pages["/members"] = article(server.url, { thread: "/members", attrs: `data-sso-token="${token}"` });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await authorServer?.stop();
  await blog?.stop();
  await smtp?.stop();
});

const form = (w) => w.locator("form.reply-form:not(.inline)");

async function post(w, body, name) {
  const f = form(w);
  await f.locator("textarea[name=body]").fill(body);
  if (name) await f.locator("input[name=author]").fill(name);
  await f.locator("button[type=submit]").click();
  return w.locator("li.comment", { hasText: body });
}

test("a reader proves her email with a code, posts as verified, and stays signed in without a cookie", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${blog.origin}/post`);
  const w = widget(page);
  const account = w.locator(".account");
  await account.getByRole("button", { name: "Sign in" }).click();
  const before = smtp.mails.length;
  await account.locator("input[name=email]").fill("ana@example.org");
  await account.getByRole("button", { name: "Email me a code" }).click();
  await account.getByText("We emailed a 6-digit code to ana@example.org").waitFor();
  const code = await smtp.codeFor("ana@example.org", before);
  // A wrong code first: said in the panel, the field kept.
  await account.locator("input[name=code]").fill(code === "000000" ? "111111" : "000000");
  await account.getByRole("button", { name: "Sign in" }).click();
  await account.getByRole("alert").filter({ hasText: "This code is wrong or has expired" }).waitFor();
  await account.locator("input[name=code]").fill(code);
  await account.getByRole("button", { name: "Sign in" }).click();
  await account.getByText("Signed in as ana@example.org").waitFor();
  assert.equal(await account.locator(".role[data-role=verified]").textContent(), "Verified");
  // The proven address replaces the email field; the name is still hers to choose.
  await form(w).locator("input[name=email]").waitFor({ state: "hidden" });
  assert.ok(await form(w).locator("input[name=author]").isVisible());

  const mine = await post(w, "Signed in and commenting.", "Ana");
  await mine.locator(".role[data-role=verified]").waitFor();
  assert.equal(await mine.locator(".author").textContent(), "Ana");

  // The session lives in the blog's storage, sent as a bearer token: no cookie anywhere.
  const stored = await page.evaluate(() => Object.keys(localStorage).filter((k) => k.includes(":session:")));
  assert.equal(stored.length, 1);
  assert.deepEqual(await context.cookies(), []);
  await page.reload();
  await w.locator(".account").getByText("Signed in as Ana").waitFor();
  const again = w.locator("li.comment", { hasText: "Signed in and commenting." });
  await again.getByRole("button", { name: "Edit" }).waitFor();

  // Another device: her own comment's Edit comes from her session, not this browser's token.
  const other = await browser.newContext();
  const phone = await other.newPage();
  await phone.goto(`${blog.origin}/post`);
  const pw = widget(phone);
  await pw.locator("li.comment", { hasText: "Signed in and commenting." }).waitFor();
  assert.equal(await pw.getByRole("button", { name: "Edit" }).count(), 0, "signed out, not hers here");
  await pw.locator(".account").getByRole("button", { name: "Sign in" }).click();
  const mark = smtp.mails.length;
  await pw.locator(".account input[name=email]").fill("ana@example.org");
  await pw.locator(".account").getByRole("button", { name: "Email me a code" }).click();
  await pw.locator(".account input[name=code]").fill(await smtp.codeFor("ana@example.org", mark));
  await pw.locator(".account").getByRole("button", { name: "Sign in" }).click();
  const there = pw.locator("li.comment", { hasText: "Signed in and commenting." });
  const id = await there.getAttribute("data-id");
  await there.getByRole("button", { name: "Edit" }).click();
  const editing = pw.locator(`li.comment[data-id="${id}"]`);
  await editing.locator("form.edit-form textarea").fill("Signed in and edited on my phone.");
  await editing.getByRole("button", { name: "Save" }).click();
  await pw.locator("li.comment", { hasText: "edited on my phone" }).waitFor();

  // Signing out everywhere ends the first browser's session too.
  await pw.locator(".account").getByRole("button", { name: "Sign out on every device" }).click();
  await pw.locator(".account").getByRole("button", { name: "Sign in" }).waitFor();
  await page.reload();
  await w.locator(".account").getByRole("button", { name: "Sign in" }).waitFor();
  await form(w).locator("input[name=email]").waitFor({ state: "visible" });
  // The widget learns the session ended from its first signed request, after it draws: wait
  // for that (a fast server answered before this looked, a slow one after).
  await page.waitForFunction(() => !Object.keys(localStorage).some((k) => k.includes(":session:")), null, { timeout: 10000 }).catch(() => {});
  assert.deepEqual(
    await page.evaluate(() => Object.keys(localStorage).filter((k) => k.includes(":session:"))),
    [],
    "a session the server ended is forgotten",
  );
  await other.close();
  await context.close();
});

test("a guest asking for replies types the code the post sent, and nothing typed is lost", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${blog.origin}/replies`);
  const w = widget(page);
  const f = form(w);
  await f.locator("input[name=email]").fill("bo@example.org");
  await f.getByLabel("Email me replies to this comment").check();
  const mark = smtp.mails.length;
  const mine = await post(w, "Tell me when someone answers.", "Bo");
  await mine.waitFor();
  const account = w.locator(".account");
  await account.getByText("To get replies by email, type the code we sent to bo@example.org").waitFor();
  await account.locator("input[name=code]").fill(await smtp.codeFor("bo@example.org", mark));
  await account.getByRole("button", { name: "Sign in" }).click();
  await account.getByText("Signed in as Bo").waitFor();
  await w.locator("[role=status]", { hasText: "Done: replies will come to bo@example.org." }).waitFor();
  await context.close();
});

test("the author signs in with the password and moderates in place", async () => {
  await seedComment(authorServer.url, { thread: "/held", author: "Spammy", body: "Visit my casino." }, 202);
  await seedComment(authorServer.url, { thread: "/held", author: "Dee", body: "A fair casino question, really." }, 202);
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${blog.origin}/held`);
  const w = widget(page);
  assert.equal(await w.locator("li.comment").count(), 0, "held comments are not shown to readers");
  const account = w.locator(".account");
  await account.getByRole("button", { name: "Sign in", exact: true }).click();
  await account.getByRole("button", { name: "The blog's author? Sign in with your password." }).click();
  await account.locator("input[name=text]").fill("admin");
  await account.locator("input[name=password]").fill("not the password");
  await account.getByRole("button", { name: "Sign in", exact: true }).click();
  await account.getByRole("alert").filter({ hasText: "The name or password is wrong." }).waitFor();
  await account.locator("input[name=password]").fill(PASSWORD);
  await account.getByRole("button", { name: "Sign in", exact: true }).click();
  await account.getByText("Signed in as Claire Dubois").waitFor();
  assert.equal(await account.locator(".role[data-role=author]").textContent(), "Author");

  // The thread's queue, in the thread.
  const spam = w.locator("li.comment", { hasText: "Visit my casino." });
  const fair = w.locator("li.comment", { hasText: "A fair casino question" });
  await fair.getByRole("button", { name: "Approve" }).click();
  await w.locator("[role=status]", { hasText: "Approved." }).waitFor();
  await fair.locator(".pending-note").waitFor({ state: "detached" });
  await spam.getByRole("button", { name: "Reject" }).click();
  await spam.waitFor({ state: "detached" });

  // A reader now sees the approved one only.
  const reader = await browser.newContext();
  const rp = await reader.newPage();
  await rp.goto(`${blog.origin}/held`);
  const rw = widget(rp);
  await rw.locator("li.comment", { hasText: "A fair casino question" }).waitFor();
  assert.equal(await rw.locator("li.comment", { hasText: "Visit my casino." }).count(), 0);
  assert.equal(await rw.getByRole("button", { name: "Approve" }).count(), 0, "no tools for readers");

  // Closing the thread hides the form; the author reopens it from the same bar.
  await account.getByRole("button", { name: "Close the thread" }).click();
  await w.locator(".status.locked").waitFor();
  await account.getByRole("button", { name: "Reopen the thread" }).click();
  await form(w).waitFor();

  // The author posts with the mark, no name or email asked.
  assert.equal(await form(w).locator("input[name=author]").isVisible(), false);
  const reply = await post(w, "Thanks, Dee.");
  await reply.locator(".role[data-role=author]").waitFor();
  await reader.close();
  await context.close();
});

test("a member of the site arrives signed in by its token and posts with the member mark", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${blog.origin}/members`);
  const w = widget(page);
  await w.locator(".account").getByText("Signed in as Mia Member").waitFor();
  assert.equal(await w.locator(".account .role[data-role=member]").textContent(), "Member");
  const mine = await post(w, "Members' corner.");
  await mine.locator(".role[data-role=member]").waitFor();
  assert.equal(await mine.locator(".author").textContent(), "Mia Member");
  await context.close();
});

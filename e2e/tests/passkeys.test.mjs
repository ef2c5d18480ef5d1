// Passkeys in Chromium, against its virtual authenticator (an independent WebAuthn client):
// a verified reader adds a passkey in the widget, then on another device (the same passkey,
// synced) signs in with it alone. The blog is on `blog.localhost`: browsers refuse an address
// such as 127.0.0.1 as a relying party.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { startServer, startBlog, article, launch, widget, smtpSink, setAdminPassword, setAdminDisplayName } from "../harness.mjs";

const PASSWORD = "an admin password for the e2e";
let server, authorServer, blog, browser, smtp, origin, serverOrigin;
const pages = {};

before(async () => {
  blog = await startBlog(pages);
  origin = blog.origin.replace("127.0.0.1", "blog.localhost");
  smtp = await smtpSink();
  // The comment server on a subdomain of the blog's: /admin may then use the blog's passkeys.
  const port = await new Promise((resolve) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
  serverOrigin = `http://comments.blog.localhost:${port}`;
  const dataDir = mkdtempSync(path.join(tmpdir(), "palabre-e2e-"));
  await setAdminPassword(dataDir, PASSWORD);
  await setAdminDisplayName(dataDir, "Claire Dubois");
  server = await startServer({ blogOrigin: origin, args: smtp.args });
  // The author's own server: sign-in attempts are limited per network, and the tests share one.
  authorServer = await startServer({ port, blogOrigin: origin, dataDir, args: ["--public-url", serverOrigin] });
  pages["/post"] = article(server.url, { thread: "/passkeys" });
  pages["/author"] = article(authorServer.url, { thread: "/passkeys" });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await authorServer?.stop();
  await blog?.stop();
  await smtp?.stop();
});

/** A page with a virtual platform authenticator that verifies its user. */
async function device() {
  const context = await browser.newContext();
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2", transport: "internal", hasResidentKey: true,
      hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true,
    },
  });
  return { context, page, cdp, authenticatorId };
}

test("a verified reader adds a passkey, then signs in with it alone on another device", async () => {
  const laptop = await device();
  await laptop.page.goto(`${origin}/post`);
  const w = widget(laptop.page);
  const account = w.locator(".account");
  await account.getByRole("button", { name: "Sign in", exact: true }).click();
  const mark = smtp.mails.length;
  await account.locator("input[name=email]").fill("ana@example.org");
  await account.getByRole("button", { name: "Email me a code" }).click();
  await account.locator("input[name=code]").fill(await smtp.codeFor("ana@example.org", mark));
  await account.getByRole("button", { name: "Sign in", exact: true }).click();
  await account.getByText("Signed in as ana@example.org").waitFor();
  await account.getByRole("button", { name: "Add a passkey" }).click();
  await w.locator("[role=status]", { hasText: "Passkey added" }).waitFor();
  const { credentials } = await laptop.cdp.send("WebAuthn.getCredentials", { authenticatorId: laptop.authenticatorId });
  assert.equal(credentials.length, 1);
  assert.equal(credentials[0].rpId, "blog.localhost", "the blog's domain is the relying party");
  assert.ok(credentials[0].isResidentCredential, "discoverable: no name needed to use it");

  // The phone holds the same passkey (as a synced one would be); no email, no code.
  const phone = await device();
  await phone.cdp.send("WebAuthn.addCredential", { authenticatorId: phone.authenticatorId, credential: credentials[0] });
  await phone.page.goto(`${origin}/post`);
  const pw = widget(phone.page);
  await pw.locator(".account").getByRole("button", { name: "Sign in", exact: true }).click();
  await pw.locator(".account").getByRole("button", { name: "Sign in with a passkey" }).click();
  await pw.locator(".account").getByText("Signed in as ana@example.org").waitFor();
  assert.equal(await pw.locator(".account .role[data-role=verified]").textContent(), "Verified");
  const before = smtp.mails.length;
  assert.equal(smtp.mails.length, before, "no mail for a passkey sign-in");
  const { credentials: used } = await phone.cdp.send("WebAuthn.getCredentials", { authenticatorId: phone.authenticatorId });
  assert.ok(used[0].signCount >= 1, "the passkey signed the challenge");

  // A device without her passkey gets a clear line, and email stays the way in.
  const stranger = await device();
  await stranger.page.goto(`${origin}/post`);
  const sw = widget(stranger.page);
  await sw.locator(".account").getByRole("button", { name: "Sign in", exact: true }).click();
  await sw.locator(".account").getByRole("button", { name: "Sign in with a passkey" }).click();
  await sw.locator(".account [role=alert]", { hasText: "The passkey did not work" }).waitFor({ timeout: 90_000 });
  await sw.locator(".account input[name=email]").waitFor();
  for (const d of [laptop, phone, stranger]) await d.context.close();
});

test("the author adds a passkey in the widget and signs in to /admin with it", async () => {
  const laptop = await device();
  await laptop.page.goto(`${origin}/author`);
  const account = widget(laptop.page).locator(".account");
  await account.getByRole("button", { name: "Sign in", exact: true }).click();
  await account.getByRole("button", { name: "The blog's author? Sign in with your password." }).click();
  await account.locator("input[name=text]").fill("admin");
  await account.locator("input[name=password]").fill(PASSWORD);
  await account.getByRole("button", { name: "Sign in", exact: true }).click();
  await account.getByText("Signed in as Claire Dubois").waitFor();
  await account.getByRole("button", { name: "Add a passkey" }).click();
  await widget(laptop.page).locator("[role=status]", { hasText: "Passkey added" }).waitFor();

  const admin = await laptop.context.newPage();
  const cdp = await laptop.context.newCDPSession(admin);
  await cdp.send("WebAuthn.enable");
  const { credentials } = await laptop.cdp.send("WebAuthn.getCredentials", { authenticatorId: laptop.authenticatorId });
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: { protocol: "ctap2", transport: "internal", hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  await cdp.send("WebAuthn.addCredential", { authenticatorId, credential: credentials.at(-1) });
  await admin.goto(`${serverOrigin}/admin/login`);
  await admin.getByRole("button", { name: "Sign in with a passkey" }).click();
  await admin.waitForURL(/\/admin\/queue$/, { timeout: 10_000 }).catch(async (e) => {
    throw new Error(`${e.message}: ${await admin.locator("#passkey-error").textContent()}`);
  });
  await admin.getByRole("navigation").waitFor();
  await laptop.context.close();
});

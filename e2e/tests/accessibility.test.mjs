// Accessibility audit: axe-core (from npm, injected here) over the widget in light and dark,
// with a thread, a reply form open, an error shown and a held comment, and over every admin
// page: no serious or critical WCAG 2.1 A/AA violation. Also the blog's own colours in both
// schemes, `auto` on a light-only page, reflow at 320 px (200 % zoom of a 640 px window) and
// reduced motion.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { startServer, startBlog, article, launch, widget, seedComment, setAdminPassword } from "../harness.mjs";

const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const PASSWORD = "an admin password for the audit";
// The demo blog's accent (demo/blog/style.css): a brown chosen for a light page.
const BLOG_COLOURS = "<style>.palabre { --palabre-accent: #7a3b1f; }</style>";
let server, blog, browser;
const pages = {};

before(async () => {
  blog = await startBlog(pages);
  const dataDir = mkdtempSync(path.join(tmpdir(), "palabre-e2e-"));
  await setAdminPassword(dataDir, PASSWORD);
  server = await startServer({ blogOrigin: blog.origin, dataDir,
    args: ["--pow-difficulty", "0", "--moderation", "all"] });
  const both = `<style>:root { color-scheme: light dark; }</style>${BLOG_COLOURS}`;
  pages["/light-dark"] = article(server.url, { thread: "/audit", head: both });
  pages["/light-only"] = article(server.url, { thread: "/audit", head: BLOG_COLOURS });
  // A dark blog that declares no color-scheme: its background decides.
  pages["/dark-undeclared"] = article(server.url, { thread: "/audit",
    head: `<style>body { background: #15171a; color: #ddd; }</style>${BLOG_COLOURS}` });
  pages["/dark"] = article(server.url, { thread: "/audit", head: BLOG_COLOURS, attrs: 'data-theme="dark"' });
  // A right-to-left blog: the page and the widget in Arabic.
  pages["/arabic"] = article(server.url, { thread: "/audit", lang: "ar", head: '<style>html { direction: rtl; }</style>' });
  browser = await launch();
  // Held (--moderation all): approved, so that readers see a thread.
  const first = await seedComment(server.url, { thread: "/audit", author: "Ana", body: "A **first** comment" }, 202);
  await approveAll();
  await seedComment(server.url, { thread: "/audit", parent: first.comment.id, author: "Ben", body: "A reply" }, 202);
  await approveAll();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await blog?.stop();
});

/** Serious and critical WCAG 2.1 A/AA violations on the page, shadow roots included. */
async function audit(page, what) {
  await page.addScriptTag({ content: AXE });
  const found = await page.evaluate(async () => {
    const r = await window.axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
      // WCAG 2.5.3 (label in name): axe ships it as experimental, off unless asked for.
      rules: { "label-content-name-mismatch": { enabled: true } },
    });
    return r.violations.filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" > ")).join(", ")}`);
  });
  assert.deepEqual(found, [], `${what}:\n${found.join("\n")}`);
}

async function approveAll() {
  const context = await browser.newContext();
  const queue = await signIn(context);
  while (await queue.locator("li.comment").count() > 0) {
    await Promise.all([queue.waitForNavigation(),
      queue.locator("li.comment").first().getByRole("button", { name: /^Approve comment/ }).click()]);
  }
  await context.close();
}

async function signIn(context, auditLogin = false) {
  const page = await context.newPage();
  await page.goto(`${server.url}/admin`);
  if (auditLogin) await audit(page, "the sign-in page");
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByRole("heading", { name: "Moderation queue" }).waitFor();
  return page;
}

test("the widget has no serious violation in light or dark, in each of its states", async () => {
  for (const [pagePath, scheme] of [["/light-dark", "light"], ["/light-dark", "dark"], ["/dark", "light"]]) {
    const context = await browser.newContext({ colorScheme: scheme });
    const page = await context.newPage();
    const what = `${pagePath} with the system ${scheme}`;
    await page.goto(`${blog.origin}${pagePath}`);
    const w = widget(page);
    await w.locator("li.comment li.comment", { hasText: "A reply" }).waitFor();
    await audit(page, `${what}: the thread`);
    await w.locator("li.comment").first().getByRole("button", { name: "Reply" }).first().click();
    await w.locator("form.reply-form.inline textarea").waitFor();
    await audit(page, `${what}: a reply form open`);
    const form = w.locator("form.reply-form:not(.inline)");
    await form.locator("button[type=submit]").click();
    await form.locator(".error, [role=alert]").first().waitFor();
    await audit(page, `${what}: an error shown`);
    await form.locator("textarea[name=body]").fill(`Held for the audit (${what})`);
    await form.locator("button[type=submit]").click();
    await w.locator("li.comment .pending-note").first().waitFor();
    await audit(page, `${what}: a held comment`);
    await context.close();
  }
});

test("in Arabic, right to left: the widget and the admin pages have no serious violation, nothing overflows", async () => {
  const context = await browser.newContext({ viewport: { width: 320, height: 640 }, bypassCSP: true });
  const page = await context.newPage();
  await page.goto(`${blog.origin}/arabic`);
  const w = widget(page);
  await w.locator("li.comment li.comment", { hasText: "A reply" }).waitFor();
  assert.equal(await w.locator("section.palabre").getAttribute("dir"), "rtl");
  await audit(page, "the widget in Arabic");
  const overflow = await page.evaluate(() => {
    const root = document.querySelector("div.palabre").shadowRoot;
    const outside = [...root.querySelectorAll("*")].filter((e) => {
      const r = e.getBoundingClientRect();
      return r.width > 0 && (r.left < -1 || r.right > innerWidth + 1);
    });
    return { page: document.documentElement.scrollWidth - innerWidth, outside: outside.map((e) => e.className || e.tagName) };
  });
  assert.deepEqual(overflow, { page: 0, outside: [] });
  const admin = await signIn(context);
  await admin.setExtraHTTPHeaders({ "accept-language": "ar" });
  for (const p of ["/admin/queue", "/admin/comments", "/admin/threads"]) {
    await admin.goto(`${server.url}${p}`);
    assert.equal(await admin.locator("html").getAttribute("dir"), "rtl", p);
    await audit(admin, `${p} in Arabic`);
  }
  await context.close();
});

test("auto follows the page: light on a light-only blog whatever the system, dark where the page allows or is dark", async () => {
  const background = async (pagePath, scheme) => {
    const context = await browser.newContext({ colorScheme: scheme });
    const page = await context.newPage();
    await page.goto(`${blog.origin}${pagePath}`);
    await widget(page).locator("li.comment").first().waitFor();
    const bg = await widget(page).evaluate((root) => getComputedStyle(root).backgroundColor);
    await context.close();
    return bg;
  };
  assert.equal(await background("/light-only", "dark"), "rgb(255, 255, 255)", "a light-only blog");
  assert.equal(await background("/light-dark", "light"), "rgb(255, 255, 255)");
  assert.equal(await background("/light-dark", "dark"), "rgb(13, 17, 23)", "the page allows dark");
  assert.equal(await background("/dark-undeclared", "light"), "rgb(13, 17, 23)", "a dark page, no color-scheme");
  assert.equal(await background("/dark-undeclared", "dark"), "rgb(13, 17, 23)");
});

test("a blog accent that fails AA is named in the console, with the colour drawn instead; only pages with an accent check", async () => {
  const visit = async (pagePath) => {
    const context = await browser.newContext({ colorScheme: "light" });
    const page = await context.newPage();
    const warnings = [], checks = [];
    page.on("console", (m) => m.type() === "warning" && warnings.push(m.text()));
    page.on("requestfinished", (r) => /\/embed\/split_contrast\./.test(r.url()) && checks.push(r.url()));
    await page.goto(`${blog.origin}${pagePath}`);
    await widget(page).locator("li.comment").first().waitFor();
    return { context, page, warnings, checks };
  };
  const settle = () => new Promise((r) => setTimeout(r, 1000));

  // The demo's brown on the dark theme: too dark to read on #0d1117.
  const dark = await visit("/dark");
  for (let i = 0; i < 50 && dark.warnings.length === 0; i++) await settle();
  const warned = dark.warnings[0] ?? "no warning";
  const found = warned.match(/^Palabre: the accent #7a3b1f has (\d+)\.(\d):1 contrast with the widget's background #0d1117, under the 4\.5:1 WCAG AA asks of text; links and buttons use #([0-9a-f]{6}) instead\./);
  assert.ok(found, warned);
  assert.ok(Number(found[1]) * 10 + Number(found[2]) < 45, warned);
  // The colour named is the one the widget draws its main button in, and it reads.
  const drawn = await widget(dark.page).locator("button.primary").first().evaluate((b) => {
    const c = document.createElement("canvas").getContext("2d");
    c.fillStyle = getComputedStyle(b).backgroundColor;
    c.fillRect(0, 0, 1, 1);
    return [...c.getImageData(0, 0, 1, 1).data.slice(0, 3)].map((v) => v.toString(16).padStart(2, "0")).join("");
  });
  assert.equal(drawn, found[3]);
  const lum = (hex) => [0, 2, 4].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255)
    .map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4))
    .reduce((sum, c, i) => sum + c * [0.2126, 0.7152, 0.0722][i], 0);
  assert.ok((lum(drawn) + 0.05) / (lum("0d1117") + 0.05) >= 4.5, `${drawn} on #0d1117`);
  await settle();
  assert.deepEqual(dark.warnings, [warned], "said once, and nothing else (no canvas readback warning)");
  await dark.context.close();

  // The same brown on a light page reads (9:1): checked, nothing said.
  const light = await visit("/light-only");
  for (let i = 0; i < 50 && light.checks.length === 0; i++) await settle();
  assert.equal(light.checks.length, 1, "the check ran");
  await settle();
  assert.deepEqual(light.warnings, []);
  await light.context.close();

  // No accent of the blog's: no check downloaded.
  const plain = await visit("/arabic");
  await settle();
  assert.deepEqual([plain.checks, plain.warnings], [[], []]);
  await plain.context.close();
});

test("every admin page has no serious violation", async () => {
  // The admin pages' CSP forbids the injected script: bypassed in this context only.
  const context = await browser.newContext({ bypassCSP: true });
  const page = await signIn(context, true);
  for (const p of ["/admin/queue", "/admin/comments", "/admin/threads", "/admin/blocks", "/admin/log", "/admin/readers"]) {
    await page.goto(`${server.url}${p}`);
    await audit(page, p);
  }
  await page.goto(`${server.url}/admin/comments`);
  const edit = page.locator("a[href*='/edit']").first();
  await edit.click();
  await page.locator("textarea").first().waitFor();
  await audit(page, "a comment's edit page");
  await context.close();
});

test("at 320 px (200 % zoom) nothing needs scrolling sideways; reduced motion stops the animation", async () => {
  const context = await browser.newContext({ viewport: { width: 320, height: 640 }, reducedMotion: "reduce" });
  const page = await context.newPage();
  // Held back so the loading placeholder (the only animation) shows.
  let release;
  const held = new Promise((r) => (release = r));
  await page.route("**/api/v1/comments?*", async (route) => { await held; await route.continue(); });
  await page.route("**/api/v1/first-paint?*", (route) => route.abort());
  await page.goto(`${blog.origin}/light-only`);
  const skeleton = page.locator("div.palabre .skeleton-line").first();
  await skeleton.waitFor();
  assert.equal(await skeleton.evaluate((e) => getComputedStyle(e).animationName), "none");
  release();
  const w = widget(page);
  await w.locator("li.comment li.comment", { hasText: "A reply" }).waitFor();
  const overflow = await page.evaluate(() => {
    const root = document.querySelector("div.palabre").shadowRoot;
    const wide = [...root.querySelectorAll("*")].filter((e) => e.getBoundingClientRect().right > innerWidth + 1);
    return { page: document.documentElement.scrollWidth - innerWidth, wide: wide.map((e) => e.className || e.tagName) };
  });
  assert.deepEqual(overflow, { page: 0, wide: [] });
  await context.close();
});

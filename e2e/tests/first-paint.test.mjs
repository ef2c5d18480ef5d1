// The server's first paint: the loader shows the thread drawn by the server before the widget's
// code has arrived, and the widget takes its place with the same markup. This test is the
// guard against the two drawings drifting apart (server/src/first_paint.rs mirrors
// src/components/).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, startBlog, article, launch, seedComment } from "../harness.mjs";

let server, blog, browser;
const pages = {};

before(async () => {
  blog = await startBlog(pages);
  server = await startServer({ blogOrigin: blog.origin, args: ["--pow-difficulty", "0"] });
  pages["/post"] = article(server.url, { thread: "/post", attrs: 'data-max-depth="1"' });
  pages["/japanese"] = article(server.url, { thread: "/post", lang: "ja" });
  pages["/deutsch"] = article(server.url, { thread: "/post", lang: "de" });
  // A blog's Content-Security-Policy: without 'wasm-unsafe-eval' the widget cannot compile;
  // with it (as the README says) everything works, chunks included.
  const csp = (extra) => `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; ` +
    `script-src ${server.url} ${extra}; connect-src ${server.url}">`;
  pages["/strict-csp"] = article(server.url, { thread: "/post", lang: "fr", head: csp("") });
  pages["/documented-csp"] = article(server.url, { thread: "/csp", head: csp("'wasm-unsafe-eval'") });
  const first = await seedComment(server.url, { thread: "/post", author: "Ana <i>", website: "https://ana.example/?a=1&b=2",
    body: "Hello **there**: `code` and\n\n> a quote" });
  const reply = await seedComment(server.url, { thread: "/post", parent: first.comment.id, body: "Une réponse 🥞" });
  await seedComment(server.url, { thread: "/post", parent: reply.comment.id, body: "deeper, drawn flat" });
  const edited = await seedComment(server.url, { thread: "/post", body: "before the edit" });
  await fetch(`${server.url}/api/v1/comments/${edited.comment.id}`, { method: "PATCH",
    headers: { "content-type": "application/json", authorization: `Bearer ${edited.edit_token}` },
    body: JSON.stringify({ body: "after the edit" }) });
  await fetch(`${server.url}/api/v1/comments/${first.comment.id}/vote`, { method: "POST",
    headers: { "content-type": "application/json" }, body: JSON.stringify({ value: 1 }) });
  const gone = await seedComment(server.url, { thread: "/post", body: "to be deleted" });
  await seedComment(server.url, { thread: "/post", parent: gone.comment.id, body: "keeps its place" });
  await fetch(`${server.url}/api/v1/comments/${gone.comment.id}`, { method: "DELETE",
    headers: { authorization: `Bearer ${gone.edit_token}` } });
  // Two more top-level comments: the first paint holds the first four only.
  await seedComment(server.url, { thread: "/post", body: "the fourth" });
  await seedComment(server.url, { thread: "/post", body: "the fifth, for the widget only" });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await blog?.stop();
});

// The comment section's markup, as the browser holds it: Leptos' placeholder comments, what
// only the widget draws (the form, its live region, the feed link, "Load more") and hover
// titles left out, and only the first `roots` top-level comments.
function markup(page, selector, roots = Infinity) {
  return page.evaluate(([selector, roots]) => {
    const section = document.querySelector("div.palabre").shadowRoot.querySelector(selector).cloneNode(true);
    const walker = document.createTreeWalker(section, NodeFilter.SHOW_COMMENT);
    const comments = [];
    while (walker.nextNode()) comments.push(walker.currentNode);
    comments.forEach((c) => c.remove());
    section.querySelectorAll("form.reply-form, .sr-only, a.feed, button.load-more").forEach((e) => e.remove());
    section.querySelectorAll("time[title]").forEach((e) => e.removeAttribute("title"));
    [...section.querySelectorAll("ol.comments > li")].slice(roots).forEach((e) => e.remove());
    return section.outerHTML;
  }, [selector, roots]);
}

test("the first paint shows the thread before the widget, which takes its place with the same markup", async () => {
  const page = await browser.newPage();
  // The widget's code waits until the first paint has been looked at.
  let release;
  const wasmHeld = new Promise((r) => (release = r));
  await page.route("**/*.wasm", async (route) => { await wasmHeld; await route.continue(); });
  await page.goto(`${blog.origin}/post`);
  const paint = page.locator("div.palabre [data-first-paint]");
  await paint.locator("li.comment", { hasText: "Hello there" }).waitFor();
  assert.equal(await page.locator("div.palabre form").count(), 0, "no form before the widget runs");
  const drawnByServer = await markup(page, "[data-first-paint] > section");
  const roots = await paint.locator("ol.comments > li").count();
  assert.equal(roots, 4, "the first four top-level comments");
  assert.ok(!drawnByServer.includes("the fifth"));
  release();
  await page.locator("div.palabre form.reply-form").waitFor();
  assert.equal(await paint.count(), 0, "the first paint is gone");
  assert.equal(await page.locator(".palabre-root ol.comments > li").count(), 5, "the widget shows the whole page");
  const drawnByWidget = await markup(page, ".palabre-root > section", roots);
  assert.ok(drawnByServer.includes("keeps its place") && drawnByServer.includes("after the edit"));
  assert.equal(drawnByServer, drawnByWidget);
  await page.close();
});

test("the first paint and the thread page arrive compressed, in the encoding Chromium asked for", async () => {
  const page = await browser.newPage();
  const paths = ["/api/v1/first-paint", "/api/v1/comments"];
  // Waited for, not gathered in a handler: a handler's own awaits could finish after the form
  // shows, and the check would find nothing yet.
  const answers = paths.map((path) =>
    page.waitForResponse((r) => new URL(r.url()).pathname === path, { timeout: 30_000 })
      .then(async (response) => ({ path, accept: (await response.request().allHeaders())["accept-encoding"] ?? "",
        headers: await response.allHeaders() })));
  await page.goto(`${blog.origin}/post`);
  await page.locator("div.palabre form.reply-form").waitFor();
  for (const { path, accept, headers } of await Promise.all(answers)) {
    const expected = /\bbr\b/.test(accept) ? "br" : "gzip";
    assert.match(accept, /gzip/, `${path}: Accept-Encoding ${accept}`);
    assert.equal(headers["content-encoding"], expected, `${path}: ${JSON.stringify(headers)}`);
    assert.match(headers["vary"], /accept-encoding/i, path);
  }
  await page.close();
});

test("a page in another language gets a first paint and a widget in it, with the server's words", async () => {
  const page = await browser.newPage();
  const words = [];
  page.on("request", (r) => { if (r.url().includes("/api/v1/words/")) words.push(r.url()); });
  let release;
  const wasmHeld = new Promise((r) => (release = r));
  await page.route("**/*.wasm", async (route) => { await wasmHeld; await route.continue(); });
  await page.goto(`${blog.origin}/deutsch`);
  const painted = page.locator("div.palabre [data-first-paint]");
  await painted.locator("h2.count").waitFor();
  assert.equal(await painted.locator("h2.count").textContent(), "7 Kommentare");
  release();
  await page.locator("div.palabre form.reply-form").waitFor();
  // The first paint was kept (drawn for this very widget) and replaced, in German throughout.
  assert.equal(await page.locator("div.palabre [data-first-paint]").count(), 0);
  assert.equal(await page.locator("div.palabre h2.count").textContent(), "7 Kommentare");
  assert.equal(await page.locator("div.palabre form.reply-form:not(.inline) h3.form-title").textContent(), "Kommentar schreiben");
  assert.deepEqual(words.map((u) => new URL(u).pathname), ["/api/v1/words/de"]);
  await page.close();
});

test("a widget that would draw something else drops the first paint and draws its own", async () => {
  // Japanese is not one of the widget's languages: the loader asks for "ja" (English), the
  // widget goes by the browser's French.
  const context = await browser.newContext({ locale: "fr-FR" });
  const page = await context.newPage();
  await page.goto(`${blog.origin}/japanese`);
  await page.locator("div.palabre form.reply-form").waitFor();
  assert.equal(await page.locator("div.palabre [data-first-paint]").count(), 0);
  assert.equal(await page.locator("div.palabre h2.count").textContent(), "7 commentaires");
  await context.close();
});

test("a reply button pressed on the first paint opens the reply form once the widget is there", async () => {
  const page = await browser.newPage();
  let release;
  const wasmHeld = new Promise((r) => (release = r));
  await page.route("**/*.wasm", async (route) => { await wasmHeld; await route.continue(); });
  await page.goto(`${blog.origin}/post`);
  const painted = page.locator("div.palabre [data-first-paint] li.comment", { hasText: "the fourth" });
  await painted.locator("button.reply").click();
  release();
  // The widget's same comment, with its reply form open in it and the caret there.
  const comment = page.locator("div.palabre .palabre-root:not([data-first-paint]) li.comment", { hasText: "the fourth" });
  await comment.locator("form.reply-form textarea").waitFor();
  assert.equal(await comment.locator("button.reply").getAttribute("aria-expanded"), "true");
  assert.equal(await page.locator("div.palabre li.comment form.reply-form").count(), 1);
  assert.equal(await page.evaluate(() => document.querySelector("div.palabre").shadowRoot.activeElement?.tagName), "TEXTAREA");
  await page.close();
});

test("the widget's files failing leave the first paint, and a line saying so in the reader's language", async () => {
  const page = await browser.newPage();
  const errors = [];
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  let fail;
  const wasmHeld = new Promise((r) => (fail = r));
  await page.route("**/palabre-widget_bg*.wasm", async (route) => { await wasmHeld; await route.fulfill({ status: 404, body: "gone" }); });
  await page.goto(`${blog.origin}/deutsch`);
  const painted = page.locator("div.palabre [data-first-paint]");
  await painted.locator("li.comment", { hasText: "Hello there" }).waitFor();
  const line = painted.locator("p.failed");
  assert.equal(await line.isVisible(), false, "hidden while the widget may still come");
  fail();
  await line.waitFor({ state: "visible" });
  assert.equal(await line.textContent(), "Das Kommentarformular konnte nicht geladen werden. Ein Neuladen der Seite kann helfen.");
  assert.equal(await line.getAttribute("role"), "alert");
  assert.ok(await painted.locator("li.comment", { hasText: "Hello there" }).isVisible(), "the comments stay readable");
  assert.ok(errors.some((e) => e.startsWith("Palabre:")), `the console names it: ${errors}`);
  await page.close();
});

test("a blog's CSP without 'wasm-unsafe-eval' gets the line and a console error naming the cause", async () => {
  const page = await browser.newPage();
  const errors = [];
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  await page.goto(`${blog.origin}/strict-csp`);
  const line = page.locator("div.palabre [data-first-paint] p.failed");
  await line.waitFor({ state: "visible" });
  assert.equal(await line.textContent(), "Le formulaire de commentaire n’a pas pu être chargé. Recharger la page peut aider.");
  assert.ok(errors.some((e) => e.startsWith("Palabre:") && /wasm-unsafe-eval|WebAssembly/.test(e)), `${errors}`);
  assert.equal(await page.locator("div.palabre form").count(), 0);
  await page.close();
});

test("with the CSP the README gives, the widget loads and posts through its chunks", async () => {
  const page = await browser.newPage();
  const violations = [];
  page.on("console", (m) => { if (/Content Security Policy/i.test(m.text())) violations.push(m.text()); });
  await page.goto(`${blog.origin}/documented-csp`);
  const form = page.locator("div.palabre form.reply-form:not(.inline)");
  await form.locator("textarea[name=body]").fill("Posted under a strict policy");
  await form.locator("button[type=submit]").click();
  await page.locator("div.palabre li.comment", { hasText: "Posted under a strict policy" }).waitFor();
  assert.equal(await page.locator("div.palabre p.failed").count(), 0);
  assert.deepEqual(violations, []);
  await page.close();
});

// Faults a reader meets between the page and the server, made by intercepting the widget's
// requests: the thread answering 500, JSON that does not parse, a proxy's HTML error page, eight
// seconds of latency; a post answering 500, then a reload; the connection dropped mid-post.
// Each: a clear message, a way to retry, no uncaught error, and what the reader typed kept.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, startBlog, article, launch, widget, seedComment } from "../harness.mjs";

let server, blog, browser;
const pages = {};

before(async () => {
  blog = await startBlog(pages);
  server = await startServer({ blogOrigin: blog.origin, args: ["--pow-difficulty", "0"] });
  pages["/post"] = article(server.url, { thread: "/faults" });
  await seedComment(server.url, { thread: "/faults", body: "Already here" });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await blog?.stop();
});

/** A page whose uncaught errors are collected; the server's first paint is left out, so that
 * what shows is the widget's own handling of the fault. */
async function open() {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.route("**/api/v1/first-paint?*", (route) => route.abort());
  return { context, page, errors };
}

const THREAD = "**/api/v1/comments?*";

for (const [name, answer] of [
  ["answers 500", (route) => route.fulfill({ status: 500, contentType: "application/json", body: '{"code":"internal","message":"x"}' })],
  ["answers JSON that does not parse", (route) => route.fulfill({ status: 200, contentType: "application/json", body: '{"thread": {"key": "/faults", "cou' })],
  ["is a proxy's HTML error page", (route) => route.fulfill({ status: 502, contentType: "text/html", body: "<html><body><h1>502 Bad Gateway</h1><script>window.__ran = 1</script></body></html>" })],
]) {
  test(`the thread ${name}: a clear message and a retry that works`, async () => {
    const { context, page, errors } = await open();
    await page.route(THREAD, answer);
    await page.goto(`${blog.origin}/post`);
    const w = widget(page);
    const alert = w.locator(".status.error[role=alert]");
    await alert.waitFor();
    assert.match(await alert.textContent(), /could not be loaded|cannot be reached/);
    assert.ok(!(await w.textContent()).includes("Bad Gateway"), "the proxy's page is not shown");
    assert.equal(await page.evaluate(() => window.__ran), undefined, "nothing of it runs");
    await w.locator("textarea[name=body]").fill("Typed during the fault");
    await page.unroute(THREAD);
    await alert.getByRole("button", { name: "Retry" }).click();
    await w.locator("li.comment", { hasText: "Already here" }).waitFor();
    assert.equal(await w.locator("textarea[name=body]").inputValue(), "Typed during the fault");
    assert.deepEqual(errors, []);
    await context.close();
  });
}

test("eight seconds of latency: the thread shows it is loading, then arrives", async () => {
  const { context, page, errors } = await open();
  await page.route(THREAD, async (route) => { await new Promise((r) => setTimeout(r, 8000)); await route.continue(); });
  await page.goto(`${blog.origin}/post`);
  const w = page.locator("div.palabre .palabre-root");
  await w.locator(".status", { hasText: "Loading" }).waitFor();
  await w.locator("textarea[name=body]").fill("Typed while it loads");
  await widget(page).locator("li.comment", { hasText: "Already here" }).waitFor({ timeout: 20000 });
  assert.equal(await widget(page).locator("textarea[name=body]").inputValue(), "Typed while it loads");
  assert.deepEqual(errors, []);
  await context.close();
});

test("a post answering 500: the text stays, also through a reload, and posts once it works", async () => {
  const { context, page, errors } = await open();
  await page.goto(`${blog.origin}/post`);
  const w = widget(page);
  await w.locator("li.comment", { hasText: "Already here" }).waitFor();
  const text = "Kept through a 500 and a reload";
  await page.route("**/api/v1/comments", (route) => route.request().method() === "POST"
    ? route.fulfill({ status: 500, contentType: "application/json", body: '{"code":"internal","message":"x"}' })
    : route.continue());
  await w.locator("textarea[name=body]").fill(text);
  await w.locator("form.reply-form button[type=submit]").click();
  await w.locator(".form-error").waitFor();
  assert.equal(await w.locator("textarea[name=body]").inputValue(), text);
  await page.reload();
  await widget(page).locator("li.comment", { hasText: "Already here" }).waitFor();
  assert.equal(await widget(page).locator("textarea[name=body]").inputValue(), text, "the draft survives the reload");
  await page.unroute("**/api/v1/comments");
  await widget(page).locator("form.reply-form button[type=submit]").click();
  await widget(page).locator("li.comment", { hasText: text }).waitFor();
  assert.deepEqual(errors, []);
  await context.close();
});

test("the connection dropped mid-post: a clear message, the text kept, and the retry posts", async () => {
  const { context, page, errors } = await open();
  await page.goto(`${blog.origin}/post`);
  const w = widget(page);
  await w.locator("li.comment", { hasText: "Already here" }).waitFor();
  const text = "Sent into a dropped connection";
  await page.route("**/api/v1/comments", (route) => route.request().method() === "POST"
    ? route.abort("connectionreset") : route.continue());
  await w.locator("textarea[name=body]").fill(text);
  await w.locator("form.reply-form button[type=submit]").click();
  await w.locator(".form-error").waitFor();
  assert.match(await w.locator(".form-error").textContent(), /cannot be reached/);
  assert.equal(await w.locator("textarea[name=body]").inputValue(), text);
  await page.unroute("**/api/v1/comments");
  await w.locator("form.reply-form button[type=submit]").click();
  await w.locator("li.comment", { hasText: text }).waitFor();
  assert.deepEqual(errors, []);
  await context.close();
});

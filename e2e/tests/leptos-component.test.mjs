// The widget as a component of another Leptos application (examples/leptos-app, built by
// scripts/e2e into target/example-leptos): the application, served from its own origin,
// shows `<Palabre endpoint=… thread="/leptos-example" sort="newest"/>`; a reader finds the
// thread there and posts.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { ROOT, startServer, launch, widget, seedComment } from "../harness.mjs";

const DIST = process.env.PALABRE_EXAMPLE_DIR || path.join(ROOT, "target", "example-leptos");
if (!existsSync(path.join(DIST, "index.html"))) {
  throw new Error(`${DIST}/index.html is missing: scripts/e2e builds examples/leptos-app`);
}
const TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".wasm": "application/wasm" };

let app, appOrigin, server, browser;

before(async () => {
  app = createServer((req, res) => {
    const name = new URL(req.url, "http://x").pathname.replace(/^\/$/, "/index.html");
    const file = path.join(DIST, path.normalize(name));
    if (!file.startsWith(DIST) || !existsSync(file)) return res.writeHead(404).end("not found");
    res.writeHead(200, { "content-type": TYPES[path.extname(file)] ?? "application/octet-stream" })
      .end(readFileSync(file));
  });
  await new Promise((r) => app.listen(0, "127.0.0.1", r));
  appOrigin = `http://127.0.0.1:${app.address().port}`;
  server = await startServer({ blogOrigin: appOrigin });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await new Promise((r) => (app ? app.close(r) : r()));
});

test("a Leptos application shows the thread with <Palabre/>, and a reader posts there", async () => {
  await seedComment(server.url, { thread: "/leptos-example", author: "Ana", body: "Seeded through the API" });
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(`${appOrigin}/?endpoint=${encodeURIComponent(server.url)}`);
  await page.locator("h1", { hasText: "Comments inside a Leptos application" }).waitFor();
  const w = widget(page);
  await w.locator("li.comment", { hasText: "Seeded through the API" }).waitFor();
  // The props are read as the data attributes are: sort="newest" is the thread's order.
  assert.equal(await w.locator("label.sort select").inputValue(), "newest");
  // The widget draws in a shadow root of its own inside the application's element.
  assert.equal(await page.evaluate(() => !!document.querySelector(".palabre-host")?.shadowRoot), true);

  const form = w.locator("form.reply-form:not(.inline)");
  await form.locator("textarea[name=body]").fill("Posted from inside the **application**");
  await form.locator("button[type=submit]").click();
  await w.locator("li.comment", { hasText: "Posted from inside the application" }).waitFor({ timeout: 60_000 });
  const stored = await (await fetch(`${server.url}/api/v1/comments?thread=/leptos-example`)).json();
  assert.deepEqual(stored.comments.map((c) => c.author ?? "").sort(), ["", "Ana"]);
  assert.deepEqual(errors, []);
  await page.close();
});

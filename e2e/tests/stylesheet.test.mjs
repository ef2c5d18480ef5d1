// The stylesheet is downloaded once: the loader fetches it for the server's first paint, and
// the wasm, which holds none of its own, adopts that very sheet; without a first paint (a
// blog's own stylesheet, data-css, turns it off) the wasm fetches it, once. Two widgets on a
// page: each first paint asks for it (the loader has no bytes left to share it), the widgets
// add nothing. Every widget is styled.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, startBlog, article, launch, widget, seedComment } from "../harness.mjs";

let server, blog, browser;
const pages = {};

before(async () => {
  blog = await startBlog(pages);
  server = await startServer({ blogOrigin: blog.origin, args: ["--pow-difficulty", "0"] });
  await seedComment(server.url, { thread: "/styled", body: "Already here" });
  pages["/first-paint"] = article(server.url, { thread: "/styled" });
  pages["/own-css"] = article(server.url, { thread: "/styled", attrs: `data-css="${blog.origin}/extra.css"` });
  pages["/extra.css"] = "";
  pages["/two"] = article(server.url, { thread: "/styled" }).replace("</body>",
    `<script async src="${server.url}/embed/palabre.js" data-thread="/other" data-lazy="false"></script></body>`);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await blog?.stop();
});

/** Opens `path` in a fresh context; returns the page and how many times the stylesheet's
 * bytes came over the network (cache hits not counted). */
async function open(path) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  const css = new Set();
  let downloads = 0;
  cdp.on("Network.responseReceived", (e) => {
    if (/\/embed\/palabre(\.[0-9a-f]{10})?\.css$/.test(e.response.url)
      && !e.response.fromDiskCache && e.response.status === 200) css.add(e.requestId);
  });
  cdp.on("Network.loadingFinished", (e) => { if (css.has(e.requestId)) downloads += 1; });
  await page.goto(`${blog.origin}${path}`);
  return { context, page, downloads: () => downloads };
}

/** Rules adopted by each widget's shadow root (0: unstyled). */
const styled = (page) => page.evaluate(() => [...document.querySelectorAll(".palabre")]
  .map((host) => host.shadowRoot.adoptedStyleSheets.reduce((n, s) => n + s.cssRules.length, 0)
    + [...host.shadowRoot.querySelectorAll("style")].length));

for (const [path, widgets, downloads] of [["/first-paint", 1, 1], ["/own-css", 1, 1], ["/two", 2, 2]]) {
  test(`${path}: every widget styled, the stylesheet downloaded ${downloads === 1 ? "once" : "at most once a first paint"}`, async () => {
    const { context, page, downloads: came } = await open(path);
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await widget(page).first().locator("form.reply-form").waitFor();
    // Each widget drawn, and no first paint left (the widget has taken over).
    await page.waitForFunction((n) => {
      const roots = [...document.querySelectorAll(".palabre")].map((h) => h.shadowRoot);
      return roots.filter((r) => r?.querySelector(".palabre-root:not([hidden]):not([data-first-paint]) .comments, .palabre-root:not([hidden]):not([data-first-paint]) form")).length >= n
        && !roots.some((r) => r?.querySelector("[data-first-paint]"));
    }, widgets);
    const rules = await styled(page);
    assert.equal(rules.length, widgets);
    for (const n of rules) assert.ok(n > 50, `rules in a widget's shadow root: ${rules}`);
    // Applied: the submit button is drawn as the stylesheet says (a browser's own is 400).
    const button = widget(page).first().locator("form.reply-form button.primary[type=submit]");
    assert.equal(await button.evaluate((b) => getComputedStyle(b).fontWeight), "600");
    // Two first paints ask for the same file at once: the browser's cache may answer the
    // second from the first (never more than one download a first paint).
    assert.ok(came() >= 1 && came() <= downloads, `the stylesheet's bytes came ${came()} times, at most ${downloads}`);
    assert.deepEqual(errors, []);
    await context.close();
  });
}

test("the wasm holds no stylesheet of its own", async () => {
  const loader = await (await fetch(`${server.url}/embed/palabre.js`)).text();
  const name = (re) => loader.match(re)[1];
  const css = await (await fetch(`${server.url}/embed/${name(/'(palabre\.[0-9a-f]{10}\.css)'/)}`)).text();
  const wasm = Buffer.from(await (await fetch(`${server.url}/embed/${name(/'(palabre-widget_bg\.[0-9a-f]{10}\.wasm)'/)}`)).arrayBuffer());
  assert.ok(css.length > 2000, `the stylesheet: ${css.length} bytes`);
  for (const piece of [css.slice(0, 40), css.slice(css.length / 2, css.length / 2 + 40)]) {
    assert.ok(!wasm.includes(Buffer.from(piece)), `in the wasm: ${piece}`);
  }
});

#!/usr/bin/env node
// Rendering in headless Chromium: threads of 200, 2,000 and 10,000 comments (nested, Markdown,
// several scripts), the widget against a static page holding the same first page already
// rendered (the widget's own markup, captured, in a declarative shadow root with the same CSS).
// Prints medians of alternating runs; never part of the test run.
//
//   node bench/render.mjs            (after scripts/build-widget and a release server build)
//
// Measured from navigation: first comment in the DOM at a frame (the server's first paint, or
// the widget's own drawing), and the widget showing the first page complete with its form; JS heap; the longest task (Long Tasks API). Then, on the 10,000-comment
// thread, every page loaded with "Load more" (longest task, time per page); and on the
// 2,000-comment thread, a reply posted through the form, checking no other comment's element
// was replaced. TRACE=1 adds one run of each page under Chromium's trace, summarised by kind of work.
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ROOT, startBlog, article, launch } from "../e2e/harness.mjs";

const RUNS = Number(process.env.RUNS || 5);
// SIZES=200 PAGE_SIZE=200: one long page (data-page-size), all of it against the static page.
const SIZES = (process.env.SIZES || "200,2000,10000").split(",").map(Number);
const PAGE_SIZE = process.env.PAGE_SIZE;
const BINARY = process.env.PALABRE_BIN || path.join(ROOT, "target", "release", "palabre");
// WIDGET_DIR measures a saved bundle (a copy of target/bundle from another commit);
// COMPARE_WIDGET_DIR adds a second build to the first-render runs, alternating with the first
// in the same run: how to tell whether a change helped on a machine this noisy. A bundle without
// palabre.css serves no first paint, so a copy of target/bundle without it measures the widget
// alone.
const WIDGET_DIR = process.env.WIDGET_DIR || path.join(ROOT, "target", "bundle");
const COMPARE_WIDGET_DIR = process.env.COMPARE_WIDGET_DIR;
// TRACE=1 records Chromium's trace of one more widget run per size, after the timed ones, and
// prints where the page's main thread spent its time until the page was complete.
const TRACE = process.env.TRACE;

const BODIES = [
  "Lovely post. I tried the *cold rise* and it **worked**: see https://bread.example/notes.",
  "> The dough should double in size.\n\nMine took twice as long in winter. Is `22 °C` a rule or a hint?",
  "Three things that helped:\n\n- a warmer spot 🥖\n- less salt\n- patience\n\nThanks for writing this up!",
  "Ça marche très bien — merci « beaucoup » ! J'ai ajouté un peu de seigle.",
  "日本語のコメントです。とても参考になりました！次はライ麦パンを焼いてみます。",
  "مقال رائع، شكراً لك على هذه الوصفة المفصلة.",
  "```\nflour 500 g\nwater 350 g\nsalt 10 g\n```\nThis ratio is what I use, scaled down by half.",
  "Ελληνικά: υπέροχη συνταγή ✓. Δοκίμασα και με αλεύρι ολικής άλεσης.",
];

async function startServer(dataDir, blogOrigin, widgetDir = WIDGET_DIR) {
  const child = spawn(BINARY, ["serve", "--listen", "127.0.0.1:0", "--database", `sqlite://${dataDir}/render.db`,
    "--widget-dir", widgetDir, "--origin", blogOrigin,
    "--pow-difficulty", "0", "--min-post-delay", "0s",
    "--rate-limit-burst", "100000000", "--rate-limit-per-minute", "100000000"],
    { env: { ...process.env, RUST_LOG: "palabre=info" }, stdio: ["ignore", "ignore", "pipe"] });
  const url = await new Promise((resolve, reject) => {
    let log = "";
    child.stderr.on("data", (c) => { log += c; const m = log.match(/address=(\S+)/); if (m) resolve(`http://${m[1]}`); });
    child.on("exit", (code) => reject(new Error(`palabre exited with ${code}: ${log}`)));
  });
  return { url, stop: () => { child.kill("SIGTERM"); return new Promise((r) => child.once("exit", r)); } };
}

async function post(url, comment) {
  const c = await (await fetch(`${url}/api/v1/challenge`)).json();
  const res = await fetch(`${url}/api/v1/comments`, {
    method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ ...comment, pow: { challenge: c.challenge, counter: 0 } }),
  });
  if (res.status !== 201) throw new Error(`seeding: ${res.status} ${await res.text()}`);
  return (await res.json()).comment.id;
}

/** n comments: a third top-level, the rest replies to recent ones (nesting up to 5). */
async function seed(url, thread, n) {
  const ids = [];
  for (let i = 0; i < n; i += 16) {
    const batch = [];
    for (let j = i; j < Math.min(n, i + 16); j++) {
      const parent = ids.length && j % 3 ? ids[ids.length - 1 - (j % Math.min(5, ids.length))] : undefined;
      batch.push(post(url, { thread, parent, author: `Reader ${j % 97}`, body: BODIES[j % BODIES.length] }));
    }
    ids.push(...(await Promise.all(batch)));
  }
}

// Runs in the page before anything else: watches for comments at each frame and records
// long tasks. `expected` is the first page's comment count.
const PROBE = (expected) => {
  const m = (window.__bench = { longest: 0, first: 0, full: 0 });
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) m.longest = Math.max(m.longest, e.duration);
  }).observe({ type: "longtask", buffered: true });
  const check = () => {
    const root = document.querySelector("div.palabre")?.shadowRoot;
    if (root) {
      // The first comment shown, by the server's first paint or the widget; complete once the
      // widget itself shows the whole page and its form.
      if (!m.first && root.querySelector("li.comment")) m.first = performance.now();
      const own = root.querySelector(".palabre-root:not([data-first-paint]):not([hidden])");
      if (own && own.querySelectorAll("li.comment").length >= expected && own.querySelector("form.reply-form textarea") && !m.full) m.full = performance.now();
    }
    if (!m.full) requestAnimationFrame(check);
  };
  requestAnimationFrame(check);
};

async function heapMb(page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("HeapProfiler.collectGarbage");
  const { usedSize } = await cdp.send("Runtime.getHeapUsage");
  return usedSize / 1048576;
}

async function measure(browser, pageUrl, expected, trace = false) {
  const context = await browser.newContext(); // a fresh cache every run
  const page = await context.newPage();
  await page.addInitScript(PROBE, expected);
  if (trace) {
    await browser.startTracing(page, { categories: ["devtools.timeline", "v8", "v8.execute",
      "disabled-by-default-devtools.timeline", "blink", "loading"] });
  }
  await page.goto(pageUrl);
  // A plain evaluate, not waitForFunction: that one first compiles Playwright's injected
  // script in the page (25 to 37 ms of main thread in a trace), right in the window measured.
  await page.evaluate(() => new Promise((done, fail) => {
    const t0 = Date.now();
    const tick = () => window.__bench.full ? done() : Date.now() - t0 > 60_000 ? fail(new Error("timed out")) : setTimeout(tick, 50);
    tick();
  }));
  await page.waitForTimeout(300); // let late long tasks report
  const m = await page.evaluate(() => {
    // When each file and API response arrived (ms from navigation), to see where time goes.
    const at = (part) => performance.getEntriesByType("resource").find((e) => e.name.includes(part))?.responseEnd || 0;
    return { ...window.__bench, loader: at("/palabre.js"), glue: at("/palabre-widget."),
      wasm: at("/palabre-widget_bg."), config: at("/api/v1/config"), api: at("/api/v1/comments?"),
      paint: at("/api/v1/first-paint?"), css: at(".css") };
  });
  m.heap = await heapMb(page);
  if (trace) m.trace = summarise(JSON.parse((await browser.stopTracing()).toString()), m.full);
  await context.close();
  return m;
}

// The renderer's main thread until `until` ms after navigation: time by task, and inside
// tasks by the kind of work (self time, so nested events are not counted twice).
function summarise(trace, until) {
  const events = trace.traceEvents;
  // The page's renderer: the one whose main thread ran the probe's frames.
  const navs = events.filter((e) => e.name === "navigationStart" || e.name === "markAsMainFrame");
  const start = navs.find((e) => e.name === "navigationStart") || navs[0];
  const main = events.find((e) => e.name === "thread_name" && e.args?.name === "CrRendererMain"
    && e.pid === start.pid) || { pid: start.pid, tid: start.tid };
  const nav = start.ts;
  const end = nav + until * 1000;
  const spans = events.filter((e) => e.pid === main.pid && e.tid === main.tid && e.ph === "X"
    && e.ts >= nav && e.ts <= end && e.dur > 0).sort((a, b) => a.ts - b.ts || b.dur - a.dur);
  const self = new Map();
  const stack = [];
  for (const e of spans) {
    while (stack.length && stack.at(-1).ts + stack.at(-1).dur <= e.ts) stack.pop();
    if (stack.length) self.set(stack.at(-1).name, (self.get(stack.at(-1).name) || 0) - e.dur);
    self.set(e.name, (self.get(e.name) || 0) + e.dur);
    stack.push(e);
  }
  const tasks = spans.filter((e) => e.name === "RunTask");
  const busy = tasks.reduce((a, e) => a + e.dur, 0);
  const rows = [...self].filter(([n]) => n !== "RunTask").sort((a, b) => b[1] - a[1]).slice(0, 14);
  return { busy: busy / 1000, idle: until - busy / 1000, tasks: tasks.length,
    longest: tasks.slice().sort((a, b) => b.dur - a.dur).slice(0, 5)
      .map((e) => `${((e.ts - nav) / 1000).toFixed(0)}+${(e.dur / 1000).toFixed(0)}`),
    rows: rows.map(([n, d]) => [n, d / 1000]) };
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

async function main() {
  const dataDir = mkdtempSync(path.join(tmpdir(), "palabre-render-"));
  const pages = {};
  const blog = await startBlog(pages);
  const server = await startServer(dataDir, blog.origin);
  // The same database through a second server that serves the other build.
  const other = COMPARE_WIDGET_DIR && await startServer(dataDir, blog.origin, COMPARE_WIDGET_DIR);
  const browser = await launch();
  try {
    let t0 = Date.now();
    for (const n of SIZES) await seed(server.url, `/r${n}`, n);
    console.error(`seeded ${SIZES.reduce((a, b) => a + b)} comments in ${((Date.now() - t0) / 1000).toFixed(0)} s`);

    console.log(`\nmedian of ${RUNS} alternating runs; times from navigation, ms\n`);
    console.log("thread   shown  static first  widget first  ratio  static full  widget full  widget heap MB  longest task");
    for (const n of SIZES) {
      const attrs = PAGE_SIZE ? `data-page-size="${PAGE_SIZE}"` : "";
      pages[`/widget/${n}`] = article(server.url, { thread: `/r${n}`, attrs });
      // The static baseline: the widget's first page as rendered, captured once.
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(`${blog.origin}/widget/${n}`);
      await page.locator(".palabre li.comment").first().waitFor();
      await page.locator(".palabre form.reply-form textarea").waitFor();
      await page.waitForTimeout(500);
      const snap = await page.evaluate(() => {
        const host = document.querySelector("div.palabre");
        const root = host.shadowRoot;
        const css = [...root.adoptedStyleSheets].flatMap((s) => [...s.cssRules].map((r) => r.cssText)).join("\n");
        return { css, html: root.querySelector(".palabre-root").outerHTML, theme: host.dataset.theme,
          count: root.querySelectorAll("li.comment").length };
      });
      await context.close();
      pages[`/static/${n}`] = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>A post</title></head>
<body><article><h1>A post</h1><p>Some text worth discussing.</p></article>
<div class="palabre" data-theme="${snap.theme}"><template shadowrootmode="open"><style>${snap.css}</style>${snap.html}</template></div>
</body></html>`;

      if (other) pages[`/other/${n}`] = article(other.url, { thread: `/r${n}`, attrs });
      const ours = [], theirs = [], others = [];
      for (let r = 0; r < RUNS; r++) {
        theirs.push(await measure(browser, `${blog.origin}/static/${n}`, snap.count));
        ours.push(await measure(browser, `${blog.origin}/widget/${n}`, snap.count));
        if (other) others.push(await measure(browser, `${blog.origin}/other/${n}`, snap.count));
      }
      const f = (runs, k) => median(runs.map((x) => x[k]));
      if (TRACE) {
        const { trace, full } = await measure(browser, `${blog.origin}/widget/${n}`, snap.count, true);
        const { trace: base, full: baseFull } = await measure(browser, `${blog.origin}/static/${n}`, snap.count, true);
        for (const [label, t, at] of [["widget", trace, full], ["static", base, baseFull]]) {
          console.log(`trace, ${label}: complete at ${at.toFixed(0)} ms; main thread busy ${t.busy.toFixed(0)} ms` +
            ` in ${t.tasks} tasks, idle ${t.idle.toFixed(0)} ms; longest tasks (start+ms) ${t.longest.join(", ")}`);
          for (const [name, ms] of t.rows) console.log(`    ${name.padEnd(40)} ${ms.toFixed(1).padStart(7)} ms`);
        }
      }
      console.log(`${String(n).padStart(6)} ${String(snap.count).padStart(7)} ${f(theirs, "first").toFixed(0).padStart(13)}` +
        ` ${f(ours, "first").toFixed(0).padStart(13)} ${(f(ours, "first") / f(theirs, "first")).toFixed(2).padStart(6)}` +
        ` ${f(theirs, "full").toFixed(0).padStart(12)} ${f(ours, "full").toFixed(0).padStart(12)}` +
        ` ${f(ours, "heap").toFixed(1).padStart(15)} ${f(ours, "longest").toFixed(0).padStart(13)}`);
      console.log(`         widget: loader in at ${f(ours, "loader").toFixed(0)}, glue ${f(ours, "glue").toFixed(0)},` +
        ` wasm ${f(ours, "wasm").toFixed(0)}, thread JSON ${f(ours, "api").toFixed(0)}, first paint ${f(ours, "paint").toFixed(0)} (CSS ${f(ours, "css").toFixed(0)});` +
        ` the wasm running (its config request answered) ${f(ours, "config").toFixed(0)}`);
      if (other) {
        console.log(`         ${COMPARE_WIDGET_DIR}: first ${f(others, "first").toFixed(0)}, ratio` +
          ` ${(f(others, "first") / f(theirs, "first")).toFixed(2)}, full ${f(others, "full").toFixed(0)},` +
          ` longest task ${f(others, "longest").toFixed(0)}`);
      }
    }

    // Every page of the longest thread, one "Load more" at a time.
    if (SIZES.length > 0) {
      const size = Math.max(...SIZES);
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.addInitScript(PROBE, 1);
      await page.goto(`${blog.origin}/widget/${size}`);
      await page.waitForFunction(() => window.__bench.full > 0);
      // Checks that stay O(1) however many comments are shown: the harness itself must not
      // be what makes tasks long (it runs on the page's thread).
      const roots = () => page.evaluate(() => document.querySelector("div.palabre").shadowRoot
        .querySelector("ol.comments").childElementCount);
      const hasMore = () => page.evaluate(() => !!document.querySelector("div.palabre").shadowRoot
        .querySelector("ol.comments").nextElementSibling?.classList.contains("load-more"));
      const times = [];
      while (await hasMore()) {
        const before = await roots();
        const t = Date.now();
        await page.evaluate(() => document.querySelector("div.palabre").shadowRoot
          .querySelector("ol.comments").nextElementSibling.click());
        await page.waitForFunction((b) => document.querySelector("div.palabre").shadowRoot
          .querySelector("ol.comments").childElementCount > b, before, { timeout: 30_000, polling: 20 });
        times.push(Date.now() - t);
      }
      await page.waitForTimeout(300);
      const longest = await page.evaluate(() => window.__bench.longest);
      const shown = await page.evaluate(() => document.querySelector("div.palabre").shadowRoot
        .querySelectorAll("li.comment").length);
      const heap = await heapMb(page);
      const early = median(times.slice(0, 5)), late = median(times.slice(-5));
      console.log(`\n${size} comments, all ${times.length + 1} pages through "Load more": ${shown} comments shown;` +
        ` a page takes ${early} ms at first, ${late} ms at the end (median of 5);` +
        ` longest task over the whole session ${longest.toFixed(0)} ms; JS heap ${heap.toFixed(1)} MB`);
      await context.close();
    }

    // A reply into the 2,000-comment thread: nothing else re-rendered.
    if (SIZES.includes(2000)) {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(`${blog.origin}/widget/2000`);
      const form = page.locator(".palabre form.reply-form").first();
      await form.locator("textarea").waitFor();
      const before = await page.evaluate(() => {
        const els = document.querySelector("div.palabre").shadowRoot.querySelectorAll("li.comment");
        els.forEach((el) => { el.__seen = true; });
        return els.length;
      });
      await form.locator("textarea").fill("A reply posted while 2,000 comments are on the page.");
      const t = Date.now();
      await form.locator("button[type=submit]").click();
      await page.waitForFunction((b) => document.querySelector("div.palabre").shadowRoot
        .querySelectorAll("li.comment").length > b, before, { timeout: 30_000 });
      const took = Date.now() - t;
      const { fresh, kept } = await page.evaluate(() => {
        const els = [...document.querySelector("div.palabre").shadowRoot.querySelectorAll("li.comment")];
        return { fresh: els.filter((el) => !el.__seen).length, kept: els.filter((el) => el.__seen).length };
      });
      console.log(`\nreply into the 2,000-comment thread (first page, ${before} comments shown): visible ${took} ms` +
        ` after the click (proof of work at difficulty 0); ${fresh} new element, ${kept} of ${before} kept as they were`);
      await context.close();
    }
  } finally {
    await browser.close();
    await blog.stop();
    await server.stop();
    if (other) await other.stop();
  }
}

main().catch((e) => { console.error(e); process.exit(1); });

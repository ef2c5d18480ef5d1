// The widget follows its thread live: what one reader does, another sees in place, without a
// scroll jump, without redrawing other comments, without touching what they type; the stream
// cut and restored misses nothing and doubles nothing; a hidden tab catches up on return.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, startBlog, article, launch, widget, seedComment, setAdminPassword } from "../harness.mjs";

const PASSWORD = "an admin password for live updates";
let server, blog, browser, dataDir;
const pages = {};
// Long enough that three comments fill more than a screen.
const long = (n) => `Comment ${n}.\n\n` + Array.from({ length: 14 }, (_, i) => `Paragraph ${i + 1} of comment ${n}.`).join("\n\n");

before(async () => {
  blog = await startBlog(pages);
  // A blocked word holds one comment for moderation without holding them all.
  server = await startServer({ blogOrigin: blog.origin, args: ["--blocked-word", "casino"] });
  dataDir = server.dataDir;
  await setAdminPassword(dataDir, PASSWORD);
  for (const thread of ["/live", "/gap", "/hidden", "/approve", "/off", "/moderated"]) {
    pages[thread] = article(server.url, {
      thread,
      attrs: thread === "/off" ? 'data-live="false"' : "",
      // No scroll anchoring by the browser, as in Safari: the widget keeps the reader's place.
      head: "<style>html { overflow-anchor: none }</style>",
    });
  }
  pages["/two"] = article(server.url, { thread: "/two-a" }).replace(
    "</body>",
    // Far below the first: off screen until scrolled to.
    `<div style="height: 3000px"></div><script async src="${server.url}/embed/palabre.js" data-thread="/two-b" data-lazy="false"></script></body>`,
  );
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await blog?.stop();
});

/** A reader on `path`, with the widget drawn; `streams` lists the live-update requests it made. */
async function reader(path) {
  const context = await browser.newContext();
  const page = await context.newPage();
  // Every stream the page opens, to see whether it is open.
  await page.addInitScript(() => {
    const Native = window.EventSource;
    window.__streams = [];
    window.EventSource = class extends Native {
      constructor(...args) {
        super(...args);
        window.__streams.push(this);
      }
    };
  });
  const streams = [];
  page.on("request", (r) => r.url().includes("/api/v1/events") && streams.push(r.url()));
  await page.goto(`${blog.origin}${path}`);
  await widget(page).locator("form.reply-form").first().waitFor();
  return { context, page, w: widget(page), streams };
}

/** The comment whose own text (not a reply's) has `text`. */
const comment = (w, text) => w.locator("li.comment").filter({ has: w.page().locator(":scope > article", { hasText: text }) });

async function post(form, text) {
  await form.locator("textarea[name=body]").fill(text);
  await form.locator("button[type=submit]").click();
}

/** Marks the element so that a redraw (a new element) shows; true while it is the same one. */
const mark = (locator) => locator.evaluate((el) => { el.dataset.mark = "1"; });
const marked = async (locator) => (await locator.getAttribute("data-mark")) === "1";
const top = (locator) => locator.evaluate((el) => el.getBoundingClientRect().top);

async function waitForStream(r, n = 1) {
  for (let i = 0; i < 100 && r.streams.length < n; i++) await new Promise((res) => setTimeout(res, 50));
  assert.ok(r.streams.length >= n, `${n} live-update stream(s) opened`);
  // Connected: the server counts it.
  for (let i = 0; i < 100; i++) {
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    if (Number(metrics.match(/^palabre_live_streams (\d+)/m)?.[1] ?? 0) > 0) return;
    await new Promise((res) => setTimeout(res, 50));
  }
}

test("one reader posts, replies, edits, votes and deletes; the other sees each in place", async () => {
  for (const n of [1, 2, 3]) await seedComment(server.url, { thread: "/live", author: `Seed ${n}`, body: long(n) });
  const a = await reader("/live");
  const b = await reader("/live");
  await waitForStream(b);

  // B reads comment 3 at the top of the screen and has started a reply under it.
  const third = comment(b.w, "Comment 3.");
  await third.locator("article").first().evaluate((el) => el.scrollIntoView({ block: "start" }));
  await third.locator("button.reply").first().click();
  const draft = third.locator("form.reply-form.inline textarea[name=body]");
  await draft.fill("Half a thought");
  await draft.focus();
  const anchor = third.locator("article").first();
  const before = await top(anchor);
  const second = comment(b.w, "Comment 2.").locator("article").first();
  await mark(second);

  // A replies to comment 1, above what B is looking at.
  const first = comment(a.w, "Comment 1.");
  await first.locator("button.reply").first().click();
  await post(first.locator("form.reply-form.inline"), "A reply from A");
  await comment(b.w, "A reply from A").waitFor();
  assert.ok(Math.abs((await top(anchor)) - before) < 1, `no scroll jump (moved ${(await top(anchor)) - before} px)`);
  assert.equal(await draft.inputValue(), "Half a thought", "what B types is untouched");
  assert.ok(await draft.evaluate((el) => el.getRootNode().activeElement === el), "B keeps the focus");
  assert.ok(await marked(second), "comment 2 was not redrawn");

  // A edits its reply.
  const mine = comment(a.w, "A reply from A");
  await mine.locator("button.edit").click();
  await post(a.w.locator("form.edit-form"), "A reply from A, *edited*");
  await comment(b.w, "A reply from A, edited").locator("em").waitFor();
  await comment(b.w, "A reply from A, edited").locator(".edited").waitFor();

  // A likes comment 2: B's count moves, the comment is not redrawn.
  await comment(a.w, "Comment 2.").locator("button.like").first().click();
  await comment(b.w, "Comment 2.").locator("button.like", { hasText: "1" }).first().waitFor();
  assert.ok(await marked(second), "a vote redraws the count, not the comment");

  // A new top-level comment waits behind a button, announced once.
  await post(a.w.locator("form.reply-form:not(.inline)"), "A new thought from A");
  const button = b.w.locator("button.new-comments");
  await button.waitFor();
  assert.equal((await button.textContent()).trim(), "1 new comment");
  assert.equal(await comment(b.w, "A new thought from A").count(), 0, "not pushed into view");
  assert.equal((await b.w.locator("[aria-live]").textContent()).trim(), "1 new comment");
  assert.ok(Math.abs((await top(anchor)) - before) < 1, "the button appearing moves nothing");
  await button.click();
  await comment(b.w, "A new thought from A").waitFor();
  assert.equal(await button.count(), 0);
  // A's own post is there once, on A's page too.
  assert.equal(await comment(a.w, "A new thought from A").count(), 1);

  // A deletes its reply: gone from B's page, and the count says so.
  await comment(a.w, "A reply from A, edited").locator("button.delete").click();
  await comment(a.w, "A reply from A, edited").locator("button.confirm-yes").click();
  await comment(b.w, "A reply from A, edited").waitFor({ state: "detached" });
  await b.w.locator("h2.count", { hasText: "4 comments" }).waitFor();
  assert.equal(await draft.inputValue(), "Half a thought");
  assert.equal(b.streams.length, 1, "one stream all along");
  await a.context.close();
  await b.context.close();
});

test("the stream cut and restored: what was missed arrives once", async () => {
  await seedComment(server.url, { thread: "/gap", body: "Before the cut" });
  const b = await reader("/gap");
  await waitForStream(b);
  const port = server.port;
  await server.stop();
  // Another process writes while this reader's server is down.
  const other = await startServer({ blogOrigin: blog.origin, dataDir, database: `sqlite://${dataDir}/palabre.db` });
  await seedComment(other.url, { thread: "/gap", body: "Missed while cut" });
  await other.stop();
  server = await startServer({ port, blogOrigin: blog.origin, dataDir, database: `sqlite://${dataDir}/palabre.db`, args: ["--blocked-word", "casino"] });
  await seedComment(server.url, { thread: "/gap", body: "After the cut" });
  await b.w.locator("button.new-comments", { hasText: "2 new comments" }).waitFor({ timeout: 15000 });
  await b.w.locator("button.new-comments").click();
  for (const text of ["Before the cut", "Missed while cut", "After the cut"]) {
    await comment(b.w, text).waitFor();
    assert.equal(await comment(b.w, text).count(), 1, `${text}: once`);
  }
  assert.ok(b.streams.length >= 2, "the widget reconnected");
  assert.match(b.streams.at(-1), /after=\d+/);
  await b.context.close();
});

test("a hidden tab stops following and catches up when shown again", async () => {
  const b = await reader("/hidden");
  await waitForStream(b);
  const setHidden = (hidden) => b.page.evaluate((hidden) => {
    Object.defineProperty(document, "hidden", { value: hidden, configurable: true });
    document.dispatchEvent(new Event("visibilitychange"));
  }, hidden);
  const open = () => b.page.evaluate(() => window.__streams.filter((s) => s.readyState !== 2).length);
  assert.equal(await open(), 1);
  await setHidden(true);
  assert.equal(await open(), 0, "hidden: the stream is closed");
  await seedComment(server.url, { thread: "/hidden", body: "Posted while hidden" });
  await new Promise((res) => setTimeout(res, 1500));
  assert.equal(await b.w.locator("button.new-comments").count(), 0, "nothing comes while hidden");
  await setHidden(false);
  assert.equal(await open(), 1, "shown: open again");
  await b.w.locator("button.new-comments", { hasText: "1 new comment" }).waitFor();
  await b.context.close();
});

test("an approval in /admin appears live", async () => {
  const b = await reader("/approve");
  await waitForStream(b);
  await seedComment(server.url, { thread: "/approve", body: "A word about casino nights" }, 202);
  const admin = await (await browser.newContext()).newPage();
  await admin.goto(`${server.url}/admin`);
  await admin.getByLabel("Password").fill(PASSWORD);
  await admin.getByRole("button", { name: "Sign in", exact: true }).click();
  await admin.locator("li.comment", { hasText: "casino nights" }).getByRole("button", { name: /^Approve comment/ }).click();
  await admin.getByText("1 item updated.").waitFor();
  await b.w.locator("button.new-comments", { hasText: "1 new comment" }).click();
  await comment(b.w, "casino nights").waitFor();
  await admin.context().close();
  await b.context.close();
});

test("two widgets share one stream; data-live=\"false\" opens none", async () => {
  const two = await reader("/two");
  await waitForStream(two);
  await two.page.locator(".palabre-root:not([hidden]) form.reply-form").nth(1).waitFor();
  // The second widget joins the stream once it is on screen.
  await new Promise((res) => setTimeout(res, 1000));
  assert.deepEqual(new URL(two.streams.at(-1)).searchParams.getAll("thread"), ["/two-a"], "off screen: not followed yet");
  await two.page.locator(".palabre-root:not([hidden]) form.reply-form").nth(1).scrollIntoViewIfNeeded();
  const both = () => new URL(two.streams.at(-1)).searchParams.getAll("thread").length === 2;
  for (let i = 0; i < 100 && !both(); i++) await new Promise((res) => setTimeout(res, 50));
  await seedComment(server.url, { thread: "/two-b", body: "For the second widget" });
  await two.page.locator("button.new-comments").waitFor();
  assert.deepEqual(new URL(two.streams.at(-1)).searchParams.getAll("thread").sort(), ["/two-a", "/two-b"]);
  const open = await two.page.evaluate(() => window.__streams.filter((s) => s.readyState !== 2).length);
  assert.equal(open, 1, "one stream open for the page's two widgets");
  await two.context.close();

  const off = await reader("/off");
  await seedComment(server.url, { thread: "/off", body: "Not followed" });
  await new Promise((res) => setTimeout(res, 1500));
  assert.equal(off.streams.length, 0);
  assert.equal(await off.page.locator("button.new-comments").count(), 0);
  await off.context.close();
});

test("a lock, a hidden thread and its return, from /admin, reach the reader live", async () => {
  await seedComment(server.url, { thread: "/moderated", body: "Before the moderator came" });
  const b = await reader("/moderated");
  await waitForStream(b);
  const admin = await (await browser.newContext()).newPage();
  await admin.goto(`${server.url}/admin`);
  await admin.getByLabel("Password").fill(PASSWORD);
  await admin.getByRole("button", { name: "Sign in", exact: true }).click();
  await admin.goto(`${server.url}/admin/threads`);
  const row = () => admin.locator("ol.threads li", { hasText: "/moderated" });
  await row().getByRole("button", { name: "Lock" }).click();
  await b.w.locator("p.locked").waitFor();
  assert.equal(await b.w.locator("form.reply-form").count(), 0, "locked: no form");
  await row().getByRole("button", { name: "Hide" }).click();
  await comment(b.w, "Before the moderator came").waitFor({ state: "detached" });
  // Shown again: the widget reads its first page again (the `reload` chunk merges it).
  await row().getByRole("button", { name: "Show" }).click();
  await comment(b.w, "Before the moderator came").waitFor();
  await row().getByRole("button", { name: "Unlock" }).click();
  await b.w.locator("form.reply-form").waitFor();
  await admin.context().close();
  await b.context.close();
});

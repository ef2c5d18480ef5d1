// Two `palabre serve` replicas on one PostgreSQL database, as behind a load balancer: a reader
// posts through replica 1 and another reader, whose page loads the widget from replica 2, sees
// it; a comment held through replica 1 is approved by an admin signed in on replica 2.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, startBlog, article, launch, widget, setAdminPassword, freshPostgres } from "../harness.mjs";

const PASSWORD = "an admin password for the replicas";
const database = freshPostgres("e2e_replicas");
let one, two, blog, browser;
const pages = {};

before(async () => {
  if (!database) return;
  blog = await startBlog(pages);
  // A blocked word sends a comment to the queue: one held comment without holding them all.
  const args = ["--blocked-word", "casino"];
  one = await startServer({ blogOrigin: blog.origin, database, args });
  two = await startServer({ blogOrigin: blog.origin, database, args });
  await setAdminPassword(database, PASSWORD);
  pages["/via-one"] = article(one.url, { thread: "/shared" });
  pages["/via-two"] = article(two.url, { thread: "/shared" });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await one?.stop();
  await two?.stop();
  await blog?.stop();
});

async function post(page, text) {
  const form = widget(page).locator("form.reply-form:not(.inline)");
  await form.locator("textarea[name=body]").fill(text);
  await form.locator("button[type=submit]").click();
  await widget(page).locator("li.comment", { hasText: text }).waitFor();
}

test("what one replica takes, the other serves and moderates", { skip: !database && "no PostgreSQL (scripts/test starts one)" }, async () => {
  const first = await (await browser.newContext()).newPage();
  await first.goto(`${blog.origin}/via-one`);
  await post(first, "Hello from replica one");

  const second = await (await browser.newContext()).newPage();
  await second.goto(`${blog.origin}/via-two`);
  await widget(second).locator("li.comment", { hasText: "Hello from replica one" }).waitFor();

  await post(first, "A word about casino nights");
  await widget(first).locator("li.comment", { hasText: "casino nights" }).locator(".pending-note").waitFor();
  await second.reload();
  await widget(second).locator("li.comment", { hasText: "Hello from replica one" }).waitFor();
  assert.equal(await widget(second).locator("li.comment", { hasText: "casino nights" }).count(), 0, "held: not shown to others");

  const admin = await (await browser.newContext()).newPage();
  await admin.goto(`${two.url}/admin`);
  await admin.getByLabel("Password").fill(PASSWORD);
  await admin.getByRole("button", { name: "Sign in", exact: true }).click();
  await admin.getByRole("heading", { name: "Moderation queue" }).waitFor();
  const row = admin.locator("li.comment", { hasText: "casino nights" });
  await row.getByRole("button", { name: /^Approve comment/ }).click();
  await admin.getByText("1 item updated.").waitFor();

  await second.reload();
  await widget(second).locator("li.comment", { hasText: "casino nights" }).waitFor();
  // And through replica one, whose cache held the thread before the approval.
  await first.reload();
  const mine = widget(first).locator("li.comment", { hasText: "casino nights" });
  await mine.waitFor();
  assert.equal(await mine.locator(".pending-note").count(), 0, "published, no longer pending");
});

test("a comment posted through replica 1 appears live, within 2 s, for a reader on replica 2", { skip: !database && "no PostgreSQL (scripts/test starts one)" }, async () => {
  pages["/live-one"] = article(one.url, { thread: "/live-replicas" });
  pages["/live-two"] = article(two.url, { thread: "/live-replicas" });
  const reader = await (await browser.newContext()).newPage();
  const streams = [];
  reader.on("request", (r) => r.url().includes("/api/v1/events") && streams.push(r.url()));
  await reader.goto(`${blog.origin}/live-two`);
  await widget(reader).locator("form.reply-form").waitFor();
  for (let i = 0; i < 100 && streams.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(streams[0]?.startsWith(two.url), "the reader follows the thread on replica 2");
  // The stream is open before the post (the gather delay, then the request).
  await new Promise((r) => setTimeout(r, 500));

  const writer = await (await browser.newContext()).newPage();
  await writer.goto(`${blog.origin}/live-one`);
  const form = widget(writer).locator("form.reply-form:not(.inline)");
  await form.locator("textarea[name=body]").fill("Live across replicas");
  const posted = writer.waitForResponse((r) => r.url().startsWith(`${one.url}/api/v1/comments`) && r.request().method() === "POST");
  await form.locator("button[type=submit]").click();
  await posted;
  const start = Date.now();
  await widget(reader).locator("button.new-comments").waitFor({ timeout: 2000 });
  const ms = Date.now() - start;
  console.log(`replica 1 -> replica 2, live: ${ms} ms after the POST answered`);
  await widget(reader).locator("button.new-comments").click();
  await widget(reader).locator("li.comment", { hasText: "Live across replicas" }).waitFor();
});

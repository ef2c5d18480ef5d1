// The site's account on the fediverse, proven against an independent implementation: the
// Fedify test peer (e2e/fedify) finds it by WebFinger, reads its actor, follows it and gets
// an Accept it verifies; a new feed entry reaches it as Create{Article}; its reply becomes a
// held comment, approved in /admin and shown by the widget in Chromium; its Update edits and
// its Delete removes the comment; Undo ends the follow. Forged, foreign and oversized
// activities change nothing. Run once with each signature spec Fedify tries first (RFC 9421,
// draft-cavage).
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  startServer, startBlog, article, launch, widget, setAdminPassword, palabre, freePort,
  fedifyPeer, eventually,
} from "../harness.mjs";

const PASSWORD = "an admin password for the e2e";

/** An RSS feed of `entries` ({ path, title, summary }), newest first. */
function rss(origin, entries) {
  const items = entries.map((e) => `<item><title>${e.title}</title><link>${origin}${e.path}</link>
    <description>&lt;p&gt;${e.summary}&lt;/p&gt;</description><pubDate>${new Date().toUTCString()}</pubDate></item>`);
  return `<?xml version="1.0"?><rss version="2.0"><channel><title>Blog</title><link>${origin}/</link>${items.join("")}</channel></rss>`;
}

const AS_JSON = { accept: "application/activity+json" };

async function followers(server) {
  const res = await fetch(`${server.url}/ap/blog/followers`, { headers: AS_JSON });
  assert.equal(res.status, 200);
  return (await res.json()).totalItems;
}

for (const firstKnock of ["rfc9421", "draft-cavage-http-signatures-12"]) {
  describe(`with Fedify signing ${firstKnock} first`, () => {
    let server, peer, handle, actorUrl, blog, browser, articleId;
    const pages = {};
    const entries = [{ path: "/old/", title: "An older post", summary: "From the archive" }];

    before(async () => {
      blog = await startBlog(pages);
      pages["/feed.xml"] = () => rss(blog.origin, entries);
      const port = await freePort();
      const dataDir = mkdtempSync(path.join(tmpdir(), "palabre-e2e-"));
      await setAdminPassword(dataDir, PASSWORD);
      server = await startServer({
        port,
        dataDir,
        blogOrigin: blog.origin,
        args: [
          "--public-url", `http://127.0.0.1:${port}`,
          "--fediverse-account", "blog", "--fediverse-name", "The Blog",
          "--fediverse-summary", "Posts & replies",
          "--feed-url", `${blog.origin}/feed.xml`, "--feed-interval", "1s",
          "--moderation", "first",
          "--fediverse-allow-private",
        ],
      });
      // The page carries the <link> the command prints for it.
      const link = palabre([
        "fediverse-link", `${blog.origin}/post/`,
        "--public-url", server.url, "--fediverse-account", "blog",
      ]).trim();
      articleId = link.match(/href="([^"]+)"/)[1];
      pages["/post/"] = article(server.url, { thread: "/post/", title: "Hello fediverse", head: link });
      peer = await fedifyPeer({ firstKnock });
      browser = await launch();
      handle = `acct:blog@127.0.0.1:${port}`;
      actorUrl = `${server.url}/ap/blog`;
    });

    after(async () => {
      if (process.env.PALABRE_E2E_LOGS) (await import("node:fs")).writeFileSync(`/tmp/fed-${firstKnock}.log`, `${server?.log()}\n----\n${peer?.log()}`);
      await browser?.close();
      await peer?.stop();
      await server?.stop();
      await blog?.stop();
    });

    test("Fedify finds the account by WebFinger and reads its actor", async () => {
      const jrd = await peer.get(`webfinger?resource=${encodeURIComponent(handle)}`);
      const self = jrd.links.find((l) => l.rel === "self");
      assert.equal(self.href, actorUrl);
      assert.equal(self.type, "application/activity+json");
      const found = await peer.get(`lookup?url=${encodeURIComponent(handle)}`);
      assert.equal(found.type, "Person");
      assert.equal(found.json.id, actorUrl);
      assert.equal(found.json.preferredUsername, "blog");
      assert.equal(found.json.name, "The Blog");
      assert.match(found.json.summary, /Posts &amp; replies/);
      assert.deepEqual(found.warnings ?? [], []);
      // A browser following the profile link lands on the blog.
      const page = await fetch(actorUrl, { redirect: "manual" });
      assert.equal(page.status, 303);
      assert.equal(page.headers.get("location"), blog.origin);
      const icon = await fetch(`${actorUrl}/icon.png`);
      assert.equal(icon.headers.get("content-type"), "image/png");
    });

    test("a Follow gets an Accept that Fedify verifies; Undo removes the follower", async () => {
      const follow = await peer.post("follow", { actor: handle });
      const accept = await eventually(async () => {
        const inbox = await peer.get("inbox");
        return inbox.find((a) => a.type === "Accept" && a.actor === actorUrl);
      }, 20000, "the Accept");
      assert.equal(accept.objectId, follow.id);
      assert.equal(await followers(server), 1);
      // Fedify answered 2xx to our signed POST: our draft-cavage signature verified there.
      await peer.post("unfollow", { actor: handle });
      await eventually(async () => (await followers(server)) === 0, 10000, "the Undo");
    });

    test("an article reaches followers; a reply is held, approved, shown, edited and deleted", async () => {
      await peer.call("DELETE", "inbox");
      await peer.post("follow", { actor: handle });
      await eventually(async () => (await peer.get("inbox")).find((a) => a.type === "Accept"), 20000, "the Accept");
      // A new entry in the blog's feed: announced (the first reading only took note of /old/).
      entries.unshift({ path: "/post/", title: "Hello fediverse", summary: "A post to talk about" });
      const create = await eventually(async () => (await peer.get("inbox")).find((a) => a.type === "Create"), 20000, "the Create{Article}");
      assert.equal(create.objectType, "Article");
      assert.equal(create.objectId, articleId);
      assert.equal((await peer.get("inbox")).filter((a) => a.type === "Create").length, 1, "/old/ is not announced");
      // Pasting the article's URL into the peer's search finds the article, through the link.
      const found = await peer.get(`lookup?url=${encodeURIComponent(`${blog.origin}/post/`)}`);
      assert.equal(found.type, "Article");
      assert.equal(found.json.id, articleId);
      assert.equal(found.json.name, "Hello fediverse");
      assert.match(found.json.content, /A post to talk about/);
      assert.equal(found.json.summary, undefined, "no content warning");

      // A reply from the fediverse: held (the actor's first comment, moderation "first").
      const reply = await peer.post("reply", {
        inReplyTo: articleId, mention: actorUrl,
        content: `<p><span class="h-card"><a href="${actorUrl}" class="u-url mention">@<span>blog</span></a></span> Hello from the fediverse <script>alert(1)</script></p>`,
      });
      // A reply to a conversation that is none of our pages: taken, and nothing stored.
      await peer.post("reply", { inReplyTo: `${peer.url}/notes/elsewhere`, mention: actorUrl, content: "<p>Unrelated</p>" });

      const admin = await browser.newContext();
      const adminPage = await admin.newPage();
      await adminPage.goto(`${server.url}/admin`);
      await adminPage.getByLabel("Password").fill(PASSWORD);
      await adminPage.getByRole("button", { name: "Sign in", exact: true }).click();
      await adminPage.getByRole("heading", { name: "Moderation queue" }).waitFor();
      const row = adminPage.locator("li.comment", { hasText: "Hello from the fediverse" });
      await eventually(async () => {
        await adminPage.reload();
        return (await row.count()) === 1;
      }, 15000, "the held reply in the queue");
      assert.equal(await adminPage.locator("li.comment").count(), 1, "only the reply to our article");
      assert.equal(await adminPage.locator("li.comment script").count(), 0);
      await row.getByRole("button", { name: /^Approve comment/ }).click();
      await adminPage.getByText("1 item updated.").waitFor();

      // Shown by the widget, the writer's name linked to their profile, without our mention.
      const reader = await browser.newContext();
      const page = await reader.newPage();
      await page.goto(`${blog.origin}/post/`);
      const comment = widget(page).locator("li.comment", { hasText: "Hello from the fediverse" });
      await comment.waitFor();
      assert.equal(await comment.locator(`a[href="${peer.actor}"]`, { hasText: "Alice Peer" }).count(), 1);
      assert.doesNotMatch(await comment.innerText(), /@blog/);
      const replies = await (await fetch(`${articleId}/replies`, { headers: AS_JSON })).json();
      assert.deepEqual(replies.orderedItems, [reply.id]);

      // A reader answers it in the widget; once a moderator publishes the answer (the
      // reader's first comment), it reaches the fediverse writer from the blog's account,
      // with the reader's name and a Mention.
      const w = widget(page);
      await comment.locator("button.reply").first().click();
      const inline = w.locator("form.reply-form.inline");
      await inline.locator("input[name=author]").fill("Rosa Reader");
      await inline.locator("textarea[name=body]").fill("Welcome to the conversation");
      await inline.locator("button[type=submit]").click();
      await w.locator("li.comment .pending-note").waitFor();
      await adminPage.goto(`${server.url}/admin`);
      const answerRow = adminPage.locator("li.comment", { hasText: "Welcome to the conversation" });
      await answerRow.getByRole("button", { name: /^Approve comment/ }).click();
      await adminPage.getByText("1 item updated.").waitFor();
      const answer = await eventually(async () => (await peer.get("inbox"))
        .find((a) => a.type === "Create" && a.objectType === "Note"), 20000, "the answer's Create{Note}");
      assert.equal(answer.actor, actorUrl);
      const sentNote = answer.raw.object;
      assert.equal(sentNote.inReplyTo, reply.id);
      assert.match(sentNote.content, /Rosa Reader/);
      assert.match(sentNote.content, /Welcome to the conversation/);
      const tags = [sentNote.tag].flat();
      assert.ok(tags.some((t) => t.type === "Mention" && t.href === peer.actor), JSON.stringify(tags));
      assert.ok([sentNote.cc].flat().includes(peer.actor));
      // The note is ours to serve, and lists in the article's replies.
      const served = await peer.get(`lookup?url=${encodeURIComponent(sentNote.id)}`);
      assert.equal(served.type, "Note");
      // Removed by a moderator: a Delete follows, and the note is a Tombstone (410).
      await adminPage.goto(`${server.url}/admin/comments?status=published`);
      const published = adminPage.locator("li.comment", { hasText: "Welcome to the conversation" });
      await published.getByRole("button", { name: /^Delete comment/ }).click();
      await eventually(async () => (await peer.get("inbox")).find((a) => a.type === "Delete" && a.actor === actorUrl), 20000, "the Delete");
      assert.equal((await fetch(sentNote.id, { headers: AS_JSON })).status, 410);

      // Edited by its writer.
      await peer.post("update", { id: reply.id, content: "<p>Hello again, edited</p>" });
      await eventually(async () => {
        await page.reload();
        return (await widget(page).locator("li.comment", { hasText: "Hello again, edited" }).count()) === 1;
      }, 15000, "the edit");
      // Deleted by its writer.
      await peer.post("delete", { id: reply.id });
      await eventually(async () => {
        await page.reload();
        await widget(page).locator("p.empty").or(widget(page).locator("li.comment")).first().waitFor();
        return (await widget(page).locator("li.comment", { hasText: "Hello again" }).count()) === 0;
      }, 15000, "the deletion");
      await admin.close();
      await reader.close();
      await peer.post("unfollow", { actor: handle });
      await eventually(async () => (await followers(server)) === 0, 10000, "the Undo");
    });

    test("forged, foreign and oversized activities are refused and change nothing", async () => {
      const before = await followers(server);
      const inbox = `${actorUrl}/inbox`;
      const follow = (over = {}) => ({
        "@context": "https://www.w3.org/ns/activitystreams",
        id: `${peer.url}/follows/${Math.random().toString(36).slice(2)}`,
        type: "Follow",
        actor: peer.actor,
        object: actorUrl,
        ...over,
      });
      // No signature at all.
      const unsigned = await fetch(inbox, {
        method: "POST",
        headers: { "content-type": "application/activity+json" },
        body: JSON.stringify(follow()),
      });
      assert.equal(unsigned.status, 401);
      // Signed by alice, but in the name of another actor.
      const other = await peer.post("raw", {
        url: inbox, spec: firstKnock, body: follow({ actor: `${peer.url}/users/mallory` }),
      });
      assert.equal(other.status, 401, JSON.stringify(other));
      // Signed by alice, with an id of another origin.
      const foreign = await peer.post("raw", {
        url: inbox, spec: firstKnock, body: follow({ id: "https://elsewhere.example/follows/1" }),
      });
      assert.equal(foreign.status, 400, JSON.stringify(foreign));
      // A Create whose embedded object is of another origin than its actor.
      const note = await peer.post("raw", {
        url: inbox, spec: firstKnock,
        body: {
          "@context": "https://www.w3.org/ns/activitystreams",
          id: `${peer.url}/creates/${Math.random().toString(36).slice(2)}`, type: "Create", actor: peer.actor,
          object: { id: "https://elsewhere.example/notes/1", type: "Note", attributedTo: peer.actor, inReplyTo: articleId, content: "<p>Not theirs</p>" },
        },
      });
      assert.equal(note.status, 400, JSON.stringify(note));
      const stillNone = await (await fetch(`${articleId}/replies`, { headers: AS_JSON })).json();
      assert.equal(stillNone.totalItems, 0);
      // Over 1 MiB.
      const big = await peer.post("raw", {
        url: inbox, spec: firstKnock, body: follow({ padding: "x".repeat(1024 * 1024 + 10) }),
      });
      assert.equal(big.status, 413, JSON.stringify(big.status));
      assert.equal(await followers(server), before);
    });

    test("a replayed request with a changed body is refused", async () => {
      await peer.call("DELETE", "outgoing");
      await peer.post("follow", { actor: handle });
      const sent = await eventually(async () => {
        const out = await peer.get("outgoing");
        return out.find((r) => r.method === "POST" && r.url.endsWith("/ap/blog/inbox") && r.status < 300);
      }, 20000, "the Follow's POST");
      assert.equal(sent.spec, firstKnock);
      const headers = Object.fromEntries(
        Object.entries(sent.headers).filter(([k]) => !["host", "content-length"].includes(k.toLowerCase())),
      );
      const body = sent.body.replace('"Follow"', '"Follow" ');
      const replay = await fetch(sent.url, { method: "POST", headers, body });
      assert.equal(replay.status, 401);
      // The same request replayed as it was: taken once, changes nothing.
      const again = await fetch(sent.url, { method: "POST", headers, body: sent.body });
      assert.equal(again.status, 202);
      assert.equal(await followers(server), 1);
      await peer.post("unfollow", { actor: handle });
      await eventually(async () => (await followers(server)) === 0, 10000, "the Undo");
    });
  });
}

test("without the test setting, an actor on a private address is refused before any fetch", async () => {
  const port = await freePort();
  const server = await startServer({
    port,
    blogOrigin: "http://blog.example",
    args: ["--public-url", `http://127.0.0.1:${port}`, "--fediverse-account", "blog"],
  });
  const peer = await fedifyPeer();
  try {
    await peer.call("DELETE", "outgoing");
    const res = await peer.post("raw", {
      url: `${server.url}/ap/blog/inbox`,
      body: {
        "@context": "https://www.w3.org/ns/activitystreams",
        id: `${peer.url}/follows/private`, type: "Follow", actor: peer.actor, object: `${server.url}/ap/blog`,
      },
    });
    assert.equal(res.status, 400);
    const followersRes = await fetch(`${server.url}/ap/blog/followers`, { headers: AS_JSON });
    assert.equal((await followersRes.json()).totalItems, 0);
  } finally {
    await peer.stop();
    await server.stop();
  }
});

// The site's account on the fediverse, proven against an independent implementation: the
// Fedify test peer (e2e/fedify) finds it by WebFinger, reads its actor, follows it and gets
// an Accept it verifies, and leaves again; forged, foreign and oversized activities change
// nothing. Run once with each signature spec Fedify tries first (RFC 9421, draft-cavage).
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, freePort, fedifyPeer, eventually } from "../harness.mjs";

const AS_JSON = { accept: "application/activity+json" };

async function followers(server) {
  const res = await fetch(`${server.url}/ap/blog/followers`, { headers: AS_JSON });
  assert.equal(res.status, 200);
  return (await res.json()).totalItems;
}

for (const firstKnock of ["rfc9421", "draft-cavage-http-signatures-12"]) {
  describe(`with Fedify signing ${firstKnock} first`, () => {
    let server, peer, handle, actorUrl;

    before(async () => {
      const port = await freePort();
      server = await startServer({
        port,
        blogOrigin: "http://blog.example",
        args: [
          "--public-url", `http://127.0.0.1:${port}`,
          "--fediverse-account", "blog", "--fediverse-name", "The Blog",
          "--fediverse-summary", "Posts & replies",
          "--fediverse-allow-private",
        ],
      });
      peer = await fedifyPeer({ firstKnock });
      handle = `acct:blog@127.0.0.1:${port}`;
      actorUrl = `${server.url}/ap/blog`;
    });

    after(async () => {
      await peer?.stop();
      await server?.stop();
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
      assert.equal(page.headers.get("location"), "http://blog.example");
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

// Self-test of the peer: two peers (alice, bob) federate with each other,
// once with each first-knock signature spec.
//   node_modules/.bin/node --test selftest.mjs
// With WRITE_SAMPLES=1 it also saves, for each spec, a signed POST and a
// signed GET as Fedify sent them into samples/.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { writeFileSync, mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));

function start(name, spec) {
  const child = spawn(process.execPath, ["peer.mjs"], {
    cwd: here, stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, PEER_PORT: "0", PEER_NAME: name, PEER_FIRST_KNOCK: spec },
  });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/^peer listening on (http:\/\/127\.0\.0\.1:(\d+))\n/);
      if (m) resolve({ child, name, base: m[1], handle: `acct:${name}@127.0.0.1:${m[2]}`, actor: `${m[1]}/users/${name}` });
    });
    child.on("exit", (code) => reject(new Error(`${name} exited ${code}`)));
  });
}

async function call(peer, method, path, body) {
  const res = await fetch(peer.base + path, {
    method, headers: body ? { "Content-Type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await res.json();
  assert.equal(res.status, 200, `${method} ${path}: ${JSON.stringify(json)}`);
  return json;
}

async function waitFor(peer, pred, what) {
  for (let i = 0; i < 200; i++) {
    const hit = (await call(peer, "GET", "/_test/inbox")).find(pred);
    if (hit) return hit;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`${peer.name} never received ${what}`);
}

for (const spec of ["rfc9421", "draft-cavage-http-signatures-12"]) {
  test(`follow, accept, reply and delete with first knock ${spec}`, async () => {
    const [alice, bob] = await Promise.all([start("alice", spec), start("bob", spec)]);
    try {
      // Follow by handle (WebFinger over http) and get Bob's automatic Accept.
      const follow = await call(alice, "POST", "/_test/follow", { actor: bob.handle });
      assert.equal(follow.actorInbox, `${bob.actor}/inbox`);
      await waitFor(bob, (e) => e.type === "Follow" && e.id === follow.id && e.actor === alice.actor, "the Follow");
      const accept = await waitFor(alice, (e) => e.type === "Accept" && e.actor === bob.actor, "the Accept");
      assert.equal(accept.objectId, follow.id);

      // Bob posts a note; Alice reads it and replies to it, mentioning Bob.
      const note = await call(bob, "POST", "/_test/reply", { content: "<p>Bob's note</p>" });
      const looked = await call(alice, "GET", `/_test/lookup?url=${encodeURIComponent(note.id)}`);
      assert.equal(looked.type, "Note");
      const reply = await call(alice, "POST", "/_test/reply", {
        inReplyTo: note.id, content: "<p>Alice's reply</p>", mention: bob.actor,
      });
      const create = await waitFor(bob, (e) => e.type === "Create" && e.objectId === reply.id, "the reply");
      assert.equal(create.objectType, "Note");
      assert.equal(create.raw.object.inReplyTo, note.id);

      // Update then Delete; the note is gone afterwards.
      await call(alice, "POST", "/_test/update", { id: reply.id, content: "<p>Edited</p>" });
      await waitFor(bob, (e) => e.type === "Update" && e.objectId === reply.id, "the Update");
      await call(alice, "POST", "/_test/delete", { id: reply.id });
      await waitFor(bob, (e) => e.type === "Delete" && e.objectId === reply.id, "the Delete");
      assert.equal((await fetch(reply.id, { headers: { Accept: "application/activity+json" } })).status, 410);

      // Every signed POST went out with the first-knock spec and was accepted.
      const posts = (await call(alice, "GET", "/_test/outgoing")).filter((r) => r.method === "POST");
      assert.ok(posts.length >= 4);
      for (const p of posts) assert.deepEqual([p.spec, p.status], [spec, 202], p.url);

      if (process.env.WRITE_SAMPLES) {
        // Alice's signed Follow POST and a signed GET she made (fetching
        // Bob's key to verify his Accept), with her public key and the exact
        // body bytes, so a verifier can be checked against them offline.
        const all = await call(alice, "GET", "/_test/outgoing");
        const me = await (await fetch(alice.actor, { headers: { Accept: "application/activity+json" } })).json();
        const dir = new URL("samples/", import.meta.url);
        mkdirSync(dir, { recursive: true });
        const save = (kind, r) => writeFileSync(new URL(`${kind}-${spec}.json`, dir), JSON.stringify({
          spec: r.spec, method: r.method, url: r.url, headers: r.headers, bodyText: r.body,
          body: r.body && JSON.parse(r.body), responseStatus: r.status,
          signer: { keyId: me.publicKey.id, publicKeyPem: me.publicKey.publicKeyPem },
        }, null, 2) + "\n");
        save("post-follow", all.find((r) => r.method === "POST" && r.url === follow.actorInbox));
        save("get-signed", all.find((r) => r.method === "GET" && r.spec === spec));
      }
    } finally {
      alice.child.kill("SIGTERM");
      bob.child.kill("SIGTERM");
    }
  });
}

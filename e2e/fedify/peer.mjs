// A small ActivityPub test peer on Fedify 2.3.6, for Palabre's end-to-end
// federation tests.  One actor (PEER_NAME, default "alice") on 127.0.0.1,
// plain http, an in-memory log of what its inbox received, and a JSON
// control API under /_test/.  See README.md beside this file.
//
// Run with the Node 22 that npm installs here: node_modules/.bin/node peer.mjs
import http from "node:http";
import { AsyncLocalStorage } from "node:async_hooks";
import { Temporal } from "@js-temporal/polyfill";
import { configure, getTextFormatter } from "@logtape/logtape";
import { createFederation, MemoryKvStore, signRequest } from "@fedify/fedify";
import {
  Accept, Activity, Create, Delete, Endpoints, Follow, Mention, Note,
  Person, PUBLIC_COLLECTION, Tombstone, Undo, Update, isActor, getTypeId,
} from "@fedify/vocab";

const NAME = process.env.PEER_NAME || "alice";
const DISPLAY = process.env.PEER_DISPLAY_NAME ||
  `${NAME[0].toUpperCase()}${NAME.slice(1)} Peer`;
const FIRST_KNOCK = process.env.PEER_FIRST_KNOCK || "rfc9421";
const SPECS = ["rfc9421", "draft-cavage-http-signatures-12"];
if (!SPECS.includes(FIRST_KNOCK)) {
  console.error(`PEER_FIRST_KNOCK must be one of ${SPECS.join(", ")}`);
  process.exit(2);
}

// Fedify's own logs go to stderr (stdout carries only the "listening" line).
const formatter = getTextFormatter();
await configure({
  contextLocalStorage: new AsyncLocalStorage(),
  sinks: { stderr: (record) => process.stderr.write(formatter(record)) },
  filters: {
    // Alice has only an RSA key, on purpose (no Object Integrity Proofs).
    noProofWarning: (r) => !String(r.rawMessage).startsWith("No supported key found to create a proof"),
  },
  loggers: [
    { category: "fedify", lowestLevel: process.env.PEER_LOG || "warning", sinks: ["stderr"], filters: ["noProofWarning"] },
    { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["stderr"] },
  ],
});

// ---- Outgoing fetches: http for loopback hosts, and a wire log -----------
// Fedify's WebFinger lookup of acct:user@host always builds
// https://host/.well-known/webfinger.  Everything here is plain http on
// loopback, so every fetch to https://127.0.0.1|localhost|[::1] is rewritten
// to http:// (Fedify calls the global fetch, so wrapping it covers
// WebFinger, document loading, key fetching and deliveries).  Each outgoing
// request (signed or not) is also recorded, headers and body, with the
// status it got: GET /_test/outgoing.
const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);
const outgoing = [];
const realFetch = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  const req = new Request(input, init);
  const url = new URL(req.url);
  if (url.protocol === "https:" && LOOPBACK.has(url.hostname)) url.protocol = "http:";
  const body = req.method === "GET" || req.method === "HEAD" ? undefined : await req.arrayBuffer();
  const entry = {
    at: new Date().toISOString(),
    method: req.method,
    url: url.href,
    spec: req.headers.has("signature-input") ? "rfc9421"
      : req.headers.has("signature") ? "draft-cavage-http-signatures-12" : null,
    headers: Object.fromEntries(req.headers),
    body: body === undefined ? null : new TextDecoder().decode(body),
    status: null,
  };
  outgoing.push(entry);
  if (outgoing.length > 1000) outgoing.shift();
  try {
    const res = await realFetch(new Request(url, {
      method: req.method, headers: req.headers, body,
      redirect: req.redirect, signal: req.signal,
    }));
    entry.status = res.status;
    return res;
  } catch (e) {
    entry.status = `error: ${e?.cause?.message ?? e?.message ?? e}`;
    throw e;
  }
};

// ---- State ---------------------------------------------------------------
const inboxLog = [];      // what the inbox received
const deliveries = [];    // every POST to an inbox and what Fedify answered
const notes = new Map();  // note id -> { note, recipients, deleted }
const activities = new Map(); // activity id -> compacted JSON (served at its id)
const follows = new Map(); // followed actor id -> last Follow activity
const followers = new Map(); // follower actor id -> Recipient-like {id, inboxId, endpoints}

const keyPair = await crypto.subtle.generateKey({
  name: "RSASSA-PKCS1-v1_5", modulusLength: 2048,
  publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256",
}, true, ["sign", "verify"]);

// ---- HTTP server (federation is created once the port is known) ---------
let federation = null;
let origin = null;

const server = http.createServer(async (req, res) => {
  try {
    if (federation == null) return send(res, 503, { error: "not ready" });
    const url = new URL(req.url, origin);
    const body = req.method === "GET" || req.method === "HEAD" ? undefined : await readBody(req);
    if (url.pathname.startsWith("/_test/")) return await control(req.method, url, body, res);
    // Deleted notes: 410 Gone with a Tombstone.
    const n = notes.get(url.href);
    if (n?.deleted && req.method === "GET") {
      return send(res, 410, await n.tombstone.toJsonLd({ format: "compact", contextLoader: ctx().contextLoader }), "application/activity+json");
    }
    // Alice's activities, served as sent.
    if (req.method === "GET" && activities.has(url.href)) {
      return send(res, 200, activities.get(url.href), "application/activity+json");
    }
    // Everything else is Fedify's.  The URL is built from the Host header so
    // that RFC 9421 @target-uri / @authority match what the sender signed.
    const host = req.headers.host || new URL(origin).host;
    const request = new Request(`http://${host}${req.url}`, {
      method: req.method, headers: headersOf(req), body,
    });
    const response = await federation.fetch(request, { contextData: undefined });
    if (req.method === "POST" && /\/inbox$/.test(url.pathname)) {
      const text = await response.clone().text();
      deliveries.push({
        at: new Date().toISOString(), path: url.pathname,
        headers: Object.fromEntries(request.headers),
        body: body === undefined ? null : body.toString("utf8"),
        status: response.status, response: text,
      });
      if (deliveries.length > 1000) deliveries.shift();
    }
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  } catch (e) {
    fail(res, 500, e);
  }
});

function headersOf(req) {
  const h = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) h.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
  return h;
}
function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}
function send(res, status, json, type = "application/json") {
  const text = JSON.stringify(json);
  res.writeHead(status, { "Content-Type": type, "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}
function fail(res, status, e) {
  const message = e?.message ?? String(e);
  console.error(`[peer] ${status}: ${e instanceof HttpError ? message : e?.stack ?? message}`);
  if (!res.headersSent) send(res, status, { error: message });
  else res.end();
}
class HttpError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

await new Promise((resolve) => server.listen(Number(process.env.PEER_PORT || 0), "127.0.0.1", resolve));
const port = server.address().port;
origin = `http://127.0.0.1:${port}`;

// ---- Federation ----------------------------------------------------------
const kv = new MemoryKvStore();
federation = createFederation({
  kv,                               // fresh per run: no remembered signature spec
  origin,                           // ids are always http://127.0.0.1:PORT/...
  allowPrivateAddress: true,        // loopback peers
  firstKnock: FIRST_KNOCK,
  // no queue: deliveries happen inside the control request, errors surface
});
const ctx = () => federation.createContext(new URL(origin), undefined);

federation
  .setActorDispatcher("/users/{identifier}", async (c, identifier) => {
    if (identifier !== NAME) return null;
    const keys = await c.getActorKeyPairs(identifier);
    return new Person({
      id: c.getActorUri(identifier),
      name: DISPLAY,
      preferredUsername: identifier,
      summary: "An ActivityPub test peer on Fedify.",
      url: c.getActorUri(identifier),
      inbox: c.getInboxUri(identifier),
      endpoints: new Endpoints({ sharedInbox: c.getInboxUri() }),
      followers: c.getFollowersUri(identifier),
      publicKey: keys[0].cryptographicKey,
      assertionMethods: keys.map((k) => k.multikey),
    });
  })
  .setKeyPairsDispatcher((_c, identifier) => identifier === NAME ? [keyPair] : [])
  .mapHandle((_c, username) => username === NAME ? NAME : null);
// No .authorize(): the actor and its key are served without a signature.

federation.setFollowersDispatcher("/users/{identifier}/followers", (_c, identifier) => {
  if (identifier !== NAME) return null;
  return { items: [...followers.values()] };
}).setCounter((_c, identifier) => identifier === NAME ? followers.size : null);

federation.setObjectDispatcher(Note, "/users/{identifier}/notes/{id}", (c, { identifier, id }) => {
  const n = notes.get(c.getObjectUri(Note, { identifier, id }).href);
  return n && !n.deleted ? n.note : null;
});

federation
  .setInboxListeners("/users/{identifier}/inbox", "/inbox")
  .on(Activity, async (c, activity) => {
    const raw = await activity.toJsonLd({ format: "compact", contextLoader: c.contextLoader });
    let objectType = null;
    let objectId = activity.objectId?.href ?? null;
    try {
      const object = await activity.getObject({ documentLoader: c.documentLoader, contextLoader: c.contextLoader, suppressError: true });
      if (object != null) { objectType = getTypeId(object).href.replace(/^https:\/\/www\.w3\.org\/ns\/activitystreams#/, ""); objectId ??= object.id?.href ?? null; }
    } catch (e) {
      console.error(`[peer] could not read the object of ${activity.id?.href}: ${e.message}`);
    }
    inboxLog.push({
      type: getTypeId(activity).href.replace(/^https:\/\/www\.w3\.org\/ns\/activitystreams#/, ""),
      id: activity.id?.href ?? null,
      actor: activity.actorId?.href ?? null,
      objectType, objectId,
      recipient: c.recipient,
      raw,
      receivedAt: new Date().toISOString(),
    });
    if (activity instanceof Follow && activity.objectId?.href === c.getActorUri(NAME).href) {
      // Answer after this POST has been answered, so a sender that handles
      // its own delivery synchronously is not waiting on us.
      setTimeout(() => acceptFollow(c, activity).catch((e) =>
        console.error(`[peer] could not accept ${activity.id?.href}: ${e?.stack ?? e}`)), 0);
    } else if (activity instanceof Undo) {
      const inner = await activity.getObject(c);
      if (inner instanceof Follow && activity.actorId) followers.delete(activity.actorId.href);
    }
  })
  .onError((_c, e) => console.error(`[peer] inbox listener error: ${e?.stack ?? e}`));

async function acceptFollow(c, follow) {
  const follower = await follow.getActor(c);
  if (follower == null || !isActor(follower)) throw new Error("the follower cannot be fetched");
  followers.set(follower.id.href, follower);
  await c.sendActivity({ identifier: NAME }, follower, new Accept({
    id: newActivityId(),
    actor: c.getActorUri(NAME),
    object: follow,
    to: follower.id,
  }));
}

function newActivityId() {
  return new URL(`/users/${NAME}/activities/${crypto.randomUUID()}`, origin);
}
async function remember(activity) {
  activities.set(activity.id.href, await activity.toJsonLd({ format: "compact", contextLoader: ctx().contextLoader }));
}

async function lookupActor(c, ref) {
  if (typeof ref !== "string" || ref === "") throw new HttpError(400, "actor: a URL or acct:handle is needed");
  const actor = await c.lookupObject(ref);
  if (actor == null) throw new HttpError(404, `could not look up ${ref}`);
  if (!isActor(actor)) throw new HttpError(422, `${ref} is a ${actor.constructor.name}, not an actor`);
  if (actor.inboxId == null) throw new HttpError(422, `${ref} has no inbox`);
  return actor;
}

async function deliver(c, recipients, activity) {
  await remember(activity);
  try {
    await c.sendActivity({ identifier: NAME }, recipients, activity, { preferSharedInbox: false });
  } catch (e) {
    const status = e?.statusCode;
    throw new HttpError(502, `delivery of ${activity.id.href} failed${status ? ` (${status})` : ""}: ${e.message}`);
  }
}

// ---- Control API ---------------------------------------------------------
async function control(method, url, raw, res) {
  try {
    const body = raw && raw.length ? JSON.parse(raw.toString("utf8")) : {};
    const c = ctx();
    const route = `${method} ${url.pathname}`;
    switch (route) {
      case "GET /_test/inbox": return send(res, 200, inboxLog);
      case "DELETE /_test/inbox": inboxLog.length = 0; return send(res, 200, { cleared: true });
      case "GET /_test/deliveries": return send(res, 200, deliveries);
      case "DELETE /_test/deliveries": deliveries.length = 0; return send(res, 200, { cleared: true });
      case "GET /_test/outgoing": return send(res, 200, outgoing);
      case "DELETE /_test/outgoing": outgoing.length = 0; return send(res, 200, { cleared: true });
      case "GET /_test/info": return send(res, 200, {
        actor: c.getActorUri(NAME).href, handle: `acct:${NAME}@${new URL(origin).host}`,
        keyId: (await c.getActorKeyPairs(NAME))[0].keyId.href, firstKnock: FIRST_KNOCK,
        followers: [...followers.keys()], following: [...follows.keys()],
      });
      case "POST /_test/forget-specs": {
        // Fedify remembers, per origin, the spec that worked (double-knock).
        let n = 0;
        for await (const { key } of kv.list(["_fedify", "httpMessageSignaturesSpec"])) { await kv.delete(key); n++; }
        return send(res, 200, { forgotten: n });
      }
      case "POST /_test/follow": {
        const actor = await lookupActor(c, body.actor);
        const follow = new Follow({ id: newActivityId(), actor: c.getActorUri(NAME), object: actor.id, to: actor.id });
        follows.set(actor.id.href, follow);
        await deliver(c, actor, follow);
        return send(res, 200, { id: follow.id.href, actor: actor.id.href, actorInbox: actor.inboxId.href });
      }
      case "POST /_test/unfollow": {
        const actor = await lookupActor(c, body.actor);
        const follow = follows.get(actor.id.href);
        if (follow == null) throw new HttpError(404, `${NAME} has not followed ${actor.id.href}`);
        const undo = new Undo({ id: newActivityId(), actor: c.getActorUri(NAME), object: follow, to: actor.id });
        await deliver(c, actor, undo);
        follows.delete(actor.id.href);
        return send(res, 200, { id: undo.id.href, object: follow.id.href, actorInbox: actor.inboxId.href });
      }
      case "POST /_test/reply": {
        if (body.inReplyTo != null && typeof body.inReplyTo !== "string") throw new HttpError(400, "inReplyTo: an object URL");
        if (typeof body.content !== "string") throw new HttpError(400, "content: HTML is needed");
        const to = Array.isArray(body.to) ? body.to : [];
        const mention = body.mention ? await lookupActor(c, body.mention) : null;
        const toActors = [];
        for (const ref of to) toActors.push(await lookupActor(c, ref));
        const recipients = dedupe([...(mention ? [mention] : []), ...toActors]);
        const id = crypto.randomUUID();
        const noteId = c.getObjectUri(Note, { identifier: NAME, id });
        const published = Temporal.Now.instant().round({ smallestUnit: "millisecond" });
        const note = new Note({
          id: noteId,
          attribution: c.getActorUri(NAME),
          content: body.content,
          replyTarget: body.inReplyTo ? new URL(body.inReplyTo) : null,
          published,
          url: noteId,
          tos: [PUBLIC_COLLECTION, ...toActors.map((a) => a.id)],
          ccs: [c.getFollowersUri(NAME), ...(mention ? [mention.id] : [])],
          tags: mention ? [new Mention({ href: mention.id, name: mentionName(mention) })] : [],
        });
        notes.set(noteId.href, { note, recipients, deleted: false });
        const create = new Create({
          id: newActivityId(), actor: c.getActorUri(NAME), object: note,
          published, tos: note.toIds, ccs: note.ccIds,
        });
        if (recipients.length) await deliver(c, recipients, create);
        else await remember(create);
        return send(res, 200, { id: noteId.href, activityId: create.id.href, delivered: recipients.map((a) => a.inboxId.href) });
      }
      case "POST /_test/update": {
        const n = notes.get(body.id);
        if (n == null || n.deleted) throw new HttpError(404, `no live note ${body.id}`);
        if (typeof body.content !== "string") throw new HttpError(400, "content: HTML is needed");
        let updated = Temporal.Now.instant().round({ smallestUnit: "millisecond" });
        const last = n.note.updated ?? n.note.published;
        if (Temporal.Instant.compare(updated, last) <= 0) updated = last.add({ milliseconds: 1 });
        n.note = n.note.clone({ content: body.content, updated });
        const update = new Update({
          id: newActivityId(), actor: c.getActorUri(NAME), object: n.note,
          published: updated, tos: n.note.toIds, ccs: n.note.ccIds,
        });
        if (n.recipients.length) await deliver(c, n.recipients, update);
        else await remember(update);
        return send(res, 200, { id: body.id, activityId: update.id.href, updated: updated.toString() });
      }
      case "POST /_test/delete": {
        const n = notes.get(body.id);
        if (n == null || n.deleted) throw new HttpError(404, `no live note ${body.id}`);
        const deleted = Temporal.Now.instant().round({ smallestUnit: "millisecond" });
        n.tombstone = new Tombstone({ id: n.note.id, formerType: Note, deleted });
        n.deleted = true;
        const del = new Delete({
          id: newActivityId(), actor: c.getActorUri(NAME), object: n.tombstone,
          published: deleted, tos: n.note.toIds, ccs: n.note.ccIds,
        });
        if (n.recipients.length) await deliver(c, n.recipients, del);
        else await remember(del);
        return send(res, 200, { id: body.id, activityId: del.id.href });
      }
      case "GET /_test/lookup": {
        const target = url.searchParams.get("url");
        if (!target) throw new HttpError(400, "url= is needed");
        let object;
        try {
          object = await c.lookupObject(target);
        } catch (e) {
          throw new HttpError(404, `lookupObject(${target}) threw: ${e.message}`);
        }
        if (object == null) throw new HttpError(404, `lookupObject(${target}) found nothing Fedify could parse`);
        const warnings = object.id == null
          ? ["the object has no id: Fedify read nothing useful (no or wrong @context?)"] : [];
        return send(res, 200, {
          warnings,
          type: getTypeId(object).href.replace(/^https:\/\/www\.w3\.org\/ns\/activitystreams#/, ""),
          typeId: getTypeId(object).href,
          json: await object.toJsonLd({ format: "compact", contextLoader: c.contextLoader }),
          summary: await summarize(c, object),
        });
      }
      case "GET /_test/webfinger": {
        const resource = url.searchParams.get("resource");
        if (!resource) throw new HttpError(400, "resource= is needed");
        const jrd = await c.lookupWebFinger(resource);
        if (jrd == null) throw new HttpError(404, `no WebFinger answer for ${resource}`);
        return send(res, 200, jrd);
      }
      case "POST /_test/raw": {
        if (typeof body.url !== "string" || body.body == null) throw new HttpError(400, "url and body are needed");
        const spec = body.spec ?? FIRST_KNOCK;
        if (!SPECS.includes(spec)) throw new HttpError(400, `spec must be one of ${SPECS.join(", ")}`);
        const { keyId, privateKey } = (await c.getActorKeyPairs(NAME))[0];
        const text = typeof body.body === "string" ? body.body : JSON.stringify(body.body);
        const request = new Request(body.url, {
          method: body.method ?? "POST",
          // Only Content-Type, as Fedify's own deliveries (draft-cavage signs
          // every header present).
          headers: { "Content-Type": "application/activity+json", ...(body.headers ?? {}) },
          body: text,
        });
        const signed = await signRequest(request, privateKey, keyId, { spec });
        const response = await fetch(signed, { redirect: "manual" });
        return send(res, 200, {
          status: response.status, body: await response.text(),
          headers: Object.fromEntries(response.headers), sent: Object.fromEntries(signed.headers),
        });
      }
      default:
        throw new HttpError(404, `no control route ${route}`);
    }
  } catch (e) {
    fail(res, e instanceof HttpError ? e.status : e instanceof SyntaxError ? 400 : 500, e);
  }
}

function dedupe(actors) {
  const seen = new Map();
  for (const a of actors) seen.set(a.id.href, a);
  return [...seen.values()];
}
function mentionName(actor) {
  return actor.preferredUsername ? `@${actor.preferredUsername}@${actor.id.host}` : actor.id.href;
}
async function summarize(c, object) {
  const opts = { documentLoader: c.documentLoader, contextLoader: c.contextLoader, suppressError: true };
  if (isActor(object)) {
    const keys = [];
    for await (const k of object.getPublicKeys(opts)) {
      keys.push({ id: k.id?.href ?? null, owner: k.ownerId?.href ?? null, algorithm: k.publicKey?.algorithm?.name ?? null });
    }
    return {
      id: object.id?.href ?? null,
      preferredUsername: object.preferredUsername?.toString() ?? null,
      name: object.name?.toString() ?? null,
      inbox: object.inboxId?.href ?? null,
      sharedInbox: object.endpoints?.sharedInbox?.href ?? null,
      outbox: object.outboxId?.href ?? null,
      followers: object.followersId?.href ?? null,
      publicKeys: keys,
    };
  }
  return {
    id: object.id?.href ?? null,
    attributedTo: object.attributionIds?.map((u) => u.href) ?? [],
    inReplyTo: object.replyTargetIds?.map((u) => u.href) ?? [],
    content: object.content?.toString() ?? null,
    name: object.name?.toString() ?? null,
    url: object.url?.href ?? object.url?.toString() ?? null,
    to: object.toIds?.map((u) => u.href) ?? [],
    cc: object.ccIds?.map((u) => u.href) ?? [],
    totalItems: object.totalItems ?? null,
  };
}

for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
    setTimeout(() => process.exit(0), 1000).unref();
  });
}

process.stdout.write(`peer listening on ${origin}\n`);

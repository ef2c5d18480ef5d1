#!/usr/bin/env node
// The fediverse at scale, on 127.0.0.1 only. A sink plays 500 instances (one port each, each
// with a shared inbox): 400 answer at once, 50 after 3 s, 50 are down (nothing listens). The
// site's account has 10,000 followers, 20 on each instance (written into the database before
// the run). A new entry in the blog's feed is then announced. Prints: the time until every
// live instance had the Create{Article}, the requests each instance got (one per shared inbox
// is the target) and how many carried a signature that verifies; posting (wrk and
// bench/lib/post.lua) with nothing to deliver and while the fan-out runs, side by side; the
// server's peak memory. Then REPLIES (1,000) signed Create{Note} replies to the article over
// REPLY_SECONDS (60), from an actor the sink serves: statuses, latency, server CPU, and how
// many became comments. Installs wrk if missing; builds the release binary unless PALABRE_BIN
// names one. Never part of the test run.
import { spawn, spawnSync } from "node:child_process";
import crypto from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.dirname(HERE);
const INSTANCES = Number(process.env.INSTANCES || 500);
const PER_INSTANCE = Number(process.env.PER_INSTANCE || 20);
const REPLIES = Number(process.env.REPLIES || 1000);
const REPLY_SECONDS = Number(process.env.REPLY_SECONDS || 60);
const SLOW_MS = 3000;
const DURATION = process.env.DURATION || "8s";
const AS = "application/activity+json";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const percentile = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };
const peakMb = (pid) => Number(readFileSync(`/proc/${pid}/status`, "utf8").match(/VmHWM:\s+(\d+)/)[1]) / 1024;
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
function sh(command, args, options = {}) {
  const done = spawnSync(command, args, { stdio: "inherit", ...options });
  if (done.status !== 0) throw new Error(`${command} ${args.join(" ")} failed`);
}
async function freePort() {
  return new Promise((resolve) => {
    const probe = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}
const listen = (server) => new Promise((r) => server.listen(0, "127.0.0.1", () => r(server.address().port)));
const readBody = (req) => new Promise((r) => { let b = ""; req.on("data", (c) => (b += c)); req.on("end", () => r(b)); });

// ---- the sink: 500 instances -------------------------------------------------------------
const { publicKey: replierPublic, privateKey: replierPrivate } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
const replierPem = replierPublic.export({ type: "spki", format: "pem" });
const instances = [];
let serverKey = null; // the site account's key, to check the deliveries' signatures
for (let i = 0; i < INSTANCES; i++) {
  const kind = i % 10 === 9 ? "down" : i % 10 === 8 ? "slow" : "fast";
  const instance = { i, kind, port: 0, posts: 0, verified: 0, firstAt: null };
  if (kind === "down") {
    // Held until the run starts, so no other instance gets the port; then nothing listens.
    instance.reserve = net.createServer();
    instance.port = await listen(instance.reserve);
  } else {
    const server = http.createServer(async (req, res) => {
      const body = await readBody(req);
      if (req.method === "GET" && req.url === "/users/replier") {
        res.writeHead(200, { "content-type": AS }).end(JSON.stringify({
          "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
          id: `http://127.0.0.1:${instance.port}/users/replier`, type: "Person", preferredUsername: "replier",
          name: "A Replier", inbox: `http://127.0.0.1:${instance.port}/users/replier/inbox`,
          publicKey: { id: `http://127.0.0.1:${instance.port}/users/replier#main-key`, owner: `http://127.0.0.1:${instance.port}/users/replier`, publicKeyPem: replierPem },
        }));
        return;
      }
      if (req.method !== "POST") { res.writeHead(404).end(); return; }
      instance.posts++;
      instance.firstAt ??= performance.now();
      if (serverKey && verifyCavage(req, body, serverKey)) instance.verified++;
      const answer = () => res.writeHead(202).end();
      if (kind === "slow") setTimeout(answer, SLOW_MS); else answer();
    });
    server.keepAliveTimeout = 30_000;
    instance.port = await listen(server);
    instance.server = server;
  }
  instances.push(instance);
}

/** Checks a draft-cavage signature as a receiving server would. */
function verifyCavage(req, body, key) {
  const params = Object.fromEntries([...String(req.headers.signature || "").matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
  if (!params.headers || !params.signature) return false;
  const digest = `SHA-256=${crypto.createHash("sha256").update(body).digest("base64")}`;
  if (req.headers.digest !== digest) return false;
  const base = params.headers.split(" ").map((h) => h === "(request-target)"
    ? `(request-target): ${req.method.toLowerCase()} ${req.url}`
    : `${h}: ${req.headers[h]}`).join("\n");
  return crypto.verify("RSA-SHA256", Buffer.from(base), key, Buffer.from(params.signature, "base64"));
}

// ---- the blog: a feed -----------------------------------------------------------------------
const entries = [{ path: "/archive/", title: "From the archive" }];
const blog = http.createServer((req, res) => {
  const origin = `http://127.0.0.1:${blog.address().port}`;
  const items = entries.map((e) => `<item><title>${e.title}</title><link>${origin}${e.path}</link><description>A summary.</description></item>`).join("");
  res.writeHead(200, { "content-type": "application/rss+xml" })
    .end(`<?xml version="1.0"?><rss version="2.0"><channel><title>Bench</title>${items}</channel></rss>`);
});
const blogPort = await listen(blog);
const blogOrigin = `http://127.0.0.1:${blogPort}`;

// ---- the server -----------------------------------------------------------------------------
function ensureTools() {
  if (spawnSync("bash", ["-c", "command -v wrk"]).status !== 0) sh("apt-get", ["install", "-y", "-qq", "wrk"]);
  if (!process.env.PALABRE_BIN) sh("cargo", ["build", "--release", "--locked", "-q", "-p", "palabre-server"], { cwd: ROOT });
}
ensureTools();
const BIN = path.resolve(process.env.PALABRE_BIN || path.join(ROOT, "target/release/palabre"));
const work = mkdtempSync(path.join(tmpdir(), "palabre-fediverse-"));
const database = path.join(work, "bench.db");
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const child = spawn(BIN, ["serve", "--listen", `127.0.0.1:${port}`, "--database", `sqlite://${database}`,
  "--origin", blogOrigin, "--public-url", base, "--fediverse-account", "blog",
  "--feed-url", `${blogOrigin}/feed.xml`, "--feed-interval", "1s", "--fediverse-allow-private",
  "--pow-difficulty", "0", "--min-post-delay", "0s", "--rate-limit-burst", "100000000",
  "--rate-limit-per-minute", "100000000"], { cwd: work, stdio: ["ignore", "ignore", "pipe"] });
let log = "";
child.stderr.on("data", (c) => (log += c));
await new Promise((resolve, reject) => {
  const check = setInterval(() => { if (/address=/.test(log)) { clearInterval(check); resolve(); } }, 50);
  child.on("exit", (code) => reject(new Error(`palabre exited with ${code}: ${log}`)));
});
process.on("exit", () => child.kill("SIGTERM"));

// The site's key, as the sink will check it; and the first reading of the feed done.
const actor = await (await fetch(`${base}/ap/blog`, { headers: { accept: AS } })).json();
serverKey = crypto.createPublicKey(actor.publicKey.publicKeyPem);
while (!(await feedRead())) await sleep(200);
async function feedRead() {
  // The archive entry's article exists once the first reading is recorded.
  const id = `${base}/ap/blog/articles/${Buffer.from("/archive/").toString("base64url")}`;
  const res = await fetch(id, { headers: { accept: AS } });
  return res.ok && (await res.json()).name === "From the archive";
}
await sleep(1500);

for (const i of instances) i.reserve?.close();

// 10,000 followers, 20 an instance, all with the instance's shared inbox.
const rows = [];
for (const inst of instances) {
  for (let f = 0; f < PER_INSTANCE; f++) {
    const a = `http://127.0.0.1:${inst.port}/users/u${f}`;
    rows.push([a, `${a}/inbox`, `http://127.0.0.1:${inst.port}/inbox`, `${a}/follows/1`]);
  }
}
writeFileSync(path.join(work, "followers.json"), JSON.stringify(rows));
sh("python3", ["-c", `
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=30)
rows = json.load(open(sys.argv[2]))
with db:
    db.executemany("INSERT INTO fediverse_followers (site, actor, inbox, shared_inbox, follow_id, since) VALUES ('default', ?, ?, ?, ?, 0)", rows)
print(f"{len(rows)} followers on {len(set(r[2] for r in rows))} instances")
`, database, path.join(work, "followers.json")]);

const lua = path.join(work, "post.lua");
writeFileSync(lua, readFileSync(path.join(HERE, "lib", "post.lua"), "utf8").replaceAll("BODY", JSON.stringify(JSON.stringify("A comment, posted while the blog announces an article."))));
async function wrk() {
  const before = cpuSeconds(child.pid);
  const run = spawn("wrk", ["-t2", "-c32", `-d${DURATION}`, "-s", lua, `${base}/`]);
  let out = "";
  run.stdout.on("data", (c) => (out += c));
  await new Promise((r) => run.on("exit", r));
  const [, n, us, refused] = out.match(/posted (\d+) in (\d+) us, refused (\d+)/).map(Number);
  return { rate: n / (us / 1e6), refused, cpu: (cpuSeconds(child.pid) - before) / (us / 1e6) };
}

const idle = await wrk();
await sleep(1000);

// The announcement: a new entry; posting starts with it.
const started = performance.now();
entries.unshift({ path: "/bench/", title: "A new article" });
const live = instances.filter((i) => i.kind !== "down");
const busy = wrk();
let allAt = null;
while (performance.now() - started < 120_000) {
  if (live.every((i) => i.posts > 0)) { allAt = performance.now(); break; }
  await sleep(20);
}
const during = await busy;
await sleep(SLOW_MS + 500);
const fast = instances.filter((i) => i.kind === "fast");
const reached = live.filter((i) => i.posts > 0).length;
const requests = live.reduce((a, i) => a + i.posts, 0);
const verified = live.reduce((a, i) => a + i.verified, 0);
const firstFast = fast.map((i) => i.firstAt - started).sort((a, b) => a - b);
console.log(`\nAnnouncing to ${INSTANCES * PER_INSTANCE} followers on ${INSTANCES} instances (${fast.length} fast, ${live.length - fast.length} slow: ${SLOW_MS} ms, ${INSTANCES - live.length} down):`);
console.log(`  every live instance reached ${allAt ? ((allAt - started) / 1000).toFixed(2) : "> 120"} s after the feed changed (it is read every second); fast ones p50 ${(percentile(firstFast, 0.5) / 1000).toFixed(2)} s, last ${(firstFast.at(-1) / 1000).toFixed(2)} s`);
console.log(`  ${reached}/${live.length} live instances reached, ${requests} requests (one per shared inbox: ${live.length}), ${verified} with a signature that verifies`);
console.log(`  posting: ${idle.rate.toFixed(0)}/s with nothing to deliver, ${during.rate.toFixed(0)}/s during the fan-out (${(100 * during.rate / idle.rate).toFixed(0)} %); refused ${idle.refused} / ${during.refused}`);
console.log(`  server CPU while posting: ${idle.cpu.toFixed(2)} → ${during.cpu.toFixed(2)} cores; peak memory ${peakMb(child.pid).toFixed(0)} MB`);

// ---- 1,000 signed replies a minute -------------------------------------------------------------
const replier = instances.find((i) => i.kind === "fast");
const replierId = `http://127.0.0.1:${replier.port}/users/replier`;
const articleId = `${base}/ap/blog/articles/${Buffer.from("/bench/").toString("base64url")}`;
const inbox = new URL(`${base}/ap/inbox`);
function signedPost(body) {
  const date = new Date().toUTCString();
  const digest = `SHA-256=${crypto.createHash("sha256").update(body).digest("base64")}`;
  const headers = { host: inbox.host, date, digest, "content-type": AS };
  const names = ["(request-target)", "host", "date", "digest", "content-type"];
  const signingBase = names.map((h) => h === "(request-target)" ? `(request-target): post ${inbox.pathname}` : `${h}: ${headers[h]}`).join("\n");
  const signature = crypto.sign("RSA-SHA256", Buffer.from(signingBase), replierPrivate).toString("base64");
  return { ...headers, signature: `keyId="${replierId}#main-key",algorithm="rsa-sha256",headers="${names.join(" ")}",signature="${signature}"` };
}
const statuses = {}, latencies = [];
const cpuBefore = cpuSeconds(child.pid), replyStart = performance.now();
const sends = [];
for (let n = 0; n < REPLIES; n++) {
  const due = replyStart + (n * REPLY_SECONDS * 1000) / REPLIES;
  const wait = due - performance.now();
  if (wait > 0) await sleep(wait);
  const body = JSON.stringify({
    "@context": "https://www.w3.org/ns/activitystreams",
    id: `${replierId}/creates/${n}`, type: "Create", actor: replierId,
    object: { id: `${replierId}/notes/${n}`, type: "Note", attributedTo: replierId, inReplyTo: articleId,
      content: `<p>Reply number ${n}</p>`, published: new Date().toISOString(), to: ["https://www.w3.org/ns/activitystreams#Public"] },
  });
  const t0 = performance.now();
  sends.push(fetch(inbox, { method: "POST", headers: signedPost(body), body }).then(async (res) => {
    await res.arrayBuffer();
    statuses[res.status] = (statuses[res.status] || 0) + 1;
    latencies.push(performance.now() - t0);
  }, (e) => { statuses[e.message] = (statuses[e.message] || 0) + 1; }));
}
await Promise.all(sends);
const replySeconds = (performance.now() - replyStart) / 1000;
const replyCpu = cpuSeconds(child.pid) - cpuBefore;
const replies = await (await fetch(`${articleId}/replies`, { headers: { accept: AS } })).json();
console.log(`\n${REPLIES} signed replies over ${replySeconds.toFixed(1)} s (${(REPLIES * 60 / replySeconds).toFixed(0)} a minute):`);
console.log(`  answers ${JSON.stringify(statuses)}; latency p50 ${percentile(latencies, 0.5).toFixed(1)} ms, p99 ${percentile(latencies, 0.99).toFixed(1)} ms`);
console.log(`  server CPU ${(replyCpu * 1000 / REPLIES).toFixed(2)} ms a reply (verified, placed, stored); ${replies.totalItems} comments in the article's replies`);
console.log(`  peak memory ${peakMb(child.pid).toFixed(0)} MB`);

child.kill("SIGTERM");
for (const i of instances) i.server?.close();
blog.close();
process.exit(0);

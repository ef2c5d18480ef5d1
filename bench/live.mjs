#!/usr/bin/env node
// Live updates under load: one server process holding STREAMS (10,000) concurrent event streams
// on 127.0.0.1, then two replicas on one PostgreSQL database holding half each. Every stream
// follows two threads: /live, which all of them share (the delivery test posts there: each post
// reaches every stream), and one of /posted/0…999, ten streams each (wrk's posting script posts
// there, so each post reaches ten streams, as readers spread over a blog's articles would) or,
// in a second pass, one of /quiet/0…999, which nobody posts to (what idle readers cost).
// Prints: memory added per stream; for 20 posts on /live, the delay from each post's 201 to its
// event on each stream (p50, p99) and until the last stream had it; posting (bench/lib/post.lua
// with wrk) with no stream open and with all of them, side by side in the same run.
// Raises its file-descriptor limit as far as the hard limit allows (re-runs itself under
// `ulimit -n`; each of the client and the server needs one a stream). Installs wrk and
// PostgreSQL from Debian if missing. Never part of the test run.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.dirname(HERE);
const STREAMS = Number(process.env.STREAMS || 10_000);
const POSTS = 20;
const DURATION = process.env.DURATION || "8s";
const FDS = 65536;

function sh(command, args, options = {}) {
  const done = spawnSync(command, args, { stdio: "inherit", ...options });
  if (done.status !== 0) throw new Error(`${command} ${args.join(" ")} failed`);
  return done;
}

// Each stream is a socket here and one on the server: raise the limit for both, once.
if (!process.env.PALABRE_BENCH_FDS) {
  const done = spawnSync("bash", ["-c", `ulimit -n $(( $(ulimit -Hn) < ${FDS} ? $(ulimit -Hn) : ${FDS} )) && exec "$0" "$@"`, process.execPath, ...process.argv.slice(1)],
    { stdio: "inherit", env: { ...process.env, PALABRE_BENCH_FDS: "1" } });
  process.exit(done.status ?? 1);
}

const LIMITS = ["--pow-difficulty", "0", "--min-post-delay", "0s", "--rate-limit-burst", "100000000",
  "--rate-limit-per-minute", "100000000", "--live-max-streams", String(STREAMS * 2),
  "--live-max-streams-per-client", String(STREAMS * 2)];

function startServer(database, dir) {
  const child = spawn(path.join(ROOT, "target/release/palabre"), ["serve", "--listen", "127.0.0.1:0",
    "--database", database, ...LIMITS], { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
  return new Promise((resolve, reject) => {
    let log = "";
    child.stderr.on("data", (c) => {
      log += c;
      const m = log.match(/address=(\S+)/);
      if (m) resolve({ child, base: `http://${m[1]}`, port: Number(m[1].split(":")[1]) });
    });
    child.on("exit", (code) => reject(new Error(`palabre exited with ${code}: ${log}`)));
  });
}

const rssMb = (pid) => Number(readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+)/)[1]) / 1024;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function post(base, thread, body) {
  const { challenge } = await (await fetch(`${base}/api/v1/challenge`)).json();
  const res = await fetch(`${base}/api/v1/comments`, { method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ thread, body, author: "Bench", pow: { challenge, counter: 0 } }) });
  if (res.status !== 201) throw new Error(`post: ${res.status}`);
  return (await res.json()).comment.id;
}

/** Opens `count` streams on `port`; `onEvent(id)` is called with each comment id a stream gets. */
async function openStreams(port, count, first, onEvent, spread) {
  const sockets = [];
  let open = 0, failed = 0;
  const done = new Promise((resolve) => {
    const settle = () => { if (open + failed === count) resolve(); };
    for (let i = 0; i < count; i++) {
      const socket = net.connect(port, "127.0.0.1");
      let head = true, tail = "";
      socket.setEncoding("utf8");
      socket.on("connect", () => socket.write(`GET /api/v1/events?thread=/live&thread=/${spread}/${(first + i) % 1000} HTTP/1.1\r\n` +
        "Host: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n"));
      socket.on("data", (chunk) => {
        let text = tail + chunk;
        if (head) {
          const end = text.indexOf("\r\n\r\n");
          if (end < 0) { tail = text; return; }
          head = false;
          if (text.startsWith("HTTP/1.1 200")) open++; else failed++;
          settle();
          text = text.slice(end + 4);
        }
        // Only the comment's own id, right after `"comment":{`: events are one line of JSON.
        const re = /"comment":\{"id":(\d+)/g;
        let m, last = 0;
        while ((m = re.exec(text))) { onEvent(Number(m[1])); last = re.lastIndex; }
        tail = text.slice(Math.max(last, text.length - 64));
      });
      socket.on("error", () => { if (head) { failed++; head = false; settle(); } });
      sockets.push(socket);
    }
  });
  await done;
  return { sockets, open, failed };
}

/** CPU seconds a process has used (user + system). */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Posting with wrk for DURATION, and the CPU the servers and this process (the streams'
 * reader) used meanwhile: all share this machine's cores with wrk. */
async function wrk(servers, lua) {
  const before = servers.map((s) => cpuSeconds(s.child.pid)), client = process.cpuUsage();
  const child = spawn("wrk", ["-t2", "-c32", `-d${DURATION}`, "-s", lua, `${servers[0].base}/`]);
  let out = "";
  child.stdout.on("data", (c) => (out += c));
  // Asynchronous, so that the streams are read while wrk posts.
  await new Promise((r) => child.on("exit", r));
  const [, n, us, refused] = out.match(/posted (\d+) in (\d+) us, refused (\d+)/).map(Number);
  const used = process.cpuUsage(client);
  const seconds = us / 1e6;
  return {
    rate: n / seconds, refused,
    serverCores: servers.reduce((a, s, i) => a + cpuSeconds(s.child.pid) - before[i], 0) / seconds,
    clientCores: (used.user + used.system) / 1e6 / seconds,
  };
}

const percentile = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };

/** The whole measurement on `servers` (the streams split between them, posts through the first). */
async function measure(label, servers, lua, spread) {
  const first = servers[0];
  await post(first.base, "/live", "the thread exists");
  await sleep(1000);
  const none = await wrk(servers, lua);
  // After posting, which has grown the caches: what the streams add is then theirs.
  await sleep(1000);
  const idle = servers.map((s) => rssMb(s.child.pid));

  // Comment id → when each stream got it (performance.now()), while the delivery test runs.
  // An event may come in before the 201 has been read, so any id is recorded.
  const arrivals = new Map();
  let recording = false;
  const onEvent = (id) => {
    if (!recording) return;
    if (!arrivals.has(id)) arrivals.set(id, []);
    arrivals.get(id).push(performance.now());
  };
  const per = Math.ceil(STREAMS / servers.length);
  const t0 = performance.now();
  const opened = [];
  for (const [i, s] of servers.entries()) opened.push(await openStreams(s.port, per, i * per, onEvent, spread));
  const openTook = performance.now() - t0;
  const open = opened.reduce((a, o) => a + o.open, 0);
  const failed = opened.reduce((a, o) => a + o.failed, 0);
  await sleep(2000);
  const added = servers.map((s, i) => rssMb(s.child.pid) - idle[i]);

  const delays = [], lastDelays = [];
  recording = true;
  for (let n = 0; n < POSTS; n++) {
    const { challenge } = await (await fetch(`${first.base}/api/v1/challenge`)).json();
    const res = await fetch(`${first.base}/api/v1/comments`, { method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ thread: "/live", body: `live ${n}`, author: "Bench", pow: { challenge, counter: 0 } }) });
    const created = performance.now();
    const { comment } = await res.json();
    if (!arrivals.has(comment.id)) arrivals.set(comment.id, []);
    const pending = arrivals.get(comment.id);
    const deadline = performance.now() + 10_000;
    while (pending.length < open && performance.now() < deadline) await sleep(5);
    for (const t of pending) delays.push(Math.max(0, t - created));
    lastDelays.push(pending.length < open ? Infinity : Math.max(0, pending[pending.length - 1] - created));
    if (pending.length < open) console.error(`post ${n}: ${pending.length} of ${open} streams got it within 10 s`);
    arrivals.clear();
    await sleep(200);
  }
  recording = false;
  const withStreams = await wrk(servers, lua);
  const stillOpen = opened.reduce((a, o) => a + o.sockets.filter((s) => !s.destroyed).length, 0);
  for (const o of opened) for (const s of o.sockets) s.destroy();

  console.log(`\n${label}: ${open} streams open (${failed} refused) in ${(openTook / 1000).toFixed(1)} s`);
  console.log(`  memory added: ${added.map((a) => a.toFixed(1)).join(" + ")} MB, ${(added.reduce((a, b) => a + b, 0) * 1024 / open).toFixed(1)} KB a stream`);
  console.log(`  a post's event, 201 to each stream: p50 ${percentile(delays, 0.5).toFixed(0)} ms, p99 ${percentile(delays, 0.99).toFixed(0)} ms (${delays.length} deliveries)`);
  console.log(`  until the last stream had it: median ${percentile(lastDelays, 0.5).toFixed(0)} ms, worst ${Math.max(...lastDelays).toFixed(0)} ms (${POSTS} posts)`);
  console.log(`  posting: ${none.rate.toFixed(0)}/s with no stream, ${withStreams.rate.toFixed(0)}/s with ${open} (${(withStreams.rate / none.rate).toFixed(2)} ×); refused ${none.refused + withStreams.refused}; ${stillOpen} streams still open after`);
  const cores = (r) => `server ${r.serverCores.toFixed(2)} cores (${(r.serverCores * 1000 / r.rate).toFixed(2)} ms a post), streams' reader ${r.clientCores.toFixed(2)}`;
  console.log(`  CPU while posting: with no stream ${cores(none)}; with ${open}: ${cores(withStreams)}`);
}

function ensureTools() {
  const missing = ["wrk"].filter((t) => spawnSync("bash", ["-c", `command -v ${t}`]).status !== 0);
  if (missing.length) sh("apt-get", ["install", "-y", "-qq", ...missing]);
}

ensureTools();
sh("cargo", ["build", "--release", "--locked", "-q", "-p", "palabre-server"], { cwd: ROOT });
const work = mkdtempSync(path.join(tmpdir(), "palabre-live-"));
const lua = path.join(work, "post.lua");
writeFileSync(lua, readFileSync(path.join(HERE, "lib", "post.lua"), "utf8").replaceAll("BODY", JSON.stringify(JSON.stringify("A comment, posted while readers follow the thread live."))));

// A fresh server for each pass: memory a process freed stays with it, and would hide what
// the second pass's streams take.
for (const [spread, what] of [["posted", "the threads posted to (10 a thread)"], ["quiet", "other threads"]]) {
  const sqlite = await startServer(`sqlite://${work}/live-${spread}.db`, work);
  try {
    await measure(`SQLite, one process; the streams follow ${what}`, [sqlite], lua, spread);
  } finally {
    sqlite.child.kill("SIGTERM");
  }
}

if (process.argv.includes("--postgres")) {
  const out = spawnSync("bash", ["-c", 'source scripts/lib/postgres.sh && ensure_postgres >&2 && pg_test_start max_connections=100 >&2 && echo "$PALABRE_TEST_POSTGRES $PG_TEST_DIR $PG_TEST_BIN"'],
    { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).stdout.trim().split(" ");
  const [cluster, dataDir, bin] = out;
  const stop = () => spawnSync("bash", ["-c", "source scripts/lib/postgres.sh && pg_test_stop"], { cwd: ROOT, env: { ...process.env, PG_TEST_DIR: dataDir, PG_TEST_BIN: bin }, stdio: "inherit" });
  const replicas = [];
  try {
    sh("psql", [cluster, "-q", "-c", "CREATE DATABASE live"]);
    const database = cluster.replace(/\/postgres$/, "/live");
    replicas.push(await startServer(database, work));
    replicas.push(await startServer(database, work));
    await measure("PostgreSQL, two replicas (half the streams each, posts through the first); the streams follow the threads posted to", replicas, lua, "posted");
  } finally {
    for (const r of replicas) r.child.kill("SIGTERM");
    await sleep(500);
    stop();
  }
}
process.exit(0);

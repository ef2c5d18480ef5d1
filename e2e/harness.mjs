// What every end-to-end test needs: the real `palabre` binary on one origin (with the widget
// bundle under /embed/), a blog page on another origin, and Debian's Chromium driven by
// playwright-core. Everything listens on 127.0.0.1 and is stopped by the test that started it.
import { spawn, spawnSync } from "node:child_process";
import { createServer } from "node:http";
import { mkdtempSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const ARTIFACTS = path.join(ROOT, "target", "e2e-artifacts");
const BINARY = process.env.PALABRE_BIN || path.join(ROOT, "target", "debug", "palabre");
const BUNDLE = path.join(ROOT, "target", "bundle");

/** Starts `palabre serve`; resolves once it listens. `blogOrigin`: the one blog's origin. `port` 0 picks a free one. `database`
 * defaults to a SQLite file in `dataDir`. */
export async function startServer({ port = 0, blogOrigin, dataDir = mkdtempSync(path.join(tmpdir(), "palabre-e2e-")), database = `sqlite://${dataDir}/palabre.db`, args = [] }) {
  const child = spawn(BINARY, [
    "serve", "--listen", `127.0.0.1:${port}`,
    "--database", database,
    "--widget-dir", BUNDLE,
    // Without a blog origin, the sites come from `args` (a --config file's [[site]] tables).
    ...(blogOrigin ? ["--origin", blogOrigin] : []),
    // The default 16-bit proof of work, but a shorter wait than the default 3 s between the
    // form opening and the post, to keep the suite quick.
    "--min-post-delay", "1s",
    ...args,
  ], { env: { ...process.env, RUST_LOG: "palabre=info" }, stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  const address = await new Promise((resolve, reject) => {
    child.stderr.on("data", (chunk) => {
      log += chunk;
      const m = log.match(/address=(\S+)/);
      if (m) resolve(m[1]);
    });
    child.on("exit", (code) => reject(new Error(`palabre exited with ${code}: ${log}`)));
  });
  return {
    url: `http://${address}`,
    port: Number(address.split(":")[1]),
    dataDir,
    /** What the server logged so far. */
    log: () => log,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/** A blog on its own origin; `pages` maps a path to an HTML string or a function of the request. */
export async function startBlog(pages) {
  const server = createServer((req, res) => {
    const page = pages[new URL(req.url, "http://x").pathname];
    if (page === undefined) {
      res.writeHead(404).end("not found");
      return;
    }
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(typeof page === "function" ? page(req) : page);
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address();
  return { origin: `http://127.0.0.1:${port}`, stop: () => new Promise((r) => server.close(r)) };
}

/** An article page embedding the widget with one script tag. */
export function article(serverUrl, { thread = "/post", title = "A post", lang = "en", attrs = "", head = "" } = {}) {
  return `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><title>${title}</title>${head}</head>
<body><article><h1>${title}</h1><p>Some text worth discussing.</p></article>
<script async src="${serverUrl}/embed/palabre.js" data-thread="${thread}" data-lazy="false" ${attrs}></script>
</body></html>`;
}

export async function launch() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  mkdirSync(ARTIFACTS, { recursive: true });
  return browser;
}

/** The widget's own drawing once it shows, located through Playwright's shadow-piercing CSS:
 * not the server's first paint, which the loader shows before and which holds the same
 * comments (see first-paint.test.mjs for that one). */
export const widget = (page) => page.locator(".palabre-root:not([data-first-paint]):not([hidden])");

/** Posts a comment through the API as the widget would: challenge, proof of work, wait.
 * `status`: what the server must answer (202 where comments are held). */
export async function seedComment(serverUrl, comment, status = 201, headers = {}) {
  const { createHash } = await import("node:crypto");
  const c = await (await fetch(`${serverUrl}/api/v1/challenge`)).json();
  let counter = 0;
  const zeroBits = (buf) => {
    let bits = 0;
    for (const byte of buf) {
      if (byte === 0) { bits += 8; continue; }
      return bits + Math.clz32(byte) - 24;
    }
    return bits;
  };
  while (zeroBits(createHash("sha256").update(`${c.challenge}:${counter}`).digest()) < c.difficulty) counter++;
  await new Promise((r) => setTimeout(r, c.wait_ms + 50));
  const res = await fetch(`${serverUrl}/api/v1/comments`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ ...comment, pow: { challenge: c.challenge, counter } }),
  });
  if (res.status !== status) throw new Error(`seeding failed: ${res.status} ${await res.text()}`);
  return res.json();
}

/** `palabre admin set-password` on a server's database (a data directory's SQLite file, or a
 * database URL), the password on standard input. */
export async function setAdminPassword(dataDirOrUrl, password) {
  const database = dataDirOrUrl.includes("://") ? dataDirOrUrl : `sqlite://${dataDirOrUrl}/palabre.db`;
  const child = spawn(BINARY, ["admin", "set-password", "--database", database],
    { stdio: ["pipe", "ignore", "pipe"] });
  child.stdin.end(`${password}\n`);
  const code = await new Promise((r) => child.on("exit", r));
  if (code !== 0) throw new Error(`set-password exited with ${code}`);
}

/** `palabre admin set-display-name` on a server's database: the name the admin's comments
 * carry with the "Author" mark. */
export async function setAdminDisplayName(dataDir, name) {
  const child = spawn(BINARY, ["admin", "set-display-name", "--database", `sqlite://${dataDir}/palabre.db`, name],
    { stdio: ["ignore", "ignore", "pipe"] });
  const code = await new Promise((r) => child.on("exit", r));
  if (code !== 0) throw new Error(`set-display-name exited with ${code}`);
}

/** A new, empty database on the test cluster that scripts/test starts (PALABRE_TEST_POSTGRES);
 * `null` without one outside CI, and an error under CI, where nothing may skip silently. */
export function freshPostgres(name) {
  const cluster = process.env.PALABRE_TEST_POSTGRES;
  if (!cluster) {
    if (process.env.CI) throw new Error("PALABRE_TEST_POSTGRES is not set: run through scripts/test");
    return null;
  }
  const database = `${name}_${process.pid}`;
  const done = spawnSync("psql", [cluster, "-q", "-c", `CREATE DATABASE ${database}`], { encoding: "utf8" });
  if (done.status !== 0) throw new Error(`creating ${database}: ${done.stderr}`);
  return cluster.replace(/\/postgres$/, `/${database}`);
}

/** An SMTP server on 127.0.0.1 that keeps what it is sent (a real SMTP exchange with the
 * server's mailer). `codeFor(address)` waits for the latest sign-in code mailed there (the
 * code is in the subject). */
export async function smtpSink() {
  const { createServer: createTcp } = await import("node:net");
  const mails = [];
  const server = createTcp((socket) => {
    let buffer = "", data = null, to = [];
    const say = (line) => socket.write(`${line}\r\n`);
    say("220 sink ESMTP");
    socket.on("data", (chunk) => {
      buffer += chunk.toString("utf8");
      for (;;) {
        if (data !== null) {
          const end = buffer.indexOf("\r\n.\r\n");
          if (end < 0) return;
          data += buffer.slice(0, end);
          buffer = buffer.slice(end + 5);
          mails.push({ to, text: data.replace(/=\r?\n/g, "") });
          data = null;
          to = [];
          say("250 kept");
          continue;
        }
        const eol = buffer.indexOf("\r\n");
        if (eol < 0) return;
        const line = buffer.slice(0, eol);
        buffer = buffer.slice(eol + 2);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === "EHLO" || verb === "HELO") say("250 sink");
        else if (verb === "RCPT") { to.push(line.replace(/^.*<(.*)>.*$/, "$1").toLowerCase()); say("250 ok"); }
        else if (verb === "DATA") { data = ""; say("354 go on"); }
        else if (verb === "QUIT") { say("221 bye"); socket.end(); }
        else say("250 ok");
      }
    });
    socket.on("error", () => {});
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address();
  return {
    port,
    mails,
    args: ["--smtp-host", "127.0.0.1", "--smtp-port", String(port), "--smtp-tls", "none",
      "--smtp-from", "Palabre <comments@blog.example>"],
    async codeFor(address, after = 0) {
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline) {
        const mail = mails.slice(after).reverse().find((m) => m.to.includes(address.toLowerCase()));
        const subject = mail?.text.split("\r\n").find((l) => l.startsWith("Subject:"));
        const code = subject?.replace(/\D/g, "");
        if (code?.length === 6) return code;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`no code mailed to ${address}`);
    },
    stop: () => new Promise((r) => server.close(r)),
  };
}

/** An HS256 token as a site's backend would put in `data-sso-token`. */
export async function ssoToken(key, claims) {
  const { createHmac } = await import("node:crypto");
  const part = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const body = `${part({ alg: "HS256", typ: "JWT" })}.${part(claims)}`;
  return `${body}.${createHmac("sha256", key).update(body).digest("base64url")}`;
}

/** A free port on 127.0.0.1 (for a server whose public URL must be known before it starts). */
export async function freePort() {
  const { createServer: createTcpServer } = await import("node:net");
  return new Promise((resolve) => {
    const probe = createTcpServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** The Fedify test peer (e2e/fedify/peer.mjs, Node 22 from its own node_modules): an
 * independent ActivityPub server on 127.0.0.1 with one actor, alice, driven by its `/_test/`
 * control API. `firstKnock`: the signature spec its requests try first. */
export async function fedifyPeer({ firstKnock = "rfc9421", name = "alice" } = {}) {
  const dir = path.join(ROOT, "e2e", "fedify");
  const child = spawn(path.join(dir, "node_modules", ".bin", "node"), ["peer.mjs"], {
    cwd: dir,
    env: { ...process.env, PEER_PORT: "0", PEER_FIRST_KNOCK: firstKnock, PEER_NAME: name },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  child.stderr.on("data", (c) => { log += c; });
  const url = await new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (chunk) => {
      out += chunk;
      const m = out.match(/peer listening on (\S+)/);
      if (m) resolve(m[1]);
    });
    child.on("exit", (code) => reject(new Error(`the Fedify peer exited with ${code}: ${log}`)));
  });
  const call = async (method, route, body) => {
    const res = await fetch(`${url}/_test/${route}`, {
      method,
      headers: body ? { "content-type": "application/json" } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`peer ${method} /_test/${route}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
  return {
    url,
    actor: `${url}/users/${name}`,
    log: () => log,
    call,
    get: (route) => call("GET", route),
    post: (route, body) => call("POST", route, body),
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/** Polls `check` (async, returns a value or a falsy one) until it gives something, or fails after `ms`. */
export async function eventually(check, ms = 15000, what = "the condition") {
  const until = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** Runs the `palabre` binary with `args`; its standard output. */
export function palabre(args) {
  const run = spawnSync(BINARY, args, { encoding: "utf8" });
  if (run.status !== 0) throw new Error(`palabre ${args.join(" ")}: ${run.stderr}`);
  return run.stdout;
}

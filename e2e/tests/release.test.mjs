// The release archive as a blog owner gets it: unpacked into an empty folder, checked against
// its checksums, its binary static and its systemd unit valid and locked down, then started
// with its example configuration; a reader posts and reads a comment on a blog page through
// the widget files it carries. scripts/test builds the archive first (scripts/release) and
// names it in PALABRE_RELEASE_ARCHIVE.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, readdirSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { startBlog, article, launch, widget } from "../harness.mjs";

const archive = process.env.PALABRE_RELEASE_ARCHIVE;
if (!archive && process.env.CI) throw new Error("PALABRE_RELEASE_ARCHIVE is not set: run through scripts/test");
const skip = archive ? false : "PALABRE_RELEASE_ARCHIVE is not set (scripts/test builds the archive)";

let dir, blog, browser, server, serverUrl;
const pages = {};

function run(command, args, options = {}) {
  const done = spawnSync(command, args, { encoding: "utf8", ...options });
  assert.equal(done.status, 0, `${command} ${args.join(" ")}: ${done.stdout}${done.stderr}`);
  return done.stdout;
}

before(async () => {
  if (skip) return;
  const unpacked = mkdtempSync(path.join(tmpdir(), "palabre-release-"));
  run("tar", ["-xzf", archive, "-C", unpacked]);
  const [folder] = readdirSync(unpacked);
  dir = path.join(unpacked, folder);
  blog = await startBlog(pages);
  // Where the service would run (its StateDirectory): empty, as on a new machine.
  const state = mkdtempSync(path.join(tmpdir(), "palabre-state-"));
  // The example configuration as shipped; only what differs on this machine is given as flags,
  // which beat the file: the port, the blog's origin, where the widget was unpacked.
  server = spawn(path.join(dir, "palabre"), ["serve", "--config", path.join(dir, "palabre.toml"),
    "--listen", "127.0.0.1:0", "--origin", blog.origin, "--widget-dir", path.join(dir, "widget"),
    "--min-post-delay", "1s"], { cwd: state, env: { ...process.env, RUST_LOG: "palabre=info" }, stdio: ["ignore", "ignore", "pipe"] });
  serverUrl = await new Promise((resolve, reject) => {
    let log = "";
    server.stderr.on("data", (chunk) => {
      log += chunk;
      const m = log.match(/address=(\S+)/);
      if (m) resolve(`http://${m[1]}`);
    });
    server.on("exit", (code) => reject(new Error(`palabre exited with ${code}: ${log}`)));
  });
  pages["/post"] = article(serverUrl, { thread: "/release" });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  if (server && server.exitCode === null) {
    const exited = new Promise((r) => server.once("exit", r));
    server.kill("SIGTERM");
    await exited;
  }
  await blog?.stop();
});

test("every file matches its checksum, and the archive's own checksum matches it", { skip }, () => {
  run("sha256sum", ["-c", "--quiet", "SHA256SUMS"], { cwd: dir });
  const listed = readFileSync(path.join(dir, "SHA256SUMS"), "utf8").split("\n").filter(Boolean).map((l) => l.split(/\s+/)[1]);
  for (const file of ["palabre", "palabre.toml", "palabre.service", "INSTALL", "widget/palabre.js", "widget/palabre-widget_bg.wasm"]) {
    assert.ok(listed.includes(file), `${file} in SHA256SUMS`);
  }
  run("sha256sum", ["-c", "--quiet", `${path.basename(archive)}.sha256`], { cwd: path.dirname(archive) });
});

test("the binary is statically linked and runs anywhere", { skip }, () => {
  assert.match(run("file", [path.join(dir, "palabre")]), /static(ally|-pie) linked/);
  const ldd = spawnSync("ldd", [path.join(dir, "palabre")], { encoding: "utf8" });
  assert.match(ldd.stdout + ldd.stderr, /not a dynamic executable|statically linked/);
});

test("the systemd unit is valid and locked down", { skip }, () => {
  // Checked where it points, as installed: the unit names /opt/palabre.
  const unit = readFileSync(path.join(dir, "palabre.service"), "utf8");
  for (const line of ["DynamicUser=yes", "StateDirectory=palabre", "ProtectSystem=strict", "NoNewPrivileges=yes", "ProtectHome=yes", "PrivateTmp=yes"]) {
    assert.ok(unit.includes(line), line);
  }
  const check = mkdtempSync(path.join(tmpdir(), "palabre-unit-"));
  mkdirSync(path.join(check, "system"));
  const file = path.join(check, "system", "palabre.service");
  writeFileSync(file, unit.replaceAll("/opt/palabre/palabre", path.join(dir, "palabre")));
  run("systemd-analyze", ["verify", file]);
  const security = spawnSync("systemd-analyze", ["security", "--offline=true", file], { encoding: "utf8" });
  const exposure = Number((security.stdout.match(/Overall exposure level for \S+: ([\d.]+)/) ?? [])[1]);
  assert.ok(exposure <= 2, `exposure ${exposure} (0 is best, 10 worst): ${security.stdout.slice(-400)}`);
});

test("started with the example configuration, it serves the bundled widget and a reader posts and reads", { skip }, async () => {
  // The widget's wasm as served is the archive's, byte for byte.
  const loader = await (await fetch(`${serverUrl}/embed/palabre.js`)).text();
  const wasmName = loader.match(/'(palabre-widget_bg\.[0-9a-f]+\.wasm)'/)[1];
  const served = Buffer.from(await (await fetch(`${serverUrl}/embed/${wasmName}`)).arrayBuffer());
  const sha = (bytes) => createHash("sha256").update(bytes).digest("hex");
  assert.equal(sha(served), sha(readFileSync(path.join(dir, "widget", "palabre-widget_bg.wasm"))));

  const page = await browser.newPage();
  await page.goto(`${blog.origin}/post`);
  const w = widget(page);
  const form = w.locator("form.reply-form:not(.inline)");
  await form.locator("textarea[name=body]").fill("Installed from the release archive.");
  await form.locator("button[type=submit]").click();
  // The example configuration holds a commenter's first comment ("first"): its author sees it.
  await w.locator("li.comment", { hasText: "Installed from the release archive." }).waitFor({ timeout: 30_000 });
  await page.reload();
  await widget(page).locator("li.comment", { hasText: "Installed from the release archive." }).waitFor();
  await page.close();
});

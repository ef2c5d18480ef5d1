// How long a reader waits for the proof of work at each difficulty, on a mid-range device:
// the widget's own wasm solver in Debian's Chromium with the CPU throttled ×4 (CDP
// Emulation.setCPUThrottlingRate), timed from the click on "Post" to the post leaving the
// page (the form open longer than the minimum delay). One server per difficulty, a fresh page per trial.
// Usage: node bench/pow.mjs [--from 16] [--to 24] [--trials 5] [--throttle 4]
import { startServer, startBlog, article, launch, widget } from "../e2e/harness.mjs";

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const [from, to, trials, throttle] = [arg("from", 16), arg("to", 24), arg("trials", 5), arg("throttle", 4)];
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const pages = {};
const blog = await startBlog(pages);
const browser = await launch();
console.log(`difficulty  hashes (expected)  median wait  slowest of ${trials}   (Chromium, CPU ×${throttle})`);
try {
  for (let bits = from; bits <= to; bits++) {
    const server = await startServer({ blogOrigin: blog.origin, args: ["--pow-difficulty", String(bits)] });
    pages["/post"] = article(server.url, { thread: `/pow-${bits}` });
    const waits = [];
    for (let t = 0; t < trials; t++) {
      const page = await browser.newPage();
      const cdp = await page.context().newCDPSession(page);
      await page.goto(`${blog.origin}/post`);
      const w = widget(page);
      await w.locator("textarea[name=body]").fill(`trial ${t} at ${bits} bits`);
      // The challenge arrives with the form; its minimum delay (1 s here) runs out before the
      // click, so that only the solving is timed. Throttled from here, as a phone would be.
      await page.waitForTimeout(1500);
      await cdp.send("Emulation.setCPUThrottlingRate", { rate: throttle });
      const sent = page.waitForRequest((r) => r.method() === "POST" && r.url().endsWith("/api/v1/comments"), { timeout: 600_000 });
      const start = Date.now();
      await w.locator("form.reply-form button[type=submit]").click();
      await sent;
      waits.push((Date.now() - start) / 1000);
      await page.close();
    }
    await server.stop();
    console.log(`${String(bits).padStart(10)}  ${(2 ** bits).toLocaleString("en").padStart(17)}  ${median(waits).toFixed(2).padStart(9)} s  ${Math.max(...waits).toFixed(2).padStart(10)} s`);
  }
} finally {
  await browser.close();
  await blog.stop();
}

// An in-memory stand-in for the comment server, installed over window.fetch, so the browser
// tests are deterministic and can make the server fail on demand. It follows API v1's shapes.
export function install_mock() {
  if (window.__palabreMock) return;
  const m = { threads: {}, locked: {}, nextId: 1, fail: null, requests: [], held: {}, spent: new Set(),
    challenges: 0, moderation: "none", words: {} };
  window.__palabreMock = m;
  const json = (status, body) =>
    new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
  const err = (status, code, field) => json(status, { code, message: code, ...(field ? { field } : {}) });
  const esc = (s) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  const now = () => new Date().toISOString();
  const all = () => Object.values(m.threads).flat();
  window.fetch = async (input, init) => {
    const req = input instanceof Request ? input : new Request(input, init);
    const url = new URL(req.url);
    const path = url.pathname;
    const body = req.method === "GET" || req.method === "DELETE" ? null : JSON.parse(await req.text());
    const thread = url.searchParams.get("thread") || (body && body.thread) || "";
    m.requests.push(`${req.method} ${url.host}${path} ${thread}`);
    if (m.fail === "offline") throw new TypeError("Failed to fetch");
    if (m.fail === "500") return err(500, "internal");
    if (req.method === "GET" && path === "/api/v1/config") {
      return json(200, { require_author: false, require_email: false, edit_window_secs: 900,
        max_body_length: 1000, max_depth: 5, moderation: "none", max_page_size: 200, feeds: true,
        ...(m.site ? { site: m.site } : {}) });
    }
    if (req.method === "GET" && path.startsWith("/api/v1/words/")) {
      const words = m.words[path.slice("/api/v1/words/".length)];
      return words ? json(200, JSON.parse(words)) : err(400, "invalid_parameter", "lang");
    }
    if (req.method === "GET" && path === "/api/v1/comments") {
      const key = url.searchParams.get("thread");
      const list = m.threads[key] || [];
      // Pages of `limit` top-level comments with their replies (the list is in display
      // order); the cursor is the index of the next top-level comment.
      const limit = Number(url.searchParams.get("limit") || 50);
      const start = Number((url.searchParams.get("cursor") || "i0").slice(1));
      let root = -1;
      const page = list.filter((c) => {
        if (c.parent == null) root += 1;
        return root >= start && root < start + limit;
      });
      return json(200, { thread: { key, title: null, count: list.length, locked: !!m.locked[key] },
        comments: page, next_cursor: start + limit <= root ? `i${start + limit}` : null });
    }
    if (req.method === "GET" && path === "/api/v1/challenge") {
      m.challenges += 1;
      return json(200, { challenge: `mock.${m.challenges}`, difficulty: MOCK_DIFFICULTY, wait_ms: 0,
        expires_in_ms: 7200000 });
    }
    if (req.method === "POST" && path === "/api/v1/comments") {
      m.lastPost = body;
      if (!body.body.trim()) return err(422, "body_empty", "body");
      if (body.body.includes("SERVER_SAYS_EMAIL")) return err(422, "email_invalid", "email");
      // The proof of work is checked as the server does: solved, and used once.
      if (!body.pow) return err(403, "challenge_required");
      if (m.spent.has(body.pow.challenge) || !(await solves(body.pow))) return err(403, "challenge_invalid");
      m.spent.add(body.pow.challenge);
      const held = m.moderation === "all";
      const c = { id: m.nextId++, parent: body.parent ?? null, author: body.author ?? null,
        website: null, avatar: "0123456789abcdef", html: `<p>${esc(body.body)}</p>\n`,
        created: now(), edited: null, likes: 0, dislikes: 0, status: held ? "pending" : "published" };
      if (held) m.held[c.id] = c;
      else (m.threads[body.thread] = m.threads[body.thread] || []).push(c);
      return json(held ? 202 : 201, { comment: c, edit_token: `token-${c.id}` });
    }
    const heldOne = req.method === "GET" && path.match(/^\/api\/v1\/comments\/(\d+)$/);
    if (heldOne && m.held[heldOne[1]]) {
      if (req.headers.get("authorization") !== `Bearer token-${heldOne[1]}`) return err(404, "comment_not_found");
      return json(200, m.held[heldOne[1]]);
    }
    const one = path.match(/^\/api\/v1\/comments\/(\d+)(\/vote)?$/);
    if (one) {
      const id = Number(one[1]);
      const c = all().find((x) => x.id === id);
      if (!c) return err(404, "comment_not_found");
      if (one[2]) {
        c.likes += body.value === 1 ? 1 : 0;
        return json(200, { likes: c.likes, dislikes: c.dislikes, value: body.value });
      }
      if (req.headers.get("authorization") !== `Bearer token-${id}`) return err(403, "token_invalid");
      if (req.method === "PATCH") {
        c.html = `<p>${esc(body.body)}</p>\n`;
        c.edited = now();
        return json(200, c);
      }
      if (req.method === "DELETE") {
        // As the server does: a comment with replies leaves a placeholder; one without goes,
        // and so do placeholders above it left without replies.
        const list = Object.values(m.threads).find((l) => l.includes(c));
        if (list.some((x) => x.parent === id)) {
          Object.assign(c, { status: "deleted", author: null, website: null, html: "", edited: null,
            likes: 0, dislikes: 0 });
          return json(200, { placeholder: c });
        }
        for (let gone = c; gone; ) {
          list.splice(list.indexOf(gone), 1);
          const up = list.find((x) => x.id === gone.parent);
          gone = up && up.status === "deleted" && !list.some((x) => x.parent === up.id) ? up : null;
        }
        return json(200, { placeholder: null });
      }
    }
    if (req.method === "POST" && path === "/api/v1/preview") {
      return json(200, { html: `<p>${esc(body.body)}</p>\n` });
    }
    return err(404, "not_found");
  };
}

// Leading zero bits the mock's challenges ask for: enough that a random counter fails.
const MOCK_DIFFICULTY = 8;

async function solves({ challenge, counter }) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`${challenge}:${counter}`)));
  return digest[0] === 0; // 8 leading zero bits
}

// The JSON of the last comment posted, with its proof of work removed.
// One language's words as the server sends them (`/api/v1/words/{lang}`).
export function set_words(lang, list_json) {
  window.__palabreMock.words[lang] = list_json;
}

export function last_post() {
  const { pow, ...rest } = window.__palabreMock.lastPost || {};
  return JSON.stringify(rest);
}

/** The site the server names in its config (a server of several blogs); "" for none. */
export function set_site(name) {
  window.__palabreMock.site = name;
}

export function set_moderation(mode) {
  window.__palabreMock.moderation = mode;
}

export function seed(thread, comments) {
  window.__palabreMock.threads[thread] = JSON.parse(comments);
}

// A whole page as the server sends it (comments and whether the thread is locked), on `thread`.
export function seed_page(thread, page) {
  const p = JSON.parse(page);
  window.__palabreMock.threads[thread] = p.comments;
  window.__palabreMock.locked[thread] = p.thread.locked;
}

export function set_failure(mode) {
  window.__palabreMock.fail = mode || null;
}

// Requests whose method, host, path or thread contains `part`.
export function request_count(part) {
  return window.__palabreMock.requests.filter((r) => r.includes(part)).length;
}

export function requested_hosts() {
  return [...new Set(window.__palabreMock.requests.map((r) => r.split(" ")[1].split("/")[0]))].join(",");
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// What the loader does before the wasm runs (loader/palabre.js): asks for the thread's first
// page ahead, under the URL the widget would ask for, built the same way. Here the answer is
// `comments_json` rather than the mock's own, so a test can tell which one the widget showed.
export function prefetch(endpoint, thread, limit, comments_json) {
  const u = new URL(endpoint + "/api/v1/comments");
  u.search = new URLSearchParams({ thread, sort: "oldest", limit }).toString();
  const body = { thread: { key: thread, title: null, count: 1, locked: false },
    comments: JSON.parse(comments_json), next_cursor: null };
  const P = window.__palabre || (window.__palabre = {});
  (P.t || (P.t = {}))[u.href] = Promise.resolve(new Response(JSON.stringify(body),
    { status: 200, headers: { "content-type": "application/json" } }));
  return u.href;
}

export function is_prefetch_waiting(url) {
  return !!(window.__palabre && window.__palabre.t && url in window.__palabre.t);
}

// How many elements match `selector` in `root` when it first has any: a MutationObserver's
// callback runs right after the change that added them, before the next frame.
export function watch_first_draw(root, selector) {
  root.__firstDraw = 0;
  const observer = new MutationObserver(() => {
    const n = root.querySelectorAll(selector).length;
    if (n > 0) {
      root.__firstDraw = n;
      observer.disconnect();
    }
  });
  observer.observe(root, { childList: true, subtree: true });
}

export function first_draw(root) {
  return root.__firstDraw || 0;
}

// Records, when `root` first holds no server first paint any more, how many comments the
// widget's own drawing holds and whether it is shown (MutationObserver: in the same task as
// the swap, before the browser paints).
export function watch_handoff(root) {
  root.__handoff = null;
  const observer = new MutationObserver(() => {
    if (root.querySelector("[data-first-paint]")) return;
    const own = root.querySelector(".palabre-root");
    root.__handoff = `${own.querySelectorAll("li.comment").length} ${own.hidden ? "hidden" : "shown"}`;
    observer.disconnect();
  });
  observer.observe(root, { childList: true });
}

export function handoff(root) {
  return root.__handoff || "";
}

export function keep_clicks_like_the_loader(root) {
  const paint = root.firstChild;
  paint.clicks = [];
  paint.onclick = (e) => paint.clicks.push(e.target);
}

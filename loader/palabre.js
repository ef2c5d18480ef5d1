// Palabre loader: the only script a blog page loads up front. Classic (not a module) so that
// document.currentScript names the tag; it places the widget's host element, then, only when
// that spot nears the viewport (data-lazy="false": at once), shows the server's first paint of
// the thread and loads the WebAssembly. Built with terser (scripts/build-widget). Callbacks
// return what they call: as arrows that is shorter, and nothing reads the result.
(function () {
  var s = document.currentScript, w = window, d = document;
  if (!s) return;
  var a = s.dataset, base = s.src.replace(/[^/?#]*([?#].*)?$/, ''), P = w.__palabre || (w.__palabre = { t: {} });
  // The wasm's bytes, asked for early (see go()); taken once.
  function bytes() { return P.w || (P.w = fetch(base + 'palabre-widget_bg.wasm')); }
  function load() {
    // One instance of the wasm per page, however many tags. The wasm is asked for with the
    // glue, not after it has run.
    if (P.m) return P.m;
    var wasm = bytes();
    return (P.m = import(base + 'palabre-widget.js').then(function (m) {
      return m.default({ module_or_path: wasm }).then(function () { return m; });
    }));
  }
  // Count badges: a few lines of their own (palabre-count.js), never the widget's code.
  if (!P.c && d.querySelector('[data-palabre-count]')) {
    P.c = 1;
    import(base + 'palabre-count.js').then(function (m) { return m.default(s); });
  }
  if (a.widget === 'false') return; // an index page: count badges only
  var host = d.createElement('div'), t = a.target && d.querySelector(a.target);
  host.className = 'palabre';
  t ? t.appendChild(host) : s.parentNode.insertBefore(host, s.nextSibling);
  // The thread's first page, asked for now so it arrives while the wasm downloads and compiles;
  // and the same page drawn by the server (the first paint), shown until the widget has drawn
  // it. Only the common case is reproduced here: the widget takes either only if it would ask
  // for the same (client.rs, mount.rs), and otherwise asks itself. Resolves once the first
  // paint is on screen, or at once without one.
  function prefetch() {
    try {
      var l = d.querySelector('link[rel=canonical]'), v = function (k) { return (a[k] || '').trim(); },
        e = (v('endpoint').replace(/\/+$/, '') || new URL(s.src).origin) + '/api/v1/',
        u = new URL(e + 'comments'), p = new URL(l && l.href || location.href), k = v('thread'), q, f, text;
      // A page told apart by its query: its key follows rules (api/src/page_key.rs) that only the
      // widget carries, so it asks itself.
      if (!k && p.search) return;
      q = new URLSearchParams({ thread: k || p.pathname, sort: v('sort') || 'oldest', limit: v('pageSize') || 20 });
      u.search = q;
      f = fetch(u.href);
      f.catch(function () {});
      P.t[u.href] = f;
      // A blog's own stylesheet (data-css) would restyle it at the swap: no first paint then.
      if (!('adoptedStyleSheets' in d) || a.css) return;
      q.append('lang', v('lang') || d.documentElement.lang || navigator.language || '');
      q.append('avatars', v('avatars'));
      q.append('votes', v('votes'));
      q.append('depth', v('maxDepth'));
      text = function (u) { return fetch(u).then(function (r) { if (!r.ok) throw 0; return r.text(); }); };
      // Waited for 3 s at most: a server slow to draw it must not keep the widget away.
      return Promise.race([Promise.all([text(e + 'first-paint?' + q), text(base + 'palabre.css')]).then(function (t) {
        // Too late (the widget is there), or not a first paint (say, a proxy's page).
        if (host.shadowRoot || t[0].indexOf('<div class="palabre-root" data-first-paint=')) return;
        var c = new CSSStyleSheet(), r = host.attachShadow({ mode: 'open' });
        c.replaceSync(t[1]);
        r.adoptedStyleSheets = [c];
        r.innerHTML = t[0];
        // Its buttons have no code yet: the widget clicks them again once it shows (handoff.rs).
        var p = r.firstChild;
        p.clicks = [];
        p.onclick = function (e) { return p.clicks.push(e.target); };
        host.dataset.theme = v('theme') || 'auto';
        return new Promise(function (ok) { return requestAnimationFrame(function () { return setTimeout(ok); }); });
      }), new Promise(function (ok) { return setTimeout(ok, 3e3); })]).catch(function () {});
    } catch (x) {}
  }
  // The widget's code starts once the first paint is on screen: compiling and starting it
  // would hold that frame back. Its bytes download meanwhile.
  function go() {
    P.m || bytes();
    // A failure shows the first paint's line saying so (in the reader's language); without a
    // first paint, the console's line names the cause (a 404, the network, a CSP without
    // 'wasm-unsafe-eval').
    Promise.resolve(prefetch()).then(load).then(function (m) { return m.mount(s, host); })
      .catch(function (e) { host.dataset.failed = 1; console.error('Palabre:', e); });
  }
  if (a.lazy === 'false' || !w.IntersectionObserver) return go();
  var o = new IntersectionObserver(function (es) {
    if (es.some(function (e) { return e.isIntersecting; })) { o.disconnect(); go(); }
  }, { rootMargin: '800px 0px' });
  o.observe(host);
})();

// Palabre loader: the only script a blog page loads up front. Classic (not a module) so that
// document.currentScript names the tag; it places the widget's host element, then loads the
// WebAssembly only when that spot nears the viewport (data-lazy="false": at once).
(function () {
  var s = document.currentScript, w = window, d = document;
  if (!s) return;
  var a = s.dataset, base = s.src.replace(/[^/?#]*([?#].*)?$/, ''), P = w.__palabre || (w.__palabre = {});
  function load() {
    // One instance of the wasm per page, however many tags. The wasm is asked for with the
    // glue, not after it has run.
    if (P.m) return P.m;
    var wasm = fetch(base + 'palabre-widget_bg.wasm');
    return (P.m = import(base + 'palabre-widget.js').then(function (m) {
      return m.default({ module_or_path: wasm }).then(function () { return m; });
    }));
  }
  if (!P.c && d.querySelector('[data-palabre-count]')) {
    P.c = 1;
    load().then(function (m) { m.count_badges(s); });
  }
  if (a.widget === 'false') return; // an index page: count badges only
  var host = d.createElement('div'), t = a.target && d.querySelector(a.target);
  host.className = 'palabre';
  t ? t.appendChild(host) : s.parentNode.insertBefore(host, s.nextSibling);
  // The thread's first page, asked for now so it arrives while the wasm downloads and compiles.
  // Only the common case is reproduced here; the widget takes it only if it would ask for this
  // exact URL (client.rs), and asks itself otherwise.
  function prefetch() {
    try {
      var l = d.querySelector('link[rel=canonical]'), v = function (k) { return (a[k] || '').trim(); },
        u = new URL((v('endpoint').replace(/\/+$/, '') || new URL(s.src).origin) + '/api/v1/comments');
      u.search = new URLSearchParams({ thread: v('thread') || (l && new URL(l.href).pathname) || location.pathname,
        sort: v('sort') || 'oldest', limit: v('pageSize') || 20 });
      var f = fetch(u.href);
      f.catch(function () {});
      (P.t || (P.t = {}))[u.href] = f;
    } catch (e) {}
  }
  function go() { prefetch(); load().then(function (m) { m.mount(s, host); }, function (e) { console.error('Palabre:', e); }); }
  if (a.lazy === 'false' || !w.IntersectionObserver) return go();
  var o = new IntersectionObserver(function (es) {
    if (es.some(function (e) { return e.isIntersecting; })) { o.disconnect(); go(); }
  }, { rootMargin: '800px 0px' });
  o.observe(host);
})();

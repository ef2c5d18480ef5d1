// Palabre loader: the only script a blog page loads up front. Classic (not a module) so that
// document.currentScript names the tag; it places the widget's host element, then loads the
// WebAssembly only when that spot nears the viewport (data-lazy="false": at once).
(function () {
  var s = document.currentScript, w = window, d = document;
  if (!s) return;
  var a = s.dataset, base = s.src.replace(/[^/?#]*([?#].*)?$/, ''), P = w.__palabre || (w.__palabre = {});
  function load() {
    // One instance of the wasm per page, however many tags.
    return P.m || (P.m = import(base + 'palabre-widget.js').then(function (m) {
      return m.default({ module_or_path: base + 'palabre-widget_bg.wasm' }).then(function () { return m; });
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
  function go() { load().then(function (m) { m.mount(s, host); }, function (e) { console.error('Palabre:', e); }); }
  if (a.lazy === 'false' || !w.IntersectionObserver) return go();
  var o = new IntersectionObserver(function (es) {
    if (es.some(function (e) { return e.isIntersecting; })) { o.disconnect(); go(); }
  }, { rootMargin: '800px 0px' });
  o.observe(host);
})();

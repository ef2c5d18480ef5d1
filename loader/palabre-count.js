// Palabre count badges: every `data-palabre-count="<thread key>"` element of the page gets that
// thread's comment count ("3 comments"). Plain JavaScript, imported by the loader only on pages
// that have badges, so a blog's index page never downloads the widget's WebAssembly. The server
// words the counts (palabre-api's i18n), in the first language it has of: the badge's
// `data-lang`, the page's, then the script's `data-lang` (else the reader's languages). One
// request per language and 200 keys. Built with terser (scripts/build-widget).
export default function (s) {
  var d = document, a = s.dataset, n = navigator, page = d.documentElement.lang,
    e = ((a.endpoint || '').trim().replace(/\/+$/, '') || new URL(s.src).origin) + '/api/v1/counts',
    // The script's language as the widget reads it: given, it decides (English if unknown).
    rest = a.lang ? [a.lang, 'en'] : n.languages || [n.language], groups = {};
  d.querySelectorAll('[data-palabre-count]').forEach(function (el) {
    var key = el.getAttribute('data-palabre-count').trim(),
      langs = [el.getAttribute('data-lang'), page].concat(rest).filter(function (l) {
        return l && l.length < 36; // the server's limit for a tag
      }), id = langs.join();
    if (key) (groups[id] || (groups[id] = { langs: langs, els: [] })).els.push([el, key]);
  });
  Object.keys(groups).forEach(function (id) {
    var g = groups[id], keys = g.els.map(function (x) { return x[1]; }).filter(function (k, i, all) {
      return all.indexOf(k) === i;
    });
    for (var i = 0; i < keys.length; i += 200) {
      fetch(e, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ threads: keys.slice(i, i + 200), languages: g.langs.slice(0, 16) })
      }).then(function (r) { return r.ok ? r.json() : {}; }).then(function (r) {
        g.els.forEach(function (x) {
          var label = r.labels && r.labels[x[1]];
          if (label) x[0].textContent = label;
        });
      }).catch(function () {});
    }
  });
}

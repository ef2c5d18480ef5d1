//! The thread key of a page, when the blog owner names none: the page's path, and the query
//! parameters that tell its pages apart (`/?p=4`, WordPress's default permalinks), without
//! the ones that only say how the reader came (`utm_source`, `fbclid`, …). The widget keys a
//! page with it, and every importer keys a source's URLs with it, so that they agree. (The
//! loader makes its early request only for pages without a query, whose key is their path.)

/// Query parameters that never tell two pages apart: campaign and click trackers, and the
/// navigation inside one page (WordPress's comment pages, reply links, AMP views).
const IGNORED: &[&str] = &[
    "fbclid",
    "gclid",
    "dclid",
    "gbraid",
    "wbraid",
    "msclkid",
    "yclid",
    "twclid",
    "ttclid",
    "igshid",
    "mc_cid",
    "mc_eid",
    "_ga",
    "_gl",
    "_hsenc",
    "_hsmi",
    "mkt_tok",
    "ref",
    "ref_src",
    "replytocom",
    "cpage",
    "amp",
];

fn ignored(name: &str) -> bool {
    name.get(..4)
        .is_some_and(|p| p.eq_ignore_ascii_case("utm_"))
        || IGNORED.iter().any(|i| i.eq_ignore_ascii_case(name))
}

/// The key of the page at `url`: an absolute `http(s)` URL, or a path with its query. The
/// fragment goes; the parameters kept are sorted, so their order in a link does not matter.
/// A page without a query keeps the key it always had: its path. (Written with plain loops:
/// the widget carries it, and `sort`, patterns and `format!` cost its download kilobytes.)
pub fn page_thread_key(url: &str) -> String {
    // Trimmed once the fragment is gone, and the path before its query: what
    // `ThreadKey::parse` would trim anyway, so that keying a key changes nothing.
    let url = url.find('#').map_or(url, |i| &url[..i]).trim();
    let local = match url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
    {
        Some(rest) => rest
            .bytes()
            .position(|b| b == b'/' || b == b'?')
            .map_or("/", |i| &rest[i..]),
        None => url,
    };
    let (path, query) = local
        .find('?')
        .map_or((local, ""), |i| (local[..i].trim_end(), &local[i + 1..]));
    let mut kept: Vec<&str> = Vec::new();
    for pair in query.split('&') {
        let name = pair.find('=').map_or(pair, |i| &pair[..i]);
        if pair.trim().is_empty() || ignored(name) {
            continue;
        }
        // Inserted where they sort: a page has a few.
        let at = kept.iter().position(|k| *k > pair).unwrap_or(kept.len());
        kept.insert(at, pair);
    }
    let mut key = String::from(if path.is_empty() { "/" } else { path });
    for (i, pair) in kept.iter().enumerate() {
        key.push(if i == 0 { '?' } else { '&' });
        key.push_str(pair);
    }
    key.truncate(key.trim_end().len());
    key
}

#[cfg(test)]
mod tests {
    use super::page_thread_key;

    /// `page_keys.txt`: one case a line, `URL<TAB>key`.
    #[test]
    fn every_case_of_the_shared_table() {
        let table = include_str!("page_keys.txt");
        let mut n = 0;
        for line in table
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
        {
            let (url, key) = line.split_once('\t').expect("URL<TAB>key");
            assert_eq!(page_thread_key(url), key, "{url}");
            n += 1;
        }
        assert!(n >= 20, "{n} cases");
        // Every ignored name is in a case.
        for name in super::IGNORED {
            assert!(table.contains(&format!("&{name}=")), "no case has {name}");
        }
    }
}

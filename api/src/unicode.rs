//! The Unicode operations input parsing needs: grapheme clusters (what a reader perceives as
//! characters, and what length limits count) and lowercasing (email domains, web addresses).
//!
//! The server uses Unicode tables compiled in (feature `tables`: unicode-segmentation's, and
//! std's case tables). The widget asks the browser instead (feature `browser`: Intl.Segmenter
//! and String.prototype.toLowerCase): the tables were about 12 KB of its wasm, brotli. Both
//! follow the same Unicode rules; should a browser's Unicode version differ at the edge, the
//! server's answer is the one that counts, and the form keeps the text.

/// The first `max` clusters of `s`, and whether `s` had more.
pub fn prefix(s: &str, max: usize) -> (&str, bool) {
    // A cluster takes at least one byte: most text needs no segmenting.
    if s.len() <= max {
        return (s, false);
    }
    match nth_cluster_start(s, max) {
        Some(at) => (&s[..at], true),
        None => (s, false),
    }
}

/// More than `max` clusters?
pub fn longer_than(s: &str, max: usize) -> bool {
    prefix(s, max).1
}

/// Unicode lowercase (full case mapping, as `str::to_lowercase`).
pub fn lowercase(s: &str) -> String {
    // Most of what is lowercased (domains) is ASCII: no tables needed either way.
    if s.is_ascii() {
        return s.to_ascii_lowercase();
    }
    #[cfg(all(target_arch = "wasm32", feature = "browser"))]
    return String::from(js_sys::JsString::from(s).to_lower_case());
    #[cfg(not(all(target_arch = "wasm32", feature = "browser")))]
    s.to_lowercase()
}

/// Byte offset where cluster number `n` (from 0) starts, if there is one.
#[cfg(not(all(target_arch = "wasm32", feature = "browser")))]
fn nth_cluster_start(s: &str, n: usize) -> Option<usize> {
    use unicode_segmentation::UnicodeSegmentation;
    s.grapheme_indices(true).nth(n).map(|(at, _)| at)
}

#[cfg(all(target_arch = "wasm32", feature = "browser"))]
fn nth_cluster_start(s: &str, n: usize) -> Option<usize> {
    use js_sys::Intl::{SegmentData, Segmenter};
    use js_sys::{Array, Object, Reflect};
    use wasm_bindgen::{JsCast, JsValue};
    thread_local! {
        // None where the browser has no Intl.Segmenter (it would throw): the server then
        // judges alone.
        static SEGMENTER: Option<Segmenter> = Reflect::get(&js_sys::global(), &JsValue::from_str("Intl"))
            .ok()
            .filter(|intl| Reflect::has(intl, &JsValue::from_str("Segmenter")).unwrap_or(false))
            .map(|_| Segmenter::new(&Array::new(), &Object::new()));
    }
    let utf16_at = SEGMENTER.with(|segmenter| {
        let segments = segmenter.as_ref()?.segment(s);
        let mut clusters = js_sys::try_iter(&segments).ok()??;
        let nth = clusters.nth(n)?.ok()?;
        Some(nth.unchecked_into::<SegmentData>().index() as usize)
    })?;
    // The browser counts UTF-16 units; Rust slices bytes.
    let mut units = 0;
    s.char_indices().find_map(|(at, c)| {
        let here = units;
        units += c.len_utf16();
        (here == utf16_at).then_some(at)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clusters_not_bytes_or_chars() {
        // A family emoji is one cluster of seven chars; "é" written as e + combining accent
        // is one cluster of two.
        let family = "👨‍👩‍👧‍👦";
        let s = format!("{family}e\u{301}x");
        assert_eq!(prefix(&s, 1), (family, true));
        assert_eq!(prefix(&s, 2), (&s[..s.len() - 1], true));
        assert_eq!(prefix(&s, 3), (s.as_str(), false));
        assert!(longer_than(&s, 2));
        assert!(!longer_than(&s, 3));
        assert_eq!(prefix("", 0), ("", false));
        assert_eq!(prefix("ab", 0), ("", true));
    }

    #[test]
    fn lowercase_is_unicode_aware() {
        assert_eq!(lowercase("Example.ORG"), "example.org");
        assert_eq!(lowercase("ÉCOLE.fr"), "école.fr");
        // Final sigma: the context-dependent case std and browsers both apply.
        assert_eq!(lowercase("ΟΔΟΣ ΣΑΣ"), "οδος σας");
    }
}

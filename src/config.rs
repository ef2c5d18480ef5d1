//! The blog owner's `data-*` attributes, parsed into a [`WidgetConfig`]. Pure Rust: the page
//! context comes in as plain values, so native tests cover every rule. A bad value never kills
//! the widget: it yields a warning (logged to the console) and the default.

use palabre_api::first_paint::{parse_depth, parse_flag};
use palabre_api::i18n::Lang;
use palabre_api::{SortOrder, ThreadKey};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Theme {
    Light,
    Dark,
    /// Follows `prefers-color-scheme`.
    #[default]
    Auto,
}

impl Theme {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Light => "light",
            Self::Dark => "dark",
            Self::Auto => "auto",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct WidgetConfig {
    /// The comment server, without trailing slash: `https://comments.example.org`.
    pub endpoint: String,
    pub thread: ThreadKey,
    pub title: Option<String>,
    pub lang: Lang,
    pub theme: Theme,
    pub sort: SortOrder,
    /// Top-level comments per page.
    pub page_size: u32,
    /// Replies deeper than this are drawn at this depth (the server may nest deeper).
    pub max_depth: usize,
    pub avatars: bool,
    pub votes: bool,
    /// Follows the thread live (`data-live`).
    pub live: bool,
    /// A stylesheet added inside the shadow root, after the widget's own.
    pub css: Option<String>,
    /// `data-sso-token`: a short-lived token from the site's backend naming its member.
    pub sso_token: Option<String>,
}

pub use palabre_api::first_paint::{DEFAULT_VISUAL_DEPTH, MAX_VISUAL_DEPTH};
pub use palabre_api::{MAX_PAGE_SIZE, WIDGET_DEFAULT_PAGE_SIZE};

/// What the page says when the blog owner says nothing.
#[derive(Debug, Clone, Default)]
pub struct PageContext {
    /// Origin of the script the widget was loaded from.
    pub script_origin: String,
    /// `<link rel="canonical">`'s URL, if any.
    pub canonical: Option<String>,
    /// The page's path and query (`location.pathname` + `location.search`).
    pub location: String,
    pub document_title: String,
    /// `<html lang>`.
    pub page_lang: Option<String>,
    /// `navigator.languages`, most preferred first.
    pub browser_langs: Vec<String>,
}

/// Parses the attributes (`get("thread")` returns `data-thread`'s value).
pub fn parse(
    get: impl Fn(&str) -> Option<String>,
    page: &PageContext,
) -> (WidgetConfig, Vec<String>) {
    let mut warnings = Vec::new();
    let mut warn = |attr: &str, value: &str, fallback: &str| {
        warnings.push(format!(
            // Not `{value:?}`: the release bundle compiles Debug formatting to nothing.
            "Palabre: ignoring data-{attr}=\"{value}\"; using {fallback}"
        ));
    };
    let given = |name: &str| {
        get(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };

    let endpoint = match given("endpoint") {
        Some(e) => match parse_endpoint(&e) {
            Some(ok) => ok,
            None => {
                warn("endpoint", &e, &page.script_origin);
                page.script_origin.clone()
            }
        },
        None => page.script_origin.clone(),
    };

    let default_thread =
        palabre_api::page_thread_key(page.canonical.as_deref().unwrap_or(page.location.as_str()));
    let fallback_thread = ThreadKey::parse(&default_thread)
        .unwrap_or_else(|_| ThreadKey::parse("/").expect("\"/\" is a valid key"));
    let thread = match given("thread") {
        Some(t) => ThreadKey::parse(&t).unwrap_or_else(|_| {
            warn("thread", &t, fallback_thread.as_str());
            fallback_thread.clone()
        }),
        None => fallback_thread,
    };

    let title = given("title").or_else(|| {
        let t = page.document_title.trim();
        (!t.is_empty()).then(|| t.to_owned())
    });

    let lang = match given("lang") {
        Some(l) => match Lang::from_tag(&l) {
            Some(lang) => lang,
            // A language we don't speak (yet): English, said once in the console.
            None if looks_like_lang_tag(&l) => {
                warn(
                    "lang",
                    &l,
                    "English (Palabre speaks en, fr, de, es, it, pt, nl, pl, ar)",
                );
                Lang::En
            }
            None => {
                warn("lang", &l, "the page's language");
                negotiate_lang(page)
            }
        },
        None => negotiate_lang(page),
    };

    let theme = match given("theme").as_deref() {
        None => Theme::Auto,
        Some("light") => Theme::Light,
        Some("dark") => Theme::Dark,
        Some("auto") => Theme::Auto,
        Some(other) => {
            warn("theme", other, "auto");
            Theme::Auto
        }
    };

    let sort = match given("sort") {
        None => SortOrder::Oldest,
        Some(s) => SortOrder::parse(&s).unwrap_or_else(|_| {
            warn("sort", &s, "oldest");
            SortOrder::Oldest
        }),
    };

    let page_size = match given("page-size") {
        None => WIDGET_DEFAULT_PAGE_SIZE,
        Some(s) => match s.parse::<u32>() {
            Ok(n) if (1..=MAX_PAGE_SIZE).contains(&n) => n,
            _ => {
                warn("page-size", &s, &WIDGET_DEFAULT_PAGE_SIZE.to_string());
                WIDGET_DEFAULT_PAGE_SIZE
            }
        },
    };

    let max_depth = match given("max-depth") {
        None => DEFAULT_VISUAL_DEPTH,
        Some(s) => parse_depth(&s).unwrap_or_else(|| {
            warn("max-depth", &s, &DEFAULT_VISUAL_DEPTH.to_string());
            DEFAULT_VISUAL_DEPTH
        }),
    };

    let mut flag = |name: &str| match given(name) {
        None => true,
        Some(v) => parse_flag(&v).unwrap_or_else(|| {
            warn(name, &v, "true");
            true
        }),
    };
    let avatars = flag("avatars");
    let votes = flag("votes");
    let live = flag("live");

    let css = given("css");
    // The site's backend vouches for its signed-in member (single sign-on).
    let sso_token = given("sso-token");

    (
        WidgetConfig {
            endpoint,
            thread,
            title,
            lang,
            theme,
            sort,
            page_size,
            max_depth,
            avatars,
            votes,
            live,
            css,
            sso_token,
        },
        warnings,
    )
}

/// Whether a computed `background-color` (`rgb(…)` or `rgba(…)`, as browsers give it) is dark:
/// its luminance below the point where black and white text contrast with it equally (0.18;
/// sRGB's curve taken as a square, close enough for that decision). `None` for a colour one
/// sees through (alpha under 0.5: what is behind decides) or written otherwise.
pub fn background_is_dark(color: &str) -> Option<bool> {
    let color = color.trim();
    let inner = color
        .strip_prefix("rgba(")
        .or_else(|| color.strip_prefix("rgb("))?
        .strip_suffix(')')?;
    let mut parts = inner.split([',', ' ', '/']).filter(|p| !p.is_empty());
    // Whole channels and a decimal alpha, read without floats (parsing one would bring core's
    // decimal tables into the wasm).
    let mut channel = || {
        parts
            .next()?
            .parse::<u8>()
            .ok()
            .map(|c| u32::from(c).pow(2))
    };
    let [r, g, b] = [channel()?, channel()?, channel()?];
    let see_through = |alpha: &str| {
        alpha == "0"
            || alpha
                .strip_prefix("0.")
                .is_some_and(|d| d.bytes().next().is_some_and(|c| c < b'5'))
    };
    if parts.next().is_some_and(see_through) {
        return None;
    }
    // 0.2126 r² + 0.7152 g² + 0.0722 b² < 0.18 with channels in 0..=1, in whole numbers.
    Some(2126 * r + 7152 * g + 722 * b < 1800 * 255 * 255)
}

/// `https://comments.example.org/` -> `https://comments.example.org`. Only http(s).
pub fn parse_endpoint(raw: &str) -> Option<String> {
    let s = raw.trim().trim_end_matches('/');
    let lower = s.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))?;
    let host = rest.split('/').next()?;
    let ok = !host.is_empty()
        && !s
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "\"'<>`".contains(c));
    ok.then(|| s.to_owned())
}

fn looks_like_lang_tag(s: &str) -> bool {
    let primary = s.split(['-', '_']).next().unwrap_or_default();
    (2..=3).contains(&primary.len()) && primary.chars().all(|c| c.is_ascii_alphabetic())
}

/// The page's language if we have it, else the reader's first supported browser language.
fn negotiate_lang(page: &PageContext) -> Lang {
    page.page_lang
        .as_deref()
        .and_then(Lang::from_tag)
        .or_else(|| Lang::first_known(&page.browser_langs))
        .unwrap_or(Lang::En)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn page() -> PageContext {
        PageContext {
            script_origin: "https://comments.example.org".into(),
            canonical: None,
            location: "/2026/11/post".into(),
            document_title: "My post".into(),
            page_lang: None,
            browser_langs: vec!["ja-JP".into(), "fr-FR".into()],
        }
    }

    fn parse_with(attrs: &[(&str, &str)], page: &PageContext) -> (WidgetConfig, Vec<String>) {
        let map: HashMap<String, String> = attrs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        parse(|k| map.get(k).cloned(), page)
    }

    #[test]
    fn defaults_come_from_the_page() {
        let (c, warnings) = parse_with(&[], &page());
        assert!(warnings.is_empty());
        assert_eq!(c.endpoint, "https://comments.example.org");
        assert_eq!(c.thread.as_str(), "/2026/11/post");
        assert_eq!(c.title.as_deref(), Some("My post"));
        assert_eq!(c.lang, Lang::Fr, "first supported browser language");
        assert_eq!(c.theme, Theme::Auto);
        assert_eq!(c.sort, SortOrder::Oldest);
        assert_eq!(c.page_size, WIDGET_DEFAULT_PAGE_SIZE);
        assert!(c.avatars && c.votes && c.live);
        assert_eq!(c.css, None);
    }

    #[test]
    fn canonical_link_beats_pathname_and_page_lang_beats_browser() {
        let mut p = page();
        p.canonical = Some("https://blog.example/canonical?utm_source=x#c".into());
        p.page_lang = Some("en-GB".into());
        let (c, _) = parse_with(&[], &p);
        assert_eq!(c.thread.as_str(), "/canonical");
        assert_eq!(c.lang, Lang::En);
    }

    #[test]
    fn pages_told_apart_by_their_query_keep_their_own_thread() {
        let mut p = page();
        p.location = "/?p=4&utm_medium=social".into();
        assert_eq!(parse_with(&[], &p).0.thread.as_str(), "/?p=4");
        p.canonical = Some("http://blog.example/?p=4".into());
        p.location = "/?fbclid=x&p=4".into();
        assert_eq!(parse_with(&[], &p).0.thread.as_str(), "/?p=4");
    }

    #[test]
    fn attributes_override_everything() {
        let (c, warnings) = parse_with(
            &[
                ("endpoint", "https://other.example/"),
                ("thread", "post-42"),
                ("title", "Other"),
                ("lang", "fr"),
                ("theme", "dark"),
                ("sort", "newest"),
                ("page-size", "5"),
                ("max-depth", "2"),
                ("avatars", "false"),
                ("votes", "no"),
                ("live", "false"),
                ("css", "/custom.css"),
            ],
            &page(),
        );
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(c.endpoint, "https://other.example");
        assert_eq!(c.thread.as_str(), "post-42");
        assert_eq!(c.title.as_deref(), Some("Other"));
        assert_eq!(
            (c.lang, c.theme, c.sort),
            (Lang::Fr, Theme::Dark, SortOrder::Newest)
        );
        assert_eq!((c.page_size, c.max_depth), (5, 2));
        assert!(!c.avatars && !c.votes && !c.live);
        assert_eq!(c.css.as_deref(), Some("/custom.css"));
    }

    #[test]
    fn bad_values_warn_and_fall_back() {
        let (c, warnings) = parse_with(
            &[
                ("endpoint", "javascript:alert(1)"),
                ("thread", "bad\nkey"),
                ("lang", "??"),
                ("theme", "purple"),
                ("sort", "random"),
                ("page-size", "0"),
                ("max-depth", "99"),
                ("avatars", "maybe"),
            ],
            &page(),
        );
        assert_eq!(warnings.len(), 8, "{warnings:#?}");
        assert!(
            warnings
                .iter()
                .all(|w| w.starts_with("Palabre: ignoring data-"))
        );
        assert!(warnings.contains(&r#"Palabre: ignoring data-theme="purple"; using auto"#.into()));
        assert_eq!(c.endpoint, "https://comments.example.org");
        assert_eq!(c.thread.as_str(), "/2026/11/post");
        assert_eq!(c.lang, Lang::Fr);
        assert_eq!((c.theme, c.sort), (Theme::Auto, SortOrder::Oldest));
        assert_eq!(
            (c.page_size, c.max_depth),
            (WIDGET_DEFAULT_PAGE_SIZE, DEFAULT_VISUAL_DEPTH)
        );
        assert!(c.avatars);
    }

    #[test]
    fn unsupported_languages_fall_back_to_english_with_a_warning() {
        let (c, warnings) = parse_with(&[("lang", "ja-JP")], &page());
        assert_eq!(c.lang, Lang::En);
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("data-lang=\"ja-JP\""), "{warnings:?}");
        assert!(warnings[0].contains("en, fr, de, es, it, pt, nl, pl, ar"));
        let (c, _) = parse_with(&[("lang", "pl")], &page());
        assert_eq!(c.lang, Lang::Pl);
        let (c, _) = parse_with(&[("lang", "FR_ca")], &page());
        assert_eq!(c.lang, Lang::Fr);
    }

    #[test]
    fn endpoints() {
        assert_eq!(
            parse_endpoint("http://127.0.0.1:8080/").as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert_eq!(
            parse_endpoint("https://c.example.org/palabre").as_deref(),
            Some("https://c.example.org/palabre")
        );
        for bad in [
            "",
            "ftp://x",
            "//x.org",
            "https://",
            "https://x.org/\"onload",
            "data:,x",
        ] {
            assert_eq!(parse_endpoint(bad), None, "{bad}");
        }
    }

    #[test]
    fn dark_backgrounds_are_told_from_light_ones() {
        assert_eq!(background_is_dark("rgb(17, 17, 17)"), Some(true));
        assert_eq!(background_is_dark("rgb(13, 17, 23)"), Some(true));
        assert_eq!(background_is_dark("rgb(255, 255, 255)"), Some(false));
        assert_eq!(
            background_is_dark("rgb(250, 244, 230)"),
            Some(false),
            "cream"
        );
        assert_eq!(background_is_dark("rgb(30, 60, 120)"), Some(true), "navy");
        assert_eq!(background_is_dark("rgba(0, 0, 0, 0)"), None, "transparent");
        assert_eq!(background_is_dark("rgba(0, 0, 0, 0.9)"), Some(true));
        assert_eq!(background_is_dark("rgb(0 0 0 / 0.2)"), None);
        assert_eq!(background_is_dark("oklch(0.2 0 0)"), None, "not read here");
        assert_eq!(background_is_dark("rgb(1, 2)"), None);
    }
}

//! What the page says: the script tag's attributes (or a component's props, read by the same
//! rules) and the page's own defaults for them. Below both ways onto a page, the loader's
//! `mount` and the `<Palabre/>` component.

use crate::config::{self, PageContext, Theme, WidgetConfig};
use wasm_bindgen::JsCast;
use web_sys::{Document, Element};

pub(crate) fn document() -> Document {
    web_sys::window()
        .and_then(|w| w.document())
        .expect("the widget runs in a page")
}

/// What the page says about itself, for the attributes' defaults.
fn page_context(script: Option<&Element>) -> PageContext {
    let doc = document();
    let window = web_sys::window().expect("window");
    let location = window.location();
    let page_origin = location.origin().unwrap_or_default();
    let script_origin = script
        .and_then(|s| s.dyn_ref::<web_sys::HtmlScriptElement>())
        .map(|s| s.src())
        .filter(|src| src.starts_with("http://") || src.starts_with("https://"))
        .map(|src| origin_of(&src))
        .unwrap_or(page_origin);
    let canonical = doc
        .query_selector("link[rel=canonical]")
        .ok()
        .flatten()
        .and_then(|l| l.dyn_into::<web_sys::HtmlLinkElement>().ok())
        .map(|l| l.href())
        .filter(|href| !href.is_empty());
    let browser_langs = window
        .navigator()
        .languages()
        .iter()
        .filter_map(|v| v.as_string())
        .collect();
    PageContext {
        script_origin,
        canonical,
        location: format!(
            "{}{}",
            location.pathname().unwrap_or_else(|_| "/".into()),
            location.search().unwrap_or_default()
        ),
        document_title: doc.title(),
        page_lang: doc
            .document_element()
            .and_then(|e| e.get_attribute("lang"))
            .filter(|l| !l.is_empty()),
        browser_langs,
    }
}

/// `https://host:port/path?q` -> `https://host:port`.
pub fn origin_of(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
            format!("{scheme}://{host}")
        }
        None => url.to_owned(),
    }
}

/// Reads the configuration from `script`'s `data-*` attributes (warning about bad values).
pub fn read_config(script: &Element) -> WidgetConfig {
    configure(
        |name| script.get_attribute(&format!("data-{name}")),
        Some(script),
    )
}

/// The configuration `get` gives (an attribute's value by its name without `data-`), the
/// page's defaults filled in; bad values warn in the console. `script`, the loader's tag when
/// there is one, is where the endpoint defaults to.
pub(crate) fn configure(
    get: impl Fn(&str) -> Option<String>,
    script: Option<&Element>,
) -> WidgetConfig {
    let (config, warnings) = config::parse(get, &page_context(script));
    for w in warnings {
        web_sys::console::warn_1(&w.into());
    }
    config
}

/// The theme to draw in: `auto` on a page that declares no `color-scheme` follows the page's
/// own background behind the widget (the first opaque one up from `host`), so a dark page gets
/// a dark widget; a page that declares one is followed by the stylesheet itself.
pub fn theme_for(host: &Element, theme: Theme) -> Theme {
    let Some(window) = web_sys::window().filter(|_| theme == Theme::Auto) else {
        return theme;
    };
    let property = |el: &Element, name: &str| {
        window
            .get_computed_style(el)
            .ok()
            .flatten()
            .and_then(|s| s.get_property_value(name).ok())
    };
    if property(host, "color-scheme").is_some_and(|v| v.trim() != "normal") {
        return theme;
    }
    let mut at = host.parent_element();
    while let Some(el) = at {
        if let Some(dark) =
            property(&el, "background-color").and_then(|c| config::background_is_dark(&c))
        {
            return if dark { Theme::Dark } else { theme };
        }
        at = el.parent_element();
    }
    theme
}

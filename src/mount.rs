//! Putting a widget on the page: attach a shadow root to the host element so the page's CSS
//! can't reach in (nor ours out), inject our CSS there, mount, and take over from the server's
//! first paint if the loader showed one. What to mount comes from `page`.

use crate::client::ApiClient;
use crate::components::App;
use crate::config::WidgetConfig;
use crate::handoff::Handoff;
use crate::page::{document, read_config, theme_for};
use leptos::mount::UnmountHandle;
use leptos::tachys::view::Mountable;
use palabre_api::first_paint::FirstPaint;
use palabre_api::i18n::{Lang, Words};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{Element, HtmlElement, ShadowRoot, ShadowRootInit, ShadowRootMode};

/// The widget's stylesheet (minified by build.rs), compiled in with the `stylesheet` feature:
/// tests and the `<Palabre/>` component. The loader's bundle is built without it: readers
/// fetch the stylesheet once, for the first paint and the widget alike (see [`mount`]).
pub const CSS: Option<&str> = if cfg!(feature = "stylesheet") {
    Some(include_str!(concat!(env!("OUT_DIR"), "/widget.css")))
} else {
    None
};

thread_local! {
    /// The stylesheet every widget on the page shares: compiled in, or fetched once.
    static STYLE: RefCell<Option<String>> = RefCell::new(CSS.map(str::to_owned));
    /// The same, parsed once where the browser has constructable stylesheets; or the one the
    /// loader made for the first paint.
    static SHEET: RefCell<Option<web_sys::CssStyleSheet>> = const { RefCell::new(None) };
}

/// Fetches the bundle's stylesheet at `url` for every widget on the page, when no first paint
/// brought it. Without it the widget still works, unstyled, and the console says why.
async fn load_style(url: Option<&str>) {
    let text = match url {
        Some(url) => match gloo_net::http::Request::get(url).send().await {
            Ok(r) if r.ok() => r.text().await.ok(),
            _ => None,
        },
        None => None,
    };
    match text {
        Some(text) => STYLE.with_borrow_mut(|style| *style = Some(text)),
        None => web_sys::console::error_2(
            &"Palabre: the widget's stylesheet could not be loaded from".into(),
            &url.unwrap_or("(no address given)").into(),
        ),
    }
}

fn attach_styles(root: &ShadowRoot, extra_css: Option<&str>) -> Result<(), JsValue> {
    STYLE.with_borrow(|text| -> Result<(), JsValue> {
        let adopted = SHEET.with_borrow_mut(|sheet| {
            if let (None, Some(text)) = (sheet.as_ref(), text) {
                let made = web_sys::CssStyleSheet::new().ok();
                *sheet = made.filter(|s| s.replace_sync(text).is_ok());
            }
            sheet.as_ref().map(|s| {
                let list = js_sys::Array::of1(s);
                js_sys::Reflect::set(root, &"adoptedStyleSheets".into(), &list)
            })
        });
        // Constructable stylesheets (and a CSP-proof way to style) missing: a <style> element.
        if let (false, Some(text)) = (matches!(adopted, Some(Ok(true))), text) {
            let style = document().create_element("style")?;
            style.set_text_content(Some(text));
            root.append_child(&style)?;
        }
        Ok(())
    })?;
    if let Some(href) = extra_css {
        let link = document().create_element("link")?;
        link.set_attribute("rel", "stylesheet")?;
        link.set_attribute("href", href)?;
        root.append_child(&link)?;
    }
    Ok(())
}

/// Mounts a widget configured by `script`'s data attributes into `host`.
#[wasm_bindgen]
pub fn mount(script: &Element, host: &Element) -> Result<(), JsValue> {
    // The bundle's stylesheet, next to the loader: asked for only when no first paint brought
    // it (see `adopt_first_paint_style`).
    let stylesheet = script
        .dyn_ref::<web_sys::HtmlScriptElement>()
        .map(|s| s.src())
        .filter(|src| !src.is_empty())
        .map(|src| format!("{}palabre.css", bundle_dir(&src)));
    // The loader's widgets live as long as their page.
    mount_with(read_config(script), host, stylesheet)?.forget();
    Ok(())
}

/// `https://c.example/embed/palabre.js?v=1#x` -> `https://c.example/embed/`: where the
/// loader's files are (as the loader itself computes it).
pub fn bundle_dir(src: &str) -> &str {
    let path = src.split(['?', '#']).next().unwrap_or(src);
    path.rfind('/').map_or(path, |i| &path[..=i])
}

/// Whether the page's widgets have their stylesheet: as text, or as a sheet.
fn styled() -> bool {
    STYLE.with_borrow(Option::is_some) || SHEET.with_borrow(Option::is_some)
}

/// Takes the stylesheet the loader adopted for the first paint, if there is one: the widget
/// shares that very sheet, fetched once.
fn adopt_first_paint_style(root: &ShadowRoot) {
    if styled() {
        return;
    }
    let adopted = js_sys::Reflect::get(root, &"adoptedStyleSheets".into()).ok();
    let first = adopted
        .map(|list| js_sys::Array::from(&list).get(0))
        .and_then(|s| s.dyn_into::<web_sys::CssStyleSheet>().ok());
    if let Some(sheet) = first {
        SHEET.with_borrow_mut(|s| *s = Some(sheet));
    }
}

/// A widget on the page, or about to be (waiting for its words): dropping it takes the widget
/// away, or stops it from coming.
pub struct Mounted<M: Mountable> {
    _widget: Rc<RefCell<Option<UnmountHandle<M>>>>,
}

impl<M: Mountable> Mounted<M> {
    /// Leaves the widget on the page for the page's life.
    pub fn forget(self) {
        std::mem::forget(self);
    }
}

/// Mounts a widget with `config` into `host`'s shadow root (made if missing). A language other
/// than English mounts once its words have come from the server (the loader asked for the
/// thread's first page meanwhile).
pub fn mount_config(
    config: WidgetConfig,
    host: &Element,
) -> Result<Mounted<impl Mountable + use<>>, JsValue> {
    mount_with(config, host, None)
}

/// [`mount_config`], with where to fetch the stylesheet if none is compiled in, adopted from
/// the first paint or fetched yet: then the widget mounts once it has come.
fn mount_with(
    config: WidgetConfig,
    host: &Element,
    stylesheet: Option<String>,
) -> Result<Mounted<impl Mountable + use<>>, JsValue> {
    let root = match host.shadow_root() {
        Some(existing) => existing,
        None => host.attach_shadow(&ShadowRootInit::new(ShadowRootMode::Open))?,
    };
    // What the loader may have put there: a first paint drawn for exactly this widget stays,
    // in place (taken out and put back, it would drop the reader's focus in it), until the
    // widget has drawn the same page; it is all the loader put there. Anything else goes now.
    let first_paint = root
        .query_selector("[data-first-paint]")?
        .filter(|el| el.get_attribute("data-first-paint") == Some(first_paint_signature(&config)));
    if first_paint.is_none() {
        root.set_inner_html("");
    }
    host.set_attribute("data-theme", theme_for(host, config.theme).as_str())?;
    let container: HtmlElement = document().create_element("div")?.unchecked_into();
    container.set_class_name("palabre-root");
    let handoff = match first_paint {
        Some(paint) => {
            container.set_hidden(true);
            Some(Handoff::new(root.clone(), paint, container.clone()))
        }
        None => None,
    };
    root.append_child(&container)?;
    let slot = Rc::new(RefCell::new(None));
    adopt_first_paint_style(&root);
    let styled = styled();
    if config.lang == Lang::En && styled {
        attach_styles(&root, config.css.as_deref())?;
        *slot.borrow_mut() = Some(mount_app(container, config, Words::english(), handoff));
    } else {
        let place = Rc::downgrade(&slot);
        let client = ApiClient::new(&config.endpoint);
        wasm_bindgen_futures::spawn_local(async move {
            if !styled {
                load_style(stylesheet.as_deref()).await;
            }
            let words = match config.lang {
                Lang::En => Words::english(),
                lang => crate::language::words_for(&client, lang).await,
            };
            // Not if the widget was taken away meanwhile.
            if let Some(place) = place.upgrade() {
                let _ = attach_styles(&root, config.css.as_deref());
                *place.borrow_mut() = Some(mount_app(container, config, words, handoff));
            }
        });
    }
    Ok(Mounted { _widget: slot })
}

/// The widget's view in `container`. Not inlined: its code is large, and it has two callers.
#[inline(never)]
fn mount_app(
    container: HtmlElement,
    config: WidgetConfig,
    words: Words,
    handoff: Option<Handoff>,
) -> UnmountHandle<impl Mountable + use<>> {
    crate::accent::check(&container);
    leptos::mount::mount_to(
        container,
        move || leptos::view! { <App config=config words=words handoff=handoff /> },
    )
}

/// What this widget would draw first, in the terms of the server's first paint.
pub fn first_paint_signature(config: &WidgetConfig) -> String {
    FirstPaint {
        thread: config.thread.clone(),
        sort: config.sort,
        limit: config.page_size,
        lang: config.lang,
        avatars: config.avatars,
        votes: config.votes,
        max_depth: config.max_depth,
    }
    .signature()
}

//! The exact local time as a tooltip on a comment's relative time ("5 minutes ago"), written
//! when the pointer first reaches it. Formatting every time up front cost the first render
//! more than anything else: the page's first `Intl.DateTimeFormat` loads the browser's locale
//! data (tens of ms), and `Date.toLocaleString` then built a formatter per comment.

use crate::chunk::{self, chunk};
use palabre_api::i18n::Lang;
use std::cell::Cell;
use wasm_bindgen::{JsCast, JsValue};

/// For a `mouseover` anywhere in the widget: one listener instead of one per comment. The
/// formatting comes in a chunk of its own, fetched on the first hover over a time.
pub fn fill_title(event: &web_sys::Event, lang: Lang) {
    let Some(time) = event
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .filter(|e| e.tag_name().eq_ignore_ascii_case("time") && !e.has_attribute("title"))
    else {
        return;
    };
    leptos::task::spawn_local(async move {
        if let Ok(write) = chunk::load(&TIMES, times_chunk).await {
            write(&time, lang);
        }
    });
}

type Write = fn(&web_sys::Element, Lang);

thread_local! {
    static TIMES: Cell<Option<Write>> = const { Cell::new(None) };
}

chunk!(times, times_chunk -> Write = write_title);

fn write_title(time: &web_sys::Element, lang: Lang) {
    let Some(datetime) = time.get_attribute("datetime") else {
        return;
    };
    let date = js_sys::Date::new(&JsValue::from_str(&datetime));
    if let Some(text) = formatter(lang)
        .call1(&JsValue::UNDEFINED, &date)
        .ok()
        .and_then(|s| s.as_string())
    {
        let _ = time.set_attribute("title", &text);
    }
}

/// One formatter per language for the page's life (its `format` is bound to it).
fn formatter(lang: Lang) -> js_sys::Function {
    thread_local! {
        static FORMATTERS: std::cell::RefCell<Vec<(Lang, js_sys::Function)>> =
            const { std::cell::RefCell::new(Vec::new()) };
    }
    FORMATTERS.with_borrow_mut(|all| {
        if let Some((_, f)) = all.iter().find(|(l, _)| *l == lang) {
            return f.clone();
        }
        let options = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&options, &"dateStyle".into(), &"long".into());
        let _ = js_sys::Reflect::set(&options, &"timeStyle".into(), &"short".into());
        let locales = js_sys::Array::of1(&lang.tag().into());
        let f = js_sys::Intl::DateTimeFormat::new(&locales, &options).format();
        all.push((lang, f.clone()));
        f
    })
}

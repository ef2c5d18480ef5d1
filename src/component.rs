//! Palabre as a component of another Leptos (client-side rendered) application:
//! `<Palabre endpoint="https://comments.example.org" thread="/my-post"/>`. The props are the
//! script tag's `data-*` attributes, read by the same rules (a bad value warns in the console
//! and falls back to its default); the widget draws in a shadow root of its own, as on a blog.

use crate::mount::mount_config;
use crate::page::configure;
use leptos::html::Div;
use leptos::prelude::*;

#[component]
pub fn Palabre(
    /// The comment server, e.g. `https://comments.example.org`.
    #[prop(into)]
    endpoint: String,
    /// The thread key [default: the page's path, with the query parameters that tell pages
    /// apart].
    #[prop(optional, into)]
    thread: Option<String>,
    /// The thread's title, stored with its first comment [default: the document's title].
    #[prop(optional, into)]
    title: Option<String>,
    /// `en`, `fr`, `de`, `es`, `it`, `pt`, `nl`, `pl` or `ar` [default: the page's `lang`,
    /// then the browser's languages].
    #[prop(optional, into)]
    lang: Option<String>,
    /// `light`, `dark` or `auto` [default: `auto`].
    #[prop(optional, into)]
    theme: Option<String>,
    /// `oldest`, `newest` or `top` [default: `oldest`].
    #[prop(optional, into)]
    sort: Option<String>,
    /// Top-level comments per page, 1–200 [default: 20].
    #[prop(optional)]
    page_size: Option<u32>,
    /// Visual nesting cap, 0–10 [default: 4].
    #[prop(optional)]
    max_depth: Option<usize>,
    /// Identicons [default: true].
    #[prop(optional)]
    avatars: Option<bool>,
    /// Like and dislike [default: true].
    #[prop(optional)]
    votes: Option<bool>,
    /// Live updates of the thread [default: true].
    #[prop(optional)]
    live: Option<bool>,
    /// URL of an extra stylesheet, added inside the shadow root.
    #[prop(optional, into)]
    css: Option<String>,
) -> impl IntoView {
    let attributes = [
        ("endpoint", Some(endpoint)),
        ("thread", thread),
        ("title", title),
        ("lang", lang),
        ("theme", theme),
        ("sort", sort),
        ("page-size", page_size.map(|n| n.to_string())),
        ("max-depth", max_depth.map(|n| n.to_string())),
        ("avatars", avatars.map(|b| b.to_string())),
        ("votes", votes.map(|b| b.to_string())),
        ("live", live.map(|b| b.to_string())),
        ("css", css),
    ];
    let config = configure(
        |name| {
            attributes
                .iter()
                .find(|(n, _)| *n == name)
                .and_then(|(_, v)| v.clone())
        },
        None,
    );
    let host = NodeRef::<Div>::new();
    // Dropped with this component, which takes the widget off the page.
    let mounted = StoredValue::new_local(None::<Box<dyn std::any::Any>>);
    let config = StoredValue::new_local(Some(config));
    Effect::new(move || {
        let (Some(el), Some(config)) =
            (host.get(), config.try_update_value(Option::take).flatten())
        else {
            return;
        };
        match mount_config(config, &el) {
            Ok(widget) => mounted.set_value(Some(Box::new(widget))),
            Err(e) => web_sys::console::error_2(&"Palabre: the widget could not mount".into(), &e),
        }
    });
    view! { <div class="palabre-host" node_ref=host></div> }
}

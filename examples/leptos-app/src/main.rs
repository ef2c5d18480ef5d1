//! A Leptos application that shows an article and its comments with `<Palabre/>`. The comment
//! server is `?endpoint=…` (the tests give theirs), else the demo's (`scripts/demo`).

use leptos::prelude::*;
use palabre_widget::Palabre;

const DEMO_SERVER: &str = "http://127.0.0.1:8080";

fn main() {
    leptos::mount::mount_to_body(App);
}

#[component]
fn App() -> impl IntoView {
    let endpoint = web_sys::window()
        .and_then(|w| w.location().search().ok())
        .and_then(|q| web_sys::UrlSearchParams::new_with_str(&q).ok())
        .and_then(|q| q.get("endpoint"))
        .unwrap_or_else(|| DEMO_SERVER.to_owned());
    view! {
        <article>
            <h1>"Comments inside a Leptos application"</h1>
            <p>"This page is a Leptos application; the thread below is one of its components."</p>
        </article>
        <Palabre endpoint=endpoint thread="/leptos-example" lang="en" sort="newest" />
    }
}

//! What the browser test files share: the mock API's bindings and small DOM helpers.
#![allow(dead_code)] // each test file uses its own subset

use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/tests/mock_api.js")]
extern "C" {
    #[wasm_bindgen(js_name = install_mock)]
    fn install_bare_mock();
    pub fn set_words(lang: &str, list_json: &str);
    pub fn seed(thread: &str, comments_json: &str);
    /// A whole page as the server sends it (comments, locked), served for `thread`.
    pub fn seed_page(thread: &str, page_json: &str);
    pub fn set_failure(mode: &str);
    /// "all": posts are held for moderation (202) and returned only to their author.
    pub fn set_moderation(mode: &str);
    /// The site `/api/v1/config` names (a server of several blogs); "" for none.
    pub fn set_site(name: &str);
    pub fn last_post() -> String;
    /// Requests whose method, host, path or thread contains `part`.
    pub fn request_count(part: &str) -> u32;
    pub fn requested_hosts() -> String;
    /// Stands in for the loader's early request of a first page; returns its URL.
    pub fn prefetch(endpoint: &str, thread: &str, limit: &str, comments_json: &str) -> String;
    pub fn is_prefetch_waiting(url: &str) -> bool;
    pub async fn sleep(ms: u32);
    /// Records how many elements match `selector` when `root` first has any.
    pub fn watch_first_draw(root: &web_sys::ShadowRoot, selector: &str);
    pub fn first_draw(root: &web_sys::ShadowRoot) -> u32;
    /// Records, when the server's first paint leaves `root`, what the widget shows then.
    pub fn watch_handoff(root: &web_sys::ShadowRoot);
    /// "<comments in the widget's drawing> shown|hidden", or "" before the handoff.
    pub fn handoff(root: &web_sys::ShadowRoot) -> String;
    /// What loader/palabre.js does once it shows a first paint: keeps what is clicked in it.
    pub fn keep_clicks_like_the_loader(root: &web_sys::ShadowRoot);
}

/// The endpoint the mock answers for.
pub const ENDPOINT: &str = "http://comments.test";

pub fn document() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

/// Polls until `check` holds (HTTP round trips take more than one executor turn).
pub async fn until(what: &str, mut check: impl FnMut() -> bool) {
    for _ in 0..150 {
        if check() {
            return;
        }
        sleep(20).await;
    }
    panic!("timed out waiting for {what}");
}

/// A published comment as the API sends it.
pub fn comment_json(id: i64, parent: Option<i64>, text: &str) -> String {
    format!(
        r#"{{"id":{id},"parent":{},"author":"Author {id}","website":null,"avatar":"abcdef0123456789","html":"<p>{text}</p>","created":"2026-11-28T10:00:00.000Z","edited":null,"likes":0,"dislikes":0,"status":"published"}}"#,
        parent.map_or("null".to_owned(), |p| p.to_string())
    )
}

/// The mock server, speaking every language the real one speaks.
pub fn install_mock() {
    install_bare_mock();
    for lang in palabre_widget::i18n::Lang::ALL {
        let list = palabre_widget::i18n::Words::builtin(lang).to_list();
        set_words(lang.tag(), &palabre_widget::json::to_string(&list).unwrap());
    }
}

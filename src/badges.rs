//! Comment counts for blog index pages: every `data-palabre-count` element, one batch request.

use crate::client::ApiClient;
use crate::i18n::{Lang, comment_count};
use palabre_api::MAX_COUNT_THREADS;
use wasm_bindgen::JsCast;

pub async fn fill(endpoint: String, lang: Lang) {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let Ok(nodes) = doc.query_selector_all("[data-palabre-count]") else {
        return;
    };
    let elements: Vec<web_sys::Element> = (0..nodes.length())
        .filter_map(|i| nodes.item(i))
        .filter_map(|n| n.dyn_into().ok())
        .collect();
    let mut keys: Vec<String> = elements
        .iter()
        .filter_map(|e| e.get_attribute("data-palabre-count"))
        .map(|k| k.trim().to_owned())
        .filter(|k| !k.is_empty())
        .collect();
    keys.sort();
    keys.dedup();
    // A badge speaks its own `data-lang`, else the page's language. The script's language
    // comes last: with several tags on a page, whichever runs first would otherwise decide.
    let page_lang = doc
        .document_element()
        .and_then(|html| html.get_attribute("lang"))
        .and_then(|l| Lang::from_tag(&l));
    let client = ApiClient::new(&endpoint);
    for chunk in keys.chunks(MAX_COUNT_THREADS) {
        let Ok(answer) = client.counts(chunk.to_vec()).await else {
            continue;
        };
        for el in &elements {
            let key = el.get_attribute("data-palabre-count").unwrap_or_default();
            if let Some(n) = answer.counts.get(key.trim()) {
                let lang = el
                    .get_attribute("data-lang")
                    .and_then(|l| Lang::from_tag(&l))
                    .or(page_lang)
                    .unwrap_or(lang);
                el.set_text_content(Some(&comment_count(lang, *n)));
            }
        }
    }
}

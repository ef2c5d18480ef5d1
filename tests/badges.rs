//! Count badges on an index page: in a wasm instance of their own, with no widget mounted
//! (as on a blog's index page, where the loader calls `count_badges` alone).
#![cfg(target_arch = "wasm32")]

use palabre_widget::count_badges;
use wasm_bindgen_test::*;

mod common;
use common::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn count_badges_are_filled_in_one_request() {
    install_mock();
    seed(
        "/a",
        &format!(
            "[{},{}]",
            comment_json(2001, None, "x"),
            comment_json(2002, None, "y")
        ),
    );
    seed("/b", &format!("[{}]", comment_json(2003, None, "z")));
    let doc = document();
    let mut badges = Vec::new();
    for key in ["/a", "/b", "/a"] {
        let el = doc.create_element("span").unwrap();
        el.set_attribute("data-palabre-count", key).unwrap();
        doc.body().unwrap().append_child(&el).unwrap();
        badges.push(el);
    }
    let script = doc.create_element("div").unwrap();
    script.set_attribute("data-endpoint", ENDPOINT).unwrap();
    script.set_attribute("data-lang", "en").unwrap();
    let before = request_count("/api/v1/counts");
    count_badges(&script);
    until("the badges", || {
        badges[1].text_content().unwrap_or_default() == "1 comment"
    })
    .await;
    assert_eq!(badges[0].text_content().unwrap(), "2 comments");
    assert_eq!(badges[2].text_content().unwrap(), "2 comments");
    assert_eq!(
        request_count("/api/v1/counts"),
        before + 1,
        "one batch request"
    );
    for b in badges {
        b.remove();
    }
}

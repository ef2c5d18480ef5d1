//! The widget in a real browser: mounted from data attributes into a shadow root, talking to
//! an in-memory API (tests/mock_api.js) installed over `fetch`.
#![cfg(target_arch = "wasm32")]

use palabre_widget::mount;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlElement, HtmlInputElement, HtmlTextAreaElement, ShadowRoot};

mod common;
use common::*;

wasm_bindgen_test_configure!(run_in_browser);

/// A script-like element carrying the data attributes (the mock's endpoint and `attrs`), and
/// the host after it, both in the page.
fn script_and_host(attrs: &[(&str, &str)]) -> (Element, Element) {
    let doc = document();
    let script = doc.create_element("div").unwrap();
    script.set_attribute("data-endpoint", ENDPOINT).unwrap();
    for (k, v) in attrs {
        script.set_attribute(&format!("data-{k}"), v).unwrap();
    }
    let host = doc.create_element("div").unwrap();
    doc.body().unwrap().append_child(&script).unwrap();
    doc.body().unwrap().append_child(&host).unwrap();
    (script, host)
}

/// The widget mounted from `attrs` into a new host: the host and its shadow root.
fn mount_widget(attrs: &[(&str, &str)]) -> (Element, ShadowRoot) {
    install_mock();
    let (script, host) = script_and_host(attrs);
    mount(&script, &host).unwrap();
    let root = host.shadow_root().expect("a shadow root");
    (host, root)
}

fn find(root: &ShadowRoot, selector: &str) -> Option<Element> {
    root.query_selector(selector).unwrap()
}

fn all(root: &ShadowRoot, selector: &str) -> Vec<Element> {
    let list = root.query_selector_all(selector).unwrap();
    (0..list.length())
        .map(|i| list.item(i).unwrap().dyn_into().unwrap())
        .collect()
}

fn text(root: &ShadowRoot) -> String {
    root.first_element_child()
        .map(|e| e.text_content().unwrap_or_default())
        .unwrap_or_default()
}

fn click(el: &Element) {
    el.dyn_ref::<HtmlElement>().unwrap().click();
}

fn type_into(el: &Element, value: &str) {
    if let Some(t) = el.dyn_ref::<HtmlTextAreaElement>() {
        t.set_value(value);
    } else {
        el.dyn_ref::<HtmlInputElement>().unwrap().set_value(value);
    }
    fire(el, "input");
}

/// Dispatches a bubbling event of type `kind` on `el`, as the browser would.
fn fire(el: &Element, kind: &str) {
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    el.dispatch_event(&web_sys::Event::new_with_event_init_dict(kind, &init).unwrap())
        .unwrap();
}

fn textarea_value(el: &Element) -> String {
    el.dyn_ref::<HtmlTextAreaElement>().unwrap().value()
}

/// Writes `body` in the top-level form and submits it.
fn post_top_level(root: &ShadowRoot, body: &str) {
    let form = find(root, "form.reply-form:not(.inline)").expect("the top-level form");
    type_into(
        &form.query_selector("textarea[name=body]").unwrap().unwrap(),
        body,
    );
    click(&form.query_selector("button[type=submit]").unwrap().unwrap());
}

#[wasm_bindgen_test]
async fn mounts_from_data_attributes_into_a_shadow_root() {
    let (host, root) = mount_widget(&[("thread", "/mount"), ("lang", "fr"), ("theme", "dark")]);
    assert_eq!(host.get_attribute("data-theme").as_deref(), Some("dark"));
    until("the empty thread", || {
        text(&root).contains("Aucun commentaire")
    })
    .await;
    assert!(
        text(&root).contains("Laisser un commentaire"),
        "French form title"
    );
    // Nothing of the widget is in the page's own DOM.
    assert!(
        document()
            .query_selector("form.reply-form")
            .unwrap()
            .is_none()
    );
    assert_eq!(
        requested_hosts(),
        "comments.test",
        "no request anywhere but the endpoint"
    );
    // The server serves feeds: the thread's is linked, in the widget's language.
    until("the feed link", || find(&root, "a.feed").is_some()).await;
    let feed = find(&root, "a.feed").unwrap();
    assert_eq!(
        feed.get_attribute("href").as_deref(),
        Some("http://comments.test/api/v1/feed?thread=%2Fmount")
    );
    assert_eq!(
        feed.text_content().as_deref(),
        Some("Flux des commentaires")
    );
}

#[wasm_bindgen_test]
async fn on_a_server_of_several_blogs_the_feed_link_names_the_blog() {
    // Feed readers send no Origin: the link says which blog's thread it is.
    set_site("beta");
    let (host, root) = mount_widget(&[("thread", "/sited"), ("lang", "en")]);
    until("the feed link", || find(&root, "a.feed").is_some()).await;
    set_site("");
    assert_eq!(
        find(&root, "a.feed")
            .unwrap()
            .get_attribute("href")
            .as_deref(),
        Some("http://comments.test/api/v1/feed?thread=%2Fsited&site=beta")
    );
    host.remove();
}

#[wasm_bindgen_test]
async fn renders_a_nested_thread() {
    install_mock();
    seed(
        "/nested",
        &format!(
            "[{},{},{}]",
            comment_json(1001, None, "root"),
            comment_json(1002, Some(1001), "child"),
            comment_json(1003, Some(1002), "grandchild")
        ),
    );
    let (_host, root) = mount_widget(&[("thread", "/nested"), ("lang", "en")]);
    until("three comments", || all(&root, "li.comment").len() == 3).await;
    let child = find(
        &root,
        "li.comment[data-id='1001'] > ol.replies > li.comment[data-id='1002']",
    );
    assert!(child.is_some(), "the reply is nested under its parent");
    let grandchild = find(
        &root,
        "li[data-id='1002'] > ol.replies > li[data-id='1003']",
    );
    assert!(grandchild.is_some());
    assert!(text(&root).contains("3 comments"));
    // The exact time is a tooltip written on the first hover, not at render.
    let time = find(&root, "li[data-id='1001'] time").unwrap();
    assert_eq!(time.get_attribute("title"), None);
    fire(&time, "mouseover");
    // Formatted by the `times` chunk, which the first hover fetches.
    until("the tooltip", || time.has_attribute("title")).await;
    let title = time.get_attribute("title").unwrap_or_default();
    assert!(
        title.contains("November") && title.contains("2026"),
        "{title:?}"
    );
    assert!(
        find(&root, "li[data-id='1001'] svg.avatar").is_some(),
        "identicon drawn"
    );
    // Collapse hides the subtree.
    click(&find(&root, "li[data-id='1001'] .collapse").unwrap());
    until("the collapsed subtree", || {
        find(&root, "li[data-id='1002']").is_none()
    })
    .await;
}

/// Mounts the widget on `thread` after the loader's stand-in asked for its first page with
/// `limit`: the server holds a comment "from the server", the early answer one "from the
/// loader". Returns the early request's URL and the shadow root.
fn mount_after_early_request(thread: &str, limit: &str, ids: (i64, i64)) -> (String, ShadowRoot) {
    install_mock();
    seed(
        thread,
        &format!("[{}]", comment_json(ids.0, None, "from the server")),
    );
    let url = prefetch(
        ENDPOINT,
        thread,
        limit,
        &format!("[{}]", comment_json(ids.1, None, "from the loader")),
    );
    let (_host, root) = mount_widget(&[("thread", thread)]);
    (url, root)
}

/// In the browser, input parsing takes its Unicode rules from the browser (Intl.Segmenter,
/// toLowerCase), not from tables compiled in (api/src/unicode.rs): the same answers as the
/// server's.
#[wasm_bindgen_test]
fn unicode_rules_come_from_the_browser_with_the_servers_answers() {
    use palabre_api::{CommentBody, Email, ErrorCode, MAX_TITLE_GRAPHEMES, Title};
    // One cluster each: seven chars joined, and e with a combining accent.
    let family = "👨‍👩‍👧‍👦";
    let accent = "e\u{301}";
    let ten = format!("{}{}", family.repeat(5), accent.repeat(5));
    assert!(CommentBody::parse(&ten, 10).is_ok());
    let eleven = format!("{ten}x");
    assert_eq!(
        CommentBody::parse(&eleven, 10)
            .map(|_| ())
            .unwrap_err()
            .code,
        ErrorCode::BodyTooLong
    );
    // A long title is cut between clusters, never inside one.
    let title = Title::parse(&family.repeat(MAX_TITLE_GRAPHEMES + 1)).unwrap();
    assert_eq!(title.as_str(), family.repeat(MAX_TITLE_GRAPHEMES));
    let email = Email::parse("Ana@ÉCOLE.Example").unwrap().unwrap();
    assert_eq!(email.as_str(), "Ana@école.example");
    assert_eq!(palabre_api::unicode::lowercase("ΟΔΟΣ ΣΑΣ"), "οδος σας");
}

#[wasm_bindgen_test]
async fn a_long_first_page_shows_its_first_comments_first_then_the_rest() {
    install_mock();
    let comments: Vec<String> = (0..10)
        .map(|i| comment_json(2001 + i, None, &format!("top {i}")))
        .chain([comment_json(2100, Some(2001), "a reply")])
        .collect();
    seed("/long", &format!("[{}]", comments.join(",")));
    let (_host, root) = mount_widget(&[("thread", "/long"), ("lang", "en")]);
    watch_first_draw(&root, "ol.comments > li.comment");
    until("every top-level comment", || {
        all(&root, "ol.comments > li.comment").len() == 10
    })
    .await;
    assert_eq!(
        first_draw(&root),
        palabre_widget::components::FIRST_DRAW_ROOTS as u32,
        "the first draw holds the first few only"
    );
    let order: Vec<String> = all(&root, "ol.comments > li.comment")
        .iter()
        .map(|li| li.get_attribute("data-id").unwrap())
        .collect();
    let expected: Vec<String> = (2001..=2010).map(|id| id.to_string()).collect();
    assert_eq!(order, expected, "the rest follow, in order");
    assert!(find(&root, "li[data-id='2001'] li[data-id='2100']").is_some());
}

/// A host as the loader leaves it when the server's first paint came first: a shadow root
/// holding the paint, drawn for `signature`; and the script-like element carrying `attrs`.
fn host_with_first_paint(signature: &str, attrs: &[(&str, &str)]) -> (Element, Element) {
    host_with_painted(
        signature,
        r#"<li class="comment">drawn by the server</li>"#,
        attrs,
    )
}

/// A host whose shadow root holds a first paint drawn for `signature`, with `comments` in it.
fn host_with_painted(
    signature: &str,
    comments: &str,
    attrs: &[(&str, &str)],
) -> (Element, Element) {
    let (script, host) = script_and_host(attrs);
    let root = host
        .attach_shadow(&web_sys::ShadowRootInit::new(web_sys::ShadowRootMode::Open))
        .unwrap();
    root.set_inner_html(&format!(
        r#"<div class="palabre-root" data-first-paint="{signature}"><section class="palabre"><ol class="comments">{comments}</ol></section></div>"#
    ));
    (script, host)
}

/// A comment as the server's first paint draws it (server/src/first_paint.rs), votes on.
fn painted_comment(id: i64) -> String {
    format!(
        r#"<li class="comment" data-id="{id}" tabindex="-1"><article><header class="meta"><span class="author">Author {id}</span></header><div class="body"><p>painted</p></div><div class="actions"><span class="votes"><button class="vote like" type="button" aria-pressed="false"><span class="sr-only">Like </span><span class="n">0</span></button><button class="vote dislike" type="button" aria-pressed="false"><span class="sr-only">Dislike </span><span class="n">0</span></button></span><button class="reply" type="button" aria-expanded="false">Reply</button></div></article></li>"#
    )
}

/// Mounts over a first paint of two comments of `thread`; `before` acts on the first paint
/// while it shows, before the widget's code runs. Returns the shadow root once handed over.
async fn hand_over_after(thread: &str, before: impl FnOnce(&ShadowRoot)) -> ShadowRoot {
    install_mock();
    let (one, two) = (1231, 1232);
    seed(
        thread,
        &format!(
            "[{},{}]",
            comment_json(one, None, "first"),
            comment_json(two, None, "second")
        ),
    );
    let (script, host) = host_with_painted(
        &format!("en oldest 20 1 1 4 {thread}"),
        &(painted_comment(one) + &painted_comment(two)),
        &[("thread", thread), ("lang", "en")],
    );
    let root = host.shadow_root().unwrap();
    keep_clicks_like_the_loader(&root);
    watch_handoff(&root);
    before(&root);
    mount(&script, &host).unwrap();
    until("the handoff", || !handoff(&root).is_empty()).await;
    assert_eq!(handoff(&root), "2 shown");
    root
}

#[wasm_bindgen_test]
async fn a_button_clicked_on_the_first_paint_is_clicked_on_the_widget_once_it_shows() {
    let root = hand_over_after("/painted-click", |root| {
        let reply = find(
            root,
            r#"[data-first-paint] li[data-id="1231"] button.reply"#,
        )
        .unwrap();
        // Twice, as a reader does when nothing happens: still one click.
        click(&reply);
        click(&reply);
    })
    .await;
    let reply = find(&root, r#"li[data-id="1231"] button.reply"#).unwrap();
    assert_eq!(
        reply.get_attribute("aria-expanded").as_deref(),
        Some("true")
    );
    assert_eq!(all(&root, r#"li[data-id="1231"] form.reply-form"#).len(), 1);
    assert!(all(&root, r#"li[data-id="1232"] form.reply-form"#).is_empty());
}

#[wasm_bindgen_test]
async fn focus_on_the_first_paint_moves_to_the_same_button_of_the_widget() {
    let root = hand_over_after("/painted-focus", |root| {
        let like = find(root, r#"li[data-id="1232"] button.vote.like"#).unwrap();
        like.dyn_ref::<HtmlElement>().unwrap().focus().unwrap();
        assert_eq!(root.active_element(), Some(like));
    })
    .await;
    let like = find(&root, r#"li[data-id="1232"] button.vote.like"#).unwrap();
    assert_eq!(root.active_element(), Some(like));
    assert!(find(&root, "[data-first-paint]").is_none());
}

#[wasm_bindgen_test]
async fn the_servers_first_paint_stays_until_the_widget_has_drawn_the_same_page() {
    install_mock();
    seed(
        "/painted",
        &format!(
            "[{},{}]",
            comment_json(1201, None, "drawn by the widget"),
            comment_json(1202, Some(1201), "a reply")
        ),
    );
    let (script, host) = host_with_first_paint(
        "en oldest 20 1 1 4 /painted",
        &[("thread", "/painted"), ("lang", "en")],
    );
    let root = host.shadow_root().unwrap();
    watch_handoff(&root);
    mount(&script, &host).unwrap();
    assert!(
        find(&root, "[data-first-paint]").is_some(),
        "kept while the widget loads"
    );
    assert!(
        find(&root, ".palabre-root[hidden]:not([data-first-paint])").is_some(),
        "the widget draws out of sight meanwhile"
    );
    until("the handoff", || !handoff(&root).is_empty()).await;
    assert_eq!(
        handoff(&root),
        "2 shown",
        "the first paint left when the widget had drawn the whole page, and showed it"
    );
    assert!(text(&root).contains("drawn by the widget"));
    assert!(!text(&root).contains("drawn by the server"));
}

#[wasm_bindgen_test]
async fn a_first_paint_drawn_for_another_widget_goes_at_once() {
    install_mock();
    seed(
        "/painted-fr",
        &format!("[{}]", comment_json(1211, None, "bonjour")),
    );
    // Drawn in English; the widget is French.
    let (script, host) = host_with_first_paint(
        "en oldest 20 1 1 4 /painted-fr",
        &[("thread", "/painted-fr"), ("lang", "fr")],
    );
    mount(&script, &host).unwrap();
    let root = host.shadow_root().unwrap();
    assert!(find(&root, "[data-first-paint]").is_none());
    assert!(find(&root, ".palabre-root[hidden]").is_none());
    until("the widget's page", || text(&root).contains("bonjour")).await;
}

#[wasm_bindgen_test]
async fn a_failed_first_load_replaces_the_first_paint_with_the_error() {
    install_mock();
    set_failure("500");
    let (script, host) = host_with_first_paint(
        "en oldest 20 1 1 4 /painted-down",
        &[("thread", "/painted-down"), ("lang", "en")],
    );
    let root = host.shadow_root().unwrap();
    watch_handoff(&root);
    mount(&script, &host).unwrap();
    until("the handoff", || !handoff(&root).is_empty()).await;
    set_failure("");
    assert_eq!(handoff(&root), "0 shown");
    assert!(
        find(&root, "button.retry").is_some(),
        "the reader can retry"
    );
}

#[wasm_bindgen_test]
async fn the_loaders_early_request_is_used_when_it_asked_for_the_same_page() {
    let (url, root) = mount_after_early_request("/early", "20", (1101, 1102));
    until("the loader's page", || {
        text(&root).contains("from the loader")
    })
    .await;
    assert!(!text(&root).contains("from the server"));
    assert_eq!(
        request_count("/api/v1/comments /early"),
        0,
        "not asked twice"
    );
    assert!(
        !is_prefetch_waiting(&url),
        "taken, so a re-sort asks the server"
    );

    // A page the widget would not ask for (another page size) is left alone.
    let (url, root) = mount_after_early_request("/early-other", "5", (1103, 1104));
    until("the server's page", || {
        text(&root).contains("from the server")
    })
    .await;
    assert!(!text(&root).contains("from the loader"));
    assert_eq!(request_count("/api/v1/comments /early-other"), 1);
    assert!(is_prefetch_waiting(&url));
}

#[wasm_bindgen_test]
async fn posts_a_comment_and_a_reply() {
    let (_host, root) = mount_widget(&[("thread", "/post"), ("lang", "en")]);
    until("the form", || find(&root, "form.reply-form").is_some()).await;
    post_top_level(&root, "First <b>post</b>");
    until("the new comment", || {
        text(&root).contains("First <b>post</b>")
    })
    .await;
    let first = find(&root, "li.comment").unwrap();
    assert!(
        first.query_selector("b").unwrap().is_none(),
        "shown as text, not markup"
    );
    // Focus moves to what was posted.
    until("focus on the comment", || {
        document().active_element().is_some()
            && root
                .active_element()
                .map(|e| e.class_name().contains("comment"))
                .unwrap_or(false)
    })
    .await;

    click(&first.query_selector("button.reply").unwrap().unwrap());
    until("the inline form", || {
        find(&root, "form.reply-form.inline").is_some()
    })
    .await;
    let inline = find(&root, "form.reply-form.inline").unwrap();
    type_into(
        &inline.query_selector("textarea").unwrap().unwrap(),
        "A reply",
    );
    click(
        &inline
            .query_selector("button[type=submit]")
            .unwrap()
            .unwrap(),
    );
    until("the nested reply", || {
        find(&root, "li.comment > ol.replies > li.comment")
            .is_some_and(|li| li.text_content().unwrap_or_default().contains("A reply"))
    })
    .await;
    assert!(
        find(&root, "form.reply-form.inline").is_none(),
        "the reply form closes"
    );
    assert!(text(&root).contains("2 comments"));
}

#[wasm_bindgen_test]
async fn another_page_a_new_comment_or_a_vote_leaves_the_shown_comments_untouched() {
    install_mock();
    seed(
        "/busy",
        &format!(
            "[{},{},{},{},{}]",
            comment_json(2001, None, "one"),
            comment_json(2002, Some(2001), "two"),
            comment_json(2003, None, "three"),
            comment_json(2004, None, "four"),
            comment_json(2005, None, "five")
        ),
    );
    let (_host, root) = mount_widget(&[("thread", "/busy"), ("lang", "en"), ("page-size", "2")]);
    until("the first page", || all(&root, "li.comment").len() == 3).await;
    until("the form", || find(&root, "form.reply-form").is_some()).await;
    // Marks on the elements that must survive: a redrawn element comes back unmarked.
    let marked = all(&root, "li.comment, li.comment .body, li.comment .actions");
    for el in &marked {
        js_sys::Reflect::set(el, &"palabreMark".into(), &true.into()).unwrap();
    }
    let still_marked = || {
        marked.iter().all(|el| {
            el.is_connected() && js_sys::Reflect::get(el, &"palabreMark".into()).unwrap() == true
        })
    };

    click(&find(&root, "button.load-more").expect("a next page"));
    until("the second page", || all(&root, "li.comment").len() == 5).await;
    assert!(still_marked(), "loading a page redrew the comments shown");

    post_top_level(&root, "six");
    until("the new comment", || all(&root, "li.comment").len() == 6).await;
    assert!(still_marked(), "a new comment redrew the others");

    click(&find(&root, "li[data-id='2003'] button.like").unwrap());
    until("the like", || {
        find(&root, "li[data-id='2003'] button.like .n")
            .is_some_and(|n| n.text_content().as_deref() == Some("1"))
    })
    .await;
    assert!(still_marked(), "a vote redrew comments");
}

#[wasm_bindgen_test]
async fn errors_are_shown_next_to_their_field() {
    let (_host, root) = mount_widget(&[("thread", "/errors"), ("lang", "en")]);
    until("the form", || find(&root, "form.reply-form").is_some()).await;
    // Local validation (the server's own rules from palabre-api): no request is made.
    let form = find(&root, "form.reply-form").unwrap();
    type_into(
        &form.query_selector("input[name=email]").unwrap().unwrap(),
        "not-an-email",
    );
    let before = request_count("POST comments.test/api/v1/comments /errors");
    post_top_level(&root, "hello");
    let email = form.query_selector("input[name=email]").unwrap().unwrap();
    until("the local email error", || {
        email.get_attribute("aria-invalid").as_deref() == Some("true")
    })
    .await;
    // Read with the field: its note, then its error.
    let described = email.get_attribute("aria-describedby").unwrap();
    let [hint_id, error_id] = described.split(' ').collect::<Vec<_>>()[..] else {
        panic!("the email's note and error: {described}");
    };
    let hint = root.get_element_by_id(hint_id).unwrap();
    assert_eq!(hint.text_content().unwrap(), "Never shown to anyone.");
    assert_eq!(
        hint.parent_element(),
        email.parent_element(),
        "the note sits with the email field, not after the website"
    );
    let error = root.get_element_by_id(error_id).unwrap();
    assert!(error.text_content().unwrap().contains("email address"));
    let website = form.query_selector("input[name=website]").unwrap().unwrap();
    assert!(
        !website
            .get_attribute("aria-describedby")
            .unwrap()
            .contains("hint"),
        "the website has no note"
    );
    assert_eq!(
        request_count("POST comments.test/api/v1/comments /errors"),
        before,
        "refused before any request"
    );

    // A server-side error code lands next to its field too.
    type_into(&email, "");
    post_top_level(&root, "SERVER_SAYS_EMAIL");
    until("the request", || {
        request_count("POST comments.test/api/v1/comments /errors") > before
    })
    .await;
    until("the server's email error", || {
        email.get_attribute("aria-invalid").as_deref() == Some("true")
    })
    .await;
    assert!(
        root.get_element_by_id(error_id)
            .unwrap()
            .text_content()
            .unwrap()
            .contains("email address")
    );
    assert_eq!(
        textarea_value(&form.query_selector("textarea").unwrap().unwrap()),
        "SERVER_SAYS_EMAIL",
        "text kept"
    );
}

#[wasm_bindgen_test]
async fn the_draft_survives_a_remount() {
    let (host, root) = mount_widget(&[("thread", "/draft")]);
    until("the form", || find(&root, "textarea").is_some()).await;
    type_into(&find(&root, "textarea").unwrap(), "Half-written thought");
    host.remove();
    let (_host2, root2) = mount_widget(&[("thread", "/draft")]);
    until("the restored draft", || {
        find(&root2, "textarea").is_some_and(|t| textarea_value(&t) == "Half-written thought")
    })
    .await;
}

#[wasm_bindgen_test]
fn stored_values_go_through_the_browsers_json_and_earlier_ones_still_read() {
    use palabre_widget::storage::{Identity, OwnComment, Store, identity_key, own_comments_key};
    let store = Store::browser();
    let endpoint = "https://json.example";
    let own_key = own_comments_key(endpoint);
    // As serde_json wrote them, before the widget parsed JSON with the browser: ids are the
    // object's (string) keys. A key that is no id is dropped, not the whole map.
    store.set(
        &own_key,
        r#"{"12":{"token":"t12","created_ms":1000,"body":"old"},"x":{"token":"t","created_ms":1000}}"#,
    );
    let own = store.own_comments(endpoint, 1500, 10_000);
    assert_eq!(own.keys().copied().collect::<Vec<_>>(), [12]);
    assert_eq!(
        (own[&12].token.as_str(), own[&12].body.as_str()),
        ("t12", "old")
    );
    assert_eq!(own[&12].pending_in, None);

    let new = OwnComment {
        token: "t7".into(),
        created_ms: 1400,
        body: "new \"quoted\" é".into(),
        pending_in: Some("/p".into()),
    };
    store.remember_own(endpoint, 7, new.clone());
    assert_eq!(
        store.get(&own_key).unwrap(),
        r#"{"7":{"token":"t7","created_ms":1400,"body":"new \"quoted\" é","pending_in":"/p"},"12":{"token":"t12","created_ms":1000,"body":"old"}}"#,
        "what serde_json would write"
    );
    let own = store.own_comments(endpoint, 1500, 10_000);
    assert_eq!(own.keys().copied().collect::<Vec<_>>(), [7, 12]);
    assert_eq!(own[&7], new);
    store.forget_own(endpoint, 12);
    assert_eq!(store.own_comments(endpoint, 1500, 10_000).len(), 1);

    let me = Identity {
        author: "Zoë".into(),
        email: "z@example.org".into(),
        website: String::new(),
    };
    store.save_identity(endpoint, &me);
    assert_eq!(
        store.get(&identity_key(endpoint)).unwrap(),
        r#"{"author":"Zoë","email":"z@example.org","website":""}"#
    );
    assert_eq!(store.identity(endpoint), me);
    store.set(&identity_key(endpoint), "{not json");
    assert_eq!(store.identity(endpoint), Identity::default());
    store.remove(&identity_key(endpoint));
    store.remove(&own_key);
}

#[wasm_bindgen_test]
async fn a_failed_post_keeps_the_text_and_can_be_retried() {
    let (_host, root) = mount_widget(&[("thread", "/retry"), ("lang", "en")]);
    until("the form", || find(&root, "textarea").is_some()).await;
    set_failure("offline");
    post_top_level(&root, "Do not lose me");
    until("the failure message", || {
        find(&root, ".form-error").is_some()
    })
    .await;
    assert!(text(&root).contains("cannot be reached"));
    assert_eq!(
        textarea_value(&find(&root, "textarea").unwrap()),
        "Do not lose me"
    );
    set_failure("500");
    click(&find(&root, "form.reply-form button[type=submit]").unwrap());
    until("the server failure message", || {
        text(&root).contains("server problem")
    })
    .await;
    assert_eq!(
        textarea_value(&find(&root, "textarea").unwrap()),
        "Do not lose me"
    );
    set_failure("");
    click(&find(&root, "form.reply-form button[type=submit]").unwrap());
    until("the posted comment", || find(&root, "li.comment").is_some()).await;
    assert_eq!(
        textarea_value(&find(&root, "textarea").unwrap()),
        "",
        "cleared once accepted"
    );
    let storage = web_sys::window().unwrap().local_storage().unwrap().unwrap();
    let key = palabre_widget::storage::draft_key(ENDPOINT, "/retry", None);
    assert_eq!(
        storage.get_item(&key).unwrap(),
        None,
        "stored draft cleared"
    );
}

#[wasm_bindgen_test]
async fn own_comments_can_be_edited_and_deleted() {
    let (_host, root) = mount_widget(&[("thread", "/own"), ("lang", "en")]);
    until("the form", || find(&root, "textarea").is_some()).await;
    post_top_level(&root, "Original");
    until("the comment", || {
        find(&root, "li.comment button.edit").is_some()
    })
    .await;
    click(&find(&root, "li.comment button.edit").unwrap());
    until("the editor", || {
        find(&root, "form.edit-form textarea").is_some()
    })
    .await;
    let editor = find(&root, "form.edit-form textarea").unwrap();
    assert_eq!(
        textarea_value(&editor),
        "Original",
        "editing starts from the Markdown"
    );
    type_into(&editor, "Corrected");
    click(&find(&root, "form.edit-form button[type=submit]").unwrap());
    until("the edited text", || {
        find(&root, "li.comment .body")
            .is_some_and(|b| b.text_content().unwrap().trim() == "Corrected")
    })
    .await;
    click(&find(&root, "li.comment button.delete").unwrap());
    until("the confirmation step", || {
        find(&root, "li.comment button.confirm-yes").is_some()
    })
    .await;
    click(&find(&root, "li.comment button.confirm-yes").unwrap());
    until("the comment gone", || find(&root, "li.comment").is_none()).await;
}

/// Posts `body` as a reply to the comment `li` through its inline form.
async fn reply_to(root: &ShadowRoot, li: &Element, body: &str) {
    let before = all(root, "li.comment").len();
    click(&li.query_selector("button.reply").unwrap().unwrap());
    until("the inline form", || {
        find(root, "form.reply-form.inline").is_some()
    })
    .await;
    let inline = find(root, "form.reply-form.inline").unwrap();
    type_into(&inline.query_selector("textarea").unwrap().unwrap(), body);
    click(
        &inline
            .query_selector("button[type=submit]")
            .unwrap()
            .unwrap(),
    );
    until("the reply", || all(root, "li.comment").len() == before + 1).await;
}

async fn delete_own(li: &Element) {
    click(&li.query_selector("button.delete").unwrap().unwrap());
    until("the confirmation step", || {
        li.query_selector("button.confirm-yes").unwrap().is_some()
    })
    .await;
    click(&li.query_selector("button.confirm-yes").unwrap().unwrap());
}

fn comment_with(root: &ShadowRoot, words: &str) -> Option<Element> {
    all(root, "li.comment").into_iter().find(|li| {
        li.query_selector(":scope > article .body")
            .ok()
            .flatten()
            .and_then(|b| b.text_content())
            .is_some_and(|t| t.trim() == words)
    })
}

#[wasm_bindgen_test]
async fn what_is_deleted_leaves_the_screen_at_once() {
    let (_host, root) = mount_widget(&[("thread", "/deletions"), ("lang", "en")]);
    until("the form", || find(&root, "textarea").is_some()).await;
    post_top_level(&root, "Parent");
    until("the comment", || comment_with(&root, "Parent").is_some()).await;
    let parent = comment_with(&root, "Parent").unwrap();
    reply_to(&root, &parent, "First reply").await;
    reply_to(&root, &parent, "Second reply").await;
    until("3 comments", || text(&root).contains("3 comments")).await;

    // A reply without replies goes, and only it.
    delete_own(&comment_with(&root, "First reply").unwrap()).await;
    until("the reply gone", || {
        comment_with(&root, "First reply").is_none()
    })
    .await;
    assert!(comment_with(&root, "Second reply").is_some());
    until("2 comments", || text(&root).contains("2 comments")).await;

    // A comment with a reply leaves the placeholder, its reply in place.
    delete_own(&parent).await;
    until("the placeholder", || {
        find(&root, "li.comment p.deleted").is_some()
    })
    .await;
    assert!(comment_with(&root, "Parent").is_none(), "its text is gone");
    let placeholder = find(&root, "li.comment").unwrap();
    assert!(
        placeholder
            .query_selector("ol.replies li.comment")
            .unwrap()
            .is_some(),
        "the reply stays under the placeholder"
    );

    // The last reply under a placeholder takes the placeholder with it.
    delete_own(&comment_with(&root, "Second reply").unwrap()).await;
    until("the thread empty", || find(&root, "li.comment").is_none()).await;
    until("0 comments", || !text(&root).contains("1 comment")).await;
}

#[wasm_bindgen_test]
async fn a_held_comment_stays_visible_to_its_author_after_a_reload() {
    let (host, root) = mount_widget(&[("thread", "/held"), ("lang", "en")]);
    until("the form", || find(&root, "textarea").is_some()).await;
    set_moderation("all");
    post_top_level(&root, "Please approve me");
    until("the note", || {
        find(&root, "li.comment .pending-note").is_some()
    })
    .await;
    set_moderation("none");
    // Posting solved the mock's proof of work (it checks the hash and refuses replays).
    assert!(request_count("GET comments.test/api/v1/challenge") >= 1);
    host.remove();

    let (_host, root) = mount_widget(&[("thread", "/held"), ("lang", "en")]);
    until("the held comment, fetched by token", || {
        find(&root, "li.comment .pending-note").is_some()
    })
    .await;
    assert!(text(&root).contains("Please approve me"));
    assert_eq!(request_count("GET comments.test/api/v1/comments/"), 1);
}

#[wasm_bindgen_test]
async fn reply_notifications_are_offered_once_an_email_is_given() {
    let (_host, root) = mount_widget(&[("thread", "/notify"), ("lang", "en")]);
    until("the form", || find(&root, "textarea").is_some()).await;
    assert!(
        find(&root, "input[name=notify]").is_none(),
        "no email, no offer"
    );
    type_into(
        &find(&root, "input[name=email]").unwrap(),
        "ana@example.org",
    );
    until("the checkbox", || {
        find(&root, "input[name=notify]").is_some()
    })
    .await;
    click(&find(&root, "input[name=notify]").unwrap());
    post_top_level(&root, "Tell me about replies");
    until("the comment", || {
        text(&root).contains("Tell me about replies")
    })
    .await;
    let sent = last_post();
    assert!(sent.contains(r#""notify":true"#), "{sent}");
    assert!(sent.contains(r#""email":"ana@example.org""#), "{sent}");
}

#[wasm_bindgen_test]
async fn host_css_does_not_leak_in_and_ours_does_not_leak_out() {
    let doc = document();
    let style = doc.create_element("style").unwrap();
    style.set_text_content(Some(
        "* { all: unset !important; } textarea, .comment, .reply-form, button { display: none !important; } \
         div { font-size: 80px !important; color: red !important; }",
    ));
    doc.head().unwrap().append_child(&style).unwrap();
    let outside = doc.create_element("p").unwrap();
    outside.set_class_name("replies");
    doc.body().unwrap().append_child(&outside).unwrap();

    let (_host, root) = mount_widget(&[("thread", "/css")]);
    until("the form", || find(&root, "textarea").is_some()).await;
    let window = web_sys::window().unwrap();
    let textarea = find(&root, "textarea").unwrap();
    let css = window.get_computed_style(&textarea).unwrap().unwrap();
    assert_ne!(
        css.get_property_value("display").unwrap(),
        "none",
        "page CSS reached the widget"
    );
    let form = find(&root, "form.reply-form").unwrap();
    let size = window
        .get_computed_style(&form)
        .unwrap()
        .unwrap()
        .get_property_value("font-size")
        .unwrap();
    assert_ne!(size, "80px");
    // Our `.replies` rule (a left padding) stays inside the shadow root.
    let out = window.get_computed_style(&outside).unwrap().unwrap();
    assert_ne!(
        out.get_property_value("padding-inline-start").unwrap(),
        "20px"
    );
    style.remove();
    outside.remove();
}

/// The drawing a reader sees, one line an element: tag, classes, id and the attributes that
/// say what it is, with the text of leaf elements. Times are left out (they are relative to
/// when each was drawn); so is what only the widget has (its form, announcements).
fn drawing(section: &Element) -> Vec<String> {
    fn walk(el: &Element, depth: usize, out: &mut Vec<String>) {
        let tag = el.tag_name().to_lowercase();
        let mut classes: Vec<String> = el
            .get_attribute("class")
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        classes.sort();
        let mut line = format!("{}{tag}.{}", "  ".repeat(depth), classes.join("."));
        for attr in [
            "data-id",
            "aria-expanded",
            "aria-pressed",
            "href",
            "datetime",
            "title",
            "dir",
        ] {
            if let Some(v) = el.get_attribute(attr) {
                line.push_str(&format!(" {attr}={v:?}"));
            }
        }
        if el.first_element_child().is_none() && tag != "time" {
            line.push_str(&format!(
                " {:?}",
                el.text_content().unwrap_or_default().trim()
            ));
        }
        out.push(line);
        let mut child = el.first_element_child();
        while let Some(c) = child {
            walk(&c, depth + 1, out);
            child = c.next_element_sibling();
        }
    }
    let mut out = Vec::new();
    let mut child = section.first_element_child();
    while let Some(c) = child {
        let class = c.get_attribute("class").unwrap_or_default();
        if class == "comments" || class.starts_with("status") {
            walk(&c, 0, &mut out);
        }
        child = c.next_element_sibling();
    }
    out
}

/// Each case of the golden first paints (tests/fixtures, written by the server's renderer):
/// the widget, given the same page and options, draws the same.
#[wasm_bindgen_test]
async fn draws_what_the_first_paint_draws() {
    const GOLDEN: &str = include_str!("fixtures/first-paint-matrix.html");
    let cases: Vec<&str> = GOLDEN.split("<!-- case ").skip(1).collect();
    assert_eq!(cases.len(), 7, "the matrix's cases");
    for case in cases {
        let (head, rest) = case.split_once(" -->\n").unwrap();
        let mut words = head.split_whitespace();
        let name = words.next().unwrap();
        let options: Vec<(&str, &str)> = words.map(|w| w.split_once('=').unwrap()).collect();
        let (page, html) = rest.split_once(" -->\n").unwrap();
        let page = page.strip_prefix("<!-- page ").unwrap();
        let thread = format!("/golden-{name}");
        install_mock();
        seed_page(&thread, page);
        let mut attrs = vec![("thread", thread.as_str())];
        attrs.extend(options);
        let (_host, root) = mount_widget(&attrs);

        let painted = document().create_element("div").unwrap();
        painted.set_inner_html(html);
        let painted = painted.query_selector("section.palabre").unwrap().unwrap();
        let comments = painted.query_selector_all("li.comment").unwrap().length() as usize;
        until(&format!("{name}: the widget's drawing"), || {
            find(&root, "ol.comments").is_some() && all(&root, "li.comment").len() == comments
        })
        .await;
        let widget = find(&root, "section.palabre").unwrap();
        assert_eq!(drawing(&widget), drawing(&painted), "case {name}");
        for attr in ["lang", "dir", "aria-label"] {
            assert_eq!(
                widget.get_attribute(attr),
                painted.get_attribute(attr),
                "case {name}: {attr}"
            );
        }
    }
}

/// The direction an element is laid out in, as the browser computed it.
fn direction(el: &Element) -> String {
    web_sys::window()
        .unwrap()
        .get_computed_style(el)
        .unwrap()
        .unwrap()
        .get_property_value("direction")
        .unwrap()
}

#[wasm_bindgen_test]
async fn another_language_comes_from_the_server_with_its_plural_rules() {
    install_mock();
    seed(
        "/polski",
        &format!(
            "[{},{},{}]",
            comment_json(1201, None, "a"),
            comment_json(1202, None, "b"),
            comment_json(1203, None, "c")
        ),
    );
    let before = request_count("/api/v1/words/pl");
    let (_host, root) = mount_widget(&[("thread", "/polski"), ("lang", "pl-PL")]);
    until("the Polish count", || text(&root).contains("3 komentarze")).await;
    assert!(text(&root).contains("Dodaj komentarz"), "the form's title");
    assert!(!text(&root).contains("Leave a comment"), "no English left");
    let section = find(&root, "section.palabre").unwrap();
    assert_eq!(section.get_attribute("lang").as_deref(), Some("pl"));
    assert_eq!(section.get_attribute("dir").as_deref(), Some("ltr"));
    assert_eq!(request_count("/api/v1/words/pl"), before + 1);
}

#[wasm_bindgen_test]
async fn right_to_left_text_and_languages_lay_out_right_to_left() {
    install_mock();
    let arabic = "مرحبا بالعالم، هذا تعليق";
    seed(
        "/rtl",
        &format!(
            "[{},{}]",
            comment_json(1301, None, arabic),
            comment_json(1302, None, "plain English")
        ),
    );
    // In an English widget, an Arabic comment still reads right to left, an English one not.
    let (_host, root) = mount_widget(&[("thread", "/rtl"), ("lang", "en")]);
    until("the comments", || all(&root, "li.comment").len() == 2).await;
    let section = find(&root, "section.palabre").unwrap();
    assert_eq!(direction(&section), "ltr");
    let body = |id| find(&root, &format!("li[data-id='{id}'] .body")).unwrap();
    assert_eq!(direction(&body(1301)), "rtl");
    assert_eq!(direction(&body(1302)), "ltr");

    // In Arabic, the whole widget does.
    let (_host, root) = mount_widget(&[("thread", "/rtl"), ("lang", "ar")]);
    until("the Arabic widget", || text(&root).contains("اترك تعليقًا")).await;
    let section = find(&root, "section.palabre").unwrap();
    assert_eq!(section.get_attribute("dir").as_deref(), Some("rtl"));
    assert_eq!(direction(&section), "rtl");
    let form = find(&root, "form.reply-form").unwrap();
    assert_eq!(direction(&form), "rtl");
    let body = find(&root, "li[data-id='1302'] .body").unwrap();
    assert_eq!(direction(&body), "ltr", "English text stays left to right");
    assert!(
        text(&root).contains("تعليقان"),
        "the dual form: two comments"
    );
}

#[wasm_bindgen_test]
async fn words_the_server_cannot_give_leave_the_widget_in_english() {
    install_mock();
    // A server of another version: its words are for other keys.
    let mut list = palabre_widget::i18n::Words::builtin(palabre_widget::i18n::Lang::It).to_list();
    list.version ^= 1;
    set_words("it", &palabre_widget::json::to_string(&list).unwrap());
    let (script, host) = script_and_host(&[("thread", "/italiano"), ("lang", "it")]);
    mount(&script, &host).unwrap();
    let root = host.shadow_root().unwrap();
    until("the English widget", || {
        text(&root).contains("Leave a comment")
    })
    .await;
    let section = find(&root, "section.palabre").unwrap();
    assert_eq!(section.get_attribute("lang").as_deref(), Some("en"));
    assert_eq!(request_count("/api/v1/words/it"), 1);
    install_mock(); // the right words again, for any later test
}

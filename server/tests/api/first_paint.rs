//! `GET /api/v1/first-paint`: a thread's first page as the widget draws it, for the loader to
//! show before the widget runs. The markup itself is compared with the widget's in the
//! end-to-end test `first-paint.test.mjs`; here, what the endpoint serves and refuses.

use crate::helpers::*;
use palabre_api::ErrorCode;

async fn first_paint(app: &TestApp, query: &str) -> (reqwest::header::HeaderMap, String) {
    let res = app.get(&format!("/api/v1/first-paint?{query}")).await;
    assert_eq!(res.status(), 200);
    let headers = res.headers().clone();
    (headers, res.text().await.unwrap())
}

#[tokio::test]
async fn draws_the_threads_first_page_for_the_options_given() {
    let app = TestApp::spawn().await;
    let first = app.comment("/t", "first *one*", None).await;
    app.comment("/t", "a reply", Some(first.comment.id)).await;
    for i in 0..3 {
        app.comment("/t", &format!("top {i}"), None).await;
    }

    let (headers, html) =
        first_paint(&app, "thread=/t&limit=2&lang=fr-CA&avatars=no&depth=0").await;
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    assert_eq!(headers["cache-control"], "no-cache");
    assert!(
        headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("sandbox")
    );
    assert!(
        html.starts_with("<div class=\"palabre-root\" data-first-paint=\"fr oldest 2 0 1 0 /t\">")
    );
    assert!(html.contains("<h2 class=\"count\">5 commentaires</h2>"));
    assert!(html.contains("<p>first <em>one</em></p>"));
    assert!(
        html.contains("<ol class=\"replies flat\""),
        "depth 0 draws replies flat"
    );
    assert!(html.contains("top 0"));
    assert!(!html.contains("top 1"), "two top-level comments a page");
    assert!(html.contains("class=\"load-more\""));
    assert!(!html.contains("class=\"avatar\""));
    assert!(html.contains("class=\"votes\""));
}

#[tokio::test]
async fn unknown_option_values_fall_back_to_the_widgets_defaults() {
    let app = TestApp::spawn().await;
    app.comment("/t", "hello", None).await;
    let (_, html) = first_paint(
        &app,
        "thread=/t&limit=20&lang=xx&avatars=maybe&votes=&depth=99",
    )
    .await;
    assert!(
        html.contains("data-first-paint=\"en oldest 20 1 1 4 /t\""),
        "{html}"
    );
}

#[tokio::test]
async fn an_unknown_thread_draws_an_empty_one() {
    let app = TestApp::spawn().await;
    let (_, html) = first_paint(&app, "thread=/nothing-yet").await;
    assert!(html.contains("<p class=\"status empty\">"));
}

#[tokio::test]
async fn refuses_what_the_thread_read_refuses_and_any_cursor() {
    let app = TestApp::spawn().await;
    let no_thread = app.get("/api/v1/first-paint?lang=en").await;
    expect_error(no_thread, 422, ErrorCode::ThreadInvalid).await;
    let bad_limit = app.get("/api/v1/first-paint?thread=/t&limit=0").await;
    expect_error(bad_limit, 400, ErrorCode::InvalidParameter).await;
    let bad_sort = app.get("/api/v1/first-paint?thread=/t&sort=random").await;
    assert_eq!(bad_sort.status(), 400);
    let cursor = app.get("/api/v1/first-paint?thread=/t&cursor=abc").await;
    expect_error(cursor, 400, ErrorCode::InvalidParameter).await;
}

#[tokio::test]
async fn shares_the_page_cache_and_sees_every_new_comment() {
    let app = TestApp::spawn().await;
    app.comment("/t", "hello", None).await;
    let (_, before) = first_paint(&app, "thread=/t").await;
    assert!(app.state.cache.bytes() > 0, "the page's JSON was cached");
    assert!(!before.contains("second"));
    app.comment("/t", "second", None).await;
    let (_, after) = first_paint(&app, "thread=/t").await;
    assert!(after.contains("second"));
    assert!(after.contains("2 comments"));
}

#[tokio::test]
async fn a_hidden_thread_draws_nothing_of_its_comments() {
    let app = TestApp::spawn().await;
    app.comment("/t", "secret words", None).await;
    app.state
        .services
        .store
        .set_thread_hidden(&crate::helpers::default_thread("/t"), true)
        .await
        .unwrap();
    app.state
        .cache
        .sync(app.state.services.store.as_ref())
        .await;
    let (_, html) = first_paint(&app, "thread=/t").await;
    assert!(!html.contains("secret words"));
}

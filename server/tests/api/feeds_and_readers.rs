//! Atom feeds, and readers' data rights (export and erasure), from the API, the admin pages'
//! logic and the store.

use crate::helpers::*;
use palabre_api::{CommentStatus, ErrorCode};
use palabre_server::readers::{self, ForgetMode};
use serde_json::json;

#[tokio::test]
async fn thread_and_site_feeds_carry_sanitized_published_comments() {
    let app =
        TestApp::spawn_with(|s| s.sites[0].origins = vec!["https://blog.example".into()]).await;
    app.post_json(
        "/api/v1/comments",
        &json!({"thread": "/a", "title": "Art & <Craft>", "author": "Inès <b>", "body": "Hi **there** <script>x</script>"}),
    )
    .await;
    app.comment("/b", "On another post", None).await;
    let held = app.comment("/a", "will be held", None).await.comment.id;
    app.state
        .services
        .store
        .set_comment_status(held, CommentStatus::Pending, false)
        .await
        .unwrap();

    let res = app.get("/api/v1/feed?thread=%2Fa").await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["content-type"],
        "application/atom+xml; charset=utf-8"
    );
    let xml = res.text().await.unwrap();
    assert!(
        xml.starts_with("<?xml")
            && xml.contains("<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"en\">")
    );
    assert!(
        xml.contains("<title>Comments on Art &amp; &lt;Craft&gt;</title>"),
        "{xml}"
    );
    assert!(
        xml.contains("<link rel=\"alternate\" href=\"https://blog.example/a\"/>"),
        "{xml}"
    );
    assert!(xml.contains("<name>Inès &lt;b&gt;</name>"), "{xml}");
    // The sanitized HTML, escaped as Atom html text: no live markup, no script.
    assert!(xml.contains("&lt;strong&gt;there&lt;/strong&gt;"), "{xml}");
    assert!(
        !xml.contains("<script") && !xml.contains("<strong>"),
        "{xml}"
    );
    assert_eq!(xml.matches("<entry>").count(), 1, "held comments stay out");
    assert!(!xml.contains("On another post"));

    let site = app.get("/api/v1/feed").await.text().await.unwrap();
    assert_eq!(site.matches("<entry>").count(), 2);
    assert!(site.contains("<title>Recent comments</title>"));
    // Hidden threads never appear.
    app.state
        .services
        .store
        .set_thread_hidden(&crate::helpers::default_thread("/b"), true)
        .await
        .unwrap();
    let site = app.get("/api/v1/feed").await.text().await.unwrap();
    assert!(!site.contains("On another post"));
    expect_error(
        app.get("/api/v1/feed?thread=%00").await,
        422,
        ErrorCode::ThreadInvalid,
    )
    .await;
}

#[tokio::test]
async fn feeds_can_be_turned_off_and_the_config_says_so() {
    let app = TestApp::spawn_with(|s| s.feeds = false).await;
    expect_error(app.get("/api/v1/feed").await, 404, ErrorCode::NotFound).await;
    let config: palabre_api::ServerConfig = app.get("/api/v1/config").await.json().await.unwrap();
    assert!(!config.feeds);
    let on: palabre_api::ServerConfig = TestApp::spawn()
        .await
        .get("/api/v1/config")
        .await
        .json()
        .await
        .unwrap();
    assert!(on.feeds);
}

#[tokio::test]
async fn a_reader_exports_then_erases_their_comments() {
    let app = TestApp::spawn().await;
    let post = |thread: &'static str,
                body: &'static str,
                email: Option<&'static str>,
                parent: Option<i64>| {
        let app = &app;
        async move {
            let res = app
                .post_json("/api/v1/comments", &json!({"thread": thread, "body": body, "email": email, "parent": parent, "author": "X"}))
                .await;
            res.json::<palabre_api::CreatedComment>()
                .await
                .unwrap()
                .comment
                .id
        }
    };
    let asked = post("/t", "A question", Some("Ana@Example.org"), None).await;
    let answer = post("/t", "An answer", Some("bo@example.org"), Some(asked)).await;
    post("/u", "Alone", Some("ana@example.org"), None).await;
    post("/u", "Someone else", Some("cy@example.org"), None).await;

    let data = readers::export(&app.state.services, "ANA@example.org", None)
        .await
        .unwrap();
    assert_eq!(data.comments.len(), 2);
    assert!(data.comments.iter().all(|c| c.status == "published"));
    assert_eq!(data.comments[0].body, "A question");

    let n = readers::forget(
        &app.state.services,
        "test",
        "ana@example.org",
        None,
        ForgetMode::Placeholder,
    )
    .await
    .unwrap();
    assert_eq!(n, 2);
    assert!(
        readers::export(&app.state.services, "ana@example.org", None)
            .await
            .unwrap()
            .comments
            .is_empty()
    );
    let t = app.thread("/t").await;
    assert_eq!(t.comments.len(), 2, "placeholder and the reply it holds");
    assert_eq!(t.comments[0].status, CommentStatus::Deleted);
    assert_eq!(t.comments[0].author, None);
    assert_eq!(t.comments[1].id, answer);
    assert_eq!(
        app.thread("/u").await.comments.len(),
        1,
        "only the other reader's comment"
    );
    let log = app.state.services.store.admin_log(10).await.unwrap();
    assert!(
        log.iter()
            .any(|e| e.action == "reader_erased" && !e.detail.contains("ana@"))
    );
}

#[tokio::test]
async fn remove_mode_takes_the_replies_too() {
    let app = TestApp::spawn().await;
    let root = app
        .post_json(
            "/api/v1/comments",
            &json!({"thread": "/t", "body": "mine", "email": "ana@example.org"}),
        )
        .await
        .json::<palabre_api::CreatedComment>()
        .await
        .unwrap()
        .comment
        .id;
    app.comment("/t", "a reply", Some(root)).await;
    app.comment("/t", "unrelated", None).await;
    readers::forget(
        &app.state.services,
        "test",
        "ana@example.org",
        None,
        ForgetMode::Remove,
    )
    .await
    .unwrap();
    let left = app.thread("/t").await.comments;
    assert_eq!(left.len(), 1);
    assert!(left[0].html.contains("unrelated"));
}

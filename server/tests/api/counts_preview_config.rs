//! The small endpoints: counts, preview, config, health.

use crate::helpers::*;
use palabre_api::{CountsResponse, ErrorCode, PreviewResponse, ServerConfig};
use serde_json::json;

#[tokio::test]
async fn counts_cover_every_requested_key_in_one_call() {
    let app = TestApp::spawn().await;
    app.comment("/a", "1", None).await;
    let a2 = app.comment("/a", "2", None).await;
    app.comment("/a", "reply", Some(a2.comment.id)).await;
    app.comment("/b", "1", None).await;
    let res = app
        .post_json(
            "/api/v1/counts",
            &json!({"threads": ["/a", "/b", "/none", "/a"]}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let counts: CountsResponse = res.json().await.unwrap();
    assert_eq!(counts.counts.len(), 3);
    assert_eq!(counts.counts["/a"], 3);
    assert_eq!(counts.counts["/b"], 1);
    assert_eq!(counts.counts["/none"], 0);
}

#[tokio::test]
async fn counts_are_worded_in_the_first_language_the_server_has() {
    let app = TestApp::spawn().await;
    app.comment("/one", "1", None).await;
    for _ in 0..3 {
        app.comment("/three", "n", None).await;
    }
    let labels = |languages: serde_json::Value| {
        let app = &app;
        async move {
            let res = app
                .post_json(
                    "/api/v1/counts",
                    &json!({"threads": ["/none", "/one", "/three"], "languages": languages}),
                )
                .await;
            assert_eq!(res.status(), 200);
            res.json::<CountsResponse>().await.unwrap().labels.unwrap()
        }
    };
    let fr = labels(json!(["ja", "fr-CA", "en"])).await;
    assert_eq!(fr["/none"], "Aucun commentaire");
    assert_eq!(fr["/one"], "1 commentaire");
    assert_eq!(fr["/three"], "3 commentaires");
    let pl = labels(json!(["pl-PL", "en"])).await;
    assert_eq!(pl["/none"], "Brak komentarzy");
    assert_eq!(pl["/one"], "1 komentarz");
    assert_eq!(pl["/three"], "3 komentarze");
    let en = labels(json!(["ja", "zh"])).await;
    assert_eq!(en["/none"], "No comments");
    assert_eq!(en["/one"], "1 comment");
    assert_eq!(en["/three"], "3 comments");

    // Without languages, numbers only (and the answer cached for one body is not the other's).
    let res = app
        .post_json("/api/v1/counts", &json!({"threads": ["/one"]}))
        .await;
    let plain: CountsResponse = res.json().await.unwrap();
    assert_eq!(plain.labels, None);
    assert_eq!(plain.counts["/one"], 1);

    let res = app
        .post_json(
            "/api/v1/counts",
            &json!({"threads": ["/one"], "languages": vec!["fr"; 17]}),
        )
        .await;
    let e = expect_error(res, 422, ErrorCode::InvalidField).await;
    assert_eq!(e.field.as_deref(), Some("languages"));
    let res = app
        .post_json(
            "/api/v1/counts",
            &json!({"threads": ["/one"], "languages": ["x".repeat(36)]}),
        )
        .await;
    expect_error(res, 422, ErrorCode::InvalidField).await;
}

#[tokio::test]
async fn counts_take_at_most_200_valid_keys() {
    let app = TestApp::spawn().await;
    let keys: Vec<String> = (0..200).map(|i| format!("/p/{i}")).collect();
    let res = app
        .post_json("/api/v1/counts", &json!({ "threads": keys }))
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.json::<CountsResponse>().await.unwrap().counts.len(),
        200
    );

    let keys: Vec<String> = (0..201).map(|i| format!("/p/{i}")).collect();
    let res = app
        .post_json("/api/v1/counts", &json!({ "threads": keys }))
        .await;
    let e = expect_error(res, 422, ErrorCode::TooManyThreads).await;
    assert_eq!(e.field.as_deref(), Some("threads"));

    let res = app
        .post_json("/api/v1/counts", &json!({"threads": ["/ok", ""]}))
        .await;
    expect_error(res, 422, ErrorCode::ThreadInvalid).await;
    let res = app
        .post_json("/api/v1/counts", &json!({"threads": "/a"}))
        .await;
    expect_error(res, 422, ErrorCode::InvalidField).await;
}

#[tokio::test]
async fn preview_renders_like_posting_and_stores_nothing() {
    let app = TestApp::spawn().await;
    let body = "**bold** <img src=x onerror=alert(1)> [a](javascript:alert(1))";
    let res = app
        .post_json("/api/v1/preview", &json!({ "body": body }))
        .await;
    assert_eq!(res.status(), 200);
    let preview: PreviewResponse = res.json().await.unwrap();
    assert_safe_html(&preview.html);
    let posted = app.comment("/t", body, None).await;
    assert_eq!(preview.html, posted.comment.html);
    assert_eq!(app.totals().await.comments, 1);

    let res = app
        .post_json("/api/v1/preview", &json!({ "body": "" }))
        .await;
    expect_error(res, 422, ErrorCode::BodyEmpty).await;
}

#[tokio::test]
async fn config_publishes_the_rules() {
    let app = TestApp::spawn_with(|s| {
        s.require_author = true;
        s.max_depth = 3;
        s.edit_window = std::time::Duration::from_secs(600);
    })
    .await;
    let res = app.get("/api/v1/config").await;
    assert_eq!(res.status(), 200);
    let c: ServerConfig = res.json().await.unwrap();
    assert!(c.require_author);
    assert!(!c.require_email);
    assert_eq!(c.max_depth, 3);
    assert_eq!(c.edit_window_secs, 600);
    assert_eq!(c.max_body_length, 1000);
    assert_eq!(c.moderation, palabre_api::ModerationMode::None);
    // And the server enforces what it publishes.
    let res = app
        .post_json("/api/v1/comments", &json!({"thread": "/t", "body": "x"}))
        .await;
    let e = expect_error(res, 422, ErrorCode::AuthorRequired).await;
    assert_eq!(e.field.as_deref(), Some("author"));
}

#[tokio::test]
async fn required_email_is_enforced() {
    let app = TestApp::spawn_with(|s| s.require_email = true).await;
    let res = app
        .post_json("/api/v1/comments", &json!({"thread": "/t", "body": "x"}))
        .await;
    expect_error(res, 422, ErrorCode::EmailRequired).await;
    assert_eq!(app.totals().await.comments, 0);
}

#[tokio::test]
async fn health_answers_and_unknown_routes_are_json_errors() {
    let app = TestApp::spawn().await;
    let res = app.get("/healthz").await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.json::<serde_json::Value>().await.unwrap()["status"],
        "ok"
    );
    let res = app.get("/api/v1/nope").await;
    expect_error(res, 404, ErrorCode::NotFound).await;
    let res = app
        .client
        .put(app.url("/api/v1/comments"))
        .send()
        .await
        .unwrap();
    expect_error(res, 405, ErrorCode::MethodNotAllowed).await;
}

#[tokio::test]
async fn words_come_in_every_language_and_refuse_unknown_ones() {
    use palabre_api::i18n::{Key, Lang, Msg, WordList};
    let app = TestApp::spawn().await;
    for lang in Lang::ALL {
        let res = app.get(&format!("/api/v1/words/{}", lang.tag())).await;
        assert_eq!(res.status(), 200, "{lang:?}");
        assert_eq!(res.headers()["cache-control"], "public, max-age=86400");
        let list: WordList = res.json().await.unwrap();
        assert_eq!(list.lang, lang.tag());
        assert_eq!(list.version, Msg::VERSION);
        assert_eq!(list.words.len(), Msg::ALL.len());
        assert_eq!(list.dir, if lang == Lang::Ar { "rtl" } else { "ltr" });
    }
    let res = app.get("/api/v1/words/pt-BR").await;
    let list: WordList = res.json().await.unwrap();
    assert_eq!(list.words[Msg::Reply as usize], "Responder");
    // The account panel's words, a set of their own, English included.
    use palabre_api::i18n::account::Account;
    for lang in Lang::ALL {
        let res = app
            .get(&format!("/api/v1/words/{}/account", lang.tag()))
            .await;
        assert_eq!(res.status(), 200, "{lang:?}");
        let list: WordList = res.json().await.unwrap();
        assert_eq!(list.version, Account::VERSION);
        assert_eq!(list.words.len(), Account::ALL.len());
    }
    let res = app.get("/api/v1/words/fr/account").await;
    let list: WordList = res.json().await.unwrap();
    assert_eq!(list.words[Account::SignOut as usize], "Se déconnecter");
    let res = app.get("/api/v1/words/xx/account").await;
    expect_error(res, 400, ErrorCode::InvalidParameter).await;
    // Compressed like the other JSON answers.
    let res = app
        .client
        .get(app.url("/api/v1/words/de"))
        .header("accept-encoding", "br")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["content-encoding"], "br");

    for bad in ["%20de", "de-", "d".repeat(40).as_str(), "de-toolongsubtag"] {
        let res = app.get(&format!("/api/v1/words/{bad}")).await;
        expect_error(res, 400, ErrorCode::InvalidParameter).await;
    }
    let res = app.get("/api/v1/words/xx").await;
    let e = expect_error(res, 400, ErrorCode::InvalidParameter).await;
    assert_eq!(e.field.as_deref(), Some("lang"));
    assert!(
        e.message.contains("en, fr, de, es, it, pt, nl, pl, ar"),
        "{}",
        e.message
    );
}

//! CORS, rate limiting, the honeypot, and what is (not) stored about readers.

use crate::helpers::*;
use palabre_api::{CreatedComment, ErrorCode};
use palabre_server::rate_limit::RateLimit;
use serde_json::json;

#[tokio::test]
async fn cors_is_granted_only_to_configured_origins() {
    let app =
        TestApp::spawn_with(|s| s.sites[0].origins = vec!["https://blog.example.org".into()]).await;
    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, app.url("/api/v1/comments"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .send()
    };
    let ok = preflight("https://blog.example.org").await.unwrap();
    assert_eq!(
        ok.headers().get("access-control-allow-origin").unwrap(),
        "https://blog.example.org"
    );
    let methods = ok
        .headers()
        .get("access-control-allow-methods")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(methods.contains("POST") && methods.contains("PATCH") && methods.contains("DELETE"));

    let evil = preflight("https://evil.example").await.unwrap();
    assert!(evil.headers().get("access-control-allow-origin").is_none());

    let get = app
        .client
        .get(app.url("/api/v1/comments?thread=/t"))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert!(get.headers().get("access-control-allow-origin").is_none());
    let get = app
        .client
        .get(app.url("/api/v1/comments?thread=/t"))
        .header("origin", "https://blog.example.org")
        .send()
        .await
        .unwrap();
    assert_eq!(
        get.headers().get("access-control-allow-origin").unwrap(),
        "https://blog.example.org"
    );
}

#[tokio::test]
async fn writes_are_rate_limited_per_client_with_retry_after() {
    let app = TestApp::spawn_with(|s| {
        s.rate_limit = RateLimit {
            burst: 3,
            per_minute: 1,
        };
        s.client_ip_header = Some("x-forwarded-for".parse().unwrap());
    })
    .await;
    let app = &app;
    let post = move |ip: &'static str, body: &'static str| async move {
        // Only the last entry (added by our proxy) counts; the first is the client's claim.
        let forwarded = format!("10.9.9.9, {ip}");
        let pow = app
            .solved_challenge_with(&[("x-forwarded-for", &forwarded)])
            .await;
        app.client
            .post(app.url("/api/v1/comments"))
            .header("x-forwarded-for", forwarded)
            .json(&json!({"thread": "/t", "body": body, "pow": pow}))
            .send()
            .await
    };
    for i in 0..3 {
        assert_eq!(
            post("203.0.113.5", ["1", "2", "3"][i])
                .await
                .unwrap()
                .status(),
            201
        );
    }
    let limited = post("203.0.113.5", "4").await.unwrap();
    let retry_after: u64 = limited
        .headers()
        .get("retry-after")
        .expect("Retry-After")
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    expect_error(limited, 429, ErrorCode::RateLimited).await;
    // Another client is not affected; reads are never limited.
    assert_eq!(post("203.0.113.6", "other").await.unwrap().status(), 201);
    for _ in 0..5 {
        let res = app
            .client
            .get(app.url("/api/v1/comments?thread=/t"))
            .header("x-forwarded-for", "203.0.113.5")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
    assert_eq!(app.thread("/t").await.comments.len(), 4);
}

#[tokio::test]
async fn the_honeypot_silently_drops_bot_posts() {
    let app = TestApp::spawn().await;
    let res = app
        .post_json(
            "/api/v1/comments",
            &json!({"thread": "/t", "body": "Buy now", "author": "bot", "homepage": "http://spam.example"}),
        )
        .await;
    assert_eq!(res.status(), 201, "the bot must not learn it was caught");
    let fake: CreatedComment = res.json().await.unwrap();
    assert!(!fake.edit_token.is_empty());
    assert_eq!(app.totals().await.comments, 0);
    assert_eq!(app.totals().await.threads, 0);
    assert!(app.thread("/t").await.comments.is_empty());
    // An empty honeypot (what people send) is fine.
    let res = app
        .post_json(
            "/api/v1/comments",
            &json!({"thread": "/t", "body": "hi", "homepage": ""}),
        )
        .await;
    assert_eq!(res.status(), 201);
    assert_eq!(app.totals().await.comments, 1);
}

#[tokio::test]
async fn addresses_emails_and_tokens_are_never_stored_in_clear() {
    let app =
        TestApp::spawn_with(|s| s.client_ip_header = Some("x-real-ip".parse().unwrap())).await;
    let res = app
        .client
        .post(app.url("/api/v1/comments"))
        .header("x-real-ip", "203.0.113.77")
        .json(
            &json!({"thread": "/t", "body": "hello", "email": "ana@example.org",
            "pow": app.solved_challenge_with(&[("x-real-ip", "203.0.113.77")]).await}),
        )
        .send()
        .await
        .unwrap();
    let created: CreatedComment = res.json().await.unwrap();
    let vote = app
        .client
        .post(app.url(&format!("/api/v1/comments/{}/vote", created.comment.id)))
        .header("x-real-ip", "203.0.113.77")
        .json(&json!({"value": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(vote.status(), 200);
    let haystack = app.everything_stored().await;
    assert!(
        haystack.contains("hello"),
        "sanity: the comment is in the files"
    );
    assert!(
        !haystack.contains("203.0.113.77"),
        "IP address stored in clear"
    );
    assert!(
        !haystack.contains(&created.edit_token),
        "edit token stored in clear"
    );
}

#[tokio::test]
async fn a_generated_secret_is_persisted_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = test_settings(dir.path()).await;
    settings.secret = None;
    let avatar = |app: TestApp| async move {
        let res = app
            .post_json(
                "/api/v1/comments",
                &json!({"thread": "/t", "body": "x", "email": "a@b.org"}),
            )
            .await;
        res.json::<CreatedComment>().await.unwrap().comment.avatar
    };
    // The database lives in `dir`; each app gets a scratch dir of its own.
    let first = avatar(TestApp::start(settings.clone(), tempfile::tempdir().unwrap()).await).await;
    let second = avatar(TestApp::start(settings, tempfile::tempdir().unwrap()).await).await;
    assert_eq!(first, second, "same secret after restart");
}

#[tokio::test]
async fn every_answer_is_nosniff_and_every_page_locked_down() {
    let app = TestApp::spawn().await;
    app.comment("/headers", "a comment", None).await;
    let check = |path: &'static str| {
        let app = &app;
        async move {
            let res = app.get(path).await;
            let h = res.headers();
            let header = |name: &str| {
                h.get(name)
                    .map(|v| v.to_str().unwrap().to_owned())
                    .unwrap_or_default()
            };
            assert_eq!(header("x-content-type-options"), "nosniff", "{path}");
            if header("content-type").starts_with("text/html") {
                let csp = header("content-security-policy");
                assert!(csp.contains("default-src 'none'"), "{path}: CSP {csp:?}");
                assert!(
                    csp.contains("frame-ancestors 'none'"),
                    "{path}: CSP {csp:?}"
                );
                assert_eq!(header("referrer-policy"), "same-origin", "{path}");
                if path == "/admin/login" {
                    // Its one script (passkeys), a file of this origin: nothing inline.
                    assert!(csp.contains("script-src 'self';"), "{path}: CSP {csp:?}");
                    assert!(!csp.contains("unsafe"), "{path}: CSP {csp:?}");
                } else {
                    assert!(!csp.contains("script-src"), "{path}: no script may run");
                }
            }
            header("content-type")
        }
    };
    let html = [
        "/admin/login",
        "/unsubscribe?id=1&sig=forged",
        "/api/v1/first-paint?thread=/headers",
    ];
    for path in html {
        assert!(check(path).await.starts_with("text/html"), "{path}");
    }
    for path in [
        "/api/v1/comments?thread=/headers",
        "/api/v1/comments?thread=",
        "/api/v1/openapi.json",
        "/api/v1/feed",
        "/nowhere",
        "/embed/nothing.js",
    ] {
        check(path).await;
    }
}

#[tokio::test]
async fn a_handler_that_panics_answers_a_plain_500_like_any_other() {
    let origin = "https://blog.example".to_owned();
    let app = TestApp::spawn_with(|s| s.sites[0].origins = vec![origin.clone()]).await;
    let boom = axum::Router::new().route(
        "/boom",
        axum::routing::get(|| async {
            if std::hint::black_box(true) {
                panic!("a bug");
            }
        }),
    );
    let guarded = palabre_server::http::every_answer(boom, app.state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, guarded).await });
    let res = app
        .client
        .get(format!("{base}/boom"))
        .header("origin", &origin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    assert_eq!(
        res.headers()["access-control-allow-origin"],
        origin.as_str(),
        "readable by the widget, which then says so"
    );
    expect_error(res, 500, ErrorCode::Internal).await;
}

//! Several blogs on one server (`[[site]]`): each request's `Origin` names its blog, and
//! threads, counts, feeds, comments, moderation, admin emails, exports, readers' data and the
//! admin pages are per site.

use crate::admin::sign_in;
use crate::helpers::*;
use crate::notifications::{smtp_sink, wait_for_mail, with_smtp};
use palabre_api::{CreatedComment, ErrorCode, ModerationMode, ThreadPage};
use palabre_server::config::{Settings, Site};
use palabre_server::store::{SiteName, ThreadRef};
use serde_json::{Value, json};
use std::time::Duration;

const ALPHA: &str = "https://alpha.example";
const BETA: &str = "https://beta.example";

fn site(name: &str, origin: &str) -> Site {
    Site {
        name: SiteName::parse(name).unwrap(),
        ..Site::single(vec![origin.to_owned()])
    }
}

/// Alpha publishes at once (the server's moderation); beta holds every comment and has its
/// own admin.
fn two_blogs(s: &mut Settings) {
    s.sites = vec![
        site("alpha", ALPHA),
        Site {
            moderation: Some(ModerationMode::All),
            admin_emails: Some(vec!["beta-owner@example.org".into()]),
            ..site("beta", BETA)
        },
    ];
}

fn thread_of(name: &str, key: &str) -> ThreadRef {
    ThreadRef::new(
        SiteName::parse(name).unwrap(),
        palabre_api::ThreadKey::parse(key).unwrap(),
    )
}

async fn post_from(app: &TestApp, origin: &str, body: &Value) -> reqwest::Response {
    let mut body = body.clone();
    body["pow"] = app.solved_challenge().await;
    app.client
        .post(app.url("/api/v1/comments"))
        .header("origin", origin)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn get_from(app: &TestApp, origin: &str, path: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .header("origin", origin)
        .send()
        .await
        .unwrap()
}

async fn page_from(app: &TestApp, origin: &str, key: &str) -> ThreadPage {
    let res = get_from(app, origin, &format!("/api/v1/comments?thread={key}")).await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

async fn counts_from(app: &TestApp, origin: &str, keys: &[&str]) -> Value {
    let res = app
        .client
        .post(app.url("/api/v1/counts"))
        .header("origin", origin)
        .json(&json!({ "threads": keys }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json::<Value>().await.unwrap()["counts"].clone()
}

#[tokio::test]
async fn about_on_two_blogs_is_two_threads_with_their_own_counts_feeds_and_rules() {
    let app = TestApp::spawn_with(two_blogs).await;
    let posted = post_from(
        &app,
        ALPHA,
        &json!({ "thread": "/about", "body": "Alpha's" }),
    )
    .await;
    assert_eq!(posted.status(), 201, "alpha publishes at once");
    let held = post_from(&app, BETA, &json!({ "thread": "/about", "body": "Beta's" })).await;
    assert_eq!(held.status(), 202, "beta holds every comment");
    let held: CreatedComment = held.json().await.unwrap();

    let alpha = page_from(&app, ALPHA, "/about").await;
    assert_eq!(alpha.comments.len(), 1);
    assert!(alpha.comments[0].html.contains("Alpha"));
    assert!(page_from(&app, BETA, "/about").await.comments.is_empty());
    // Each blog's widget is told its own rules.
    let config: Value = get_from(&app, BETA, "/api/v1/config")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(config["moderation"], "all");
    assert_eq!(config["site"], "beta", "the widget's feed link names it");
    let config: Value = get_from(&app, ALPHA, "/api/v1/config")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(config["moderation"], "none");
    let single = TestApp::spawn().await;
    let config: Value = single.get("/api/v1/config").await.json().await.unwrap();
    assert!(config.get("site").is_none(), "one blog: no site named");

    // Counts twice each: the second answer comes from the response cache, per site.
    for _ in 0..2 {
        assert_eq!(counts_from(&app, ALPHA, &["/about"]).await["/about"], 1);
        assert_eq!(counts_from(&app, BETA, &["/about"]).await["/about"], 0);
    }
    assert!(
        page_from(&app, ALPHA, "/about").await.comments.len() == 1,
        "cached per site too"
    );

    // Approving beta's comment changes beta's thread only.
    let admin = sign_in(&app).await;
    let res = admin.act("approve", &[held.comment.id]).await;
    assert!(res.status().is_redirection(), "{}", res.status());
    assert_eq!(counts_from(&app, BETA, &["/about"]).await["/about"], 1);
    assert_eq!(counts_from(&app, ALPHA, &["/about"]).await["/about"], 1);
    let beta = page_from(&app, BETA, "/about").await;
    assert!(beta.comments[0].html.contains("Beta"));

    // Feeds: `?site=` names the blog (feed readers send no Origin); else the first blog.
    let app = &app;
    let feed = |query: &'static str| async move {
        let res = app.get(&format!("/api/v1/feed{query}")).await;
        (res.status().as_u16(), res.text().await.unwrap())
    };
    let (status, alpha_feed) = feed("").await;
    assert_eq!(status, 200);
    assert!(alpha_feed.contains("Alpha") && !alpha_feed.contains("Beta"));
    assert!(alpha_feed.contains("https://alpha.example/about"));
    let (_, beta_feed) = feed("?site=beta&thread=/about").await;
    assert!(beta_feed.contains("Beta") && !beta_feed.contains("Alpha"));
    assert!(beta_feed.contains("https://beta.example/about"));
    assert!(
        beta_feed.contains("site=beta"),
        "its self link names the site"
    );
    let res = app.get("/api/v1/feed?site=Not%20A%20Name").await;
    let body = expect_error(res, 400, ErrorCode::InvalidParameter).await;
    assert_eq!(body.field.as_deref(), Some("site"));
    let res = app.get("/api/v1/feed?site=gamma").await;
    expect_error(res, 404, ErrorCode::NotFound).await;
}

#[tokio::test]
async fn an_origin_no_site_lists_is_refused_and_cors_allows_every_blog() {
    let app = TestApp::spawn_with(two_blogs).await;
    let res = get_from(
        &app,
        "https://evil.example",
        "/api/v1/comments?thread=/about",
    )
    .await;
    assert!(res.headers().get("access-control-allow-origin").is_none());
    expect_error(res, 403, ErrorCode::UnknownSite).await;
    let res = post_from(
        &app,
        "https://evil.example",
        &json!({ "thread": "/about", "body": "Hi" }),
    )
    .await;
    expect_error(res, 403, ErrorCode::UnknownSite).await;
    assert_eq!(app.state.services.store.totals().await.unwrap().comments, 0);
    for origin in [ALPHA, BETA] {
        let res = get_from(&app, origin, "/api/v1/comments?thread=/about").await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["access-control-allow-origin"], origin);
    }
    // No Origin (a same-origin page): its Referer's blog, else the first one.
    let res = app
        .client
        .get(app.url("/api/v1/config"))
        .header("referer", "https://beta.example/2026/post.html")
        .send()
        .await
        .unwrap();
    let config: Value = res.json().await.unwrap();
    assert_eq!(config["moderation"], "all");
    let config: Value = app.get("/api/v1/config").await.json().await.unwrap();
    assert_eq!(config["moderation"], "none");
}

#[tokio::test]
async fn a_comment_of_one_blog_is_out_of_reach_of_the_other() {
    let app = TestApp::spawn_with(two_blogs).await;
    let res = post_from(&app, ALPHA, &json!({ "thread": "/about", "body": "Mine" })).await;
    let created: CreatedComment = res.json().await.unwrap();
    let id = created.comment.id;
    let path = format!("/api/v1/comments/{id}");
    assert_eq!(get_from(&app, ALPHA, &path).await.status(), 200);
    expect_error(
        get_from(&app, BETA, &path).await,
        404,
        ErrorCode::CommentNotFound,
    )
    .await;
    let vote = |origin: &'static str| {
        app.client
            .post(app.url(&format!("{path}/vote")))
            .header("origin", origin)
            .json(&json!({ "value": 1 }))
            .send()
    };
    expect_error(vote(BETA).await.unwrap(), 404, ErrorCode::CommentNotFound).await;
    assert_eq!(vote(ALPHA).await.unwrap().status(), 200);
    let edit = app
        .client
        .patch(app.url(&path))
        .header("origin", BETA)
        .bearer_auth(&created.edit_token)
        .json(&json!({ "body": "taken over" }))
        .send()
        .await
        .unwrap();
    expect_error(edit, 404, ErrorCode::CommentNotFound).await;
    // A reply from the other blog's same-named thread finds no parent there.
    let reply = post_from(
        &app,
        BETA,
        &json!({ "thread": "/about", "body": "Reply", "parent": id }),
    )
    .await;
    expect_error(reply, 422, ErrorCode::ParentNotFound).await;
}

#[tokio::test]
async fn live_updates_reach_the_readers_of_that_blog_only() {
    let app = TestApp::spawn_with(two_blogs).await;
    let mut alpha = app
        .state
        .live
        .subscribe(&[thread_of("alpha", "/about")], "reader".into(), None)
        .await
        .unwrap()
        .unwrap();
    post_from(&app, BETA, &json!({ "thread": "/about", "body": "Beta's" })).await;
    // Beta holds its comments: publish one so that it would be broadcast.
    let admin = sign_in(&app).await;
    let id = app
        .state
        .services
        .store
        .export_comments(&thread_of("beta", "/about"))
        .await
        .unwrap()[0]
        .id;
    admin.act("approve", &[id]).await;
    post_from(
        &app,
        ALPHA,
        &json!({ "thread": "/about", "body": "Alpha's" }),
    )
    .await;
    let message = tokio::time::timeout(Duration::from_secs(5), alpha.rx.recv())
        .await
        .expect("alpha's comment arrives")
        .unwrap();
    assert!(message.json.contains("Alpha"), "{}", message.json);
    // Nothing of beta's was (or is) on alpha's stream.
    assert!(alpha.rx.try_recv().is_err());
}

#[tokio::test]
async fn each_blog_tells_its_own_admins() {
    let (port, inbox) = smtp_sink().await;
    let app = TestApp::spawn_with(|s| {
        with_smtp(s, port);
        two_blogs(s);
    })
    .await;
    post_from(
        &app,
        BETA,
        &json!({ "thread": "/about", "body": "For beta" }),
    )
    .await;
    let mails = wait_for_mail(&inbox, 1).await;
    assert_eq!(mails[0].to, vec!["beta-owner@example.org"]);
    assert!(mails[0].text.contains("/about @beta"), "{}", mails[0].text);
    assert!(mails[0].text.contains("/admin/queue?site=beta"));
    assert!(mails[0].text.contains("https://beta.example/about"));
    post_from(
        &app,
        ALPHA,
        &json!({ "thread": "/about", "body": "For alpha" }),
    )
    .await;
    let mails = wait_for_mail(&inbox, 2).await;
    assert_eq!(
        mails[1].to,
        vec!["owner@example.org"],
        "the server's admins"
    );
}

#[tokio::test]
async fn admins_see_every_blog_and_filter_by_one() {
    let app = TestApp::spawn_with(two_blogs).await;
    post_from(
        &app,
        ALPHA,
        &json!({ "thread": "/about", "body": "Alpha's text" }),
    )
    .await;
    post_from(
        &app,
        BETA,
        &json!({ "thread": "/about", "body": "Beta's text" }),
    )
    .await;
    let admin = sign_in(&app).await;
    let html = |res: reqwest::Response| async move {
        assert_eq!(res.status(), 200);
        res.text().await.unwrap()
    };
    let all = html(admin.get("/admin/comments").await).await;
    assert!(all.contains("Alpha") && all.contains("Beta"));
    assert!(all.contains("/about @beta") && all.contains("/about @alpha"));
    assert!(all.contains("<option value=\"beta\""), "a site filter");
    let beta = html(admin.get("/admin/comments?site=beta").await).await;
    assert!(beta.contains("Beta") && !beta.contains("Alpha"));
    let queue = html(admin.get("/admin/queue?site=alpha").await).await;
    assert!(
        !queue.contains("Beta"),
        "beta's held comment is beta's queue"
    );
    let queue = html(admin.get("/admin/queue?site=beta").await).await;
    assert!(queue.contains("Beta"));
    let threads = html(admin.get("/admin/threads?site=alpha").await).await;
    assert!(threads.contains("/about @alpha") && !threads.contains("@beta"));
    let bad = admin.get("/admin/threads?site=Not%20a%20site").await;
    assert_eq!(bad.status(), 422);
    assert!(bad.text().await.unwrap().contains("No site has that name."));

    // Locking beta's /about leaves alpha's open.
    let res = admin
        .post(
            "/admin/threads/action",
            &[("action", "lock"), ("key", "/about"), ("site", "beta")],
        )
        .await;
    assert!(res.status().is_redirection());
    let store = &app.state.services.store;
    let locked = |site: &'static str| async move {
        store
            .thread(&thread_of(site, "/about"))
            .await
            .unwrap()
            .unwrap()
            .locked
    };
    assert!(locked("beta").await && !locked("alpha").await);
    let log = html(admin.get("/admin/log").await).await;
    assert!(
        log.contains("thread /about @beta"),
        "the log names the blog"
    );
}

#[tokio::test]
async fn exports_imports_and_readers_data_keep_their_blog() {
    let app = TestApp::spawn_with(two_blogs).await;
    for (origin, body) in [(ALPHA, "Ann on alpha"), (BETA, "Ann on beta")] {
        let res = post_from(
            &app,
            origin,
            &json!({ "thread": "/about", "body": body, "email": "ann@example.org" }),
        )
        .await;
        assert!(res.status().is_success());
    }
    let services = &app.state.services;
    let export = |site: Option<&'static str>| async move {
        let site = site.map(|s| SiteName::parse(s).unwrap());
        let mut out = Vec::new();
        palabre_server::import::export::export(services, site.as_ref(), &mut out)
            .await
            .unwrap();
        String::from_utf8(out).unwrap()
    };
    let everything = export(None).await;
    assert!(everything.contains(r#""site":"beta""#), "{everything}");
    let beta_only = export(Some("beta")).await;
    assert!(beta_only.contains("Ann on beta") && !beta_only.contains("Ann on alpha"));

    // Imported elsewhere, each thread goes back to its blog.
    let copy = TestApp::spawn_with(two_blogs).await;
    let file = copy.dir.path().join("export.jsonl");
    std::fs::write(&file, &everything).unwrap();
    let import = |path: std::path::PathBuf, site: Option<&str>| {
        let options = palabre_server::import::Options {
            site: site.map(|s| SiteName::parse(s).unwrap()),
            ..Default::default()
        };
        let services = copy.state.services.clone();
        async move {
            palabre_server::cli::import::import_file(
                &services,
                palabre_server::cli::ImportFormat::Palabre,
                &path,
                options,
                indicatif::ProgressBar::hidden(),
            )
            .await
            .unwrap()
        }
    };
    let report = import(file.clone(), None).await;
    let threads: Vec<&String> = report.threads.keys().collect();
    assert_eq!(threads, ["/about @alpha", "/about @beta"]);
    // Into a named blog, the same file is another import: it adds there too.
    let beta_file = copy.dir.path().join("beta.jsonl");
    std::fs::write(&beta_file, &beta_only).unwrap();
    let report = import(beta_file, Some("alpha")).await;
    assert_eq!(report.comments(), 1);
    assert_eq!(
        report.threads["/about @alpha"].pending, 1,
        "held, as exported"
    );
    assert_eq!(report.already_imported, 0);
    let beta = page_from(&copy, BETA, "/about").await;
    assert!(beta.comments.is_empty(), "held on beta, as exported");
    let alpha = page_from(&copy, ALPHA, "/about").await;
    assert!(alpha.comments[0].html.contains("Ann on alpha"));

    // A reader's data, of one blog or of all.
    let on_beta = SiteName::parse("beta").unwrap();
    let data = palabre_server::readers::export(services, "ann@example.org", Some(&on_beta))
        .await
        .unwrap();
    assert_eq!(data.comments.len(), 1);
    assert_eq!(data.comments[0].site, "beta");
    let erased = palabre_server::readers::forget(
        services,
        "test",
        "ann@example.org",
        Some(&on_beta),
        palabre_server::readers::ForgetMode::Remove,
    )
    .await
    .unwrap();
    assert_eq!(erased, 1);
    let left = palabre_server::readers::export(services, "ann@example.org", None)
        .await
        .unwrap();
    assert_eq!(left.comments.len(), 1);
    assert_eq!(left.comments[0].site, "alpha");
}

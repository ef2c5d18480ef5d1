//! The admin pages: sign-in and its failures, sessions, CSRF, and every moderation action,
//! each checked by its effect on what readers see and in the admin log.

use crate::helpers::*;
use palabre_api::{CommentStatus, ErrorCode, ModerationMode};
use palabre_server::http::admin::auth;
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;

const PASSWORD: &str = "correct horse battery staple";

/// A browser on the admin pages: no automatic redirects, the session cookie kept by hand.
pub(crate) struct Admin {
    http: reqwest::Client,
    base: String,
    cookie: String,
    csrf: String,
}

fn value_of<'a>(html: &'a str, name: &str) -> &'a str {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in {html}"))
        + marker.len();
    &html[start..start + html[start..].find('"').unwrap()]
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub(crate) async fn set_password(store: &dyn palabre_server::store::Store) {
    let hash = auth::hash_password(PASSWORD).unwrap();
    store
        .set_admin_password("admin", &hash, palabre_server::clock::now())
        .await
        .unwrap();
}

pub(crate) async fn try_login(app: &TestApp, name: &str, password: &str) -> reqwest::Response {
    try_login_at(&app.base, name, password).await
}

async fn try_login_at(base: &str, name: &str, password: &str) -> reqwest::Response {
    let http = no_redirects();
    let page = http
        .get(format!("{base}/admin/login"))
        .send()
        .await
        .unwrap();
    let html = page.text().await.unwrap();
    let token = value_of(&html, "login_token").to_owned();
    http.post(format!("{base}/admin/login"))
        .form(&[
            ("login_token", token.as_str()),
            ("name", name),
            ("password", password),
        ])
        .send()
        .await
        .unwrap()
}

pub(crate) async fn sign_in(app: &TestApp) -> Admin {
    set_password(app.state.services.store.as_ref()).await;
    sign_in_at(&app.base).await
}

/// Signs in as `admin` on a server whose store has its password ([`set_password`]).
pub(crate) async fn sign_in_at(base: &str) -> Admin {
    let res = try_login_at(base, "admin", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let set_cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    let cookie = set_cookie.split(';').next().unwrap().to_owned();
    let http = no_redirects();
    let queue = http
        .get(format!("{base}/admin/queue"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(queue.status(), 200);
    let csrf = value_of(&queue.text().await.unwrap(), "csrf").to_owned();
    Admin {
        http,
        base: base.to_owned(),
        cookie,
        csrf,
    }
}

impl Admin {
    /// The same session, used on another server (a replica behind the same balancer).
    pub(crate) fn on(&self, other: &TestApp) -> Self {
        Self {
            http: no_redirects(),
            base: other.base.clone(),
            cookie: self.cookie.clone(),
            csrf: self.csrf.clone(),
        }
    }

    /// Replaces the CSRF token with one the server never issued.
    pub(crate) fn forge_csrf(&mut self) {
        self.csrf = "f".repeat(self.csrf.len());
    }

    pub(crate) async fn get(&self, path: &str) -> reqwest::Response {
        self.get_with(path, &[]).await
    }

    pub(crate) async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
        let mut req = self
            .http
            .get(format!("{}{path}", self.base))
            .header("cookie", &self.cookie);
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        req.send().await.unwrap()
    }

    /// Posts a form with this session's CSRF token.
    pub(crate) async fn post(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.try_post(path, fields).await.unwrap()
    }

    /// The same, for a server that may go away meanwhile.
    pub(crate) async fn try_post(
        &self,
        path: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Result<reqwest::Response> {
        let mut form = vec![("csrf", self.csrf.as_str())];
        form.extend_from_slice(fields);
        self.http
            .post(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .form(&form)
            .send()
            .await
    }

    pub(crate) async fn act(&self, action: &str, ids: &[i64]) -> reqwest::Response {
        let ids: Vec<String> = ids.iter().map(i64::to_string).collect();
        let mut fields = vec![("action", action)];
        fields.extend(ids.iter().map(|id| ("id", id.as_str())));
        self.post("/admin/comments/action", &fields).await
    }
}

pub(crate) async fn held_comment(
    app: &TestApp,
    thread: &str,
    body: &str,
    email: &str,
) -> (i64, String) {
    let res = app
        .post_json(
            "/api/v1/comments",
            &json!({"thread": thread, "body": body, "email": email, "author": "Reader"}),
        )
        .await;
    assert_eq!(res.status(), 202, "held for moderation");
    let created: palabre_api::CreatedComment = res.json().await.unwrap();
    assert_eq!(created.comment.status, CommentStatus::Pending);
    (created.comment.id, created.edit_token)
}

async fn log_actions(app: &TestApp) -> Vec<(String, String, String)> {
    app.state
        .services
        .store
        .admin_log(100)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.actor, e.action, e.target))
        .collect()
}

#[tokio::test]
async fn pages_and_actions_need_a_session() {
    let app = TestApp::spawn_with(|s| s.moderation = ModerationMode::All).await;
    let (id, _) = held_comment(&app, "/t", "wait for me", "a@example.org").await;
    let http = no_redirects();
    for path in [
        "/admin/queue",
        "/admin/comments",
        "/admin/threads",
        "/admin/blocks",
        "/admin/log",
    ] {
        let res = http.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(res.headers()["location"], "/admin/login", "{path}");
    }
    let res = http
        .post(app.url("/admin/comments/action"))
        .header("cookie", "palabre_admin=forged")
        .form(&[
            ("action", "approve"),
            ("id", &id.to_string()),
            ("csrf", "x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.state
            .services
            .store
            .comment(id)
            .await
            .unwrap()
            .unwrap()
            .status,
        CommentStatus::Pending
    );
}

#[tokio::test]
async fn wrong_passwords_and_unknown_names_are_refused_and_logged() {
    let app = TestApp::spawn().await;
    set_password(app.state.services.store.as_ref()).await;
    for (name, password) in [
        ("admin", "wrong password!"),
        ("nobody", PASSWORD),
        ("", PASSWORD),
    ] {
        let res = try_login(&app, name, password).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{name}");
        assert!(res.headers().get("set-cookie").is_none());
        assert!(res.text().await.unwrap().contains("Wrong name or password"));
    }
    let log = log_actions(&app).await;
    assert_eq!(
        log.iter().filter(|(_, a, _)| a == "sign_in_failed").count(),
        3
    );
    // A forged sign-in form (no valid login token) is refused before the password is looked at.
    let res = no_redirects()
        .post(app.url("/admin/login"))
        .form(&[
            ("login_token", "1.abc"),
            ("name", "admin"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn sign_in_is_rate_limited() {
    let app = TestApp::spawn().await;
    set_password(app.state.services.store.as_ref()).await;
    let mut statuses = Vec::new();
    for _ in 0..7 {
        statuses.push(try_login(&app, "admin", "not the password").await.status());
    }
    assert_eq!(statuses[..5], [StatusCode::UNAUTHORIZED; 5]);
    assert_eq!(statuses[6], StatusCode::TOO_MANY_REQUESTS);
    // Even the right password waits.
    assert_eq!(
        try_login(&app, "admin", PASSWORD).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn the_session_cookie_is_locked_down_and_expires() {
    let app = TestApp::spawn_with(|s| {
        s.admin_session = Duration::from_millis(1500);
        s.public_url = Some("https://comments.example.org".into());
    })
    .await;
    set_password(app.state.services.store.as_ref()).await;
    let res = try_login(&app, "admin", PASSWORD).await;
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    for part in [
        "HttpOnly",
        "SameSite=Strict",
        "Path=/admin",
        "Secure",
        "Max-Age=1",
    ] {
        assert!(cookie.contains(part), "{part} in {cookie}");
    }
    let session = cookie.split(';').next().unwrap();
    let get = || {
        no_redirects()
            .get(app.url("/admin/queue"))
            .header("cookie", session)
            .send()
    };
    let page = get().await.unwrap();
    assert_eq!(page.status(), 200);
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert_eq!(page.headers()["cache-control"], "no-store");
    tokio::time::sleep(Duration::from_millis(1700)).await;
    let expired = get().await.unwrap();
    assert_eq!(
        expired.status(),
        StatusCode::SEE_OTHER,
        "an expired session signs out"
    );
}

#[tokio::test]
async fn a_wrong_csrf_token_changes_nothing() {
    let app = TestApp::spawn_with(|s| s.moderation = ModerationMode::All).await;
    let (id, _) = held_comment(&app, "/t", "wait", "a@example.org").await;
    let mut admin = sign_in(&app).await;
    admin.csrf = "not-the-token".into();
    let res = admin.act("approve", &[id]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    admin.csrf = String::new();
    assert_eq!(
        admin.act("approve", &[id]).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.state
            .services
            .store
            .comment(id)
            .await
            .unwrap()
            .unwrap()
            .status,
        CommentStatus::Pending
    );
    assert!(
        log_actions(&app)
            .await
            .iter()
            .any(|(_, a, _)| a == "csrf_refused")
    );
}

#[tokio::test]
async fn a_held_comment_is_seen_by_its_author_only_until_approved() {
    let app = TestApp::spawn_with(|s| s.moderation = ModerationMode::All).await;
    let (id, token) = held_comment(&app, "/post", "Hold me", "ana@example.org").await;
    assert!(app.thread("/post").await.comments.is_empty(), "not public");
    expect_error(
        app.get(&format!("/api/v1/comments/{id}")).await,
        404,
        ErrorCode::CommentNotFound,
    )
    .await;
    let mine = app
        .client
        .get(app.url(&format!("/api/v1/comments/{id}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(mine.status(), 200, "the author sees it");

    let admin = sign_in(&app).await;
    let queue = admin.get("/admin/queue").await.text().await.unwrap();
    assert!(queue.contains("Hold me") && queue.contains("ana@example.org"));
    let res = admin.act("approve", &[id]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/admin/queue?done=1");
    let thread = app.thread("/post").await;
    assert_eq!(thread.comments.len(), 1);
    assert_eq!(thread.thread.count, 1);
    assert!(
        !admin
            .get("/admin/queue")
            .await
            .text()
            .await
            .unwrap()
            .contains("Hold me")
    );
    assert!(log_actions(&app).await.contains(&(
        "admin".into(),
        "approve".into(),
        format!("comment {id}")
    )));
}

#[tokio::test]
async fn reject_spam_and_delete_in_bulk() {
    let app = TestApp::spawn_with(|s| s.moderation = ModerationMode::All).await;
    let (a, _) = held_comment(&app, "/t", "reject me", "a@example.org").await;
    let (b, _) = held_comment(&app, "/t", "spam me", "b@example.org").await;
    let (c, _) = held_comment(&app, "/t", "spam me too", "c@example.org").await;
    let admin = sign_in(&app).await;
    admin.act("reject", &[a]).await;
    assert!(
        app.state.services.store.comment(a).await.unwrap().is_none(),
        "rejected: removed"
    );
    admin.act("spam", &[b, c]).await;
    for id in [b, c] {
        let stored = app.state.services.store.comment(id).await.unwrap().unwrap();
        assert!(stored.spam && stored.status == CommentStatus::Pending);
    }
    let queue = admin.get("/admin/queue").await.text().await.unwrap();
    assert!(!queue.contains("spam me"), "spam leaves the queue");
    let spam = admin
        .get("/admin/comments?status=spam")
        .await
        .text()
        .await
        .unwrap();
    assert!(spam.contains("spam me too"));
    assert!(app.thread("/t").await.comments.is_empty());
    // A row's own button acts on that row only.
    let res = admin
        .post("/admin/comments/action", &[("one", &format!("delete:{b}"))])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(app.state.services.store.comment(b).await.unwrap().is_none());
    assert!(app.state.services.store.comment(c).await.unwrap().is_some());
    // Nothing selected, or an unknown action: refused, nothing changes.
    assert_eq!(admin.act("approve", &[]).await.status(), 422);
    assert_eq!(admin.act("publish-all", &[c]).await.status(), 422);
    assert!(
        app.state
            .services
            .store
            .comment(c)
            .await
            .unwrap()
            .unwrap()
            .spam
    );
}

#[tokio::test]
async fn the_list_filters_by_thread_status_author_and_text() {
    let app = TestApp::spawn().await;
    app.comment("/one", "apples are great", None).await;
    app.comment("/two", "pears are fine", None).await;
    app.post_json(
        "/api/v1/comments",
        &json!({"thread": "/two", "body": "kiwis", "author": "Zoé"}),
    )
    .await;
    let admin = sign_in(&app).await;
    let page = |q: &'static str| {
        let admin = &admin;
        async move {
            admin
                .get(&format!("/admin/comments?{q}"))
                .await
                .text()
                .await
                .unwrap()
        }
    };
    let by_thread = page("thread=%2Fone").await;
    assert!(by_thread.contains("apples") && !by_thread.contains("pears"));
    let by_text = page("q=PEARS").await;
    assert!(by_text.contains("pears") && !by_text.contains("apples"));
    let by_author = page("author=zo%C3%A9").await;
    assert!(by_author.contains("kiwis") && !by_author.contains("apples"));
    let held = page("status=pending").await;
    assert!(held.contains("Nothing here."));
    assert_eq!(
        admin.get("/admin/comments?status=bogus").await.status(),
        422
    );
}

#[tokio::test]
async fn edit_keeps_the_text_when_it_is_invalid() {
    let app = TestApp::spawn().await;
    let id = app.comment("/t", "teh typo", None).await.comment.id;
    let admin = sign_in(&app).await;
    let res = admin
        .post(&format!("/admin/comments/{id}/edit"), &[("body", "   ")])
        .await;
    assert_eq!(res.status(), 422);
    assert_eq!(
        app.state
            .services
            .store
            .comment(id)
            .await
            .unwrap()
            .unwrap()
            .body,
        "teh typo"
    );
    let res = admin
        .post(
            &format!("/admin/comments/{id}/edit"),
            &[("body", "the **fix**")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let html = &app.thread("/t").await.comments[0].html;
    assert!(html.contains("<strong>fix</strong>"), "{html}");
    assert!(log_actions(&app).await.iter().any(|(_, a, _)| a == "edit"));
    assert_eq!(admin.get("/admin/comments/999/edit").await.status(), 404);
}

#[tokio::test]
async fn lock_and_hide_a_thread() {
    let app = TestApp::spawn().await;
    app.comment("/t", "before", None).await;
    let admin = sign_in(&app).await;
    admin
        .post(
            "/admin/threads/action",
            &[("key", "/t"), ("action", "lock")],
        )
        .await;
    let after = json!({"thread": "/t", "body": "after"});
    let post = || app.post_json("/api/v1/comments", &after);
    expect_error(post().await, 403, ErrorCode::ThreadLocked).await;
    assert!(app.thread("/t").await.thread.locked);
    admin
        .post(
            "/admin/threads/action",
            &[("key", "/t"), ("action", "unlock")],
        )
        .await;
    assert_eq!(post().await.status(), 201);

    admin
        .post(
            "/admin/threads/action",
            &[("key", "/t"), ("action", "hide")],
        )
        .await;
    let hidden = app.thread("/t").await;
    assert!(hidden.comments.is_empty() && hidden.thread.count == 0 && hidden.thread.locked);
    let counts: palabre_api::CountsResponse = app
        .post_json("/api/v1/counts", &json!({"threads": ["/t"]}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(counts.counts["/t"], 0);
    expect_error(post().await, 403, ErrorCode::ThreadLocked).await;
    admin
        .post(
            "/admin/threads/action",
            &[("key", "/t"), ("action", "show")],
        )
        .await;
    assert_eq!(app.thread("/t").await.comments.len(), 2);
    let res = admin
        .post(
            "/admin/threads/action",
            &[("key", "/nope"), ("action", "lock")],
        )
        .await;
    assert_eq!(res.status(), 404);
    let log = log_actions(&app).await;
    for action in ["lock", "unlock", "hide", "show"] {
        assert!(
            log.contains(&("admin".into(), action.into(), "thread /t".into())),
            "{action}"
        );
    }
}

#[tokio::test]
async fn a_blocked_email_is_refused_whatever_its_case_in_any_script() {
    let app = TestApp::spawn().await;
    let admin = sign_in(&app).await;
    admin
        .post(
            "/admin/blocks",
            &[("kind", "email"), ("value", "Ñandú@Example.org")],
        )
        .await;
    // SQL's lower() folds ASCII only: the capital Ñ and Ú must still match.
    let post = json!({"thread": "/t", "body": "hola", "email": "ÑANDÚ@example.ORG"});
    expect_error(
        app.post_json("/api/v1/comments", &post).await,
        403,
        ErrorCode::Blocked,
    )
    .await;
}

#[tokio::test]
async fn blocked_emails_and_readers_cannot_post() {
    let app = TestApp::spawn().await;
    let id = app
        .post_json(
            "/api/v1/comments",
            &json!({"thread": "/t", "body": "rude", "email": "Troll@Example.org"}),
        )
        .await
        .json::<palabre_api::CreatedComment>()
        .await
        .unwrap()
        .comment
        .id;
    let admin = sign_in(&app).await;
    admin.act("block_email", &[id]).await;
    let again = app
        .post_json(
            "/api/v1/comments",
            &json!({"thread": "/t", "body": "again", "email": "troll@example.ORG"}),
        )
        .await;
    expect_error(again, 403, ErrorCode::Blocked).await;
    // Anyone else on the same network still may, until the reader is blocked.
    let other = json!({"thread": "/t", "body": "hello"});
    assert_eq!(
        app.post_json("/api/v1/comments", &other).await.status(),
        201
    );
    admin.act("block_reader", &[id]).await;
    expect_error(
        app.post_json("/api/v1/comments", &other).await,
        403,
        ErrorCode::Blocked,
    )
    .await;
    let page = admin.get("/admin/blocks").await.text().await.unwrap();
    assert!(page.contains("troll@example.org"));
    let reader = app
        .state
        .services
        .store
        .comment(id)
        .await
        .unwrap()
        .unwrap()
        .reader_hash;
    admin
        .post(
            "/admin/blocks/remove",
            &[("kind", "reader"), ("value", &reader)],
        )
        .await;
    assert_eq!(
        app.post_json("/api/v1/comments", &other).await.status(),
        201
    );
    // Blocks can be added by hand too; an empty value is refused.
    assert_eq!(
        admin
            .post("/admin/blocks", &[("kind", "email"), ("value", " ")])
            .await
            .status(),
        422
    );
    assert_eq!(
        admin
            .post("/admin/blocks", &[("kind", "email"), ("value", "X@Y.org")])
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    assert!(
        admin
            .get("/admin/blocks")
            .await
            .text()
            .await
            .unwrap()
            .contains("x@y.org")
    );
}

#[tokio::test]
async fn comment_text_is_escaped_in_the_admin_pages() {
    let app = TestApp::spawn_with(|s| s.moderation = ModerationMode::All).await;
    app.post_json(
        "/api/v1/comments",
        &json!({"thread": "/t\"><script>alert(1)</script>", "body": "<img src=x onerror=alert(1)>",
                "author": "<b>Eve</b>", "email": "eve@example.org"}),
    )
    .await;
    let admin = sign_in(&app).await;
    let html = admin.get("/admin/queue").await.text().await.unwrap();
    assert!(
        !html.contains("<script>alert") && !html.contains("<img") && !html.contains("<b>Eve"),
        "{html}"
    );
    assert!(html.contains("&lt;b&gt;Eve&lt;/b&gt;"));
}

#[tokio::test]
async fn sign_out_ends_the_session() {
    let app = TestApp::spawn().await;
    let admin = sign_in(&app).await;
    let res = admin.post("/admin/logout", &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(
        res.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    assert_eq!(
        admin.get("/admin/queue").await.status(),
        StatusCode::SEE_OTHER
    );
    let log = log_actions(&app).await;
    assert!(
        log.iter().any(|(_, a, _)| a == "sign_in") && log.iter().any(|(_, a, _)| a == "sign_out")
    );
}

#[tokio::test]
async fn readers_data_is_exported_and_erased_from_the_admin_pages() {
    let app = TestApp::spawn().await;
    app.post_json(
        "/api/v1/comments",
        &json!({"thread": "/t", "body": "my words", "email": "ana@example.org"}),
    )
    .await;
    let admin = sign_in(&app).await;
    let res = admin
        .post("/admin/readers/export", &[("email", "Ana@example.org")])
        .await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    let data: serde_json::Value = res.json().await.unwrap();
    assert_eq!(data["comments"][0]["body"], "my words");
    assert_eq!(
        admin
            .post("/admin/readers/delete", &[("email", "ana@example.org")])
            .await
            .status(),
        422,
        "no mode chosen"
    );
    let res = admin
        .post(
            "/admin/readers/delete",
            &[("email", "ana@example.org"), ("mode", "placeholder")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(app.thread("/t").await.comments.is_empty());
    let actions: Vec<String> = log_actions(&app)
        .await
        .into_iter()
        .map(|(_, a, _)| a)
        .collect();
    assert!(
        actions.contains(&"reader_exported".to_owned())
            && actions.contains(&"reader_erased".to_owned())
    );
}

//! Who is speaking: codes, sessions, single sign-on, the author in the thread, and names that
//! cannot be borrowed. Codes go through a real SMTP exchange with the test's sink.

use crate::helpers::*;
use crate::notifications::{
    Mail, code_for, confirm, prove, sign_in_request, smtp_sink, wait_for_mail, with_smtp,
};
use palabre_api::{
    CommentStatus, CreatedComment, ErrorCode, HeldComments, Me, Moderated, ModerationMode,
    MyComments, Role, Session,
};
use palabre_server::config::Site;
use palabre_server::identity::sso;
use palabre_server::store::SiteName;
use secrecy::SecretString;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;

type Inbox = Arc<Mutex<Vec<Mail>>>;

const SSO_KEY: &str = "the blog's own key, long enough to sign with";

async fn app_with_mail(
    configure: impl FnOnce(&mut palabre_server::config::Settings),
) -> (TestApp, Inbox) {
    let (port, inbox) = smtp_sink().await;
    let app = TestApp::spawn_with(|s| {
        with_smtp(s, port);
        s.notify.admin_emails.clear();
        configure(s);
    })
    .await;
    (app, inbox)
}

/// Posts a comment with a session's bearer token (and a solved challenge).
async fn post_as(app: &TestApp, token: &str, body: Value) -> reqwest::Response {
    let mut body = body;
    body["pow"] = app.solved_challenge().await;
    app.client
        .post(app.url("/api/v1/comments"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn me(app: &TestApp, token: &str) -> reqwest::Response {
    app.client
        .get(app.url("/api/v1/me"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

async fn ask_code(app: &TestApp, email: &str, ip: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/auth/email"))
        .header("x-real-ip", ip)
        .json(&json!({ "email": email }))
        .send()
        .await
        .unwrap()
}

async fn verify(app: &TestApp, email: &str, code: &str) -> reqwest::Response {
    let body = json!({ "email": email, "code": code });
    sign_in_request(app, "/api/v1/auth/email/verify", &body).await
}

fn other_code(code: &str) -> String {
    format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000)
}

#[tokio::test]
async fn a_verified_reader_posts_as_herself_and_edits_from_another_device() {
    let (app, inbox) = app_with_mail(|_| {}).await;
    let token = prove(&app, &inbox, "Ana@Example.org").await;
    let who: Me = me(&app, &token).await.json().await.unwrap();
    assert_eq!(
        (who.role, who.email.as_deref()),
        (Role::Verified, Some("ana@example.org"))
    );

    let res = post_as(
        &app,
        &token,
        json!({"thread": "/t", "body": "hello", "author": "Ana"}),
    )
    .await;
    assert_eq!(res.status(), 201);
    let created: CreatedComment = res.json().await.unwrap();
    assert_eq!(created.comment.role, Role::Verified);
    assert_eq!(created.comment.author.as_deref(), Some("Ana"));
    let listed = app.thread("/t").await;
    assert_eq!(
        listed.comments[0].role,
        Role::Verified,
        "the mark is in the thread"
    );

    // Another device: a new code, a new session, the same identity; edits without the
    // edit token.
    let other = prove(&app, &inbox, "ana@example.org").await;
    assert_ne!(other, token);
    let res = app
        .client
        .patch(app.url(&format!("/api/v1/comments/{}", created.comment.id)))
        .bearer_auth(&other)
        .json(&json!({"body": "hello, edited elsewhere"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // Someone else's session is not hers.
    let bob = prove(&app, &inbox, "bob@example.org").await;
    let res = app
        .client
        .delete(app.url(&format!("/api/v1/comments/{}", created.comment.id)))
        .bearer_auth(&bob)
        .send()
        .await
        .unwrap();
    expect_error(res, 403, ErrorCode::TokenInvalid).await;
}

#[tokio::test]
async fn codes_die_after_five_wrong_tries_expire_and_are_used_once() {
    let (app, inbox) = app_with_mail(|_| {}).await;
    // A new code for `email`, asked from network `ip`.
    let fresh = |email: &'static str, ip: &'static str| {
        let (app, inbox) = (&app, &inbox);
        async move {
            inbox.lock().unwrap().clear();
            assert_eq!(ask_code(app, email, ip).await.status(), 202);
            code_for(inbox, email).await
        }
    };
    let refused = |email: &'static str, code: String| {
        let app = &app;
        async move {
            let res = verify(app, email, &code).await;
            expect_error(res, 403, ErrorCode::CodeInvalid).await;
        }
    };

    let code = fresh("a@example.org", "10.0.0.1").await;
    for _ in 0..4 {
        refused("a@example.org", other_code(&code)).await;
    }
    // The fifth wrong try kills it: the right code is refused after.
    refused("a@example.org", "12345x".into()).await;
    refused("a@example.org", code).await;

    // Used once.
    let code = fresh("a@example.org", "10.0.0.2").await;
    assert_eq!(verify(&app, "a@example.org", &code).await.status(), 200);
    refused("a@example.org", code).await;

    // Expired.
    let code = fresh("a@example.org", "10.0.0.3").await;
    app.sql("UPDATE email_codes SET expires_at = 0").await;
    refused("a@example.org", code).await;

    // Another address's code is not this one's.
    let code = fresh("b@example.org", "10.0.0.4").await;
    refused("c@example.org", code).await;
}

#[tokio::test]
async fn codes_are_rate_limited_per_address_and_per_network_and_say_nothing_of_the_address() {
    let (app, inbox) =
        app_with_mail(|s| s.client_ip_header = Some("x-real-ip".parse().unwrap())).await;
    // Known or unknown, the answer is the same, to the byte.
    prove(&app, &inbox, "known@example.org").await;
    let known = ask_code(&app, "known@example.org", "10.1.0.1").await;
    let unknown = ask_code(&app, "never@example.org", "10.1.0.2").await;
    assert_eq!(
        (known.status(), unknown.status()),
        (reqwest::StatusCode::ACCEPTED, reqwest::StatusCode::ACCEPTED)
    );
    assert_eq!(known.bytes().await.unwrap(), unknown.bytes().await.unwrap());

    // One address, from many networks: five codes an hour, then refused and nothing sent.
    inbox.lock().unwrap().clear();
    let mut statuses = Vec::new();
    for n in 0..8 {
        statuses.push(
            ask_code(&app, "target@example.org", &format!("10.2.{n}.1"))
                .await
                .status()
                .as_u16(),
        );
    }
    assert_eq!(statuses, [202, 202, 202, 202, 202, 429, 429, 429]);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let sent = inbox
        .lock()
        .unwrap()
        .iter()
        .filter(|m| m.to == ["target@example.org"])
        .count();
    assert_eq!(sent, 5, "no mail beyond the limit");

    // One network, many addresses: a burst of five, then refused.
    let mut statuses = Vec::new();
    for n in 0..7 {
        statuses.push(
            ask_code(&app, &format!("r{n}@example.org"), "10.3.0.1")
                .await
                .status()
                .as_u16(),
        );
    }
    assert_eq!(statuses, [202, 202, 202, 202, 202, 429, 429]);
}

#[tokio::test]
async fn sessions_forged_expired_revoked_or_of_another_site_are_refused() {
    let (app, inbox) = app_with_mail(|s| {
        let first = s.sites[0].origins.clone();
        s.sites = vec![
            Site {
                name: SiteName::parse("one").unwrap(),
                ..Site::single(first)
            },
            Site {
                name: SiteName::parse("two").unwrap(),
                ..Site::single(vec!["https://two.example".into()])
            },
        ];
    })
    .await;
    let token = prove(&app, &inbox, "ana@example.org").await;
    assert_eq!(me(&app, &token).await.status(), 200);
    let on_two = app
        .client
        .get(app.url("/api/v1/me"))
        .header("origin", "https://two.example")
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    expect_error(on_two, 401, ErrorCode::SessionInvalid).await;
    for forged in [
        "plb.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "plb.",
        &format!("{token}x"),
    ] {
        expect_error(me(&app, forged).await, 401, ErrorCode::SessionInvalid).await;
    }
    // A post with a dead session is refused, not taken for a guest's.
    let res = post_as(&app, "plb.nope", json!({"thread": "/t", "body": "x"})).await;
    expect_error(res, 401, ErrorCode::SessionInvalid).await;

    // Expired.
    let second = prove(&app, &inbox, "ana@example.org").await;
    app.sql("UPDATE identity_sessions SET expires_at = 1").await;
    expect_error(me(&app, &token).await, 401, ErrorCode::SessionInvalid).await;
    expect_error(me(&app, &second).await, 401, ErrorCode::SessionInvalid).await;

    // Sign out here; sign out everywhere.
    let a = prove(&app, &inbox, "ana@example.org").await;
    let b = prove(&app, &inbox, "ana@example.org").await;
    let c = prove(&app, &inbox, "ana@example.org").await;
    let out = |token: String, everywhere: bool| {
        let app = &app;
        async move {
            app.client
                .post(app.url("/api/v1/auth/sign-out"))
                .bearer_auth(token)
                .json(&json!({ "everywhere": everywhere }))
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(out(a.clone(), false).await, 204);
    expect_error(me(&app, &a).await, 401, ErrorCode::SessionInvalid).await;
    assert_eq!(me(&app, &b).await.status(), 200, "the other devices stay");
    assert_eq!(out(b.clone(), true).await, 204);
    expect_error(me(&app, &c).await, 401, ErrorCode::SessionInvalid).await;
    // Only hashes are kept.
    let stored = app.everything_stored().await;
    assert!(
        !stored.contains(&c[4..]),
        "a token in clear in the database"
    );
}

fn sso_token(key: &str, alg: &str, claims: Value) -> String {
    sso::sign(
        key.as_bytes(),
        &json!({ "alg": alg, "typ": "JWT" }),
        &claims,
    )
}

fn in_secs(s: i64) -> i64 {
    palabre_server::clock::now().as_millis() / 1000 + s
}

#[tokio::test]
async fn single_sign_on_vouches_for_members_and_refuses_bad_tokens() {
    let app = TestApp::spawn_with(|s| {
        s.sites[0].sso_secret = Some(SecretString::from(SSO_KEY));
        s.sites[0].sso_required = true;
        s.client_ip_header = Some("x-real-ip".parse().unwrap());
    })
    .await;
    let sign_in = |token: String| {
        let app = &app;
        async move { sign_in_request(app, "/api/v1/auth/sso", &json!({ "token": token })).await }
    };
    let claims = json!({"sub": "u-17", "name": "Mia Member", "email": "mia@example.org", "exp": in_secs(300)});
    let config: Value = app.get("/api/v1/config").await.json().await.unwrap();
    assert_eq!(config["members_only"], true);
    assert_eq!(config["sign_in"], json!(["sso"]));

    // Required: a guest cannot post.
    let res = app
        .post_json(
            "/api/v1/comments",
            &json!({"thread": "/t", "body": "guest"}),
        )
        .await;
    expect_error(res, 403, ErrorCode::SignInRequired).await;

    let res = sign_in(sso_token(SSO_KEY, "HS256", claims.clone())).await;
    assert_eq!(res.status(), 200);
    let session: Session = res.json().await.unwrap();
    assert_eq!(
        (session.me.role, session.me.name.as_deref()),
        (Role::Member, Some("Mia Member"))
    );
    let res = post_as(
        &app,
        &session.token,
        json!({"thread": "/t", "body": "member", "author": "Someone Else"}),
    )
    .await;
    assert_eq!(res.status(), 201);
    let c: CreatedComment = res.json().await.unwrap();
    assert_eq!(
        (c.comment.role, c.comment.author.as_deref()),
        (Role::Member, Some("Mia Member")),
        "the site's name, not a typed one"
    );

    let bad = [
        sso_token(
            "another site's key, just as long as ours",
            "HS256",
            claims.clone(),
        ),
        sso_token(SSO_KEY, "none", claims.clone()),
        sso_token(SSO_KEY, "RS256", claims.clone()),
        sso_token(
            SSO_KEY,
            "HS256",
            json!({"sub": "u-17", "name": "Mia", "exp": in_secs(-120)}),
        ),
        sso_token(
            SSO_KEY,
            "HS256",
            json!({"sub": "u-17", "name": "Mia", "exp": in_secs(3600)}),
        ),
        sso_token(
            SSO_KEY,
            "HS256",
            json!({"name": "No Sub", "exp": in_secs(300)}),
        ),
        // `none` with no signature at all.
        {
            let t = sso_token(SSO_KEY, "none", claims.clone());
            format!("{}.", t.rsplit_once('.').unwrap().0)
        },
        "not.a.token".into(),
    ];
    for token in bad {
        expect_error(sign_in(token.clone()).await, 401, ErrorCode::SsoInvalid).await;
    }
}

#[tokio::test]
async fn the_author_signs_in_in_the_widget_and_posts_with_the_mark() {
    let app = TestApp::spawn_with(|s| s.moderation = ModerationMode::All).await;
    // The display name is set in /admin, and logged.
    let admin = crate::admin::sign_in(&app).await;
    let page = admin.get("/admin/account").await.text().await.unwrap();
    assert!(page.contains("name=\"display_name\""), "{page}");
    let res = admin
        .post("/admin/account", &[("display_name", "  Claire Dubois ")])
        .await;
    assert_eq!(res.status(), reqwest::StatusCode::SEE_OTHER);
    let page = admin.get("/admin/account").await.text().await.unwrap();
    assert!(page.contains("value=\"Claire Dubois\""), "{page}");
    let res = admin
        .post("/admin/account", &[("display_name", &"x".repeat(500))])
        .await;
    assert_eq!(res.status(), reqwest::StatusCode::UNPROCESSABLE_ENTITY);
    let log = app.state.services.store.admin_log(5).await.unwrap();
    assert!(log.iter().any(|e| e.action == "display_name"), "{log:?}");
    let wrong = app
        .post_json(
            "/api/v1/auth/password",
            &json!({"name": "admin", "password": "wrong password"}),
        )
        .await;
    expect_error(wrong, 401, ErrorCode::CredentialsInvalid).await;
    let res = app
        .post_json(
            "/api/v1/auth/password",
            &json!({"name": "admin", "password": "correct horse battery staple"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let session: Session = res.json().await.unwrap();
    assert_eq!(session.me.role, Role::Author);
    let res = post_as(
        &app,
        &session.token,
        json!({"thread": "/t", "body": "Thanks for reading."}),
    )
    .await;
    assert_eq!(res.status(), 201, "the author is never held");
    let c: CreatedComment = res.json().await.unwrap();
    assert_eq!(
        (c.comment.role, c.comment.author.as_deref()),
        (Role::Author, Some("Claire Dubois"))
    );
    // The feed and the admin pages name the author so too.
    let feed = app
        .get("/api/v1/feed?thread=/t")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        feed.contains("<name>Claire Dubois (Author)</name>"),
        "{feed}"
    );
    let admin = crate::admin::sign_in(&app).await;
    let page = admin.get("/admin/comments").await.text().await.unwrap();
    assert!(
        page.contains("<span class=\"role\" data-role=\"author\">Author</span>"),
        "{page}"
    );
    // The first paint draws the mark.
    let paint = app
        .get("/api/v1/first-paint?thread=/t")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        paint.contains("<span class=\"role\" data-role=\"author\">Author</span>"),
        "{paint}"
    ); // A new password (set again by the sign-in above) ends the author's widget sessions too.
    expect_error(
        me(&app, &session.token).await,
        401,
        ErrorCode::SessionInvalid,
    )
    .await;
}

/// Lookalikes of "Claire Dubois", each of which a reader could take for her.
const LOOKALIKES: &[&str] = &[
    "Claire Dubois",
    "claire dubois",
    "CLAIRE DUBOIS",
    "ClaireDubois",
    "Claire  Dubois",
    " Claire Dubois ",
    "Claire Dubois.",
    "Clаire Dubois",                 // Cyrillic а
    "Claire Dubоis",                 // Cyrillic о
    "Сlaire Dubois",                 // Cyrillic С
    "Claire Dubοis",                 // Greek ο
    "Claire Duboіs",                 // Cyrillic і
    "Claіre Dubois",                 // Cyrillic і
    "Ϲlaire Dubois",                 // Greek lunate sigma
    "Ｃｌａｉｒｅ Ｄｕｂｏｉｓ",     // fullwidth
    "Cla\u{200D}ire Dubois",         // zero-width joiner
    "Claire\u{200B} Dubois",         // zero-width space
    "Claire Dub\u{FEFF}ois",         // byte order mark
    "\u{202E}Claire Dubois",         // right-to-left override
    "Claire\u{2066} Dubois\u{2069}", // isolates
    "Cla\u{0301}ire Dubois",         // combining acute
    "Clairé Dubois",
    "Claire Duböis",
    "C1aire Dubois",         // digit one for l
    "CIaire Dubois",         // capital I for l
    "Claire Dub0is",         // zero for o
    "Claire Dubois\u{00AD}", // soft hyphen
];

#[tokio::test]
async fn names_of_the_author_and_of_verified_readers_cannot_be_borrowed() {
    let (app, inbox) = app_with_mail(|_| {}).await;
    crate::admin::set_password(app.state.services.store.as_ref()).await;
    app.state
        .services
        .store
        .set_admin_display_name("admin", Some("Claire Dubois"))
        .await
        .unwrap();
    assert!(LOOKALIKES.len() >= 25);
    for name in LOOKALIKES {
        let res = app
            .post_json(
                "/api/v1/comments",
                &json!({"thread": "/t", "body": "x", "author": name}),
            )
            .await;
        expect_error(res, 422, ErrorCode::NameReserved).await;
    }
    for name in [
        "Claire Dupont",
        "Claude Dubois",
        "Clara Dubois",
        "Claire",
        "Dubois",
        "Anna",
    ] {
        let res = app
            .post_json(
                "/api/v1/comments",
                &json!({"thread": "/t", "body": "x", "author": name}),
            )
            .await;
        assert_eq!(res.status(), 201, "{name:?} is someone else");
    }
    // A verified reader's name is hers once she posts with it; she keeps using it.
    let ana = prove(&app, &inbox, "ana@example.org").await;
    assert_eq!(
        post_as(
            &app,
            &ana,
            json!({"thread": "/t", "body": "mine", "author": "Ana Lima"})
        )
        .await
        .status(),
        201
    );
    assert_eq!(
        post_as(
            &app,
            &ana,
            json!({"thread": "/t", "body": "again", "author": "Ana Lima"})
        )
        .await
        .status(),
        201
    );
    let res = app
        .post_json(
            "/api/v1/comments",
            &json!({"thread": "/t", "body": "x", "author": "Аna Lima"}),
        )
        .await;
    expect_error(res, 422, ErrorCode::NameReserved).await;
    // Another verified reader cannot take it either, nor a member.
    let bob = prove(&app, &inbox, "bob@example.org").await;
    let res = post_as(
        &app,
        &bob,
        json!({"thread": "/t", "body": "x", "author": "ana lima"}),
    )
    .await;
    expect_error(res, 422, ErrorCode::NameReserved).await;
    // Nothing was stored by the refusals.
    assert!(
        !app.thread("/t")
            .await
            .comments
            .iter()
            .any(|c| c.author.as_deref() == Some("Аna Lima"))
    );
}

#[tokio::test]
async fn first_moderation_trusts_a_proven_identity_never_a_typed_email() {
    let (app, inbox) = app_with_mail(|s| s.moderation = ModerationMode::First).await;
    let ana = prove(&app, &inbox, "ana@example.org").await;
    let res = post_as(&app, &ana, json!({"thread": "/t", "body": "first"})).await;
    assert_eq!(res.status(), 202, "a first comment is held");
    let first: CreatedComment = res.json().await.unwrap();
    palabre_server::moderation::apply(
        &app.state.services,
        "test",
        palabre_server::moderation::CommentAction::Approve,
        &[first.comment.id],
    )
    .await
    .unwrap();
    let res = post_as(&app, &ana, json!({"thread": "/t", "body": "second"})).await;
    assert_eq!(res.status(), 201, "trusted once approved");
    // Her address typed by anyone: held.
    let res = app
        .post_json(
            "/api/v1/comments",
            &json!({"thread": "/t", "body": "me too", "email": "ana@example.org"}),
        )
        .await;
    assert_eq!(res.status(), 202);
    let c: CreatedComment = res.json().await.unwrap();
    assert_eq!(c.comment.status, CommentStatus::Pending);
}

#[tokio::test]
async fn reply_notifications_wait_for_the_code_of_their_address() {
    let (app, inbox) = app_with_mail(|_| {}).await;
    let res = app
        .post_json(
            "/api/v1/comments",
            &json!({"thread": "/t", "body": "tell me", "email": "stranger@example.org", "notify": true}),
        )
        .await;
    let parent: CreatedComment = res.json().await.unwrap();
    assert!(parent.code_sent);
    for n in 0..3 {
        app.comment("/t", &format!("reply {n}"), Some(parent.comment.id))
            .await;
    }
    tokio::time::sleep(Duration::from_millis(400)).await;
    let mails = inbox.lock().unwrap().clone();
    assert_eq!(mails.len(), 1, "the code, nothing else: {mails:?}");
    assert!(
        mails[0]
            .text
            .contains("Your code to comment on blog.example is")
    );
    // Typed: the next reply is mailed.
    confirm(&app, &inbox, "stranger@example.org").await;
    app.comment("/t", "reply after", Some(parent.comment.id))
        .await;
    let mails = wait_for_mail(&inbox, 2).await;
    assert!(mails[1].text.contains("> reply after"), "{}", mails[1].text);
}

#[tokio::test]
async fn without_mail_no_code_is_offered() {
    let app = TestApp::spawn().await;
    let config: Value = app.get("/api/v1/config").await.json().await.unwrap();
    assert!(config.get("sign_in").is_none(), "{config}");
    let res = app
        .post_json("/api/v1/auth/email", &json!({"email": "a@example.org"}))
        .await;
    expect_error(res, 404, ErrorCode::NotFound).await;
}

#[tokio::test]
async fn a_readers_export_and_erasure_cover_identities_and_sessions() {
    let (app, inbox) = app_with_mail(|_| {}).await;
    let token = prove(&app, &inbox, "ana@example.org").await;
    post_as(
        &app,
        &token,
        json!({"thread": "/t", "body": "mine", "author": "Ana Lima"}),
    )
    .await;
    let data = palabre_server::readers::export(&app.state.services, "ana@example.org", None)
        .await
        .unwrap();
    assert_eq!(data.identities.len(), 1);
    assert_eq!(data.identities[0].name.as_deref(), Some("Ana Lima"));
    assert_eq!(data.identities[0].sessions.len(), 1);
    palabre_server::readers::forget(
        &app.state.services,
        "test",
        "ana@example.org",
        None,
        palabre_server::readers::ForgetMode::Remove,
    )
    .await
    .unwrap();
    expect_error(me(&app, &token).await, 401, ErrorCode::SessionInvalid).await;
    // Her name is free again.
    let res = app
        .post_json(
            "/api/v1/comments",
            &json!({"thread": "/t", "body": "x", "author": "Ana Lima"}),
        )
        .await;
    assert_eq!(res.status(), 201);
}

#[tokio::test]
async fn the_code_emails_link_confirms_the_address_after_a_click_not_a_visit() {
    let (app, inbox) = app_with_mail(|_| {}).await;
    let res = app
        .post_json(
            "/api/v1/comments",
            &json!({"thread": "/t", "body": "tell me", "email": "lea@example.org", "notify": true}),
        )
        .await;
    let parent: CreatedComment = res.json().await.unwrap();
    let mail = wait_for_mail(&inbox, 1).await.remove(0);
    let link = mail
        .text
        .lines()
        .find_map(|l| {
            l.split_once("http://comments.test")
                .map(|(_, path)| path.trim().to_owned())
        })
        .expect("a confirmation link");
    assert!(link.starts_with("/confirm-email?"), "{link}");
    // A visit (a mail scanner) changes nothing.
    let page = app.get(&link).await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("<form method=\"post\""));
    app.comment("/t", "reply before", Some(parent.comment.id))
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(inbox.lock().unwrap().len(), 1, "nothing but the code yet");
    // A forged code is refused, and spends a try.
    let forged = link.replace("code=", "code=9");
    let res = app.client.post(app.url(&forged)).send().await.unwrap();
    assert_eq!(res.status(), 404);
    let res = app
        .client
        .post(app.url(&link))
        .header("x-real-ip", "10.9.9.9")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    app.comment("/t", "reply after", Some(parent.comment.id))
        .await;
    let mails = wait_for_mail(&inbox, 2).await;
    assert!(mails[1].text.contains("> reply after"), "{}", mails[1].text);
    // Used once.
    let res = app.client.post(app.url(&link)).send().await.unwrap();
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn the_configured_admins_name_is_reserved_too() {
    let hash =
        palabre_server::http::admin::auth::hash_password("a password from the config").unwrap();
    let app = TestApp::spawn_with(|s| s.admin_password_hash = Some(SecretString::from(hash))).await;
    for name in ["admin", "ADMIN", "Аdmin"] {
        let res = app
            .post_json(
                "/api/v1/comments",
                &json!({"thread": "/t", "body": "x", "author": name}),
            )
            .await;
        expect_error(res, 422, ErrorCode::NameReserved).await;
    }
}

#[tokio::test]
async fn an_admin_signs_a_reader_out_everywhere() {
    let (app, inbox) = app_with_mail(|_| {}).await;
    let one = prove(&app, &inbox, "ana@example.org").await;
    let two = prove(&app, &inbox, "ana@example.org").await;
    let bob = prove(&app, &inbox, "bob@example.org").await;
    let admin = crate::admin::sign_in(&app).await;
    let page = admin.get("/admin/readers").await.text().await.unwrap();
    assert!(
        page.contains("action=\"/admin/readers/sign-out\""),
        "{page}"
    );
    let res = admin
        .post(
            "/admin/readers/sign-out",
            &[("email", "ANA@example.org"), ("site", "")],
        )
        .await;
    assert_eq!(res.status(), reqwest::StatusCode::SEE_OTHER);
    assert!(
        res.headers()["location"]
            .to_str()
            .unwrap()
            .ends_with("done=2")
    );
    for token in [&one, &two] {
        expect_error(me(&app, token).await, 401, ErrorCode::SessionInvalid).await;
    }
    assert_eq!(me(&app, &bob).await.status(), 200, "others stay signed in");
    let log = app.state.services.store.admin_log(5).await.unwrap();
    assert!(
        log.iter()
            .any(|e| e.action == "reader_signed_out" && !e.detail.contains("ana"))
    );
}

async fn get_as(app: &TestApp, path: &str, token: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

async fn json_as(app: &TestApp, path: &str, token: &str, body: Value) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn author_session(app: &TestApp) -> String {
    crate::admin::set_password(app.state.services.store.as_ref()).await;
    let body = json!({"name": "admin", "password": "correct horse battery staple"});
    let res = sign_in_request(app, "/api/v1/auth/password", &body).await;
    assert_eq!(res.status(), 200);
    res.json::<Session>().await.unwrap().token
}

#[tokio::test]
async fn a_signed_in_reader_finds_her_comments_on_another_device() {
    let (app, inbox) = app_with_mail(|s| s.moderation = ModerationMode::All).await;
    let token = prove(&app, &inbox, "ana@example.org").await;
    let res = post_as(
        &app,
        &token,
        json!({"thread": "/t", "body": "*held* for now", "author": "Ana"}),
    )
    .await;
    assert_eq!(res.status(), 202);
    let held: CreatedComment = res.json().await.unwrap();
    let res = app
        .post_json(
            "/api/v1/comments",
            &json!({"thread": "/t", "body": "a guest's"}),
        )
        .await;
    assert_eq!(res.status(), 202);

    let other = prove(&app, &inbox, "ana@example.org").await;
    let res = get_as(&app, "/api/v1/me/comments?thread=/t", &other).await;
    assert_eq!(res.status(), 200);
    let mine: MyComments = res.json().await.unwrap();
    assert_eq!(mine.comments.len(), 1, "{mine:?}");
    let my = &mine.comments[0];
    assert_eq!(my.comment.id, held.comment.id);
    assert_eq!(my.comment.status, CommentStatus::Pending);
    assert_eq!(my.body, "*held* for now", "the Markdown, to edit from");

    let none: MyComments = get_as(&app, "/api/v1/me/comments?thread=/other", &other)
        .await
        .json()
        .await
        .unwrap();
    assert!(none.comments.is_empty());
    let bob = prove(&app, &inbox, "bob@example.org").await;
    let bobs: MyComments = get_as(&app, "/api/v1/me/comments?thread=/t", &bob)
        .await
        .json()
        .await
        .unwrap();
    assert!(bobs.comments.is_empty(), "another identity's are not hers");
    let res = app.get("/api/v1/me/comments?thread=/t").await;
    expect_error(res, 401, ErrorCode::SessionInvalid).await;
}

#[tokio::test]
async fn the_author_moderates_in_place_with_the_rules_and_log_of_admin() {
    let (app, inbox) = app_with_mail(|s| s.moderation = ModerationMode::All).await;
    let author = author_session(&app).await;
    let reader = prove(&app, &inbox, "ana@example.org").await;
    let post = |body: &'static str| {
        let app = &app;
        async move {
            let res = app
                .post_json(
                    "/api/v1/comments",
                    &json!({"thread": "/t", "body": body, "author": "Guest"}),
                )
                .await;
            assert_eq!(res.status(), 202, "held");
            res.json::<CreatedComment>().await.unwrap().comment.id
        }
    };
    let (first, second, third, fourth) = (
        post("first").await,
        post("second").await,
        post("third").await,
        post("fourth").await,
    );

    // The queue of this thread, for the author only.
    let res = get_as(&app, "/api/v1/moderation?thread=/t", &author).await;
    assert_eq!(res.status(), 200);
    let held: HeldComments = res.json().await.unwrap();
    let ids: Vec<i64> = held.comments.iter().map(|c| c.id).collect();
    assert_eq!(ids, vec![first, second, third, fourth], "oldest first");
    let res = get_as(&app, "/api/v1/moderation?thread=/t", &reader).await;
    expect_error(res, 403, ErrorCode::ModeratorOnly).await;
    let res = json_as(
        &app,
        &format!("/api/v1/comments/{first}/moderation"),
        &reader,
        json!({"action": "approve"}),
    )
    .await;
    expect_error(res, 403, ErrorCode::ModeratorOnly).await;
    let res = app
        .post_json(
            &format!("/api/v1/comments/{first}/moderation"),
            &json!({"action": "approve"}),
        )
        .await;
    assert_eq!(res.status(), 401, "no session, no moderation");

    let act = |id: i64, action: &'static str| {
        let (app, author) = (&app, &author);
        async move {
            let res = json_as(
                app,
                &format!("/api/v1/comments/{id}/moderation"),
                author,
                json!({ "action": action }),
            )
            .await;
            assert_eq!(res.status(), 200, "{action} {id}");
            res.json::<Moderated>().await.unwrap()
        }
    };
    let approved = act(first, "approve").await;
    assert_eq!(approved.changed, 1);
    let shown = approved.comment.expect("published");
    assert_eq!(shown.status, CommentStatus::Published);
    assert_eq!(act(first, "approve").await.changed, 0, "done already");
    let rejected = act(second, "reject").await;
    assert_eq!((rejected.changed, rejected.comment), (1, None));
    let spam = act(third, "spam").await;
    assert_eq!((spam.changed, spam.comment), (1, None));
    assert_eq!(act(fourth, "block_reader").await.changed, 1);
    let thread = app.thread("/t").await;
    let listed: Vec<i64> = thread.comments.iter().map(|c| c.id).collect();
    assert_eq!(listed, vec![first]);
    // The blocked writer cannot post again (the test's requests share one network).
    let res = app
        .post_json(
            "/api/v1/comments",
            &json!({"thread": "/t", "body": "again", "author": "Guest"}),
        )
        .await;
    expect_error(res, 403, ErrorCode::Blocked).await;
    let res = json_as(
        &app,
        "/api/v1/comments/999999/moderation",
        &author,
        json!({"action": "delete"}),
    )
    .await;
    expect_error(res, 404, ErrorCode::CommentNotFound).await;
    let res = json_as(
        &app,
        &format!("/api/v1/comments/{first}/moderation"),
        &author,
        json!({"action": "shout"}),
    )
    .await;
    assert_eq!(res.status(), 422, "an unknown action changes nothing");

    // Locking and reopening the thread.
    let lock = |locked: bool| {
        let (app, author) = (&app, &author);
        async move {
            json_as(
                app,
                "/api/v1/threads/lock",
                author,
                json!({"thread": "/t", "locked": locked}),
            )
            .await
        }
    };
    assert_eq!(lock(true).await.status(), 204);
    assert!(app.thread("/t").await.thread.locked);
    let res = post_as(&app, &reader, json!({"thread": "/t", "body": "late"})).await;
    expect_error(res, 403, ErrorCode::ThreadLocked).await;
    assert_eq!(lock(false).await.status(), 204);
    assert!(!app.thread("/t").await.thread.locked);
    let res = json_as(
        &app,
        "/api/v1/threads/lock",
        &reader,
        json!({"thread": "/t", "locked": true}),
    )
    .await;
    expect_error(res, 403, ErrorCode::ModeratorOnly).await;

    // The same log entries as /admin, under the admin's name.
    let log = app.state.services.store.admin_log(20).await.unwrap();
    let done: Vec<(&str, &str)> = log
        .iter()
        .filter(|e| e.actor == "admin")
        .map(|e| (e.action.as_str(), e.target.as_str()))
        .collect();
    for (action, target) in [
        ("approve", format!("comment {first}")),
        ("reject", format!("comment {second}")),
        ("spam", format!("comment {third}")),
        ("block_reader", format!("comment {fourth}")),
        ("lock", "thread /t".to_owned()),
        ("unlock", "thread /t".to_owned()),
    ] {
        assert!(
            done.contains(&(action, target.as_str())),
            "{action} {target} in {done:?}"
        );
    }
}

#[tokio::test]
async fn passkey_ceremonies_are_the_blogs_taken_once_and_for_proven_readers_only() {
    let (app, inbox) = app_with_mail(|s| {
        s.sites[0].origins = vec!["https://blog.example".into()];
        s.sites[0].sso_secret = Some(SecretString::from(SSO_KEY));
    })
    .await;
    // Signing in: the blog's domain is the relying party; no name asked.
    let res = sign_in_request(&app, "/api/v1/auth/passkey", &json!({})).await;
    assert_eq!(res.status(), 200);
    let start: Value = res.json().await.unwrap();
    let options = &start["options"]["publicKey"];
    assert_eq!(options["rpId"], "blog.example");
    assert_eq!(options["userVerification"], "required");
    assert!(
        options
            .get("allowCredentials")
            .is_none_or(|a| a.as_array().unwrap().is_empty())
    );
    let ceremony = start["ceremony"].as_str().unwrap().to_owned();
    // An answer no authenticator made is refused, and the ceremony is spent.
    let forged = json!({
        "ceremony": ceremony,
        "credential": {
            "id": "AAAA", "rawId": "AAAA", "type": "public-key",
            "response": {"authenticatorData": "AAAA", "clientDataJSON": "AAAA", "signature": "AAAA", "userHandle": "AAAA"}
        }
    });
    let res = sign_in_request(&app, "/api/v1/auth/passkey/finish", &forged).await;
    expect_error(res, 401, ErrorCode::PasskeyInvalid).await;
    let res = sign_in_request(&app, "/api/v1/auth/passkey/finish", &forged).await;
    expect_error(res, 401, ErrorCode::PasskeyInvalid).await;
    let res = sign_in_request(
        &app,
        "/api/v1/auth/passkey/finish",
        &json!({"ceremony": "made up", "credential": forged["credential"]}),
    )
    .await;
    expect_error(res, 401, ErrorCode::PasskeyInvalid).await;

    // Adding one: a proven reader's, for her own identity.
    let res = sign_in_request(&app, "/api/v1/auth/passkey/register", &json!({})).await;
    expect_error(res, 401, ErrorCode::SessionInvalid).await;
    let ana = prove(&app, &inbox, "ana@example.org").await;
    let res = json_as(&app, "/api/v1/auth/passkey/register", &ana, json!({})).await;
    assert_eq!(res.status(), 200);
    let start: Value = res.json().await.unwrap();
    let options = &start["options"]["publicKey"];
    assert_eq!(options["rp"]["id"], "blog.example");
    assert_eq!(options["user"]["name"], "ana@example.org");
    assert_eq!(options["authenticatorSelection"]["residentKey"], "required");
    // Bob cannot finish Ana's ceremony.
    let bob = prove(&app, &inbox, "bob@example.org").await;
    let answer = json!({
        "ceremony": start["ceremony"],
        "credential": {
            "id": "AAAA", "rawId": "AAAA", "type": "public-key",
            "response": {"attestationObject": "AAAA", "clientDataJSON": "AAAA"}
        }
    });
    let res = json_as(&app, "/api/v1/auth/passkey/register/finish", &bob, answer).await;
    expect_error(res, 401, ErrorCode::PasskeyInvalid).await;
    // A member's identity belongs to the site's own accounts: no passkey here.
    let token = sso_token(
        SSO_KEY,
        "HS256",
        json!({"sub": "m1", "name": "Mia", "exp": in_secs(300)}),
    );
    let res = sign_in_request(&app, "/api/v1/auth/sso", &json!({ "token": token })).await;
    let member: Session = res.json().await.unwrap();
    let res = json_as(
        &app,
        "/api/v1/auth/passkey/register",
        &member.token,
        json!({}),
    )
    .await;
    expect_error(res, 403, ErrorCode::SignInRequired).await;
}

//! Notifications, against an SMTP server and a webhook receiver started by the test on
//! 127.0.0.1: what is sent, to whom, with which links, and that readers never wait for it.

use crate::helpers::*;
use palabre_api::{CommentStatus, CreatedComment, ModerationMode};
use palabre_server::config::{NotifySettings, Settings, SmtpSettings, SmtpTls, WebhookSettings};
use reqwest::StatusCode;
use secrecy::SecretString;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

#[derive(Debug, Clone)]
pub(crate) struct Mail {
    pub(crate) to: Vec<String>,
    /// Headers and body, quoted-printable decoded.
    pub(crate) text: String,
}

/// A minimal SMTP server that accepts everything and keeps it.
pub(crate) async fn smtp_sink() -> (u16, Arc<Mutex<Vec<Mail>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let inbox = Arc::new(Mutex::new(Vec::new()));
    let kept = inbox.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let inbox = kept.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 sink ESMTP\r\n").await.unwrap();
                let mut to = Vec::new();
                while let Ok(Some(line)) = lines.next_line().await {
                    let upper = line.to_ascii_uppercase();
                    let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                        b"250 sink\r\n"
                    } else if upper.starts_with("RCPT TO:") {
                        to.push(line[8..].trim().trim_matches(['<', '>']).to_owned());
                        b"250 OK\r\n"
                    } else if upper.starts_with("DATA") {
                        write.write_all(b"354 go on\r\n").await.unwrap();
                        let mut data = String::new();
                        while let Ok(Some(l)) = lines.next_line().await {
                            if l == "." {
                                break;
                            }
                            data.push_str(&l);
                            data.push('\n');
                        }
                        inbox.lock().unwrap().push(Mail {
                            to: std::mem::take(&mut to),
                            text: decode_quoted_printable(&data),
                        });
                        b"250 kept\r\n"
                    } else if upper.starts_with("QUIT") {
                        let _ = write.write_all(b"221 bye\r\n").await;
                        break;
                    } else {
                        b"250 OK\r\n"
                    };
                    write.write_all(reply).await.unwrap();
                }
            });
        }
    });
    (port, inbox)
}

fn decode_quoted_printable(s: &str) -> String {
    let joined = s.replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&joined[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub(crate) fn with_smtp(s: &mut Settings, port: u16) {
    s.notify = NotifySettings {
        smtp: Some(SmtpSettings {
            host: "127.0.0.1".into(),
            port,
            tls: SmtpTls::None,
            username: None,
            password: None,
            from: "Palabre <palabre@example.org>".into(),
        }),
        admin_emails: vec!["owner@example.org".into()],
        retry_delays: vec![Duration::from_millis(50); 3],
        ..NotifySettings::default()
    };
    s.public_url = Some("http://comments.test".into());
    s.sites[0].origins = vec!["https://blog.example".into()];
    // Sign-in tests name the network of each request (`sign_in_request`).
    s.client_ip_header = Some("x-real-ip".parse().unwrap());
}

pub(crate) async fn wait_for_mail(inbox: &Arc<Mutex<Vec<Mail>>>, n: usize) -> Vec<Mail> {
    let start = Instant::now();
    loop {
        let mails = inbox.lock().unwrap().clone();
        if mails.len() >= n {
            return mails;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "waited for {n} mails, got {mails:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The six digits of the latest sign-in code mailed to `to`, waiting for it.
pub(crate) async fn code_for(inbox: &Arc<Mutex<Vec<Mail>>>, to: &str) -> String {
    code_after(inbox, to, 0).await
}

/// The same, among the mails from the `from`th on (a code asked for after those).
pub(crate) async fn code_after(inbox: &Arc<Mutex<Vec<Mail>>>, to: &str, from: usize) -> String {
    let start = Instant::now();
    loop {
        let found = inbox.lock().unwrap().iter().skip(from).rev().find_map(|m| {
            let subject = m.text.lines().find(|l| l.starts_with("Subject: "))?;
            m.to.iter()
                .any(|t| t.eq_ignore_ascii_case(to))
                .then_some(())?;
            let code: String = subject.chars().filter(char::is_ascii_digit).collect();
            (code.len() == 6).then_some(code)
        });
        if let Some(code) = found {
            return code;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "no code mailed to {to}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A network of its own for each sign-in request, so that tests signing in many times stay
/// under the per-network limit (tests of that limit name their networks themselves).
fn next_network() -> String {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("10.{}.{}.9", 200 + (n / 256) % 50, n % 256)
}

/// Sends `body` to a sign-in route from a fresh network (see [`next_network`]).
pub(crate) async fn sign_in_request(app: &TestApp, path: &str, body: &Value) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .header("x-real-ip", next_network())
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn verify_code(app: &TestApp, email: &str, code: &str) -> String {
    let body = json!({"email": email, "code": code});
    let res = sign_in_request(app, "/api/v1/auth/email/verify", &body).await;
    assert_eq!(res.status(), 200, "verifying {email}");
    let session: palabre_api::Session = res.json().await.unwrap();
    session.token
}

/// Types the code last mailed to `email` (the one a post asking for replies sent): the
/// address is proven; returns the session token.
pub(crate) async fn confirm(app: &TestApp, inbox: &Arc<Mutex<Vec<Mail>>>, email: &str) -> String {
    let code = code_for(inbox, email).await;
    verify_code(app, email, &code).await
}

/// Proves `email` from scratch: asks for a code, types it; returns the session token.
pub(crate) async fn prove(app: &TestApp, inbox: &Arc<Mutex<Vec<Mail>>>, email: &str) -> String {
    let before = inbox.lock().unwrap().len();
    let body = json!({"email": email});
    let res = sign_in_request(app, "/api/v1/auth/email", &body).await;
    assert_eq!(res.status(), 202, "asking a code for {email}");
    let code = code_after(inbox, email, before).await;
    verify_code(app, email, &code).await
}

/// The link after `label: ` in a mail, as a path on the test server.
pub(crate) fn link(mail: &Mail, label: &str) -> String {
    let line = mail
        .text
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{label}: ")))
        .unwrap_or_else(|| panic!("no {label} link in {}", mail.text));
    line.trim().replace("http://comments.test", "")
}

pub(crate) fn form_of(page: &str) -> Vec<(String, String)> {
    page.split("type=\"hidden\" name=\"")
        .skip(1)
        .map(|rest| {
            let name = rest.split('"').next().unwrap().to_owned();
            let value = rest
                .split("value=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap()
                .to_owned();
            (name, value)
        })
        .collect()
}

#[tokio::test]
async fn a_held_comment_mails_the_admin_whose_link_approves_it_after_confirmation() {
    let (port, inbox) = smtp_sink().await;
    let app = TestApp::spawn_with(|s| {
        with_smtp(s, port);
        s.moderation = ModerationMode::All;
    })
    .await;
    let res = app
        .post_json(
            "/api/v1/comments",
            &json!({"thread": "/post", "title": "Bread", "author": "Inès", "email": "ines@example.org",
                    "body": "Crust **matters** <script>x</script>"}),
        )
        .await;
    assert_eq!(res.status(), 202);
    let id = res.json::<CreatedComment>().await.unwrap().comment.id;
    let mail = wait_for_mail(&inbox, 1).await.remove(0);
    assert_eq!(mail.to, ["owner@example.org"]);
    assert!(
        mail.text
            .contains("Subject: Comment awaiting moderation on Bread (/post)"),
        "{}",
        mail.text
    );
    assert!(mail.text.contains("Content-Type: text/plain"));
    assert!(
        mail.text.contains("by Inès <ines@example.org>"),
        "{}",
        mail.text
    );
    // The text as typed, quoted; never rendered HTML.
    assert!(mail.text.contains("> Crust **matters** <script>x</script>"));
    assert!(!mail.text.contains("<strong>"));
    assert!(
        mail.text.contains("Article: https://blog.example/post"),
        "{}",
        mail.text
    );

    let approve = link(&mail, "Approve");
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let confirm = http.get(app.url(&approve)).send().await.unwrap();
    assert_eq!(confirm.status(), 200);
    let fields = form_of(&confirm.text().await.unwrap());
    assert_eq!(
        app.state
            .services
            .store
            .comment(id)
            .await
            .unwrap()
            .unwrap()
            .status,
        CommentStatus::Pending,
        "following the link alone changes nothing"
    );
    // A tampered signature is refused.
    let mut forged = fields.clone();
    forged.retain(|(k, _)| k != "action");
    forged.push(("action".into(), "delete".into()));
    let res = http
        .post(app.url("/admin/email-action"))
        .form(&forged)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let res = http
        .post(app.url("/admin/email-action"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(app.thread("/post").await.comments.len(), 1, "approved");
    let log = app.state.services.store.admin_log(10).await.unwrap();
    assert!(
        log.iter()
            .any(|e| e.actor == "email link" && e.action == "approve")
    );
}

#[tokio::test]
async fn expired_links_do_nothing() {
    let (port, inbox) = smtp_sink().await;
    let app = TestApp::spawn_with(|s| {
        with_smtp(s, port);
        s.moderation = ModerationMode::All;
        s.notify.link_lifetime = Duration::from_millis(200);
    })
    .await;
    app.post_json("/api/v1/comments", &json!({"thread": "/t", "body": "hold"}))
        .await;
    let mail = wait_for_mail(&inbox, 1).await.remove(0);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let res = app.get(&link(&mail, "Delete")).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("expired"));
    assert_eq!(app.totals().await.comments, 1);
}

#[tokio::test]
async fn replies_are_mailed_to_subscribers_until_they_unsubscribe() {
    let (port, inbox) = smtp_sink().await;
    let app = TestApp::spawn_with(|s| {
        with_smtp(s, port);
        s.notify.admin_emails.clear();
    })
    .await;
    let app = &app;
    let post = move |body: Value| async move {
        let res = app.post_json("/api/v1/comments", &body).await;
        res.json::<CreatedComment>().await.unwrap()
    };
    let parent = post(
        json!({"thread": "/t", "body": "Question?", "email": "ana@example.org", "notify": true}),
    )
    .await;
    assert!(parent.code_sent, "an unproven address is sent a code first");
    // Before the code is typed, a reply mails nothing but that code.
    post(json!({"thread": "/t", "body": "Too early", "parent": parent.comment.id})).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(inbox.lock().unwrap().len(), 1, "the code only");
    confirm(app, &inbox, "ana@example.org").await;
    inbox.lock().unwrap().clear();
    let quiet =
        post(json!({"thread": "/t", "body": "No mail for me", "email": "bo@example.org"})).await;
    let pid = parent.comment.id;
    post(json!({"thread": "/t", "body": "Answer!", "author": "Bo", "parent": pid})).await;
    post(json!({"thread": "/t", "body": "Replying to myself", "email": "ANA@example.org", "parent": pid})).await;
    post(json!({"thread": "/t", "body": "Nobody asked", "parent": quiet.comment.id})).await;
    let mails = wait_for_mail(&inbox, 1).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mails_now = inbox.lock().unwrap().clone();
    assert_eq!(
        mails_now.len(),
        1,
        "only the subscribed, not self-replies: {mails_now:?}"
    );
    let mail = &mails[0];
    assert_eq!(mail.to, ["ana@example.org"]);
    assert!(mail.text.contains("Subject: Bo replied to your comment"));
    assert!(mail.text.contains("> Answer!"));
    assert!(
        mail.text
            .contains("Read the thread: https://blog.example/t"),
        "{}",
        mail.text
    );
    assert!(
        mail.text
            .contains("List-Unsubscribe: <http://comments.test/unsubscribe?id=")
    );
    assert!(
        mail.text
            .contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click")
    );

    let stop = link(mail, "Stop");
    assert_eq!(app.get(&stop).await.status(), 200);
    let res = app.client.post(app.url(&stop)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let forged = stop.replace("&sig=", "&sig=0");
    assert_eq!(
        app.client
            .post(app.url(&forged))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
    post(json!({"thread": "/t", "body": "Another answer", "parent": pid})).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(inbox.lock().unwrap().len(), 1, "unsubscribed");
}

#[tokio::test]
async fn an_approved_reply_notifies_when_it_is_published() {
    let (port, inbox) = smtp_sink().await;
    let app = TestApp::spawn_with(|s| {
        with_smtp(s, port);
        s.notify.admin_emails.clear();
        s.moderation = ModerationMode::First;
    })
    .await;
    // A verified reader, trusted (a published comment already), asks for replies.
    let token = prove(&app, &inbox, "ana@example.org").await;
    let as_ana = |body: Value| {
        let app = &app;
        let token = token.clone();
        async move {
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
    };
    let first = as_ana(json!({"thread": "/t", "body": "hi"})).await;
    assert_eq!(first.status(), 202, "a first comment is held");
    let first_id = first.json::<CreatedComment>().await.unwrap().comment.id;
    app.state
        .services
        .store
        .set_comment_status(first_id, CommentStatus::Published, false)
        .await
        .unwrap();
    let parent = as_ana(json!({"thread": "/t", "body": "q", "notify": true})).await;
    assert_eq!(parent.status(), 201);
    let pid = parent.json::<CreatedComment>().await.unwrap().comment.id;
    inbox.lock().unwrap().clear();
    let reply = app
        .post_json(
            "/api/v1/comments",
            &json!({"thread": "/t", "body": "held reply", "parent": pid}),
        )
        .await;
    assert_eq!(reply.status(), 202);
    let rid = reply.json::<CreatedComment>().await.unwrap().comment.id;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(inbox.lock().unwrap().is_empty(), "nothing while held");
    palabre_server::moderation::apply(
        &app.state.services,
        "test",
        palabre_server::moderation::CommentAction::Approve,
        &[rid],
    )
    .await
    .unwrap();
    let mail = wait_for_mail(&inbox, 1).await.remove(0);
    assert!(mail.text.contains("> held reply"));
}

/// A webhook call: its signature header and its body.
type Delivery = (Option<String>, String);

#[tokio::test]
async fn the_webhook_is_signed_and_retried() {
    let received: Arc<Mutex<Vec<Delivery>>> = Arc::default();
    let kept = received.clone();
    let receiver = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
            let kept = kept.clone();
            async move {
                let sig = headers
                    .get("x-palabre-signature")
                    .map(|v| v.to_str().unwrap().to_owned());
                let mut all = kept.lock().unwrap();
                all.push((sig, body));
                // The first delivery fails: the sender must retry.
                if all.len() == 1 {
                    StatusCode::INTERNAL_SERVER_ERROR
                } else {
                    StatusCode::NO_CONTENT
                }
            }
        }),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, receiver).await.unwrap() });
    let app = TestApp::spawn_with(|s| {
        s.notify = NotifySettings {
            webhook: Some(WebhookSettings {
                url: hook,
                secret: Some(SecretString::from("hook secret")),
            }),
            retry_delays: vec![Duration::from_millis(50); 3],
            ..NotifySettings::default()
        };
    })
    .await;
    let created = app
        .post_json("/api/v1/comments", &json!({"thread": "/t", "title": "T", "body": "Hello hook", "email": "secret@example.org"}))
        .await
        .json::<CreatedComment>()
        .await
        .unwrap();
    let start = Instant::now();
    while received.lock().unwrap().len() < 2 {
        assert!(start.elapsed() < Duration::from_secs(10), "no retry");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let calls = received.lock().unwrap().clone();
    assert_eq!(calls.len(), 2, "a success ends the retries");
    let (sig, body) = &calls[1];
    assert_eq!(
        sig.as_deref(),
        Some(palabre_server::outbox::webhook_signature(b"hook secret", body.as_bytes()).as_str())
    );
    let payload: Value = serde_json::from_str(body).unwrap();
    assert_eq!(payload["event"], "comment.created");
    assert_eq!(payload["thread"]["key"], "/t");
    assert_eq!(payload["comment"]["id"], created.comment.id);
    assert!(
        !body.contains("secret@example.org"),
        "no email in the webhook"
    );
}

#[tokio::test]
async fn a_dead_mail_server_never_slows_or_fails_a_post() {
    // A port nobody listens on.
    let port = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let app = TestApp::spawn_with(|s| with_smtp(s, port)).await;
    let start = Instant::now();
    let res = app
        .post_json(
            "/api/v1/comments",
            &json!({"thread": "/t", "body": "still posted"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(app.thread("/t").await.comments.len(), 1);
}

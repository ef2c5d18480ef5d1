//! Two replicas on one PostgreSQL database, as behind a load balancer: whatever a reader or an
//! admin does through one is seen, and holds, through the other. Each test starts two server
//! instances on a fresh schema of the test cluster; without the cluster they fail in CI.

use crate::admin::{held_comment, sign_in, try_login};
use crate::helpers::*;
use crate::notifications::{form_of, link, smtp_sink, wait_for_mail, with_smtp};
use palabre_api::{CommentStatus, CreatedComment, ErrorCode, ModerationMode};
use palabre_server::config::Settings;
use palabre_server::rate_limit::RateLimit;
use palabre_server::startup::Application;
use reqwest::StatusCode;
use serde_json::json;
use std::time::{Duration, Instant};

/// Settings for a fresh PostgreSQL schema, or `None` (outside CI) without a test cluster.
async fn postgres_settings(configure: impl FnOnce(&mut Settings)) -> Option<Settings> {
    let cluster = postgres_cluster()?;
    let dir = tempfile::tempdir().unwrap();
    let mut settings = test_settings(dir.path()).await;
    settings.database = fresh_postgres(&cluster).await.into();
    configure(&mut settings);
    Some(settings)
}

pub(crate) async fn two_replicas(
    configure: impl FnOnce(&mut Settings),
) -> Option<(TestApp, TestApp)> {
    let settings = postgres_settings(configure).await?;
    let a = TestApp::start(settings, tempfile::tempdir().unwrap()).await;
    let b = a.replica().await;
    Some((a, b))
}

#[tokio::test]
async fn a_post_on_one_replica_is_served_by_the_other_within_100_ms() {
    let Some((a, b)) = two_replicas(|_| {}).await else {
        return;
    };
    let mut delays = Vec::new();
    for trial in 0..7 {
        let key = format!("/article-{trial}");
        a.comment(&key, "first", None).await;
        // B reads the thread twice: the second answer comes from its cache.
        assert_eq!(b.thread(&key).await.comments.len(), 1);
        assert_eq!(b.thread(&key).await.comments.len(), 1);
        a.comment(&key, "second", None).await;
        let acknowledged = Instant::now();
        while b.thread(&key).await.comments.len() < 2 {
            assert!(
                acknowledged.elapsed() < Duration::from_secs(5),
                "replica B never served the new comment"
            );
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        delays.push(acknowledged.elapsed());
    }
    delays.sort();
    let median = delays[delays.len() / 2];
    eprintln!("cross-replica visibility after the post's answer: {delays:?}");
    // Without the notifications, B would wait for its poll (SYNC_INTERVAL, 1 s): a median
    // near 500 ms.
    assert!(
        median <= Duration::from_millis(100),
        "median {median:?} over {delays:?}"
    );
}

#[tokio::test]
async fn replicas_starting_together_share_one_generated_secret() {
    let Some(mut settings) = postgres_settings(|_| {}).await else {
        return;
    };
    settings.secret = None;
    // Both migrate and generate a secret at once: one schema, one secret.
    let (a, b) = tokio::join!(
        Application::build(settings.clone()),
        Application::build(settings.clone())
    );
    let (a, b) = (a.expect("replica A starts"), b.expect("replica B starts"));
    drop((a, b));
    let a = TestApp::start(settings.clone(), tempfile::tempdir().unwrap()).await;
    let b = a.replica().await;
    async fn avatar_of_a_post(app: &TestApp) -> String {
        let body = json!({"thread": "/t", "body": "hi", "email": "same@example.org"});
        let res = app.post_json("/api/v1/comments", &body).await;
        assert_eq!(res.status(), 201);
        res.json::<CreatedComment>().await.unwrap().comment.avatar
    }
    // Avatars are keyed hashes: equal only under the same key.
    assert_eq!(avatar_of_a_post(&a).await, avatar_of_a_post(&b).await);
}

#[tokio::test]
async fn a_challenge_from_one_replica_is_spent_on_all() {
    let Some((a, b)) = two_replicas(|_| {}).await else {
        return;
    };
    let pow = a.solved_challenge().await;
    let body = json!({"thread": "/t", "body": "once", "pow": pow});
    let res = b.post_json_as_is("/api/v1/comments", &body).await;
    assert_eq!(res.status(), 201, "a challenge issued by A is good on B");
    let first: CreatedComment = res.json().await.unwrap();
    // The same post sent again, to either replica: the first answer, nothing stored anew.
    for replica in [&a, &b] {
        let res = replica.post_json_as_is("/api/v1/comments", &body).await;
        assert_eq!(res.status(), 201);
        let again: CreatedComment = res.json().await.unwrap();
        assert_eq!(again.comment.id, first.comment.id);
        assert_eq!(again.edit_token, first.edit_token);
    }
    // A post elsewhere with that challenge is a replay, on both.
    let other = json!({"thread": "/elsewhere", "body": "twice", "pow": pow});
    for replica in [&a, &b] {
        let res = replica.post_json_as_is("/api/v1/comments", &other).await;
        expect_error(res, 403, ErrorCode::ChallengeInvalid).await;
    }
    assert_eq!(a.thread("/t").await.comments.len(), 1);
}

#[tokio::test]
async fn an_admin_signed_in_on_one_replica_moderates_through_the_other() {
    let Some((a, b)) = two_replicas(|s| s.moderation = ModerationMode::All).await else {
        return;
    };
    let (id, _) = held_comment(&a, "/t", "held through A", "r@example.org").await;
    let on_a = sign_in(&a).await;
    let on_b = on_a.on(&b);
    // The session and its CSRF token live in the database: B knows them.
    assert_eq!(on_b.get("/admin/queue").await.status(), 200);
    let res = on_b.act("approve", &[id]).await;
    assert!(res.status().is_redirection(), "{}", res.status());
    assert_eq!(
        a.state
            .services
            .store
            .comment(id)
            .await
            .unwrap()
            .unwrap()
            .status,
        CommentStatus::Published
    );
    let start = Instant::now();
    while a.thread("/t").await.comments.len() != 1 {
        assert!(
            start.elapsed() < Duration::from_secs(3),
            "A never showed it"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // A wrong CSRF token is refused on either.
    let mut forged = on_a.on(&b);
    forged.forge_csrf();
    assert_eq!(
        forged.act("delete", &[id]).await.status(),
        StatusCode::FORBIDDEN
    );
    // Signing out on B ends the session on A too.
    let res = on_b.post("/admin/logout", &[]).await;
    assert!(res.status().is_redirection(), "{}", res.status());
    assert!(on_a.get("/admin/queue").await.status().is_redirection());
}

#[tokio::test]
async fn an_email_link_from_one_replica_works_on_the_other_and_mail_goes_once() {
    let (port, inbox) = smtp_sink().await;
    let Some((a, b)) = two_replicas(|s| {
        with_smtp(s, port);
        s.moderation = ModerationMode::All;
    })
    .await
    else {
        return;
    };
    for (app, body) in [(&a, "one"), (&b, "two"), (&a, "three"), (&b, "four")] {
        let res = app
            .post_json("/api/v1/comments", &json!({"thread": "/t", "body": body}))
            .await;
        assert_eq!(res.status(), 202);
    }
    let mails = wait_for_mail(&inbox, 4).await;
    // Whichever replica took a post sends its mail; the other never does.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(inbox.lock().unwrap().len(), 4, "each comment mailed once");

    let mail = mails
        .iter()
        .find(|m| m.text.contains("> one"))
        .expect("the first comment's mail");
    let approve = link(mail, "Approve");
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let confirm = http.get(b.url(&approve)).send().await.unwrap();
    assert_eq!(confirm.status(), 200);
    let fields = form_of(&confirm.text().await.unwrap());
    let res = http
        .post(b.url("/admin/email-action"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let start = Instant::now();
    while a.thread("/t").await.comments.len() != 1 {
        assert!(
            start.elapsed() < Duration::from_secs(3),
            "A never showed it"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn spreading_writes_over_replicas_gains_at_most_one_burst_each() {
    let Some((a, b)) = two_replicas(|s| {
        s.rate_limit = RateLimit {
            burst: 3,
            per_minute: 1,
        };
    })
    .await
    else {
        return;
    };
    let mut taken = [0, 0];
    for i in 0..12 {
        let (n, app) = if i % 2 == 0 { (0, &a) } else { (1, &b) };
        let res = app
            .post_json(
                "/api/v1/comments",
                &json!({"thread": "/t", "body": format!("c{i}")}),
            )
            .await;
        match res.status().as_u16() {
            201 => taken[n] += 1,
            429 => {}
            other => panic!("unexpected {other}"),
        }
    }
    // Limits are per replica (README, "Several replicas"): N replicas, N bursts at most.
    assert_eq!(taken, [3, 3]);
}

#[tokio::test]
async fn sign_in_attempts_are_throttled_on_each_replica() {
    let Some((a, b)) = two_replicas(|_| {}).await else {
        return;
    };
    let _ = sign_in(&a).await;
    let mut refused_after = Vec::new();
    for app in [&a, &b] {
        let mut n = 0;
        while try_login(app, "admin", "wrong").await.status() == StatusCode::UNAUTHORIZED {
            n += 1;
            assert!(n <= 10, "never throttled");
        }
        refused_after.push(n);
    }
    // A sign-in above took one of A's five attempts.
    assert_eq!(refused_after, [4, 5]);
}

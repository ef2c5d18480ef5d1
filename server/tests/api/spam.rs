//! Captcha-free spam defence, from a bot's side: skipping the proof of work, faking or
//! replaying it, posting too soon or too often, stuffing links, using blocked words.

use crate::helpers::*;
use palabre_api::{Challenge, CommentStatus, CreatedComment, ErrorCode};
use palabre_server::config::SpamRules;
use serde_json::{Value, json};
use std::time::Duration;

async fn challenge(app: &TestApp) -> Challenge {
    app.get("/api/v1/challenge").await.json().await.unwrap()
}

fn solve(c: &Challenge) -> Value {
    let counter = palabre_api::pow::search(&c.challenge, c.difficulty, 0, u64::MAX).unwrap();
    json!({"challenge": c.challenge, "counter": counter})
}

async fn post_with(app: &TestApp, pow: Option<Value>) -> reqwest::Response {
    let mut body = json!({"thread": "/t", "body": "Cheap watches"});
    if let Some(pow) = pow {
        body["pow"] = pow;
    }
    app.post_json_as_is("/api/v1/comments", &body).await
}

async fn with_difficulty(bits: u8) -> TestApp {
    TestApp::spawn_with(|s| {
        s.spam = SpamRules {
            pow_difficulty: bits,
            min_post_delay: Duration::ZERO,
            ..SpamRules::default()
        }
    })
    .await
}

#[tokio::test]
async fn a_bot_that_skips_or_fakes_the_challenge_stores_nothing() {
    let app = with_difficulty(12).await;
    expect_error(
        post_with(&app, None).await,
        403,
        ErrorCode::ChallengeRequired,
    )
    .await;
    let c = challenge(&app).await;
    assert_eq!(c.difficulty, 12);
    // A counter that does not solve it.
    let wrong = (0..)
        .find(|&n| !palabre_api::pow::verify(&c.challenge, n, 12))
        .unwrap();
    let fake = json!({"challenge": c.challenge, "counter": wrong});
    expect_error(
        post_with(&app, Some(fake)).await,
        403,
        ErrorCode::ChallengeInvalid,
    )
    .await;
    // Lowering the difficulty written in the challenge breaks its signature.
    let parts: Vec<&str> = c.challenge.split('.').collect();
    let easier = format!("{}.{}.0.{}.{}", parts[0], parts[1], parts[3], parts[4]);
    let forged = json!({"challenge": easier, "counter": 0});
    expect_error(
        post_with(&app, Some(forged)).await,
        403,
        ErrorCode::ChallengeInvalid,
    )
    .await;
    let garbage = json!({"challenge": "v1.x", "counter": 1});
    expect_error(
        post_with(&app, Some(garbage)).await,
        403,
        ErrorCode::ChallengeInvalid,
    )
    .await;
    assert_eq!(app.totals().await.comments, 0);
}

#[tokio::test]
async fn a_solution_is_spent_once() {
    let app = with_difficulty(8).await;
    let pow = solve(&challenge(&app).await);
    assert_eq!(post_with(&app, Some(pow.clone())).await.status(), 201);
    // The same post sent again gets its first answer (doubled_posts.rs); another post with
    // the same solution is a replay.
    let elsewhere = json!({"thread": "/elsewhere", "body": "Cheap watches", "pow": pow});
    expect_error(
        app.post_json_as_is("/api/v1/comments", &elsewhere).await,
        403,
        ErrorCode::ChallengeInvalid,
    )
    .await;
    assert_eq!(app.totals().await.comments, 1);
}

#[tokio::test]
async fn a_challenge_is_bound_to_the_reader_it_was_issued_to() {
    let app =
        TestApp::spawn_with(|s| s.client_ip_header = Some("x-real-ip".parse().unwrap())).await;
    let pow = app
        .solved_challenge_with(&[("x-real-ip", "198.51.100.1")])
        .await;
    let res = app
        .client
        .post(app.url("/api/v1/comments"))
        .header("x-real-ip", "198.51.100.2")
        .json(&json!({"thread": "/t", "body": "farmed", "pow": pow}))
        .send()
        .await
        .unwrap();
    expect_error(res, 403, ErrorCode::ChallengeInvalid).await;
}

#[tokio::test]
async fn a_post_sooner_than_the_minimum_delay_is_refused_then_accepted() {
    let app = TestApp::spawn_with(|s| {
        s.spam = SpamRules {
            pow_difficulty: 0,
            min_post_delay: Duration::from_millis(800),
            ..SpamRules::default()
        }
    })
    .await;
    let c = challenge(&app).await;
    assert_eq!(c.wait_ms, 800);
    let pow = solve(&c);
    expect_error(
        post_with(&app, Some(pow.clone())).await,
        429,
        ErrorCode::TooFast,
    )
    .await;
    tokio::time::sleep(Duration::from_millis(900)).await;
    assert_eq!(
        post_with(&app, Some(pow)).await.status(),
        201,
        "not spent by the early try"
    );
}

#[tokio::test]
async fn twenty_people_on_one_address_post_at_the_base_difficulty_and_a_script_is_slowed() {
    use palabre_server::spam::SHARED_ADDRESS_POSTS;
    let app = with_difficulty(4).await;
    // Twenty people behind one address, each posting once in ten minutes: none waits longer
    // than the base difficulty (README: the bound, measured).
    let mut seen = Vec::new();
    for _ in 0..SHARED_ADDRESS_POSTS {
        let c = challenge(&app).await;
        seen.push(c.difficulty);
        assert_eq!(post_with(&app, Some(solve(&c))).await.status(), 201);
    }
    assert_eq!(seen, vec![4; SHARED_ADDRESS_POSTS as usize]);
    // Past them, each post doubles the work.
    for expected in [4, 5, 6] {
        let c = challenge(&app).await;
        assert_eq!(c.difficulty, expected);
        assert_eq!(post_with(&app, Some(solve(&c))).await.status(), 201);
    }
    // A script that posted 200 comments from there meets the cap, as it always did.
    let reader = app
        .state
        .services
        .keys
        .reader_hash("127.0.0.1".parse().unwrap());
    for i in 0..177 {
        let mut c = crate::store_conformance::new_comment(
            "/script",
            None,
            palabre_server::clock::now().as_millis() - i,
        );
        c.reader_hash = reader.clone();
        app.state.services.store.insert_comment(c).await.unwrap();
    }
    assert_eq!(
        challenge(&app).await.difficulty,
        palabre_server::config::MAX_POW_DIFFICULTY
    );
}

#[tokio::test]
async fn too_many_links_are_refused_with_the_field() {
    let app = TestApp::spawn_with(|s| s.spam.max_links = 2).await;
    let two = "see https://a.example and [b](https://b.example)";
    let three = format!("{two} and https://c.example");
    let ok = app
        .post_json("/api/v1/comments", &json!({"thread": "/t", "body": two}))
        .await;
    assert_eq!(ok.status(), 201);
    let body = expect_error(
        app.post_json("/api/v1/comments", &json!({"thread": "/t", "body": three}))
            .await,
        422,
        ErrorCode::TooManyLinks,
    )
    .await;
    assert_eq!(body.field.as_deref(), Some("body"));
    assert_eq!(app.totals().await.comments, 1);
}

#[tokio::test]
async fn blocked_words_send_a_comment_to_the_queue() {
    let app = TestApp::spawn_with(|s| s.spam.blocked_words = vec!["casino".into()]).await;
    let res = app
        .post_json(
            "/api/v1/comments",
            &json!({"thread": "/t", "body": "Best CASINO in town"}),
        )
        .await;
    assert_eq!(res.status(), 202);
    let held: CreatedComment = res.json().await.unwrap();
    assert_eq!(held.comment.status, CommentStatus::Pending);
    assert!(app.thread("/t").await.comments.is_empty());
    let by_name = app
        .post_json(
            "/api/v1/comments",
            &json!({"thread": "/t", "body": "hi", "author": "casino king"}),
        )
        .await;
    assert_eq!(by_name.status(), 202);
    let clean = app
        .post_json("/api/v1/comments", &json!({"thread": "/t", "body": "hi"}))
        .await;
    assert_eq!(clean.status(), 201);
}

#[tokio::test]
async fn challenges_are_never_cached() {
    let app = TestApp::spawn().await;
    let res = app.get("/api/v1/challenge").await;
    assert_eq!(res.headers()["cache-control"], "no-store");
    let a: Challenge = res.json().await.unwrap();
    assert_ne!(a.challenge, challenge(&app).await.challenge);
}

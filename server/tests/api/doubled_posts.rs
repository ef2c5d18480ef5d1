//! A post is never doubled: when the server has committed a comment but its answer is lost
//! (a dropped connection, a proxy's timeout), the widget sends the same post again, with the
//! same solved challenge. That gets the first answer back, edit token included, and stores
//! nothing new, however late, from whichever network. (Across replicas: replicas.rs.)

use crate::helpers::*;
use palabre_api::{CreatedComment, ErrorCode};
use serde_json::json;

async fn created(res: reqwest::Response) -> CreatedComment {
    assert_eq!(res.status(), 201);
    res.json().await.unwrap()
}

#[tokio::test]
async fn the_same_post_sent_again_gets_its_first_answer_and_stores_nothing() {
    let app = TestApp::spawn().await;
    let parent = app.comment("/doubled", "A parent", None).await.comment.id;
    let pow = app.solved_challenge().await;
    let post = json!({"thread": "/doubled", "parent": parent, "author": "Ann",
        "body": "Sent once, answered twice", "pow": pow});
    let first = created(app.post_json_as_is("/api/v1/comments", &post).await).await;
    let before = app.totals().await;
    let again = created(app.post_json_as_is("/api/v1/comments", &post).await).await;
    assert_eq!(again.comment, first.comment);
    assert_eq!(
        again.edit_token, first.edit_token,
        "the token is given back"
    );
    assert_eq!(app.totals().await, before, "nothing stored anew");
    assert_eq!(app.thread("/doubled").await.comments.len(), 2);
    // The token given back works.
    let res = app
        .client
        .patch(app.url(&format!("/api/v1/comments/{}", first.comment.id)))
        .bearer_auth(&again.edit_token)
        .json(&json!({"body": "Edited with the token given back"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn only_the_same_post_gets_the_first_answer() {
    let app = TestApp::spawn().await;
    let parent = app.comment("/doubled", "A parent", None).await.comment.id;
    let pow = app.solved_challenge().await;
    let post = json!({"thread": "/doubled", "body": "First", "pow": pow});
    created(app.post_json_as_is("/api/v1/comments", &post).await).await;
    // Another thread, or under a parent: another post, so the challenge is spent.
    for other in [
        json!({"thread": "/other", "body": "First", "pow": pow}),
        json!({"thread": "/doubled", "parent": parent, "body": "First", "pow": pow}),
    ] {
        let res = app.post_json_as_is("/api/v1/comments", &other).await;
        expect_error(res, 403, ErrorCode::ChallengeInvalid).await;
    }
    // A challenge naming the same nonce under a forged signature gets nothing.
    let mut forged = pow.clone();
    let challenge = pow["challenge"].as_str().unwrap();
    let (unsigned, signature) = challenge.rsplit_once('.').unwrap();
    let flipped = if signature.starts_with('0') { "1" } else { "0" };
    forged["challenge"] = json!(format!("{unsigned}.{flipped}{}", &signature[1..]));
    let res = app
        .post_json_as_is(
            "/api/v1/comments",
            &json!({"thread": "/doubled", "body": "First", "pow": forged}),
        )
        .await;
    expect_error(res, 403, ErrorCode::ChallengeInvalid).await;
    assert_eq!(app.totals().await.comments, 2);
}

#[tokio::test]
async fn a_retry_from_another_network_after_its_challenge_record_is_pruned_still_gets_it() {
    let app =
        TestApp::spawn_with(|s| s.client_ip_header = Some("x-real-ip".parse().unwrap())).await;
    let pow = app
        .solved_challenge_with(&[("x-real-ip", "198.51.100.1")])
        .await;
    let post = json!({"thread": "/doubled", "body": "On the train", "pow": pow});
    let send = |ip: &'static str| {
        app.client
            .post(app.url("/api/v1/comments"))
            .header("x-real-ip", ip)
            .json(&post)
            .send()
    };
    let first = created(send("198.51.100.1").await.unwrap()).await;
    // As after the challenge's lifetime: its spent record pruned, the comment keeps the key.
    app.sql("DELETE FROM spent_challenges").await;
    let again = created(send("203.0.113.9").await.unwrap()).await;
    assert_eq!(
        (again.comment.id, again.edit_token),
        (first.comment.id, first.edit_token)
    );
    assert_eq!(app.totals().await.comments, 1);
}

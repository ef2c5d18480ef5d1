//! One vote per reader per comment; readers told apart by a keyed hash of their address.

use crate::helpers::*;
use palabre_api::{ErrorCode, VoteCounts};
use serde_json::{Value, json};

async fn vote(app: &TestApp, id: i64, ip: &str, value: Value) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/api/v1/comments/{id}/vote")))
        .header("x-real-ip", ip)
        .json(&json!({ "value": value }))
        .send()
        .await
        .unwrap()
}

async fn counts(res: reqwest::Response) -> (u32, u32, i64) {
    assert_eq!(res.status(), 200);
    let c: VoteCounts = res.json().await.unwrap();
    (c.likes, c.dislikes, c.value)
}

#[tokio::test]
async fn one_vote_per_reader_which_can_change_or_be_withdrawn() {
    let app =
        TestApp::spawn_with(|s| s.client_ip_header = Some("x-real-ip".parse().unwrap())).await;
    let c = app.comment("/t", "vote on me", None).await.comment;
    let (a, b) = ("198.51.100.1", "198.51.100.2");
    assert_eq!(counts(vote(&app, c.id, a, json!(1)).await).await, (1, 0, 1));
    assert_eq!(
        counts(vote(&app, c.id, a, json!(1)).await).await,
        (1, 0, 1),
        "no double like"
    );
    assert_eq!(
        counts(vote(&app, c.id, a, json!(-1)).await).await,
        (0, 1, -1)
    );
    assert_eq!(counts(vote(&app, c.id, b, json!(1)).await).await, (1, 1, 1));
    assert_eq!(counts(vote(&app, c.id, a, json!(0)).await).await, (1, 0, 0));
    assert_eq!(counts(vote(&app, c.id, a, json!(0)).await).await, (1, 0, 0));
    // The same IPv6 /64 is one reader.
    assert_eq!(
        counts(vote(&app, c.id, "2001:db8::1", json!(1)).await).await,
        (2, 0, 1)
    );
    assert_eq!(
        counts(vote(&app, c.id, "2001:db8::2", json!(1)).await).await,
        (2, 0, 1)
    );
    let page = app.thread("/t").await;
    assert_eq!((page.comments[0].likes, page.comments[0].dislikes), (2, 0));
}

#[tokio::test]
async fn invalid_votes_are_refused_and_change_nothing() {
    let app =
        TestApp::spawn_with(|s| s.client_ip_header = Some("x-real-ip".parse().unwrap())).await;
    let c = app.comment("/t", "x", None).await.comment;
    for bad in [json!(2), json!(-2), json!(100)] {
        let e = expect_error(
            vote(&app, c.id, "192.0.2.9", bad).await,
            422,
            ErrorCode::VoteInvalid,
        )
        .await;
        assert_eq!(e.field.as_deref(), Some("value"));
    }
    for bad in [json!("1"), json!(1.5), json!(null), json!(true)] {
        expect_error(
            vote(&app, c.id, "192.0.2.9", bad).await,
            422,
            ErrorCode::InvalidField,
        )
        .await;
    }
    expect_error(
        vote(&app, 424_242, "192.0.2.9", json!(1)).await,
        404,
        ErrorCode::CommentNotFound,
    )
    .await;
    assert_eq!(app.totals().await.votes, 0);
    let page = app.thread("/t").await;
    assert_eq!((page.comments[0].likes, page.comments[0].dislikes), (0, 0));
}

#[tokio::test]
async fn placeholders_cannot_be_voted_on() {
    let app = TestApp::spawn().await;
    let parent = app.comment("/t", "p", None).await;
    app.comment("/t", "r", Some(parent.comment.id)).await;
    let res = app
        .client
        .delete(app.url(&format!("/api/v1/comments/{}", parent.comment.id)))
        .header("authorization", format!("Bearer {}", parent.edit_token))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = app
        .post_json(
            &format!("/api/v1/comments/{}/vote", parent.comment.id),
            &json!({"value": 1}),
        )
        .await;
    expect_error(res, 409, ErrorCode::CommentDeleted).await;
}

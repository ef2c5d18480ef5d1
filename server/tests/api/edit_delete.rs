//! Editing and deleting one's own comment with the edit token, within the edit window.

use crate::helpers::*;
use palabre_api::{Comment, CommentStatus, DeleteResult, ErrorCode};
use serde_json::json;
use std::time::Duration;

async fn patch(app: &TestApp, id: i64, token: Option<&str>, body: &str) -> reqwest::Response {
    let mut req = app
        .client
        .patch(app.url(&format!("/api/v1/comments/{id}")))
        .json(&json!({ "body": body }));
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    req.send().await.unwrap()
}

async fn delete(app: &TestApp, id: i64, token: Option<&str>) -> reqwest::Response {
    let mut req = app
        .client
        .delete(app.url(&format!("/api/v1/comments/{id}")));
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn the_author_edits_within_the_window_through_the_same_renderer() {
    let app = TestApp::spawn().await;
    let created = app.comment("/t", "first", None).await;
    let res = patch(
        &app,
        created.comment.id,
        Some(&created.edit_token),
        "second <script>x</script>",
    )
    .await;
    assert_eq!(res.status(), 200);
    let edited: Comment = res.json().await.unwrap();
    assert_eq!(
        edited.html,
        "<p>second &lt;script&gt;x&lt;/script&gt;</p>\n"
    );
    assert!(edited.edited.is_some());
    assert_eq!(app.thread("/t").await.comments, vec![edited]);
}

#[tokio::test]
async fn forged_missing_and_foreign_tokens_change_nothing() {
    let app = TestApp::spawn().await;
    let mine = app.comment("/t", "mine", None).await;
    let theirs = app.comment("/t", "theirs", None).await;
    let id = mine.comment.id;
    let forged = "A".repeat(43);

    expect_error(
        patch(&app, id, None, "x").await,
        401,
        ErrorCode::TokenMissing,
    )
    .await;
    expect_error(
        patch(&app, id, Some(&forged), "x").await,
        403,
        ErrorCode::TokenInvalid,
    )
    .await;
    expect_error(
        patch(&app, id, Some(&theirs.edit_token), "x").await,
        403,
        ErrorCode::TokenInvalid,
    )
    .await;
    let basic = app
        .client
        .patch(app.url(&format!("/api/v1/comments/{id}")))
        .header("authorization", format!("Basic {}", mine.edit_token))
        .json(&json!({"body": "x"}))
        .send()
        .await
        .unwrap();
    expect_error(basic, 401, ErrorCode::TokenMissing).await;

    expect_error(delete(&app, id, None).await, 401, ErrorCode::TokenMissing).await;
    expect_error(
        delete(&app, id, Some(&forged)).await,
        403,
        ErrorCode::TokenInvalid,
    )
    .await;
    expect_error(
        delete(&app, id, Some(&theirs.edit_token)).await,
        403,
        ErrorCode::TokenInvalid,
    )
    .await;

    let page = app.thread("/t").await;
    assert_eq!(page.comments, vec![mine.comment, theirs.comment]);
}

#[tokio::test]
async fn after_the_window_the_token_no_longer_works() {
    let app = TestApp::spawn_with(|s| s.edit_window = Duration::from_millis(300)).await;
    let c = app.comment("/t", "original", None).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    expect_error(
        patch(&app, c.comment.id, Some(&c.edit_token), "late").await,
        403,
        ErrorCode::EditWindowClosed,
    )
    .await;
    expect_error(
        delete(&app, c.comment.id, Some(&c.edit_token)).await,
        403,
        ErrorCode::EditWindowClosed,
    )
    .await;
    assert_eq!(app.thread("/t").await.comments, vec![c.comment]);
}

#[tokio::test]
async fn unknown_comments_and_bad_edits() {
    let app = TestApp::spawn().await;
    let c = app.comment("/t", "x", None).await;
    expect_error(
        patch(&app, 999_999, Some(&c.edit_token), "x").await,
        404,
        ErrorCode::CommentNotFound,
    )
    .await;
    expect_error(
        delete(&app, 999_999, Some(&c.edit_token)).await,
        404,
        ErrorCode::CommentNotFound,
    )
    .await;
    let res = app
        .client
        .delete(app.url("/api/v1/comments/abc"))
        .header("authorization", format!("Bearer {}", c.edit_token))
        .send()
        .await
        .unwrap();
    expect_error(res, 404, ErrorCode::CommentNotFound).await;
    let e = expect_error(
        patch(&app, c.comment.id, Some(&c.edit_token), "  ").await,
        422,
        ErrorCode::BodyEmpty,
    )
    .await;
    assert_eq!(e.field.as_deref(), Some("body"));
    let long = "x".repeat(1001);
    expect_error(
        patch(&app, c.comment.id, Some(&c.edit_token), &long).await,
        422,
        ErrorCode::BodyTooLong,
    )
    .await;
    assert_eq!(app.thread("/t").await.comments, vec![c.comment]);
}

#[tokio::test]
async fn deleting_a_comment_without_replies_removes_it() {
    let app = TestApp::spawn().await;
    let c = app.comment("/t", "bye", None).await;
    let res = delete(&app, c.comment.id, Some(&c.edit_token)).await;
    assert_eq!(res.status(), 200);
    let result: DeleteResult = res.json().await.unwrap();
    assert_eq!(result.placeholder, None);
    assert!(app.thread("/t").await.comments.is_empty());
    assert_eq!(app.totals().await.comments, 0);
    // Deleting twice: it is gone.
    expect_error(
        delete(&app, c.comment.id, Some(&c.edit_token)).await,
        404,
        ErrorCode::CommentNotFound,
    )
    .await;
}

#[tokio::test]
async fn deleting_a_comment_with_replies_leaves_a_placeholder_until_they_go() {
    let app = TestApp::spawn().await;
    let parent = app.comment("/t", "parent", None).await;
    let reply = app.comment("/t", "reply", Some(parent.comment.id)).await;

    let res = delete(&app, parent.comment.id, Some(&parent.edit_token)).await;
    assert_eq!(res.status(), 200);
    let placeholder = res
        .json::<DeleteResult>()
        .await
        .unwrap()
        .placeholder
        .expect("placeholder");
    assert_eq!(placeholder.status, CommentStatus::Deleted);
    assert_eq!(placeholder.author, None);
    assert_eq!(placeholder.html, "");

    let page = app.thread("/t").await;
    assert_eq!(page.comments.len(), 2);
    assert_eq!(page.comments[0], placeholder);
    assert_eq!(page.comments[1].parent, Some(parent.comment.id));
    assert_eq!(page.thread.count, 1, "placeholders are not counted");

    // The placeholder can be neither edited nor deleted again.
    expect_error(
        patch(&app, parent.comment.id, Some(&parent.edit_token), "back").await,
        409,
        ErrorCode::CommentDeleted,
    )
    .await;

    // Once its last reply goes, the placeholder goes too.
    let res = delete(&app, reply.comment.id, Some(&reply.edit_token)).await;
    assert_eq!(res.status(), 200);
    assert!(app.thread("/t").await.comments.is_empty());
    assert_eq!(app.totals().await.comments, 0);
}

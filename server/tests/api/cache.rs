//! The response cache never shows a reader something older than what they were told: every
//! kind of change, made through this server or by another process, reaches the next read.
//! Each test reads first, so the page is cached when the change happens.

use crate::admin::sign_in;
use crate::helpers::*;
use palabre_api::CountsResponse;
use serde_json::json;
use std::time::{Duration, Instant};

async fn count(app: &TestApp, key: &str) -> u64 {
    let counts: CountsResponse = app
        .post_json("/api/v1/counts", &json!({ "threads": [key] }))
        .await
        .json()
        .await
        .unwrap();
    counts.counts[key]
}

#[tokio::test]
async fn pages_and_counts_are_served_from_the_cache() {
    let app = TestApp::spawn().await;
    app.comment("/t", "hello", None).await;
    assert_eq!(app.state.cache.bytes(), 0);
    let first = app
        .get("/api/v1/comments?thread=/t")
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(count(&app, "/t").await, 1);
    assert!(app.state.cache.bytes() > first.len());
    let again = app.get("/api/v1/comments?thread=/t").await;
    assert_eq!(again.headers()["content-type"], "application/json");
    assert_eq!(again.bytes().await.unwrap(), first);
}

#[tokio::test]
async fn every_write_through_the_api_is_seen_by_the_next_read() {
    let app = TestApp::spawn().await;
    assert_eq!(count(&app, "/t").await, 0);
    assert!(app.thread("/t").await.comments.is_empty());

    let created = app.comment("/t", "first", None).await;
    assert_eq!(app.thread("/t").await.comments.len(), 1);
    assert_eq!(count(&app, "/t").await, 1);

    app.comment("/t", "a reply", Some(created.comment.id)).await;
    assert_eq!(app.thread("/t").await.comments.len(), 2);
    assert_eq!(count(&app, "/t").await, 2);

    let id = created.comment.id;
    let vote = app
        .post_json(
            &format!("/api/v1/comments/{id}/vote"),
            &json!({ "value": 1 }),
        )
        .await;
    assert_eq!(vote.status(), 200);
    assert_eq!(app.thread("/t").await.comments[0].likes, 1);

    let edited = app
        .client
        .patch(app.url(&format!("/api/v1/comments/{id}")))
        .bearer_auth(&created.edit_token)
        .json(&json!({ "body": "first, edited" }))
        .send()
        .await
        .unwrap();
    assert_eq!(edited.status(), 200);
    assert!(
        app.thread("/t").await.comments[0]
            .html
            .contains("first, edited")
    );

    let deleted = app
        .client
        .delete(app.url(&format!("/api/v1/comments/{id}")))
        .bearer_auth(&created.edit_token)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 200);
    let page = app.thread("/t").await;
    assert_eq!(page.comments[0].status, palabre_api::CommentStatus::Deleted);
    assert_eq!(count(&app, "/t").await, 1);
}

#[tokio::test]
async fn admin_actions_are_seen_by_the_next_read() {
    let app = TestApp::spawn().await;
    let created = app.comment("/t", "to be rejected", None).await;
    let admin = sign_in(&app).await;
    assert_eq!(app.thread("/t").await.comments.len(), 1);
    assert_eq!(count(&app, "/t").await, 1);

    admin.act("reject", &[created.comment.id]).await;
    assert!(app.thread("/t").await.comments.is_empty());
    assert_eq!(count(&app, "/t").await, 0);

    admin
        .post(
            "/admin/threads/action",
            &[("key", "/t"), ("action", "lock")],
        )
        .await;
    assert!(app.thread("/t").await.thread.locked);
}

#[tokio::test]
async fn changes_by_another_process_reach_readers_within_the_sync_interval() {
    let app = TestApp::spawn().await;
    app.comment("/t", "visible", None).await;
    assert_eq!(app.thread("/t").await.comments.len(), 1);
    assert_eq!(count(&app, "/t").await, 1);

    // What `palabre import` or another replica does: its own connection to the database.
    let other = palabre_server::store::connect(&app.state.services.settings.database)
        .await
        .unwrap();
    let key = crate::helpers::default_thread("/t");
    assert!(other.set_thread_hidden(&key, true).await.unwrap());

    let deadline = Instant::now() + palabre_server::http::cache::SYNC_INTERVAL * 3;
    loop {
        let page = app.thread("/t").await;
        if page.comments.is_empty() && count(&app, "/t").await == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "still showing a hidden thread");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn concurrent_posts_and_reads_end_on_the_truth() {
    let app = TestApp::spawn().await;
    let readers = async {
        for _ in 0..40 {
            app.thread("/busy").await;
            count(&app, "/busy").await;
        }
    };
    let writers = async {
        for i in 0..20 {
            app.comment("/busy", &format!("comment {i}"), None).await;
        }
    };
    tokio::join!(readers, writers, async {
        for _ in 0..40 {
            app.thread("/busy").await;
        }
    });
    assert_eq!(app.thread("/busy").await.comments.len(), 20);
    assert_eq!(count(&app, "/busy").await, 20);
}

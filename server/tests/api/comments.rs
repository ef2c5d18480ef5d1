//! Posting and reading threads: nesting, depth cap, ordering, pagination, moderation status.

use crate::helpers::*;
use palabre_api::{CommentStatus, ErrorCode, ModerationMode, ThreadPage};
use serde_json::json;
use std::collections::HashSet;

#[tokio::test]
async fn a_posted_comment_comes_back_rendered_in_its_thread() {
    let app = TestApp::spawn().await;
    let res = app
        .post_json(
            "/api/v1/comments",
            &json!({
                "thread": "/2026/11/post", "title": "My post", "author": "Zoé",
                "email": "zoe@example.org", "website": "zoe.example.org",
                "body": "Très *bien* « merci » 👍"
            }),
        )
        .await;
    assert_eq!(res.status(), 201);
    let created: palabre_api::CreatedComment = res.json().await.unwrap();
    assert_eq!(created.comment.author.as_deref(), Some("Zoé"));
    assert_eq!(
        created.comment.website.as_deref(),
        Some("https://zoe.example.org")
    );
    assert_eq!(
        created.comment.html,
        "<p>Très <em>bien</em> « merci » 👍</p>\n"
    );
    assert_eq!(created.comment.status, CommentStatus::Published);
    assert!(created.edit_token.len() >= 40);

    let page = app.thread("/2026/11/post").await;
    assert_eq!(page.thread.key, "/2026/11/post");
    assert_eq!(page.thread.title.as_deref(), Some("My post"));
    assert_eq!(page.thread.count, 1);
    assert!(!page.thread.locked);
    assert_eq!(page.comments, vec![created.comment.clone()]);
    assert_eq!(page.next_cursor, None);
}

#[tokio::test]
async fn the_wire_format_has_the_documented_fields_and_no_private_ones() {
    let app = TestApp::spawn().await;
    app.post_json(
        "/api/v1/comments",
        &json!({ "thread": "/t", "body": "hi", "email": "secret@example.org" }),
    )
    .await;
    let raw: serde_json::Value = app
        .get("/api/v1/comments?thread=/t")
        .await
        .json()
        .await
        .unwrap();
    let comment = raw["comments"][0].as_object().unwrap();
    let mut keys: Vec<_> = comment.keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "author", "avatar", "created", "dislikes", "edited", "html", "id", "likes", "parent",
            "role", "status", "website"
        ]
    );
    assert_eq!(comment["role"], "guest");
    let text = raw.to_string();
    assert!(!text.contains("secret@example.org"));
    assert!(
        !text.contains("secret"),
        "email must not leak, not even through the avatar"
    );
    assert!(comment["created"].as_str().unwrap().ends_with('Z'));
}

#[tokio::test]
async fn an_unknown_thread_is_an_empty_thread() {
    let app = TestApp::spawn().await;
    let page = app.thread("/never/commented").await;
    assert_eq!(page.thread.key, "/never/commented");
    assert_eq!(page.thread.count, 0);
    assert!(page.comments.is_empty());
    assert_eq!(page.next_cursor, None);
    assert_eq!(
        app.totals().await.threads,
        0,
        "reading must not create threads"
    );
}

#[tokio::test]
async fn replies_nest_and_come_in_display_order() {
    let app = TestApp::spawn().await;
    let a = app.comment("/t", "a", None).await.comment;
    let b = app.comment("/t", "b", None).await.comment;
    let a1 = app.comment("/t", "a1", Some(a.id)).await.comment;
    let b1 = app.comment("/t", "b1", Some(b.id)).await.comment;
    let a1x = app.comment("/t", "a1x", Some(a1.id)).await.comment;
    let a2 = app.comment("/t", "a2", Some(a.id)).await.comment;
    assert_eq!(a1.parent, Some(a.id));
    assert_eq!(a1x.parent, Some(a1.id));

    let page = app.thread("/t").await;
    let ids: Vec<i64> = page.comments.iter().map(|c| c.id).collect();
    assert_eq!(ids, vec![a.id, a1.id, a1x.id, a2.id, b.id, b1.id]);
    assert_eq!(page.thread.count, 6);

    let newest = app
        .thread_query(&[("thread", "/t"), ("sort", "newest")])
        .await;
    let ids: Vec<i64> = newest.comments.iter().map(|c| c.id).collect();
    // Top level newest first; replies stay chronological under their parent.
    assert_eq!(ids, vec![b.id, b1.id, a.id, a1.id, a1x.id, a2.id]);
}

#[tokio::test]
async fn replies_below_the_depth_cap_attach_to_the_deepest_allowed_ancestor() {
    let app = TestApp::spawn_with(|s| s.max_depth = 2).await;
    let d0 = app.comment("/t", "depth 0", None).await.comment;
    let d1 = app.comment("/t", "depth 1", Some(d0.id)).await.comment;
    let d2 = app.comment("/t", "depth 2", Some(d1.id)).await.comment;
    assert_eq!(d2.parent, Some(d1.id));
    let too_deep = app
        .comment("/t", "would be depth 3", Some(d2.id))
        .await
        .comment;
    assert_eq!(
        too_deep.parent,
        Some(d1.id),
        "attached to the depth-1 ancestor"
    );
    let page = app.thread("/t").await;
    let ids: Vec<i64> = page.comments.iter().map(|c| c.id).collect();
    assert_eq!(ids, vec![d0.id, d1.id, d2.id, too_deep.id]);
}

#[tokio::test]
async fn with_depth_zero_every_reply_is_top_level() {
    let app = TestApp::spawn_with(|s| s.max_depth = 0).await;
    let a = app.comment("/t", "a", None).await.comment;
    let reply = app.comment("/t", "reply", Some(a.id)).await.comment;
    assert_eq!(reply.parent, None);
}

#[tokio::test]
async fn pages_hold_whole_subtrees_and_cover_the_thread_once() {
    let app = TestApp::spawn().await;
    let mut all = HashSet::new();
    for i in 0..5 {
        let root = app.comment("/t", &format!("root {i}"), None).await.comment;
        let reply = app
            .comment("/t", &format!("reply {i}"), Some(root.id))
            .await
            .comment;
        all.insert(root.id);
        all.insert(reply.id);
    }
    for sort in ["oldest", "newest", "top"] {
        let mut seen = Vec::new();
        let mut cursor = String::new();
        let mut pages = 0;
        loop {
            let page: ThreadPage = app
                .thread_query(&[
                    ("thread", "/t"),
                    ("sort", sort),
                    ("limit", "2"),
                    ("cursor", &cursor),
                ])
                .await;
            pages += 1;
            // Each page: roots each immediately followed by their reply.
            for pair in page.comments.chunks(2) {
                assert_eq!(pair[0].parent, None, "{sort}");
                assert_eq!(pair[1].parent, Some(pair[0].id), "{sort}");
            }
            seen.extend(page.comments.iter().map(|c| c.id));
            match page.next_cursor {
                Some(c) => cursor = c,
                None => break,
            }
        }
        assert_eq!(pages, 3, "{sort}");
        assert_eq!(seen.len(), all.len(), "{sort}: no duplicates");
        assert_eq!(seen.iter().copied().collect::<HashSet<_>>(), all, "{sort}");
    }
}

#[tokio::test]
async fn top_sorts_by_score_then_age() {
    let app =
        TestApp::spawn_with(|s| s.client_ip_header = Some("x-real-ip".parse().unwrap())).await;
    let a = app.comment("/t", "a", None).await.comment;
    let b = app.comment("/t", "b", None).await.comment;
    let c = app.comment("/t", "c", None).await.comment;
    for ip in ["192.0.2.1", "192.0.2.2"] {
        let res = app
            .client
            .post(app.url(&format!("/api/v1/comments/{}/vote", c.id)))
            .header("x-real-ip", ip)
            .json(&json!({"value": 1}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
    let res = app
        .client
        .post(app.url(&format!("/api/v1/comments/{}/vote", a.id)))
        .json(&json!({"value": -1}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let page = app.thread_query(&[("thread", "/t"), ("sort", "top")]).await;
    let ids: Vec<i64> = page.comments.iter().map(|c| c.id).collect();
    assert_eq!(ids, vec![c.id, b.id, a.id]);
}

#[tokio::test]
async fn comments_awaiting_moderation_get_202_and_stay_out_of_the_thread() {
    let app = TestApp::spawn_with(|s| s.moderation = ModerationMode::All).await;
    let res = app
        .post_json("/api/v1/comments", &json!({"thread": "/t", "body": "held"}))
        .await;
    assert_eq!(res.status(), 202);
    let created: palabre_api::CreatedComment = res.json().await.unwrap();
    assert_eq!(created.comment.status, CommentStatus::Pending);
    let page = app.thread("/t").await;
    assert!(page.comments.is_empty());
    assert_eq!(page.thread.count, 0);
    // Nobody can reply to what they cannot see.
    let res = app
        .post_json(
            "/api/v1/comments",
            &json!({"thread": "/t", "body": "reply", "parent": created.comment.id}),
        )
        .await;
    expect_error(res, 422, ErrorCode::ParentNotFound).await;
}

#[tokio::test]
async fn a_locked_thread_refuses_new_comments() {
    let app = TestApp::spawn().await;
    app.comment("/t", "before the lock", None).await;
    let key = crate::helpers::default_thread("/t");
    assert!(
        app.state
            .services
            .store
            .set_thread_locked(&key, true)
            .await
            .unwrap()
    );
    let res = app
        .post_json(
            "/api/v1/comments",
            &json!({"thread": "/t", "body": "after"}),
        )
        .await;
    expect_error(res, 403, ErrorCode::ThreadLocked).await;
    let page = app.thread("/t").await;
    assert!(page.thread.locked);
    assert_eq!(page.comments.len(), 1);
}

#[tokio::test]
async fn the_same_email_gets_the_same_avatar_and_others_differ() {
    let app = TestApp::spawn().await;
    let post = |email: &'static str| {
        let app = &app;
        async move {
            let res = app
                .post_json(
                    "/api/v1/comments",
                    &json!({"thread": "/t", "body": "x", "email": email}),
                )
                .await;
            res.json::<palabre_api::CreatedComment>()
                .await
                .unwrap()
                .comment
                .avatar
        }
    };
    let a1 = post("ana@example.org").await;
    let a2 = post("ANA@Example.org").await;
    let b = post("bob@example.org").await;
    assert_eq!(a1, a2);
    assert_ne!(a1, b);
}

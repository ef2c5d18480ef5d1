//! Moderation: statuses, blocks, the gate before a post, the log (`ModerationStore`).

use super::*;

#[tokio::test]
async fn a_moderation_action_changes_and_logs_only_what_it_applies_to() {
    for (name, s, _dir) in backends().await {
        let held = |t| NewCommentRecord {
            status: CommentStatus::Pending,
            ..new_comment("/m", None, t)
        };
        let a = s.insert_comment(held(1)).await.unwrap();
        let b = s.insert_comment(held(2)).await.unwrap();
        let published = s.insert_comment(new_comment("/m", None, 3)).await.unwrap();
        let entry = |c: &store::CommentRecord| AuditEntry {
            at: Timestamp::from_millis(9),
            actor: "admin".into(),
            action: "approve".into(),
            target: format!("comment {}", c.id),
            detail: String::new(),
        };
        // Published already: not applicable. 999: no such comment.
        let decide = |c: &store::CommentRecord| (c.id != published.id).then(|| entry(c));
        let changed = s
            .moderate_comments(
                &[a.id, 999, b.id, published.id],
                CommentChange::Publish,
                &decide,
            )
            .await
            .unwrap();
        let ids: Vec<i64> = changed.iter().map(|c| c.id).collect();
        assert_eq!(ids, [a.id, b.id], "{name}");
        assert!(
            changed
                .iter()
                .all(|c| c.status == CommentStatus::Published && !c.spam)
        );
        let logged: Vec<String> = s
            .admin_log(10)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.target)
            .collect();
        assert_eq!(
            logged,
            [format!("comment {}", b.id), format!("comment {}", a.id)],
            "{name}: newest first"
        );

        let spam = s
            .moderate_comments(&[a.id], CommentChange::MarkSpam, &|c| Some(entry(c)))
            .await
            .unwrap();
        assert_eq!(
            (spam[0].status, spam[0].spam),
            (CommentStatus::Pending, true)
        );
        let deleted = s
            .moderate_comments(&[a.id, b.id], CommentChange::Delete, &|c| Some(entry(c)))
            .await
            .unwrap();
        assert_eq!(deleted.len(), 2, "{name}");
        assert_eq!(s.comment(a.id).await.unwrap(), None, "{name}");
        assert_eq!(s.totals().await.unwrap().comments, 1, "{name}");
        assert_eq!(s.admin_log(10).await.unwrap().len(), 5, "{name}");
    }
}

#[tokio::test]
async fn the_post_gate_reads_locks_hides_and_blocks() {
    let open = PostGate::default();
    let closed = PostGate {
        thread_closed: true,
        blocked: false,
    };
    let blocked = PostGate {
        thread_closed: false,
        blocked: true,
    };
    for (name, s, _dir) in backends().await {
        let gate = |thread: &'static str, email: Option<&'static str>, reader: &'static str| {
            let s = s.clone();
            async move { s.post_gate(&key(thread), email, reader).await.unwrap() }
        };
        // A thread that does not exist yet takes its first post.
        assert_eq!(gate("/new", None, "r1").await, open, "{name}");
        s.insert_comment(new_comment("/a", None, 1)).await.unwrap();
        assert_eq!(
            gate("/a", Some("x@example.org"), "r1").await,
            open,
            "{name}"
        );

        s.set_thread_locked(&key("/a"), true).await.unwrap();
        assert_eq!(gate("/a", None, "r1").await, closed, "{name}");
        s.set_thread_locked(&key("/a"), false).await.unwrap();
        s.set_thread_hidden(&key("/a"), true).await.unwrap();
        assert_eq!(gate("/a", None, "r1").await, closed, "{name}");
        s.set_thread_hidden(&key("/a"), false).await.unwrap();

        let at = Timestamp::from_millis(5);
        s.add_block(BlockKind::Reader, "r2", at).await.unwrap();
        s.add_block(BlockKind::Email, "spam@example.org", at)
            .await
            .unwrap();
        assert_eq!(gate("/a", None, "r2").await, blocked, "{name}");
        assert_eq!(
            gate("/a", Some("Spam@Example.ORG"), "r1").await,
            blocked,
            "{name}"
        );
        assert_eq!(
            gate("/a", Some("ham@example.org"), "r1").await,
            open,
            "{name}"
        );
        // Case-insensitive beyond ASCII: blocks hold lowercased addresses.
        s.add_block(BlockKind::Email, "ñandú@example.org", at)
            .await
            .unwrap();
        assert_eq!(
            gate("/a", Some("ÑANDÚ@example.org"), "r1").await,
            blocked,
            "{name}"
        );
        // Both at once: each answer is its own.
        s.set_thread_locked(&key("/a"), true).await.unwrap();
        let both = PostGate {
            thread_closed: true,
            blocked: true,
        };
        assert_eq!(gate("/a", None, "r2").await, both, "{name}");
    }
}

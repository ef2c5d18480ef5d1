//! Threads, comments, votes, pages and the changes readers see (`ThreadStore`).

use super::*;

/// An event's kind and comment, for readable expectations.
type EventOf = (&'static str, Option<i64>);

fn kind_name(kind: palabre_server::store::EventKind) -> &'static str {
    use palabre_server::store::EventKind::*;
    match kind {
        Comment => "comment",
        Removed => "removed",
        Thread => "thread",
    }
}

#[tokio::test]
async fn comments_round_trip_with_threads_created_on_demand() {
    for (name, s, _dir) in backends().await {
        assert_eq!(s.thread(&key("/t")).await.unwrap(), None, "{name}");
        let mut first = new_comment("/t", None, 1000);
        first.title = Some("Title".into());
        first.notify = true;
        first.notify_lang = Some(palabre_api::i18n::Lang::Pl);
        let root = s.insert_comment(first.clone()).await.unwrap();
        assert_eq!(
            root.root_id, root.id,
            "{name}: a top-level comment is its own root"
        );
        assert_eq!(root.depth, 0);
        assert_eq!(root.thread_key, "/t");
        assert_eq!(root.email.as_deref(), Some("a@example.org"));
        assert_eq!(root.edit_token_hash, vec![7; 32]);
        assert_eq!(
            root.notify_lang,
            Some(palabre_api::i18n::Lang::Pl),
            "{name}"
        );
        assert_eq!(
            s.comment(root.id).await.unwrap(),
            Some(root.clone()),
            "{name}"
        );

        let reply = s
            .insert_comment(new_comment("/t", position(&root), 2000))
            .await
            .unwrap();
        assert_eq!(
            (reply.parent_id, reply.root_id, reply.depth),
            (Some(root.id), root.id, 1),
            "{name}"
        );

        // A later title replaces the old one; no title keeps it.
        let t = s.thread(&key("/t")).await.unwrap().unwrap();
        assert_eq!(
            (t.title.as_deref(), t.count, t.locked),
            (Some("Title"), 2, false),
            "{name}"
        );
        let mut renamed = new_comment("/t", None, 3000);
        renamed.title = Some("New title".into());
        s.insert_comment(renamed).await.unwrap();
        let t = s.thread(&key("/t")).await.unwrap().unwrap();
        assert_eq!(t.title.as_deref(), Some("New title"), "{name}");

        let updated = s
            .update_comment_body(reply.id, "new", "<p>new</p>", Timestamp::from_millis(5000))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (updated.body.as_str(), updated.html.as_str()),
            ("new", "<p>new</p>")
        );
        assert_eq!(updated.edited, Some(Timestamp::from_millis(5000)), "{name}");
        // Typed emails earn no trust: nobody proved them.
        assert_eq!(s.published_by_identity(1).await.unwrap(), 0, "{name}");
    }
}

#[tokio::test]
async fn replies_to_a_missing_parent_are_foreign_key_errors() {
    for (name, s, _dir) in backends().await {
        let ghost = Some(ParentPosition {
            id: 9999,
            root_id: 9999,
            depth: 0,
        });
        let err = s
            .insert_comment(new_comment("/t", ghost, 1))
            .await
            .unwrap_err();
        assert!(
            matches!(err, store::StoreError::ForeignKey),
            "{name}: {err:?}"
        );
        assert_eq!(s.totals().await.unwrap().comments, 0, "{name}");
    }
}

#[tokio::test]
async fn deletion_keeps_placeholders_only_while_they_hold_replies() {
    for (name, s, _dir) in backends().await {
        let a = s.insert_comment(new_comment("/t", None, 1)).await.unwrap();
        let b = s
            .insert_comment(new_comment("/t", position(&a), 2))
            .await
            .unwrap();
        let c = s
            .insert_comment(new_comment("/t", position(&b), 3))
            .await
            .unwrap();
        s.vote(a.id, "v", VoteValue::Like).await.unwrap();

        let Some(Deletion::Placeholder(pa)) = s.delete_comment(a.id).await.unwrap() else {
            panic!("{name}: a has replies");
        };
        assert_eq!(pa.status, CommentStatus::Deleted);
        assert_eq!(
            (pa.author, pa.email, pa.body.as_str(), pa.likes),
            (None, None, "", 0),
            "{name}"
        );
        assert!(matches!(
            s.delete_comment(b.id).await.unwrap(),
            Some(Deletion::Placeholder(_))
        ));
        assert_eq!(
            s.totals().await.unwrap().votes,
            0,
            "{name}: placeholder votes dropped"
        );
        // Removing the last leaf removes the now-empty placeholders above it.
        assert_eq!(
            s.delete_comment(c.id).await.unwrap(),
            Some(Deletion::Removed),
            "{name}"
        );
        assert_eq!(s.totals().await.unwrap().comments, 0, "{name}");
        assert_eq!(s.delete_comment(c.id).await.unwrap(), None, "{name}");
    }
}

#[tokio::test]
async fn an_id_is_never_given_twice() {
    for (name, s, _dir) in backends().await {
        let a = s
            .insert_comment(new_comment("/ids", None, 1))
            .await
            .unwrap();
        let b = s
            .insert_comment(new_comment("/ids", None, 2))
            .await
            .unwrap();
        assert_eq!(
            s.delete_comment(b.id).await.unwrap(),
            Some(Deletion::Removed)
        );
        let c = s
            .insert_comment(new_comment("/ids", None, 3))
            .await
            .unwrap();
        assert!(c.id > b.id, "{name}: the newest comment's id was freed");
        // An import moves the numbering past the ids it kept, never back.
        s.delete_comment(c.id).await.unwrap();
        s.delete_comment(a.id).await.unwrap();
        s.begin_import().await.unwrap().commit().await.unwrap();
        let d = s
            .insert_comment(new_comment("/ids", None, 4))
            .await
            .unwrap();
        assert!(d.id > c.id, "{name}: an import gave a deleted id again");
    }
}

#[tokio::test]
async fn votes_are_one_per_voter() {
    for (name, s, _dir) in backends().await {
        let c = s.insert_comment(new_comment("/t", None, 1)).await.unwrap();
        assert_eq!(
            s.vote(c.id, "x", VoteValue::Like).await.unwrap(),
            (1, 0),
            "{name}"
        );
        assert_eq!(
            s.vote(c.id, "x", VoteValue::Like).await.unwrap(),
            (1, 0),
            "{name}"
        );
        assert_eq!(
            s.vote(c.id, "x", VoteValue::Dislike).await.unwrap(),
            (0, 1),
            "{name}"
        );
        assert_eq!(
            s.vote(c.id, "y", VoteValue::Dislike).await.unwrap(),
            (0, 2),
            "{name}"
        );
        assert_eq!(s.vote_of(c.id, "x").await.unwrap(), -1, "{name}");
        assert_eq!(
            s.vote(c.id, "x", VoteValue::Withdraw).await.unwrap(),
            (0, 1),
            "{name}"
        );
        assert_eq!(s.vote_of(c.id, "x").await.unwrap(), 0, "{name}");
        assert_eq!(s.totals().await.unwrap().votes, 1, "{name}");
    }
}

#[tokio::test]
async fn pages_follow_the_sort_and_the_cursor() {
    for (name, s, _dir) in backends().await {
        // Equal timestamps on purpose: ties are broken by id.
        let r1 = s.insert_comment(new_comment("/t", None, 10)).await.unwrap();
        let r2 = s.insert_comment(new_comment("/t", None, 10)).await.unwrap();
        let r3 = s.insert_comment(new_comment("/t", None, 20)).await.unwrap();
        let r1a = s
            .insert_comment(new_comment("/t", position(&r1), 30))
            .await
            .unwrap();
        let r1aa = s
            .insert_comment(new_comment("/t", position(&r1a), 31))
            .await
            .unwrap();
        let mut pending = new_comment("/t", None, 40);
        pending.status = CommentStatus::Pending;
        s.insert_comment(pending).await.unwrap();
        s.vote(r3.id, "v", VoteValue::Like).await.unwrap();
        s.vote(r2.id, "v", VoteValue::Dislike).await.unwrap();

        let page = |sort, limit, after| {
            let s = s.clone();
            async move {
                s.thread_page(&PageQuery {
                    thread: key("/t"),
                    sort,
                    limit,
                    after,
                })
                .await
                .unwrap()
                .unwrap()
            }
        };
        let ids = |p: &store::Page| p.comments.iter().map(|c| c.id).collect::<Vec<_>>();

        let all = page(SortOrder::Oldest, 10, None).await;
        assert_eq!(
            ids(&all),
            vec![r1.id, r2.id, r3.id, r1a.id, r1aa.id],
            "{name}: pending hidden"
        );
        assert_eq!(all.thread.count, 5, "{name}");
        assert_eq!(all.next, None);

        let first = page(SortOrder::Oldest, 1, None).await;
        assert_eq!(
            ids(&first),
            vec![r1.id, r1a.id, r1aa.id],
            "{name}: whole subtree"
        );
        let second = page(SortOrder::Oldest, 1, first.next).await;
        assert_eq!(ids(&second), vec![r2.id], "{name}");
        let third = page(SortOrder::Oldest, 1, second.next).await;
        assert_eq!(ids(&third), vec![r3.id], "{name}");
        assert_eq!(third.next, None, "{name}");

        let newest = page(SortOrder::Newest, 2, None).await;
        assert_eq!(ids(&newest), vec![r3.id, r2.id], "{name}");
        let newest2 = page(SortOrder::Newest, 2, newest.next).await;
        assert_eq!(ids(&newest2), vec![r1.id, r1a.id, r1aa.id], "{name}");

        let top = page(SortOrder::Top, 2, None).await;
        assert_eq!(ids(&top)[..2], [r3.id, r1.id], "{name}");
        let top2 = page(SortOrder::Top, 2, top.next).await;
        assert_eq!(ids(&top2), vec![r2.id], "{name}");
        let cursor = top.next.unwrap();
        assert_eq!(
            Cursor::decode(&cursor.encode(), SortOrder::Top),
            Some(cursor)
        );

        assert!(
            s.thread_page(&PageQuery {
                thread: key("/none"),
                sort: SortOrder::Oldest,
                limit: 5,
                after: None
            })
            .await
            .unwrap()
            .is_none()
        );
    }
}

#[tokio::test]
async fn counts_and_locks() {
    for (name, s, _dir) in backends().await {
        s.insert_comment(new_comment("/a", None, 1)).await.unwrap();
        s.insert_comment(new_comment("/a", None, 2)).await.unwrap();
        s.insert_comment(new_comment("/b", None, 3)).await.unwrap();
        let threads = s
            .threads(&default_site(), &[tkey("/a"), tkey("/b"), tkey("/c")])
            .await
            .unwrap();
        assert_eq!(threads.get("/a").map(|t| t.count), Some(2), "{name}");
        assert_eq!(threads.get("/b").map(|t| t.count), Some(1), "{name}");
        assert_eq!(threads.get("/c").map(|t| t.key.as_str()), None, "{name}");
        assert!(s.threads(&default_site(), &[]).await.unwrap().is_empty());
        assert!(
            s.set_thread_locked(&key("/a"), true).await.unwrap(),
            "{name}"
        );
        assert!(
            !s.set_thread_locked(&key("/zzz"), true).await.unwrap(),
            "{name}"
        );
        assert!(
            s.thread(&key("/a")).await.unwrap().unwrap().locked,
            "{name}"
        );
    }
}

#[tokio::test]
async fn a_challenge_is_spent_with_its_comment_and_only_once() {
    for (name, s, _dir) in backends().await {
        let challenge = store::SpentChallenge {
            nonce: "n1".into(),
            expires: Timestamp::from_millis(10_000),
        };
        let mut first = new_comment("/t", None, 1000);
        first.challenge = Some(challenge.clone());
        s.insert_comment(first.clone()).await.unwrap();
        let replay = s.insert_comment(first).await;
        assert!(
            matches!(replay, Err(store::StoreError::ChallengeSpent)),
            "{name}: {replay:?}"
        );
        assert_eq!(
            s.totals().await.unwrap().comments,
            1,
            "{name}: nothing stored"
        );

        // The comment keeps its challenge's nonce (its post key): a post sent again finds it.
        let kept = s.comment_by_post_key("n1").await.unwrap();
        assert_eq!(
            kept.map(|c| c.created),
            Some(Timestamp::from_millis(1000)),
            "{name}"
        );
        assert!(
            s.comment_by_post_key("n9").await.unwrap().is_none(),
            "{name}"
        );

        // Expired records are purged by later posts (at most once a minute); the comments
        // stay, and with them the nonce stays spent. (An expired challenge never reaches the
        // store anyway: `spam::check` refuses it.)
        let mut later = new_comment("/t", None, 100_000);
        later.challenge = Some(store::SpentChallenge {
            nonce: "n2".into(),
            expires: Timestamp::from_millis(200_000),
        });
        s.insert_comment(later).await.unwrap();
        let mut again = new_comment("/t", None, 110_000);
        again.challenge = Some(challenge);
        let replay = s.insert_comment(again).await;
        assert!(
            matches!(replay, Err(store::StoreError::ChallengeSpent)),
            "{name}: {replay:?}"
        );
        assert_eq!(s.totals().await.unwrap().comments, 2, "{name}");
        assert!(
            s.comment_by_post_key("n2").await.unwrap().is_some(),
            "{name}"
        );
    }
}

#[tokio::test]
async fn concurrent_posts_succeed_or_fail_one_by_one() {
    for (name, s, _dir) in backends().await {
        let parent = s.insert_comment(new_comment("/t", None, 1)).await.unwrap();
        let mut posts = tokio::task::JoinSet::new();
        for i in 0..40 {
            let mut post = new_comment("/t", None, 10 + i);
            // Posts 0 and 1 share a challenge: one of them is a replay.
            post.challenge = Some(store::SpentChallenge {
                nonce: format!("n{}", i.max(1)),
                expires: Timestamp::from_millis(i64::MAX / 2),
            });
            // Post 2 answers a comment that does not exist.
            if i == 2 {
                post.parent = Some(ParentPosition {
                    id: 999_999,
                    root_id: 999_999,
                    depth: 0,
                });
            }
            if i == 3 {
                post.parent = position(&parent);
            }
            // Some posts of a batch have a reply language, some not.
            post.notify = i % 3 == 0;
            post.notify_lang = (i % 3 == 0).then_some(palabre_api::i18n::Lang::Ar);
            let s = Arc::clone(&s);
            posts.spawn(async move { (i, s.insert_comment(post).await) });
        }
        let mut spent = 0;
        while let Some(joined) = posts.join_next().await {
            let (i, result) = joined.unwrap();
            match (i, result) {
                (0 | 1, Err(store::StoreError::ChallengeSpent)) => spent += 1,
                (2, Err(store::StoreError::ForeignKey)) => {}
                (_, Ok(c)) => {
                    let wanted = (i % 3 == 0).then_some(palabre_api::i18n::Lang::Ar);
                    assert_eq!(c.notify_lang, wanted, "{name}: {i}");
                    assert_eq!(s.comment(c.id).await.unwrap(), Some(c), "{name}: {i}")
                }
                (i, other) => panic!("{name}: post {i}: {other:?}"),
            }
        }
        assert_eq!(spent, 1, "{name}: exactly one replay refused");
        assert_eq!(
            s.totals().await.unwrap().comments,
            1 + 38,
            "{name}: every other post stored"
        );
    }
}

#[tokio::test]
async fn every_change_readers_see_is_an_event_in_order() {
    use palabre_server::store::EventKind::{Comment, Removed, Thread};
    for (name, s, _dir) in backends().await {
        let start = s.event_window().await.unwrap();
        assert_eq!(start.pruned_through, 0, "{name}");
        let a = s
            .insert_comment(new_comment("/a", None, 1000))
            .await
            .unwrap();
        let b = s
            .insert_comment(new_comment("/b", None, 1000))
            .await
            .unwrap();
        let reply = s
            .insert_comment(new_comment("/a", position(&a), 2000))
            .await
            .unwrap();
        s.vote(a.id, "v", VoteValue::Like).await.unwrap();
        s.update_comment_body(reply.id, "x", "<p>x</p>", Timestamp::from_millis(3000))
            .await
            .unwrap();
        // An unsubscribe changes nothing readers see: no event.
        s.unsubscribe_email("a@example.org").await.unwrap();
        s.set_thread_locked(&key("/a"), true).await.unwrap();
        s.delete_comment(reply.id).await.unwrap();

        let all = s.events_since(start.now, &[], 100).await.unwrap();
        let seqs: Vec<i64> = all.iter().map(|e| e.seq).collect();
        let mut sorted = seqs.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(seqs, sorted, "{name}: increasing, no duplicate");
        let now = s.event_window().await.unwrap().now;
        assert!(all.iter().all(|e| e.seq <= now), "{name}");
        let of_a: Vec<EventOf> = all
            .iter()
            .filter(|e| e.thread == key("/a"))
            .map(|e| (kind_name(e.kind), e.comment_id))
            .collect();
        // Each step leaves at least its own event, in order (a backend may add one for a
        // top-level comment becoming its own root).
        let mut expected = vec![
            ("comment", Some(a.id)),
            ("comment", Some(reply.id)),
            ("comment", Some(a.id)),
            ("comment", Some(reply.id)),
            ("thread", None),
            ("removed", Some(reply.id)),
        ]
        .into_iter()
        .peekable();
        for event in &of_a {
            if expected.peek() == Some(event) {
                expected.next();
            }
        }
        assert_eq!(expected.next(), None, "{name}: {of_a:?}");
        let only_b = s.events_since(start.now, &[key("/b")], 100).await.unwrap();
        assert!(!only_b.is_empty());
        assert!(
            only_b
                .iter()
                .all(|e| e.thread == key("/b") && e.comment_id == Some(b.id)),
            "{name}: {only_b:?}"
        );
        let first_two = s.events_since(start.now, &[], 2).await.unwrap();
        assert_eq!(first_two, all[..2], "{name}: the limit keeps the oldest");
        assert!(
            all.iter()
                .any(|e| e.kind == Thread && e.comment_id.is_none())
                && all.iter().any(|e| e.kind == Removed)
                && all.iter().any(|e| e.kind == Comment)
        );

        let found = s.comments_by_id(&[a.id, b.id, reply.id]).await.unwrap();
        let mut ids: Vec<i64> = found.iter().map(|c| c.id).collect();
        ids.sort();
        assert_eq!(ids, [a.id, b.id], "{name}: the deleted reply is gone");

        // Pruning everything recorded until a moment from now empties the replay window.
        let later = Timestamp::from_millis(palabre_server::clock::now().as_millis() + 2000);
        assert!(s.prune_events(later).await.unwrap() >= all.len() as u64);
        let window = s.event_window().await.unwrap();
        assert_eq!(window.pruned_through, all.last().unwrap().seq, "{name}");
        assert!(s.events_since(0, &[], 100).await.unwrap().is_empty());
        assert_eq!(s.prune_events(later).await.unwrap(), 0, "{name}");
    }
}

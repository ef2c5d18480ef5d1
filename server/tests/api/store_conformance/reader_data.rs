//! What a reader may ask for or erase (`ReaderDataStore`).

use super::*;

#[tokio::test]
async fn a_readers_comments_are_found_unsubscribed_and_erased_by_email() {
    for (name, s, _dir) in backends().await {
        let mine = |thread: ThreadRef, at: i64| NewCommentRecord {
            notify: true,
            ..comment_on(thread, at, "Ann@Example.org")
        };
        let a = s.insert_comment(mine(on("one", "/a"), 1000)).await.unwrap();
        s.insert_comment(mine(on("two", "/a"), 2000)).await.unwrap();
        let other = s
            .insert_comment(comment_on(on("one", "/a"), 3000, "bob@example.org"))
            .await
            .unwrap();
        let reply = s
            .insert_comment(NewCommentRecord {
                parent: position(&a),
                ..comment_on(on("one", "/a"), 4000, "bob@example.org")
            })
            .await
            .unwrap();

        // Case-insensitive, oldest first, one site or all.
        let all = s.comments_by_email("ann@example.ORG", None).await.unwrap();
        let times: Vec<i64> = all.iter().map(|c| c.created.as_millis()).collect();
        assert_eq!(times, [1000, 2000], "{name}");
        let one = SiteName::parse("one").unwrap();
        assert_eq!(
            s.comments_by_email("ann@example.org", Some(&one))
                .await
                .unwrap()
                .len(),
            1,
            "{name}"
        );

        assert_eq!(s.unsubscribe_email("ANN@example.org").await.unwrap(), 2);
        assert!(!s.comment(a.id).await.unwrap().unwrap().notify, "{name}");
        assert_eq!(s.unsubscribe_email("ann@example.org").await.unwrap(), 0);

        // Erasing a comment takes its replies with it, and nothing else.
        assert_eq!(s.delete_subtree(a.id).await.unwrap(), 2, "{name}");
        assert!(s.comment(reply.id).await.unwrap().is_none(), "{name}");
        assert!(s.comment(other.id).await.unwrap().is_some(), "{name}");
    }
}

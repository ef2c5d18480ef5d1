//! Several sites in one database: every aggregate keeps them apart.

use super::*;

#[tokio::test]
async fn one_key_on_two_sites_is_two_threads_everywhere() {
    for (name, s, _dir) in backends().await {
        let (one, two) = (on("one", "/about"), on("two", "/about"));
        let seq = s.changes_since(0).await.unwrap().seq;
        let events_from = s.event_window().await.unwrap().now;
        let a = s
            .insert_comment(comment_on(one.clone(), 1000, "ann@example.org"))
            .await
            .unwrap();
        let b = s
            .insert_comment(comment_on(two.clone(), 2000, "bob@example.org"))
            .await
            .unwrap();
        assert_eq!((a.site.as_str(), b.site.as_str()), ("one", "two"), "{name}");
        assert_eq!(s.comment(b.id).await.unwrap().unwrap().site, two.site);
        let (t1, t2) = (
            s.thread(&one).await.unwrap().unwrap(),
            s.thread(&two).await.unwrap().unwrap(),
        );
        assert_ne!(t1.id, t2.id, "{name}: two threads");
        assert_eq!((t1.count, t2.count), (1, 1), "{name}");
        assert_eq!(s.thread(&on("three", "/about")).await.unwrap(), None);

        // Reads and writes of one site leave the other alone.
        assert!(s.set_thread_locked(&one, true).await.unwrap());
        assert!(!s.thread(&two).await.unwrap().unwrap().locked, "{name}");
        assert!(s.post_gate(&one, None, "r").await.unwrap().thread_closed);
        assert!(!s.post_gate(&two, None, "r").await.unwrap().thread_closed);
        assert!(s.set_thread_hidden(&two, true).await.unwrap());
        assert!(!s.thread(&one).await.unwrap().unwrap().hidden, "{name}");
        s.set_thread_hidden(&two, false).await.unwrap();
        let counts = s
            .threads(&SiteName::parse("two").unwrap(), &[tkey("/about")])
            .await
            .unwrap();
        assert_eq!(counts["/about"].id, t2.id, "{name}");
        let site_one = SiteName::parse("one").unwrap();
        let recent = s.recent_comments(&site_one, None, 10).await.unwrap();
        assert_eq!(
            recent.iter().map(|c| c.id).collect::<Vec<_>>(),
            vec![a.id],
            "{name}"
        );
        let page = s
            .thread_page(&PageQuery {
                thread: two.clone(),
                sort: SortOrder::Oldest,
                limit: 10,
                after: None,
            })
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            page.comments.iter().map(|c| c.id).collect::<Vec<_>>(),
            vec![b.id]
        );

        // The admin's filters, exports and readers' data.
        let overview = s.threads_overview(Some(&site_one), 10, 0).await.unwrap();
        assert_eq!(overview.len(), 1, "{name}");
        assert_eq!(overview[0].site, site_one);
        assert_eq!(s.threads_overview(None, 10, 0).await.unwrap().len(), 2);
        let listed = s
            .list_comments(&store::CommentFilter {
                site: Some(site_one.clone()),
                limit: 10,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(listed.iter().map(|c| c.id).collect::<Vec<_>>(), vec![a.id]);
        let exported = s.export_threads(Some(&two.site)).await.unwrap();
        assert_eq!(
            exported
                .iter()
                .map(|t| (t.site.as_str(), t.key.as_str()))
                .collect::<Vec<_>>(),
            vec![("two", "/about")],
            "{name}"
        );
        assert_eq!(s.export_threads(None).await.unwrap().len(), 2);
        assert_eq!(s.export_comments(&two).await.unwrap()[0].id, b.id, "{name}");
        assert_eq!(
            s.comments_by_email("bob@example.org", Some(&site_one))
                .await
                .unwrap()
                .len(),
            0
        );
        assert_eq!(
            s.comments_by_email("bob@example.org", None)
                .await
                .unwrap()
                .len(),
            1
        );

        // Caches and live streams learn which site's thread changed.
        let changed = s.changes_since(seq).await.unwrap().threads;
        assert!(changed.contains(&one) && changed.contains(&two), "{name}");
        let only_two = s
            .events_since(events_from, std::slice::from_ref(&two), 100)
            .await
            .unwrap();
        assert!(!only_two.is_empty(), "{name}");
        assert!(
            only_two.iter().all(|e| e.thread == two),
            "{name}: {only_two:?}"
        );
        let sites = s.sites_in_use().await.unwrap();
        assert_eq!(
            sites
                .iter()
                .map(|(site, n)| (site.as_str(), *n))
                .collect::<Vec<_>>(),
            vec![("one", 1), ("two", 1)],
            "{name}"
        );
    }
}

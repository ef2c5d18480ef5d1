//! The fediverse aggregate (`FederationStore`): followers, remote actors, activities seen.

use super::*;
use palabre_server::store::federation::{Follower, RemoteActor};

#[tokio::test]
async fn followers_remote_actors_and_activities_seen() {
    let at = Timestamp::from_millis;
    for (name, s, _dir) in backends().await {
        let site = default_site();
        let other = SiteName::parse("other").unwrap();
        let follower = |actor: &str, follow: &str| Follower {
            actor: actor.into(),
            inbox: format!("{actor}/inbox"),
            shared_inbox: Some("https://m.example/inbox".into()),
            follow_id: follow.into(),
            since: at(5),
        };
        assert!(
            s.add_follower(&site, &follower("https://m.example/users/a", "f1"))
                .await
                .unwrap()
        );
        assert!(
            !s.add_follower(&site, &follower("https://m.example/users/a", "f2"))
                .await
                .unwrap(),
            "{name}: following again renews"
        );
        assert!(
            s.add_follower(&other, &follower("https://m.example/users/a", "f3"))
                .await
                .unwrap()
        );
        let list = s.followers(&site).await.unwrap();
        assert_eq!(list.len(), 1, "{name}");
        assert_eq!(list[0].follow_id, "f2", "{name}: the latest Follow is kept");
        assert_eq!(s.follower_count(&other).await.unwrap(), 1);
        assert!(
            s.remove_follower(&site, "https://m.example/users/a")
                .await
                .unwrap()
        );
        assert!(
            !s.remove_follower(&site, "https://m.example/users/a")
                .await
                .unwrap()
        );
        assert_eq!(s.follower_count(&site).await.unwrap(), 0, "{name}");
        assert_eq!(
            s.follower_count(&other).await.unwrap(),
            1,
            "{name}: another site's stays"
        );

        let mut actor = RemoteActor {
            id: "https://m.example/users/a".into(),
            inbox: "https://m.example/users/a/inbox".into(),
            shared_inbox: None,
            key_id: "https://m.example/users/a#main-key".into(),
            public_key_pem: "PEM-1".into(),
            username: Some("a".into()),
            name: Some("Ann".into()),
            url: Some("https://m.example/@a".into()),
            fetched: at(1),
        };
        s.put_remote_actor(&actor).await.unwrap();
        actor.public_key_pem = "PEM-2".into();
        actor.fetched = at(2);
        s.put_remote_actor(&actor).await.unwrap();
        assert_eq!(
            s.remote_actor(&actor.id).await.unwrap().as_ref(),
            Some(&actor),
            "{name}"
        );
        assert_eq!(
            s.remote_actor_by_key(&actor.key_id)
                .await
                .unwrap()
                .map(|a| a.public_key_pem),
            Some("PEM-2".into()),
            "{name}: a refetched key replaces the old one"
        );
        assert_eq!(
            s.remote_actor("https://m.example/users/b").await.unwrap(),
            None
        );

        assert!(
            s.first_sight("https://m.example/activities/1", at(1))
                .await
                .unwrap()
        );
        assert!(
            !s.first_sight("https://m.example/activities/1", at(2))
                .await
                .unwrap(),
            "{name}"
        );
    }
}

//! Who may act and their sessions (`IdentityStore`).

use super::*;
use palabre_server::store::AdminSession;

#[tokio::test]
async fn admins_and_their_sessions() {
    for (name, s, _dir) in backends().await {
        assert_eq!(s.admin_password_hash("ann").await.unwrap(), None, "{name}");
        s.set_admin_password("ann", "hash-1", Timestamp::from_millis(1))
            .await
            .unwrap();
        s.set_admin_password("ann", "hash-2", Timestamp::from_millis(2))
            .await
            .unwrap();
        assert_eq!(
            s.admin_password_hash("ann").await.unwrap().as_deref(),
            Some("hash-2"),
            "{name}: replaced, not added"
        );

        let session = AdminSession {
            admin: "ann".into(),
            csrf_token: "csrf".into(),
            expires: Timestamp::from_millis(10_000),
        };
        s.create_session(b"hash-of-token", &session, Timestamp::from_millis(5))
            .await
            .unwrap();
        let found = s
            .session(b"hash-of-token", Timestamp::from_millis(9_999))
            .await
            .unwrap()
            .expect("a live session");
        assert_eq!(
            (found.admin.as_str(), found.expires),
            ("ann", session.expires)
        );
        assert!(
            s.session(b"hash-of-token", Timestamp::from_millis(10_000))
                .await
                .unwrap()
                .is_none(),
            "{name}: expired"
        );
        assert!(
            s.session(b"another", Timestamp::from_millis(6))
                .await
                .unwrap()
                .is_none()
        );
        s.delete_session(b"hash-of-token").await.unwrap();
        assert!(
            s.session(b"hash-of-token", Timestamp::from_millis(6))
                .await
                .unwrap()
                .is_none(),
            "{name}: signed out"
        );
    }
}

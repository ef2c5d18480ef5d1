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

#[tokio::test]
async fn passkeys_and_their_ceremonies() {
    use palabre_server::store::{Ceremony, NewIdentity};
    let at = Timestamp::from_millis;
    for (name, s, _dir) in backends().await {
        let site = SiteName::default_site();
        let new = |subject: &'static str| NewIdentity {
            site: &site,
            role: Role::Verified,
            subject,
            name: None,
            email: Some(subject),
            at: at(1),
        };
        let ana = s.identity_for(&new("ana@example.org")).await.unwrap();
        let bob = s.identity_for(&new("bob@example.org")).await.unwrap();
        assert!(
            s.add_passkey(ana.id, b"cred-1", "{\"k\":1}", at(2))
                .await
                .unwrap()
        );
        assert!(
            !s.add_passkey(bob.id, b"cred-1", "{}", at(3)).await.unwrap(),
            "{name}: a credential is one identity's"
        );
        assert!(
            s.add_passkey(ana.id, b"cred-2", "{\"k\":2}", at(4))
                .await
                .unwrap()
        );
        let hers = s.passkeys(ana.id).await.unwrap();
        assert_eq!(hers.len(), 2, "{name}");
        assert_eq!(
            (
                hers[0].credential_id.as_slice(),
                hers[0].created,
                hers[0].last_used
            ),
            (&b"cred-1"[..], at(2), None)
        );
        assert!(s.passkeys(bob.id).await.unwrap().is_empty());
        let found = s.passkey_by_credential(b"cred-2").await.unwrap().unwrap();
        assert_eq!(
            (found.identity, found.passkey.as_str()),
            (ana.id, "{\"k\":2}")
        );
        s.passkey_used(found.id, "{\"k\":3}", at(9)).await.unwrap();
        let used = s.passkey_by_credential(b"cred-2").await.unwrap().unwrap();
        assert_eq!(
            (used.passkey.as_str(), used.last_used),
            ("{\"k\":3}", Some(at(9)))
        );
        assert!(
            !s.delete_passkey(bob.id, found.id).await.unwrap(),
            "{name}: not Bob's to delete"
        );
        assert!(s.delete_passkey(ana.id, found.id).await.unwrap());
        assert!(s.passkey_by_credential(b"cred-2").await.unwrap().is_none());
        // An erased identity takes its passkeys along.
        assert!(s.delete_identity(ana.id).await.unwrap());
        assert!(
            s.passkey_by_credential(b"cred-1").await.unwrap().is_none(),
            "{name}"
        );

        let ceremony = Ceremony {
            site: site.clone(),
            identity: Some(bob.id),
            state: "{\"challenge\":\"x\"}".into(),
        };
        s.put_ceremony(b"c-1", &ceremony, at(10), at(100))
            .await
            .unwrap();
        s.put_ceremony(b"c-2", &ceremony, at(10), at(50))
            .await
            .unwrap();
        assert_eq!(
            s.take_ceremony(b"c-1", at(99)).await.unwrap().as_ref(),
            Some(&ceremony),
            "{name}"
        );
        assert_eq!(
            s.take_ceremony(b"c-1", at(99)).await.unwrap(),
            None,
            "{name}: once"
        );
        assert_eq!(
            s.take_ceremony(b"c-2", at(50)).await.unwrap(),
            None,
            "{name}: expired"
        );
        let sign_in = Ceremony {
            identity: None,
            ..ceremony
        };
        s.put_ceremony(b"c-3", &sign_in, at(60), at(100))
            .await
            .unwrap();
        assert_eq!(
            s.take_ceremony(b"c-3", at(61)).await.unwrap(),
            Some(sign_in)
        );
    }
}

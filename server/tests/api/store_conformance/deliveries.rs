//! The delivery queue (`DeliveryStore`): claimed one per instance, leased, retried, paused.

use super::*;
use palabre_server::store::deliveries::{DeliveryKind, NewDelivery};

#[tokio::test]
async fn deliveries_are_claimed_once_per_instance_retried_and_paused() {
    let at = Timestamp::from_millis;
    for (name, s, _dir) in backends().await {
        let job = |instance: &str, payload: &str, due: i64| NewDelivery {
            kind: DeliveryKind::Activity,
            site: default_site(),
            target: format!("https://{instance}/inbox"),
            instance: instance.into(),
            payload: payload.into(),
            due: at(due),
        };
        s.enqueue(&[
            job("a.example", "a1", 10),
            job("a.example", "a2", 11),
            job("b.example", "b1", 12),
            job("c.example", "c1", 500),
        ])
        .await
        .unwrap();
        assert_eq!(
            s.queued().await.unwrap(),
            vec![(DeliveryKind::Activity, 4)],
            "{name}"
        );
        // Due at 100: one of a (the oldest) and b's; c's is not due.
        let claimed = s.claim_deliveries(at(100), at(200), 10).await.unwrap();
        let mut got: Vec<&str> = claimed.iter().map(|d| d.payload.as_str()).collect();
        got.sort();
        assert_eq!(got, ["a1", "b1"], "{name}");
        assert!(claimed.iter().all(|d| d.attempts == 0));
        // Leased: nothing more for a or b until the lease ends (a2 waits behind a1).
        assert!(
            s.claim_deliveries(at(150), at(250), 10)
                .await
                .unwrap()
                .is_empty(),
            "{name}"
        );
        let a1 = claimed.iter().find(|d| d.payload == "a1").unwrap();
        let b1 = claimed.iter().find(|d| d.payload == "b1").unwrap();
        s.delivered(a1).await.unwrap();
        assert_eq!(
            s.delivery_failed(b1, Some(at(1000))).await.unwrap(),
            1,
            "{name}"
        );
        // a2 is next for a; b1 waits for its retry.
        let next = s.claim_deliveries(at(160), at(260), 10).await.unwrap();
        assert_eq!(
            next.iter().map(|d| d.payload.as_str()).collect::<Vec<_>>(),
            ["a2"],
            "{name}"
        );
        assert_eq!(
            s.delivery_failed(&next[0], None).await.unwrap(),
            1,
            "{name}: given up"
        );
        // A lease that ends without an answer (a replica died): another takes it, counted.
        let retried = s.claim_deliveries(at(1000), at(1100), 10).await.unwrap();
        let mut got: Vec<(&str, u32)> = retried
            .iter()
            .map(|d| (d.payload.as_str(), d.attempts))
            .collect();
        got.sort();
        assert_eq!(got, [("b1", 1), ("c1", 0)], "{name}");
        let again = s.claim_deliveries(at(1200), at(1300), 10).await.unwrap();
        assert_eq!(again.len(), 2, "{name}: leases ended, both claimable again");
        // Paused: b's deliveries wait for the pause to end.
        s.pause_instance("b.example", at(5000)).await.unwrap();
        let during = s.claim_deliveries(at(1400), at(1500), 10).await.unwrap();
        assert_eq!(
            during
                .iter()
                .map(|d| d.payload.as_str())
                .collect::<Vec<_>>(),
            ["c1"],
            "{name}"
        );
        let after = s.claim_deliveries(at(5000), at(5100), 10).await.unwrap();
        let mut got: Vec<&str> = after.iter().map(|d| d.payload.as_str()).collect();
        got.sort();
        assert_eq!(got, ["b1", "c1"], "{name}: the pause is over");
        // A success forgets the instance's failures.
        for d in &after {
            s.delivered(d).await.unwrap();
        }
        assert_eq!(
            s.queued().await.unwrap(),
            vec![(DeliveryKind::Activity, 0)],
            "{name}"
        );
        s.enqueue(&[job("b.example", "b2", 7000)]).await.unwrap();
        let b2 = s.claim_deliveries(at(7000), at(7100), 10).await.unwrap();
        assert_eq!(
            s.delivery_failed(&b2[0], Some(at(8000))).await.unwrap(),
            1,
            "{name}: counted afresh"
        );
    }
}

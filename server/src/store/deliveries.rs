//! The delivery queue: what must reach another server (activities for fediverse inboxes),
//! kept in the database until it is sent or given up, so that no replica's crash or restart
//! loses it. Any replica works it; a claimed delivery is leased, not removed, so a replica
//! that dies while sending leaves it to another once the lease ends.

use super::{SiteName, StoreError};
use async_trait::async_trait;
use palabre_api::Timestamp;

/// What a delivery is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeliveryKind {
    /// An ActivityPub activity, POSTed signed to an inbox.
    Activity,
}

impl DeliveryKind {
    pub const ALL: [Self; 1] = [Self::Activity];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Activity => "activity",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDelivery {
    pub kind: DeliveryKind,
    /// The site whose account signs it.
    pub site: SiteName,
    /// Where it goes: an inbox URL.
    pub target: String,
    /// The target's server (`host[:port]`): the circuit breaker's and the pacing's unit.
    pub instance: String,
    pub payload: String,
    /// Not before.
    pub due: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub id: i64,
    pub kind: DeliveryKind,
    pub site: SiteName,
    pub target: String,
    pub instance: String,
    pub payload: String,
    /// Attempts made before this one.
    pub attempts: u32,
    pub created: Timestamp,
}

#[async_trait]
pub trait DeliveryStore: Send + Sync + 'static {
    async fn enqueue(&self, deliveries: &[NewDelivery]) -> Result<(), StoreError>;
    /// Up to `limit` due deliveries, at most one per instance and none of a paused instance,
    /// leased until `lease_until` (then another replica may take them again).
    async fn claim_deliveries(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<Delivery>, StoreError>;
    /// Sent: removed, and its instance's failures forgotten.
    async fn delivered(&self, delivery: &Delivery) -> Result<(), StoreError>;
    /// Failed: tried again at `retry_at`, or given up (removed) when `None`. Returns how many
    /// deliveries to its instance failed in a row, this one included.
    async fn delivery_failed(
        &self,
        delivery: &Delivery,
        retry_at: Option<Timestamp>,
    ) -> Result<u32, StoreError>;
    /// No delivery to `instance` is claimed before `until` (the circuit breaker).
    async fn pause_instance(&self, instance: &str, until: Timestamp) -> Result<(), StoreError>;
    /// Deliveries waiting, by kind.
    async fn queued(&self) -> Result<Vec<(DeliveryKind, u64)>, StoreError>;
}

//! The fediverse aggregate: a site account's followers, the remote actors we have fetched
//! (their keys and inboxes), and the activities already taken in.

use super::{SiteName, StoreError};
use async_trait::async_trait;
use palabre_api::Timestamp;

/// A remote actor following a site's account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Follower {
    pub actor: String,
    pub inbox: String,
    /// Its server's shared inbox: one delivery reaches every follower there.
    pub shared_inbox: Option<String>,
    /// The `Follow` activity's id (an `Undo` names it).
    pub follow_id: String,
    pub since: Timestamp,
}

/// A remote actor as we last fetched it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteActor {
    pub id: String,
    pub inbox: String,
    pub shared_inbox: Option<String>,
    pub key_id: String,
    pub public_key_pem: String,
    /// `preferredUsername`.
    pub username: Option<String>,
    pub name: Option<String>,
    /// The profile page (`url`), for people.
    pub url: Option<String>,
    pub fetched: Timestamp,
}

#[async_trait]
pub trait FederationStore: Send + Sync + 'static {
    /// Adds or renews a follower; false when it already followed.
    async fn add_follower(&self, site: &SiteName, follower: &Follower) -> Result<bool, StoreError>;
    /// Removes a follower; false when it did not follow.
    async fn remove_follower(&self, site: &SiteName, actor: &str) -> Result<bool, StoreError>;
    /// A site's followers, oldest first.
    async fn followers(&self, site: &SiteName) -> Result<Vec<Follower>, StoreError>;
    async fn follower_count(&self, site: &SiteName) -> Result<u64, StoreError>;

    async fn remote_actor(&self, id: &str) -> Result<Option<RemoteActor>, StoreError>;
    /// The actor that owns `key_id`, when we have fetched it.
    async fn remote_actor_by_key(&self, key_id: &str) -> Result<Option<RemoteActor>, StoreError>;
    async fn put_remote_actor(&self, actor: &RemoteActor) -> Result<(), StoreError>;

    /// Records an incoming activity's id; false when it was taken in before (a redelivery).
    async fn first_sight(&self, activity: &str, at: Timestamp) -> Result<bool, StoreError>;
}

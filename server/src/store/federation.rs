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

/// An entry of a site's feed, as announced (or recorded unannounced at the first reading).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Article {
    pub thread_key: String,
    pub url: String,
    pub title: String,
    /// Plain text.
    pub summary: String,
    pub published: Timestamp,
    pub announced: bool,
}

/// What a feed's last answer said, for the next conditional request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeedState {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// A comment that came from the fediverse: the remote object it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteComment {
    pub comment_id: i64,
    pub object_id: String,
    pub actor: String,
    /// `@user@host`.
    pub handle: String,
    pub profile_url: Option<String>,
    /// The object's `updated` (or `published`): an `Update` must be newer.
    pub updated: Timestamp,
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
    /// Undoes [`FederationStore::first_sight`] for an activity that could not be taken in.
    async fn forget_sight(&self, activity: &str) -> Result<(), StoreError>;

    /// Records an article; false when the site had it already (nothing changes then).
    async fn add_article(&self, site: &SiteName, article: &Article) -> Result<bool, StoreError>;
    async fn article(
        &self,
        site: &SiteName,
        thread_key: &str,
    ) -> Result<Option<Article>, StoreError>;
    /// The feed's last answer; `None` before its first reading.
    async fn feed_state(&self, site: &SiteName) -> Result<Option<FeedState>, StoreError>;
    async fn set_feed_state(
        &self,
        site: &SiteName,
        state: &FeedState,
        at: Timestamp,
    ) -> Result<(), StoreError>;

    async fn link_remote_comment(&self, link: &RemoteComment) -> Result<(), StoreError>;
    async fn remote_comment_by_object(
        &self,
        object_id: &str,
    ) -> Result<Option<RemoteComment>, StoreError>;
    /// The remote comments among `ids` (a thread's, to show their handles).
    async fn remote_comments(&self, ids: &[i64]) -> Result<Vec<RemoteComment>, StoreError>;
    async fn set_remote_comment_updated(
        &self,
        comment_id: i64,
        updated: Timestamp,
    ) -> Result<(), StoreError>;
    /// How many of an actor's comments are published (trust in `first` moderation).
    async fn published_by_actor(&self, actor: &str) -> Result<u64, StoreError>;

    /// The change sequence the fediverse has looked at (`None`: never).
    async fn event_cursor(&self) -> Result<Option<i64>, StoreError>;
    /// Moves the cursor from `from` to `to`; false when another replica moved it first (the
    /// events between are then that replica's to send).
    async fn advance_event_cursor(&self, from: Option<i64>, to: i64) -> Result<bool, StoreError>;
    /// Where a comment of ours was sent, and which version (its edit time, or creation).
    async fn sent_comment(&self, comment_id: i64) -> Result<Option<(String, i64)>, StoreError>;
    async fn set_sent_comment(
        &self,
        comment_id: i64,
        inbox: Option<&str>,
        version: i64,
    ) -> Result<(), StoreError>;
}

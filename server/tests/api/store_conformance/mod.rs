//! One conformance suite for the `Store` trait, run against every backend this build has.
//! A new backend passes these before any HTTP test runs against it. A file per aggregate, as
//! the trait and the backends are split.

mod deliveries;
mod federation;
mod identities;
mod moderation;
mod reader_data;
mod settings;
mod sites;
mod threads;

use palabre_api::{CommentStatus, Role, SortOrder, ThreadKey, Timestamp, VoteValue};
use palabre_server::store::{
    self, AuditEntry, BlockKind, CommentChange, Cursor, Deletion, NewCommentRecord, PageQuery,
    ParentPosition, PostGate, SiteName, Store, ThreadRef,
};
use std::sync::Arc;

/// The stores under test, each on a fresh database: SQLite, and PostgreSQL on the test
/// cluster (required in CI, see `postgres_cluster`).
async fn backends() -> Vec<(&'static str, Arc<dyn Store>, tempfile::TempDir)> {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/conformance.db", dir.path().display());
    let mut stores = vec![("sqlite", store::connect(&url).await.unwrap(), dir)];
    if let Some(cluster) = crate::helpers::postgres_cluster() {
        let url = crate::helpers::fresh_postgres(&cluster).await;
        let store = store::connect(&url).await.expect("PostgreSQL store opens");
        stores.push(("postgres", store, tempfile::tempdir().unwrap()));
    }
    stores
}

/// A thread of the default site.
fn key(k: &str) -> ThreadRef {
    ThreadRef::new(SiteName::default_site(), tkey(k))
}

fn tkey(k: &str) -> ThreadKey {
    ThreadKey::parse(k).unwrap()
}

fn default_site() -> SiteName {
    SiteName::default_site()
}

pub(crate) fn new_comment(
    thread: &str,
    parent: Option<ParentPosition>,
    created: i64,
) -> NewCommentRecord {
    NewCommentRecord {
        thread: key(thread),
        title: None,
        parent,
        status: CommentStatus::Published,
        author: Some("A".into()),
        email: Some("a@example.org".into()),
        website: None,
        avatar: "0123456789abcdef".into(),
        body: "body".into(),
        html: "<p>body</p>".into(),
        created: Timestamp::from_millis(created),
        edit_token_hash: vec![7; 32],
        reader_hash: "r".into(),
        notify: false,
        notify_lang: None,
        challenge: None,
        identity_id: None,
        role: Role::Guest,
    }
}

fn position(c: &store::CommentRecord) -> Option<ParentPosition> {
    Some(ParentPosition {
        id: c.id,
        root_id: c.root_id,
        depth: c.depth,
    })
}

/// A thread of a named site.
fn on(site: &str, k: &str) -> ThreadRef {
    ThreadRef::new(SiteName::parse(site).unwrap(), tkey(k))
}

fn comment_on(thread: ThreadRef, created: i64, email: &str) -> NewCommentRecord {
    NewCommentRecord {
        thread,
        email: Some(email.into()),
        ..new_comment("/unused", None, created)
    }
}

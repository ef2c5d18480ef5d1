//! SQLite: followers, remote actors and incoming activities ([`FederationStore`]), and the
//! delivery queue ([`DeliveryStore`]).

use super::SqliteStore;
use crate::store::deliveries::{Delivery, DeliveryKind, DeliveryStore, NewDelivery};
use crate::store::federation::{
    Article, FederationStore, FeedState, Follower, RemoteActor, RemoteComment,
};
use crate::store::{SiteName, StoreError};
use async_trait::async_trait;
use palabre_api::Timestamp;
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

fn follower(row: &SqliteRow) -> Result<Follower, StoreError> {
    Ok(Follower {
        actor: row.try_get("actor")?,
        inbox: row.try_get("inbox")?,
        shared_inbox: row.try_get("shared_inbox")?,
        follow_id: row.try_get("follow_id")?,
        since: Timestamp::from_millis(row.try_get("since")?),
    })
}

fn remote_actor(row: &SqliteRow) -> Result<RemoteActor, StoreError> {
    Ok(RemoteActor {
        id: row.try_get("id")?,
        inbox: row.try_get("inbox")?,
        shared_inbox: row.try_get("shared_inbox")?,
        key_id: row.try_get("key_id")?,
        public_key_pem: row.try_get("public_key_pem")?,
        username: row.try_get("username")?,
        name: row.try_get("name")?,
        url: row.try_get("url")?,
        fetched: Timestamp::from_millis(row.try_get("fetched_at")?),
    })
}

/// The settings key of the fediverse's place in the change events.
const EVENT_CURSOR: &str = "fediverse_events_seen";

const REMOTE_COMMENT_COLUMNS: &str = "SELECT comment_id, object_id, actor, handle, profile_url, \
     updated_at FROM fediverse_comments";

fn remote_comment(row: &SqliteRow) -> Result<RemoteComment, StoreError> {
    Ok(RemoteComment {
        comment_id: row.try_get("comment_id")?,
        object_id: row.try_get("object_id")?,
        actor: row.try_get("actor")?,
        handle: row.try_get("handle")?,
        profile_url: row.try_get("profile_url")?,
        updated: Timestamp::from_millis(row.try_get("updated_at")?),
    })
}

const ACTOR_COLUMNS: &str = "SELECT id, inbox, shared_inbox, key_id, public_key_pem, username, \
     name, url, fetched_at FROM remote_actors";

#[async_trait]
impl FederationStore for SqliteStore {
    async fn add_follower(&self, site: &SiteName, f: &Follower) -> Result<bool, StoreError> {
        let mut tx = self.writer.begin().await?;
        let existed: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM fediverse_followers WHERE site = ? AND actor = ?")
                .bind(site.as_str())
                .bind(&f.actor)
                .fetch_optional(&mut *tx)
                .await?;
        sqlx::query(
            "INSERT INTO fediverse_followers (site, actor, inbox, shared_inbox, follow_id, since) \
             VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (site, actor) DO UPDATE SET \
             inbox = excluded.inbox, shared_inbox = excluded.shared_inbox, \
             follow_id = excluded.follow_id",
        )
        .bind(site.as_str())
        .bind(&f.actor)
        .bind(&f.inbox)
        .bind(&f.shared_inbox)
        .bind(&f.follow_id)
        .bind(f.since.as_millis())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(existed.is_none())
    }

    async fn remove_follower(&self, site: &SiteName, actor: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM fediverse_followers WHERE site = ? AND actor = ?")
            .bind(site.as_str())
            .bind(actor)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn followers(&self, site: &SiteName) -> Result<Vec<Follower>, StoreError> {
        sqlx::query(
            "SELECT actor, inbox, shared_inbox, follow_id, since FROM fediverse_followers \
             WHERE site = ? ORDER BY since, actor",
        )
        .bind(site.as_str())
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(follower)
        .collect()
    }

    async fn follower_count(&self, site: &SiteName) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM fediverse_followers WHERE site = ?")
            .bind(site.as_str())
            .fetch_one(&self.reader)
            .await?;
        Ok(n as u64)
    }

    async fn remote_actor(&self, id: &str) -> Result<Option<RemoteActor>, StoreError> {
        sqlx::query(&format!("{ACTOR_COLUMNS} WHERE id = ?"))
            .bind(id)
            .fetch_optional(&self.reader)
            .await?
            .as_ref()
            .map(remote_actor)
            .transpose()
    }

    async fn remote_actor_by_key(&self, key_id: &str) -> Result<Option<RemoteActor>, StoreError> {
        sqlx::query(&format!(
            "{ACTOR_COLUMNS} WHERE key_id = ? ORDER BY fetched_at DESC LIMIT 1"
        ))
        .bind(key_id)
        .fetch_optional(&self.reader)
        .await?
        .as_ref()
        .map(remote_actor)
        .transpose()
    }

    async fn put_remote_actor(&self, a: &RemoteActor) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO remote_actors (id, inbox, shared_inbox, key_id, public_key_pem, \
             username, name, url, fetched_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (id) DO UPDATE SET inbox = excluded.inbox, \
             shared_inbox = excluded.shared_inbox, key_id = excluded.key_id, \
             public_key_pem = excluded.public_key_pem, username = excluded.username, \
             name = excluded.name, url = excluded.url, fetched_at = excluded.fetched_at",
        )
        .bind(&a.id)
        .bind(&a.inbox)
        .bind(&a.shared_inbox)
        .bind(&a.key_id)
        .bind(&a.public_key_pem)
        .bind(&a.username)
        .bind(&a.name)
        .bind(&a.url)
        .bind(a.fetched.as_millis())
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn forget_sight(&self, activity: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM inbox_seen WHERE activity = ?")
            .bind(activity)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn first_sight(&self, activity: &str, at: Timestamp) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO inbox_seen (activity, received_at) VALUES (?, ?) \
             ON CONFLICT (activity) DO NOTHING",
        )
        .bind(activity)
        .bind(at.as_millis())
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn add_article(&self, site: &SiteName, a: &Article) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO fediverse_articles (site, thread_key, url, title, summary, published_at, announced) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (site, thread_key) DO NOTHING",
        )
        .bind(site.as_str())
        .bind(&a.thread_key)
        .bind(&a.url)
        .bind(&a.title)
        .bind(&a.summary)
        .bind(a.published.as_millis())
        .bind(a.announced)
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn article(&self, site: &SiteName, key: &str) -> Result<Option<Article>, StoreError> {
        let row = sqlx::query(
            "SELECT thread_key, url, title, summary, published_at, announced FROM fediverse_articles WHERE site = ? AND thread_key = ?",
        )
        .bind(site.as_str())
        .bind(key)
        .fetch_optional(&self.reader)
        .await?;
        row.map(|r| -> Result<Article, StoreError> {
            Ok(Article {
                thread_key: r.try_get("thread_key")?,
                url: r.try_get("url")?,
                title: r.try_get("title")?,
                summary: r.try_get("summary")?,
                published: Timestamp::from_millis(r.try_get("published_at")?),
                announced: r.try_get("announced")?,
            })
        })
        .transpose()
    }

    async fn feed_state(&self, site: &SiteName) -> Result<Option<FeedState>, StoreError> {
        let row = sqlx::query("SELECT etag, last_modified FROM fediverse_feeds WHERE site = ?")
            .bind(site.as_str())
            .fetch_optional(&self.reader)
            .await?;
        row.map(|r| -> Result<FeedState, StoreError> {
            Ok(FeedState {
                etag: r.try_get("etag")?,
                last_modified: r.try_get("last_modified")?,
            })
        })
        .transpose()
    }

    async fn set_feed_state(
        &self,
        site: &SiteName,
        state: &FeedState,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO fediverse_feeds (site, etag, last_modified, checked_at) VALUES (?, ?, ?, ?) ON CONFLICT (site) DO UPDATE SET etag = excluded.etag, last_modified = excluded.last_modified, checked_at = excluded.checked_at",
        )
        .bind(site.as_str())
        .bind(&state.etag)
        .bind(&state.last_modified)
        .bind(at.as_millis())
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn link_remote_comment(&self, link: &RemoteComment) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO fediverse_comments (comment_id, object_id, actor, handle, profile_url, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(link.comment_id)
        .bind(&link.object_id)
        .bind(&link.actor)
        .bind(&link.handle)
        .bind(&link.profile_url)
        .bind(link.updated.as_millis())
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn remote_comment_by_object(
        &self,
        object_id: &str,
    ) -> Result<Option<RemoteComment>, StoreError> {
        sqlx::query(&format!("{REMOTE_COMMENT_COLUMNS} WHERE object_id = ?"))
            .bind(object_id)
            .fetch_optional(&self.reader)
            .await?
            .as_ref()
            .map(remote_comment)
            .transpose()
    }

    async fn remote_comments(&self, ids: &[i64]) -> Result<Vec<RemoteComment>, StoreError> {
        let mut out = Vec::new();
        for chunk in ids.chunks(500) {
            let marks = (1..=chunk.len())
                .map(|_| "?")
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!("{REMOTE_COMMENT_COLUMNS} WHERE comment_id IN ({marks})");
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(id);
            }
            for row in q.fetch_all(&self.reader).await? {
                out.push(remote_comment(&row)?);
            }
        }
        Ok(out)
    }

    async fn set_remote_comment_updated(
        &self,
        comment_id: i64,
        updated: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE fediverse_comments SET updated_at = ? WHERE comment_id = ?")
            .bind(updated.as_millis())
            .bind(comment_id)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn published_by_actor(&self, actor: &str) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM fediverse_comments f JOIN comments c ON c.id = f.comment_id \
             WHERE f.actor = ? AND c.status = 'published'",
        )
        .bind(actor)
        .fetch_one(&self.reader)
        .await?;
        Ok(n as u64)
    }

    async fn event_cursor(&self) -> Result<Option<i64>, StoreError> {
        let v: Option<String> = sqlx::query_scalar("SELECT value FROM settings WHERE key = ?")
            .bind(EVENT_CURSOR)
            .fetch_optional(&self.writer)
            .await?;
        Ok(v.and_then(|v| v.parse().ok()))
    }

    async fn advance_event_cursor(&self, from: Option<i64>, to: i64) -> Result<bool, StoreError> {
        let done =
            match from {
                None => sqlx::query(
                    "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
                )
                .bind(EVENT_CURSOR)
                .bind(to.to_string())
                .execute(&self.writer)
                .await?,
                Some(from) => {
                    sqlx::query("UPDATE settings SET value = ? WHERE key = ? AND value = ?")
                        .bind(to.to_string())
                        .bind(EVENT_CURSOR)
                        .bind(from.to_string())
                        .execute(&self.writer)
                        .await?
                }
            };
        Ok(done.rows_affected() > 0)
    }

    async fn sent_comment(&self, comment_id: i64) -> Result<Option<(String, i64)>, StoreError> {
        Ok(
            sqlx::query_as("SELECT inbox, version FROM fediverse_sent WHERE comment_id = ?")
                .bind(comment_id)
                .fetch_optional(&self.reader)
                .await?,
        )
    }

    async fn set_sent_comment(
        &self,
        comment_id: i64,
        inbox: Option<&str>,
        version: i64,
    ) -> Result<(), StoreError> {
        match inbox {
            Some(inbox) => sqlx::query(
                "INSERT INTO fediverse_sent (comment_id, inbox, version) VALUES (?, ?, ?) \
                 ON CONFLICT (comment_id) DO UPDATE SET inbox = excluded.inbox, version = excluded.version",
            )
            .bind(comment_id)
            .bind(inbox)
            .bind(version)
            .execute(&self.writer)
            .await?,
            None => sqlx::query("DELETE FROM fediverse_sent WHERE comment_id = ?")
                .bind(comment_id)
                .execute(&self.writer)
                .await?,
        };
        Ok(())
    }
}

fn delivery(row: &SqliteRow) -> Result<Delivery, StoreError> {
    let kind: String = row.try_get("kind")?;
    let site: String = row.try_get("site")?;
    Ok(Delivery {
        id: row.try_get("id")?,
        kind: DeliveryKind::parse(&kind).ok_or_else(|| {
            StoreError::Backend(format!("unknown delivery kind {kind:?} in database").into())
        })?,
        site: SiteName::stored(&site),
        target: row.try_get("target")?,
        instance: row.try_get("instance")?,
        payload: row.try_get("payload")?,
        attempts: row.try_get::<i64, _>("attempts")? as u32,
        created: Timestamp::from_millis(row.try_get("created_at")?),
    })
}

#[async_trait]
impl DeliveryStore for SqliteStore {
    async fn enqueue(&self, deliveries: &[NewDelivery]) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        let now = crate::clock::now().as_millis();
        for d in deliveries {
            sqlx::query(
                "INSERT INTO deliveries (kind, site, target, instance, payload, due_at, created_at) \
                 VALUES (?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(d.kind.as_str())
            .bind(d.site.as_str())
            .bind(&d.target)
            .bind(&d.instance)
            .bind(&d.payload)
            .bind(d.due.as_millis())
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn claim_deliveries(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<Delivery>, StoreError> {
        // One writer at a time: the select and the lease are one statement, so no two
        // workers of this database claim the same row.
        sqlx::query(
            "UPDATE deliveries SET leased_until = ?2, attempts = attempts + 1 WHERE id IN ( \
               SELECT MIN(d.id) FROM deliveries d \
               WHERE d.due_at <= ?1 AND d.leased_until <= ?1 \
                 AND NOT EXISTS (SELECT 1 FROM delivery_instances i \
                                 WHERE i.instance = d.instance AND i.paused_until > ?1) \
                 AND NOT EXISTS (SELECT 1 FROM deliveries b \
                                 WHERE b.instance = d.instance AND b.leased_until > ?1) \
               GROUP BY d.instance ORDER BY MIN(d.due_at) LIMIT ?3) \
             RETURNING id, kind, site, target, instance, payload, attempts - 1 AS attempts, \
               created_at",
        )
        .bind(now.as_millis())
        .bind(lease_until.as_millis())
        .bind(i64::from(limit))
        .fetch_all(&self.writer)
        .await?
        .iter()
        .map(delivery)
        .collect()
    }

    async fn delivered(&self, d: &Delivery) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        sqlx::query("DELETE FROM deliveries WHERE id = ?")
            .bind(d.id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM delivery_instances WHERE instance = ?")
            .bind(&d.instance)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn delivery_failed(
        &self,
        d: &Delivery,
        retry_at: Option<Timestamp>,
    ) -> Result<u32, StoreError> {
        let mut tx = self.writer.begin().await?;
        match retry_at {
            Some(at) => {
                sqlx::query("UPDATE deliveries SET due_at = ?, leased_until = 0 WHERE id = ?")
                    .bind(at.as_millis())
                    .bind(d.id)
                    .execute(&mut *tx)
                    .await?
            }
            None => {
                sqlx::query("DELETE FROM deliveries WHERE id = ?")
                    .bind(d.id)
                    .execute(&mut *tx)
                    .await?
            }
        };
        let failures: i64 = sqlx::query_scalar(
            "INSERT INTO delivery_instances (instance, failures) VALUES (?, 1) \
             ON CONFLICT (instance) DO UPDATE SET failures = delivery_instances.failures + 1 RETURNING failures",
        )
        .bind(&d.instance)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(failures as u32)
    }

    async fn pause_instance(&self, instance: &str, until: Timestamp) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO delivery_instances (instance, failures, paused_until) VALUES (?, 0, ?) \
             ON CONFLICT (instance) DO UPDATE SET paused_until = excluded.paused_until",
        )
        .bind(instance)
        .bind(until.as_millis())
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn queued(&self) -> Result<Vec<(DeliveryKind, u64)>, StoreError> {
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT kind, COUNT(*) FROM deliveries GROUP BY kind")
                .fetch_all(&self.reader)
                .await?;
        Ok(DeliveryKind::ALL
            .into_iter()
            .map(|k| {
                let n = rows
                    .iter()
                    .find(|(s, _)| s == k.as_str())
                    .map_or(0, |r| r.1);
                (k, n as u64)
            })
            .collect())
    }
}

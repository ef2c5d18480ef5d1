//! Comments going back. The change events every write leaves are followed (any replica; the
//! cursor in the database hands each batch of events to one of them): a comment published in
//! the widget that answers a fediverse comment is sent to that comment's writer as a `Note`
//! from the site's account, beginning with the commenter's name, with a `Mention` and the
//! writer in `cc`; its edits send `Update`, and its deletion or removal by a moderator
//! `Delete`. Nothing is ever sent under one actor per commenter.

use super::Federation;
use super::articles::PUBLIC;
use crate::config::Site;
use crate::store::federation::RemoteComment;
use crate::store::{ChangeEvent, CommentRecord};
use palabre_api::{CommentStatus, Role};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

/// The version of a sent comment once its `Delete` went out (its note is then a `Tombstone`).
pub const TOMBSTONED: i64 = -1;

/// Events read at once.
const BATCH: u32 = 200;

fn version(c: &CommentRecord) -> i64 {
    c.edited.unwrap_or(c.created).as_millis()
}

impl Federation {
    /// Sends what the next events call for; whether more may be waiting.
    pub async fn send_changes(&self) -> anyhow::Result<bool> {
        let window = self.store.event_window().await?;
        let Some(cursor) = self.store.event_cursor().await? else {
            // First start: what happened before is not news.
            self.store.advance_event_cursor(None, window.now).await?;
            return Ok(false);
        };
        let events = self
            .store
            .events_since(cursor.max(window.pruned_through), &[], BATCH)
            .await?;
        let Some(last) = events.last().map(|e| e.seq) else {
            return Ok(false);
        };
        if !self.store.advance_event_cursor(Some(cursor), last).await? {
            return Ok(true); // another replica took these
        }
        for event in &events {
            if let Err(e) = self.send_change(event).await {
                tracing::warn!(error = %format!("{e:#}"), "fediverse: cannot send a comment's change");
            }
        }
        Ok(events.len() as u32 == BATCH)
    }

    async fn send_change(&self, event: &ChangeEvent) -> anyhow::Result<()> {
        let Some(site) = self
            .settings
            .site(&event.thread.site)
            .filter(|s| s.fediverse.is_some())
        else {
            return Ok(());
        };
        let Some(id) = event.comment_id else {
            return Ok(());
        };
        let comment = self.store.comment(id).await?;
        let sent = self.store.sent_comment(id).await?;
        match (comment, sent) {
            // Deleted already: the Delete went out.
            (_, Some((_, TOMBSTONED))) => {}
            (Some(c), None)
                if c.status == CommentStatus::Published && c.role != Role::Fediverse =>
            {
                let Some(remote) = self.addressee(&c).await? else {
                    return Ok(()); // not an answer to the fediverse
                };
                let Some(inbox) = self.inbox_of(&remote.actor).await? else {
                    return Ok(());
                };
                let Some(note) = self.outgoing_note(site, &c, &remote).await? else {
                    return Ok(());
                };
                let activity = self.wrap(site, "Create", note, &format!("create-{}", version(&c)));
                self.deliver(&site.name, &activity, [inbox.clone()]).await?;
                self.store
                    .set_sent_comment(id, Some(&inbox), version(&c))
                    .await?;
                tracing::info!(comment = id, "fediverse: an answer sent to its addressee");
            }
            (Some(c), Some((inbox, sent_version))) if c.status == CommentStatus::Published => {
                if version(&c) == sent_version {
                    return Ok(());
                }
                let Some(remote) = self.addressee(&c).await? else {
                    return Ok(());
                };
                let Some(mut note) = self.outgoing_note(site, &c, &remote).await? else {
                    return Ok(());
                };
                note["updated"] =
                    Value::String(super::articles::rfc3339(c.edited.unwrap_or(c.created)));
                let activity = self.wrap(site, "Update", note, &format!("update-{}", version(&c)));
                self.deliver(&site.name, &activity, [inbox.clone()]).await?;
                self.store
                    .set_sent_comment(id, Some(&inbox), version(&c))
                    .await?;
            }
            // Deleted, rejected, marked as spam, or gone.
            (_, Some((inbox, _))) => {
                let note_id = self.note_id(site, id).unwrap_or_default();
                let tombstone = json!({"id": note_id, "type": "Tombstone"});
                let activity = self.wrap(site, "Delete", tombstone, "delete");
                self.deliver(&site.name, &activity, [inbox.clone()]).await?;
                self.store
                    .set_sent_comment(id, Some(&inbox), TOMBSTONED)
                    .await?;
            }
            _ => {}
        }
        Ok(())
    }

    /// Whether a comment's note was sent and then deleted (served as a `Tombstone`, 410).
    pub async fn tombstoned(&self, comment_id: i64) -> anyhow::Result<bool> {
        Ok(self
            .store
            .sent_comment(comment_id)
            .await?
            .is_some_and(|(_, v)| v == TOMBSTONED))
    }

    /// The fediverse comment `c` answers, if it answers one.
    async fn addressee(&self, c: &CommentRecord) -> anyhow::Result<Option<RemoteComment>> {
        let Some(parent) = c.parent_id else {
            return Ok(None);
        };
        Ok(self.store.remote_comments(&[parent]).await?.pop())
    }

    /// An actor's inbox, from what we stored of it.
    async fn inbox_of(&self, actor: &str) -> anyhow::Result<Option<String>> {
        Ok(self.store.remote_actor(actor).await?.map(|a| a.inbox))
    }

    /// Our comment as a `Note` to the writer of the comment it answers.
    async fn outgoing_note(
        &self,
        site: &Site,
        c: &CommentRecord,
        to: &RemoteComment,
    ) -> anyhow::Result<Option<Value>> {
        let Some(mut note) = self.note_document(site, c).await? else {
            return Ok(None);
        };
        let profile = to.profile_url.clone().unwrap_or_else(|| to.actor.clone());
        let name = c.author.clone().unwrap_or_else(|| "A reader".to_owned());
        note["content"] = Value::String(format!(
            "{}{}",
            maud::html! {
                p {
                    strong { (name) } ", to "
                    span class="h-card" { a href=(profile) class="u-url mention" { (to.handle) } }
                    ":"
                }
            }
            .into_string(),
            c.html
        ));
        note["tag"] = json!([{"type": "Mention", "href": to.actor, "name": to.handle}]);
        let actor = self.actor_id(site).unwrap_or_default();
        note["cc"] = json!([format!("{actor}/followers"), to.actor]);
        Ok(Some(note))
    }

    fn wrap(&self, site: &Site, kind: &str, object: Value, tag: &str) -> Value {
        let actor = self.actor_id(site).unwrap_or_default();
        let id = object["id"].as_str().unwrap_or_default().to_owned();
        let mut activity = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{id}#{tag}"),
            "type": kind,
            "actor": actor,
            "to": [PUBLIC],
            "object": object,
        });
        if let Some(cc) = activity["object"].get("cc").cloned() {
            activity["cc"] = cc;
        }
        activity
    }
}

/// Follows the change events on this replica.
pub fn spawn(fed: Arc<Federation>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match fed.send_changes().await {
                Ok(true) => continue,
                Ok(false) => tokio::time::sleep(Duration::from_millis(500)).await,
                Err(e) => {
                    tracing::warn!(error = %format!("{e:#}"), "fediverse: cannot read the change events");
                    tokio::time::sleep(Duration::from_secs(5)).await;
                }
            }
        }
    })
}

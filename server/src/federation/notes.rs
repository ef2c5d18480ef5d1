//! Comments as `Note`s, both ways. In: a `Create{Note}` whose `inReplyTo` chain reaches one
//! of a site's articles or comments (at most [`MAX_HOPS`] notes up) becomes a comment there,
//! through the site's rules and moderation; `Update` (same actor, newer) edits it; `Delete`
//! removes it. Out: each published comment of a thread is a `Note` of the site's account,
//! beginning with its writer's name, in the thread's `replies`.

use super::Federation;
use super::articles::PUBLIC;
use super::inbox::{Budget, InboxError, Outcome, id_of, same_origin};
use crate::comments::RemoteReply;
use crate::config::Site;
use crate::store::federation::{RemoteActor, RemoteComment};
use crate::store::{CommentRecord, ThreadRef};
use palabre_api::{CommentStatus, ThreadKey, Timestamp};
use serde_json::{Value, json};

/// How far up a reply chain we look for one of our threads.
pub const MAX_HOPS: usize = 5;

/// Where a reply lands: a site's thread, under one of its comments or at the top.
struct Place<'a> {
    site: &'a Site,
    key: String,
    parent: Option<i64>,
}

fn timestamp(v: Option<&Value>) -> Option<Timestamp> {
    let t = humantime::parse_rfc3339_weak(v?.as_str()?.trim_end_matches('Z').split('.').next()?)
        .ok()?;
    Some(Timestamp::from_millis(
        t.duration_since(std::time::UNIX_EPOCH).ok()?.as_millis() as i64,
    ))
}

/// `html` without a first-paragraph mention of `@account` (Mastodon's `h-card` link, or a
/// plain link), which begins every reply to the blog and says nothing in its own thread.
fn strip_leading_mention(html: &str, account: &str) -> String {
    let Some(rest) = html.trim_start().strip_prefix("<p>") else {
        return html.to_owned();
    };
    let rest = rest.trim_start();
    // ASCII lowercasing keeps byte offsets, so `lower`'s positions hold in `rest`.
    let lower = rest.to_ascii_lowercase();
    let close = if lower.starts_with("<span class=\"h-card\"") {
        "</a></span>"
    } else if lower.starts_with("<a ") {
        "</a>"
    } else {
        return html.to_owned();
    };
    let Some(end) = lower.find(close).map(|i| i + close.len()) else {
        return html.to_owned();
    };
    let markdown = crate::import::html::to_markdown(&rest[..end]);
    let text = markdown
        .trim()
        .strip_prefix('[')
        .and_then(|t| t.split(']').next())
        .unwrap_or(markdown.trim());
    let ours = format!("@{account}");
    if text.eq_ignore_ascii_case(&ours)
        || text.to_ascii_lowercase().starts_with(&format!("{ours}@"))
    {
        format!("<p>{}", rest[end..].trim_start())
    } else {
        html.to_owned()
    }
}

impl Federation {
    /// A comment's `Note` id.
    pub fn note_id(&self, site: &Site, comment: i64) -> Option<String> {
        Some(format!("{}/comments/{comment}", self.actor_id(site)?))
    }

    fn comment_of_note(&self, site: &Site, id: &str) -> Option<i64> {
        id.strip_prefix(&format!("{}/comments/", self.actor_id(site)?))?
            .parse()
            .ok()
    }

    /// The thread an id of ours names: an article, or a comment of ours.
    async fn ours(&self, id: &str) -> Result<Option<Place<'_>>, InboxError> {
        for site in self.settings.sites.iter().filter(|s| s.fediverse.is_some()) {
            if let Some(key) = self.thread_key_of_article(site, id) {
                return Ok(Some(Place {
                    site,
                    key,
                    parent: None,
                }));
            }
            if let Some(cid) = self.comment_of_note(site, id)
                && let Some(c) = self.store.comment(cid).await?
                && c.site == site.name
            {
                return Ok(Some(Place {
                    site,
                    key: c.thread_key,
                    parent: Some(c.id),
                }));
            }
        }
        if let Some(remote) = self.store.remote_comment_by_object(id).await?
            && let Some(c) = self.store.comment(remote.comment_id).await?
            && let Some(site) = self
                .settings
                .site(&c.site)
                .filter(|s| s.fediverse.is_some())
        {
            return Ok(Some(Place {
                site,
                key: c.thread_key,
                parent: Some(c.id),
            }));
        }
        Ok(None)
    }

    /// Follows `inReplyTo` up from `first` until one of our threads.
    async fn place_of(
        &self,
        first: Option<&str>,
        budget: &mut Budget,
    ) -> Result<Option<Place<'_>>, InboxError> {
        let mut next = first.map(str::to_owned);
        for _ in 0..MAX_HOPS {
            let Some(id) = next.take() else {
                return Ok(None);
            };
            if let Some(place) = self.ours(&id).await? {
                return Ok(Some(place));
            }
            // A remote note we never saw: its own parent may be ours.
            let Ok(doc) = self.fetch(&id, budget).await else {
                return Ok(None);
            };
            if doc
                .get("id")
                .and_then(Value::as_str)
                .is_none_or(|d| !same_origin(d, &id))
            {
                return Ok(None);
            }
            next = doc.get("inReplyTo").and_then(id_of).map(str::to_owned);
        }
        Ok(None)
    }

    /// The object of a Create/Update: embedded (then of the actor's origin) or fetched.
    async fn note_of(
        &self,
        activity: &Value,
        actor: &RemoteActor,
        budget: &mut Budget,
    ) -> Result<Value, InboxError> {
        let object = activity
            .get("object")
            .ok_or(InboxError::Invalid("no object"))?;
        let id = id_of(object).ok_or(InboxError::Invalid("the object has no id"))?;
        if !same_origin(id, &actor.id) {
            return Err(InboxError::Invalid("the object is of another origin"));
        }
        let note = match object {
            Value::Object(_) => object.clone(),
            _ => self.fetch(id, budget).await?,
        };
        if note.get("id").and_then(Value::as_str) != Some(id) {
            return Err(InboxError::Invalid("the object is not what it names"));
        }
        if note.get("attributedTo").and_then(id_of) != Some(actor.id.as_str()) {
            return Err(InboxError::Invalid("the object is not the actor's"));
        }
        Ok(note)
    }

    pub(super) async fn create_note(
        &self,
        activity: &Value,
        actor: &RemoteActor,
        budget: &mut Budget,
    ) -> Result<Outcome, InboxError> {
        let note = self.note_of(activity, actor, budget).await?;
        if note.get("type").and_then(Value::as_str) != Some("Note") {
            return Ok(Outcome::Ignored);
        }
        let object_id = note["id"].as_str().unwrap_or_default().to_owned();
        if self
            .store
            .remote_comment_by_object(&object_id)
            .await?
            .is_some()
        {
            return Ok(Outcome::Duplicate);
        }
        let Some(place) = self
            .place_of(note.get("inReplyTo").and_then(id_of), budget)
            .await?
        else {
            return Ok(Outcome::Ignored); // a conversation that is not about one of our pages
        };
        let thread = ThreadRef::new(
            place.site.name.clone(),
            ThreadKey::parse(&place.key).map_err(|_| InboxError::Invalid("thread key"))?,
        );
        let host = url::Url::parse(&actor.id)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_default();
        let handle = format!("@{}@{host}", actor.username.as_deref().unwrap_or("?"));
        let profile_url = actor
            .url
            .clone()
            .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
            .unwrap_or_else(|| actor.id.clone());
        let html = self.without_our_mention(
            place.site,
            note.get("content").and_then(Value::as_str).unwrap_or(""),
        );
        let published = timestamp(note.get("published")).unwrap_or_else(crate::clock::now);
        let reply = RemoteReply {
            thread,
            parent: place.parent,
            author: actor
                .name
                .clone()
                .filter(|n| !n.trim().is_empty())
                .unwrap_or_else(|| handle.clone()),
            profile_url: Some(profile_url.clone()),
            actor: actor.id.clone(),
            markdown: crate::import::html::to_markdown(&html),
            published,
            trusted: self.store.published_by_actor(&actor.id).await? > 0,
        };
        let stored = match crate::comments::from_fediverse(&self.services, reply).await {
            Ok(c) => c,
            Err(crate::error::Error::Store(e)) => return Err(e.into()),
            Err(crate::error::Error::Internal(e)) => return Err(InboxError::Internal(e)),
            Err(e) => {
                // Refused by the site's rules (a closed thread, a block, too many links): the
                // sender is told it was taken, as a reader's post would not be either.
                tracing::info!(reason = %e, "fediverse: a reply was not taken in");
                return Ok(Outcome::Ignored);
            }
        };
        self.store
            .link_remote_comment(&RemoteComment {
                comment_id: stored.id,
                object_id,
                actor: actor.id.clone(),
                handle,
                profile_url: Some(profile_url),
                updated: timestamp(note.get("updated")).unwrap_or(published),
            })
            .await?;
        tracing::info!(site = %place.site.name, comment = stored.id, status = stored.status.as_str(), "fediverse: a reply became a comment");
        Ok(Outcome::Accepted)
    }

    /// Mastodon begins a reply with a link to whom it answers: ours is noise in our thread.
    fn without_our_mention(&self, site: &Site, html: &str) -> String {
        let account = site.fediverse.as_ref().map_or("", |f| f.account.as_str());
        strip_leading_mention(html, account)
    }

    pub(super) async fn update_note(
        &self,
        activity: &Value,
        actor: &RemoteActor,
        budget: &mut Budget,
    ) -> Result<Outcome, InboxError> {
        let note = self.note_of(activity, actor, budget).await?;
        let object_id = note["id"].as_str().unwrap_or_default();
        let Some(link) = self.store.remote_comment_by_object(object_id).await? else {
            return Ok(Outcome::Ignored);
        };
        if link.actor != actor.id {
            return Err(InboxError::Invalid("another actor's object"));
        }
        let Some(updated) = timestamp(note.get("updated")) else {
            return Ok(Outcome::Ignored);
        };
        if updated <= link.updated {
            return Ok(Outcome::Duplicate); // an older or the same version
        }
        let Some(site) = self
            .store
            .comment(link.comment_id)
            .await?
            .and_then(|c| self.settings.site(&c.site).cloned())
        else {
            return Ok(Outcome::Ignored);
        };
        let html = self.without_our_mention(
            &site,
            note.get("content").and_then(Value::as_str).unwrap_or(""),
        );
        let markdown = crate::import::html::to_markdown(&html);
        let Ok(body) = palabre_api::CommentBody::parse(
            markdown.trim(),
            self.settings.max_body_length as usize,
        ) else {
            return Ok(Outcome::Ignored);
        };
        let rendered = crate::render::render(&body);
        self.store
            .update_comment_body(link.comment_id, body.as_str(), &rendered, updated)
            .await?;
        self.store
            .set_remote_comment_updated(link.comment_id, updated)
            .await?;
        Ok(Outcome::Accepted)
    }

    pub(super) async fn delete_note(
        &self,
        activity: &Value,
        actor: &RemoteActor,
    ) -> Result<Outcome, InboxError> {
        let Some(id) = activity.get("object").and_then(id_of) else {
            return Err(InboxError::Invalid("no object"));
        };
        let Some(link) = self.store.remote_comment_by_object(id).await? else {
            return Ok(Outcome::Ignored);
        };
        if link.actor != actor.id {
            return Err(InboxError::Invalid("another actor's object"));
        }
        self.store.delete_comment(link.comment_id).await?;
        tracing::info!(
            comment = link.comment_id,
            "fediverse: a reply was deleted by its writer"
        );
        Ok(Outcome::Accepted)
    }

    /// A comment as a `Note` of the site's account, or `None` when it is not (or no longer)
    /// published: a `Tombstone` then.
    pub async fn note_document(
        &self,
        site: &Site,
        c: &CommentRecord,
    ) -> anyhow::Result<Option<Value>> {
        if c.status != CommentStatus::Published || c.site != site.name {
            return Ok(None);
        }
        let thread = ThreadRef::new(site.name.clone(), ThreadKey::parse(&c.thread_key)?);
        if self.store.thread(&thread).await?.is_some_and(|t| t.hidden) {
            return Ok(None);
        }
        let actor = self
            .actor_id(site)
            .expect("a site with an account has an actor");
        let in_reply_to = match c.parent_id {
            Some(p) => match self.store.remote_comments(&[p]).await?.pop() {
                Some(remote) => remote.object_id,
                None => self.note_id(site, p).unwrap_or_default(),
            },
            None => self.article_id(site, &c.thread_key).unwrap_or_default(),
        };
        let name = c.author.clone().unwrap_or_else(|| "A reader".to_owned());
        let content = format!(
            "{}{}",
            maud::html! { p { strong { (name) } ":" } }.into_string(),
            c.html
        );
        let (_, page) = self.page_of_thread(site, &c.thread_key).await?;
        Ok(Some(json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": self.note_id(site, c.id),
            "type": "Note",
            "attributedTo": actor,
            "inReplyTo": in_reply_to,
            "content": content,
            "url": page,
            "published": super::articles::rfc3339(c.created),
            "to": [PUBLIC],
            "cc": [format!("{actor}/followers")],
        })))
    }

    /// A thread's published comments, as the ids of their notes.
    pub async fn replies_document(&self, site: &Site, key: &str) -> anyhow::Result<Value> {
        let id = format!("{}/replies", self.article_id(site, key).unwrap_or_default());
        let thread = ThreadRef::new(site.name.clone(), ThreadKey::parse(key)?);
        let hidden = self.store.thread(&thread).await?.is_some_and(|t| t.hidden);
        let comments: Vec<CommentRecord> = if hidden {
            Vec::new()
        } else {
            self.store
                .export_comments(&thread)
                .await?
                .into_iter()
                .filter(|c| c.status == CommentStatus::Published)
                .collect()
        };
        let ids: Vec<i64> = comments.iter().map(|c| c.id).collect();
        let remote = self.store.remote_comments(&ids).await?;
        let items: Vec<String> = comments
            .iter()
            .map(|c| match remote.iter().find(|r| r.comment_id == c.id) {
                Some(r) => r.object_id.clone(),
                None => self.note_id(site, c.id).unwrap_or_default(),
            })
            .collect();
        Ok(json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": id,
            "type": "OrderedCollection",
            "totalItems": items.len(),
            "orderedItems": items,
        }))
    }

    /// The comment a `/comments/{id}` URL of this site names, and whether it came from the
    /// fediverse (its own server then holds the note).
    pub async fn comment_of_site(
        &self,
        site: &Site,
        id: i64,
    ) -> anyhow::Result<Option<(CommentRecord, bool)>> {
        let Some(c) = self
            .store
            .comment(id)
            .await?
            .filter(|c| c.site == site.name)
        else {
            return Ok(None);
        };
        let remote = !self.store.remote_comments(&[id]).await?.is_empty();
        Ok(Some((c, remote)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_our_own_leading_mention_goes() {
        let mastodon = r#"<p><span class="h-card" translate="no"><a href="https://c.example/ap/blog" class="u-url mention">@<span>blog</span></a></span> Nice post!</p>"#;
        assert_eq!(strip_leading_mention(mastodon, "blog"), "<p>Nice post!</p>");
        let full = r#"<p><a href="https://c.example/ap/blog">@blog@c.example</a> Hi</p>"#;
        assert_eq!(strip_leading_mention(full, "blog"), "<p>Hi</p>");
        // Someone else's name, even one that begins like ours, stays; so does a later one.
        let other = r#"<p><span class="h-card"><a href="https://m.example/@blogger" class="u-url mention">@<span>blogger</span></a></span> Hi</p>"#;
        assert_eq!(strip_leading_mention(other, "blog"), other);
        let later = "<p>Hi <a href=\"x\">@blog</a></p>";
        assert_eq!(strip_leading_mention(later, "blog"), later);
        assert_eq!(strip_leading_mention("plain text", "blog"), "plain text");
    }
}

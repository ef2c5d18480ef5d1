//! Activities coming in. Every POST is verified before anything is stored: its signature
//! (draft-cavage or RFC 9421, fresh, its digest matching), by a key whose owner is the
//! activity's actor, with ids of the actor's origin; a redelivered activity changes nothing.
//! Then: `Follow` gets an `Accept`, `Undo{Follow}` removes the follower.

use super::Federation;
use super::fetch::{self, FetchError, Signer};
use super::keys::PublicKey;
use super::signatures::{self, Incoming};
use crate::config::Site;
use crate::store::federation::{Follower, RemoteActor};
use serde_json::{Value, json};
use std::sync::atomic::Ordering;

/// Fetches one incoming activity may cause at most (keys, actors, the objects it names).
pub const MAX_FETCHES: u32 = 20;

/// Why an activity is refused; each maps to one status at the HTTP edge.
#[derive(Debug, thiserror::Error)]
pub enum InboxError {
    /// No valid signature, or a key that is not the actor's: 401.
    #[error("signature refused: {0}")]
    Signature(String),
    /// Not an activity we can read, or ids of another origin: 400.
    #[error("activity refused: {0}")]
    Invalid(&'static str),
    /// A blocked instance or actor: 403.
    #[error("blocked")]
    Blocked,
    /// Its instance sent more than its share: 429.
    #[error("too many activities from one instance")]
    RateLimited,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<crate::store::StoreError> for InboxError {
    fn from(e: crate::store::StoreError) -> Self {
        Self::Internal(e.into())
    }
}

/// What became of an activity that was not refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Accepted,
    /// Taken in before (a redelivery).
    Duplicate,
    /// Valid, but nothing we act on.
    Ignored,
}

/// Counts the fetches one activity causes.
pub struct Budget(u32);

impl Budget {
    fn spend(&mut self) -> Result<(), InboxError> {
        if self.0 == 0 {
            return Err(InboxError::Invalid("too many fetches"));
        }
        self.0 -= 1;
        Ok(())
    }
}

/// An object's id: the string, or an embedded object's `id`.
pub fn id_of(v: &Value) -> Option<&str> {
    match v {
        Value::String(s) => Some(s),
        Value::Object(o) => o.get("id").and_then(Value::as_str),
        _ => None,
    }
}

/// Whether two URLs share scheme, host and port.
pub fn same_origin(a: &str, b: &str) -> bool {
    match (url::Url::parse(a), url::Url::parse(b)) {
        (Ok(a), Ok(b)) => {
            a.scheme() == b.scheme()
                && a.host_str() == b.host_str()
                && a.port_or_known_default() == b.port_or_known_default()
        }
        _ => false,
    }
}

/// A remote actor document, read: an id of the origin it was fetched from, an inbox, a key.
fn parse_actor(doc: &Value, fetched_from: &str) -> Option<RemoteActor> {
    let id = doc.get("id")?.as_str()?;
    if !same_origin(id, fetched_from) {
        return None;
    }
    let inbox = doc.get("inbox")?.as_str()?;
    let keys: Vec<&Value> = match doc.get("publicKey")? {
        Value::Array(list) => list.iter().collect(),
        one => vec![one],
    };
    let key = keys.into_iter().find(|k| {
        k.get("publicKeyPem").and_then(Value::as_str).is_some()
            && k.get("owner")
                .and_then(Value::as_str)
                .is_none_or(|o| o == id)
    })?;
    let text = |k: &str| doc.get(k).and_then(Value::as_str).map(str::to_owned);
    let url = match doc.get("url") {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Object(o)) => o.get("href").and_then(Value::as_str).map(str::to_owned),
        Some(Value::Array(list)) => list.iter().find_map(|l| match l {
            Value::String(s) => Some(s.clone()),
            Value::Object(o) => o.get("href").and_then(Value::as_str).map(str::to_owned),
            _ => None,
        }),
        _ => None,
    };
    Some(RemoteActor {
        id: id.to_owned(),
        inbox: inbox.to_owned(),
        shared_inbox: doc
            .get("endpoints")
            .and_then(|e| e.get("sharedInbox"))
            .and_then(Value::as_str)
            .map(str::to_owned),
        key_id: key.get("id")?.as_str()?.to_owned(),
        public_key_pem: key.get("publicKeyPem")?.as_str()?.to_owned(),
        username: text("preferredUsername"),
        name: text("name"),
        url,
        fetched: crate::clock::now(),
    })
}

impl Federation {
    /// A GET for the inbox, signed by the first site's account (any of ours will do).
    pub(super) async fn fetch(&self, url: &str, budget: &mut Budget) -> Result<Value, InboxError> {
        budget.spend()?;
        let site = self
            .settings
            .sites
            .iter()
            .find(|s| s.fediverse.is_some())
            .expect("federation runs only with an account");
        let key = self.key(&site.name).await?;
        let key_id = format!("{}#main-key", self.actor_id(site).unwrap_or_default());
        self.fetcher
            .get_json(
                url,
                Signer {
                    key: &key,
                    key_id: &key_id,
                },
            )
            .await
            .map_err(|e| match e {
                FetchError::Refused(why) => {
                    InboxError::Signature(format!("key URL refused: {why}"))
                }
                other => InboxError::Signature(format!("fetching the key: {other}")),
            })
    }

    /// The actor owning `key_id`: from what we stored unless `refresh`, else fetched (the key
    /// document, and its owner when the key is a document of its own).
    async fn key_owner(
        &self,
        key_id: &str,
        refresh: bool,
        budget: &mut Budget,
    ) -> Result<(RemoteActor, bool), InboxError> {
        if !refresh && let Some(actor) = self.store.remote_actor_by_key(key_id).await? {
            return Ok((actor, true));
        }
        let doc_url = key_id.split('#').next().unwrap_or(key_id);
        let doc = self.fetch(doc_url, budget).await?;
        let actor = if doc.get("publicKey").is_some() {
            parse_actor(&doc, doc_url)
        } else {
            let owner = doc
                .get("owner")
                .and_then(Value::as_str)
                .filter(|o| same_origin(o, key_id))
                .ok_or_else(|| InboxError::Signature("the key names no owner".into()))?;
            let owner_doc = self.fetch(owner, budget).await?;
            parse_actor(&owner_doc, owner)
        }
        .ok_or_else(|| InboxError::Signature("the key's actor cannot be read".into()))?;
        if actor.key_id != key_id {
            return Err(InboxError::Signature("the key is not its actor's".into()));
        }
        self.store.put_remote_actor(&actor).await?;
        Ok((actor, false))
    }

    /// Verifies the request's signature; the actor whose key signed it.
    async fn signer(
        &self,
        req: &Incoming<'_>,
        budget: &mut Budget,
    ) -> Result<RemoteActor, InboxError> {
        let claim = signatures::claimed(req).map_err(|e| InboxError::Signature(e.to_string()))?;
        let (actor, cached) = self.key_owner(&claim.key_id, false, budget).await?;
        let verifies = |a: &RemoteActor| {
            PublicKey::from_pem(&a.public_key_pem).is_some_and(|k| claim.verify(&k))
        };
        if verifies(&actor) {
            return Ok(actor);
        }
        // Keys rotate: one fresh look before refusing.
        if cached {
            let (fresh, _) = self.key_owner(&claim.key_id, true, budget).await?;
            if verifies(&fresh) {
                return Ok(fresh);
            }
        }
        Err(InboxError::Signature(
            "the signature does not verify".into(),
        ))
    }

    /// Takes in one POSTed activity (`body` of a request verified by its signature).
    pub async fn receive(&self, req: &Incoming<'_>, body: &[u8]) -> Result<Outcome, InboxError> {
        let result = self.receive_inner(req, body).await;
        let counter = match &result {
            Ok(_) => &self.counters.received,
            Err(_) => &self.counters.refused,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        result
    }

    async fn receive_inner(&self, req: &Incoming<'_>, body: &[u8]) -> Result<Outcome, InboxError> {
        let activity: Value =
            serde_json::from_slice(body).map_err(|_| InboxError::Invalid("not JSON"))?;
        let kind = activity
            .get("type")
            .and_then(Value::as_str)
            .ok_or(InboxError::Invalid("no type"))?;
        let actor_id = activity
            .get("actor")
            .and_then(id_of)
            .ok_or(InboxError::Invalid("no actor"))?;
        let actor_url =
            url::Url::parse(actor_id).map_err(|_| InboxError::Invalid("the actor is not a URL"))?;
        // Before any fetch: an address we would never fetch from refuses the activity at once.
        fetch::check_url(&actor_url, self.fetcher.allow_private())
            .map_err(|_| InboxError::Invalid("the actor's address is refused"))?;
        // An account deleted elsewhere tells every server it ever knew; its key is gone with
        // it, so there is nothing to verify and nothing to do unless we knew it.
        if kind == "Delete"
            && activity.get("object").and_then(id_of) == Some(actor_id)
            && self.store.remote_actor(actor_id).await?.is_none()
        {
            return Ok(Outcome::Ignored);
        }
        let mut budget = Budget(MAX_FETCHES);
        let actor = self.signer(req, &mut budget).await?;
        if actor.id != actor_id {
            return Err(InboxError::Signature(
                "the key's owner is not the activity's actor".into(),
            ));
        }
        // Counted once the signature holds: activities forged in a server's name must not
        // use up its share.
        if self
            .instance_limiter
            .check(&fetch::instance_of(&actor_url))
            .is_err()
        {
            return Err(InboxError::RateLimited);
        }
        let id = activity
            .get("id")
            .and_then(Value::as_str)
            .ok_or(InboxError::Invalid("no id"))?;
        if !same_origin(id, actor_id) {
            return Err(InboxError::Invalid(
                "the activity's id is of another origin",
            ));
        }
        if !self.store.first_sight(id, crate::clock::now()).await? {
            return Ok(Outcome::Duplicate);
        }
        let outcome = match kind {
            "Follow" => self.follow(&activity, &actor).await,
            "Undo" => self.undo(&activity, &actor).await,
            "Create" => self.create_note(&activity, &actor, &mut budget).await,
            "Update" => self.update_note(&activity, &actor, &mut budget).await,
            "Delete" => self.delete_note(&activity, &actor).await,
            _ => Ok(Outcome::Ignored),
        };
        // Not taken in after all (the database went away): the sender's retry must not be
        // mistaken for a redelivery.
        if let Err(InboxError::Internal(_)) = &outcome
            && let Err(e) = self.store.forget_sight(id).await
        {
            tracing::warn!(error = %e, "fediverse: cannot forget a failed activity");
        }
        outcome
    }

    async fn follow(&self, activity: &Value, actor: &RemoteActor) -> Result<Outcome, InboxError> {
        let Some(site) = activity
            .get("object")
            .and_then(id_of)
            .and_then(|o| self.site_of_actor(o))
        else {
            return Ok(Outcome::Ignored);
        };
        let follow_id = id_of(&activity["id"]).unwrap_or_default().to_owned();
        let added = self
            .store
            .add_follower(
                &site.name,
                &Follower {
                    actor: actor.id.clone(),
                    inbox: actor.inbox.clone(),
                    shared_inbox: actor.shared_inbox.clone(),
                    follow_id: follow_id.clone(),
                    since: crate::clock::now(),
                },
            )
            .await?;
        tracing::info!(site = %site.name, new = added, "fediverse: a follower");
        self.accept(site, &follow_id, actor).await?;
        Ok(Outcome::Accepted)
    }

    /// Answers a `Follow` with an `Accept` naming it.
    async fn accept(
        &self,
        site: &Site,
        follow_id: &str,
        actor: &RemoteActor,
    ) -> Result<(), InboxError> {
        let ours = self
            .actor_id(site)
            .expect("a site with an account has an actor");
        let tag = crate::crypto::hex_encode(&<sha2::Sha256 as sha2::Digest>::digest(follow_id));
        let accept = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{ours}#accepts/{}", &tag[..32]),
            "type": "Accept",
            "actor": ours,
            "object": {"id": follow_id, "type": "Follow", "actor": actor.id, "object": ours},
        });
        self.deliver(&site.name, &accept, [actor.inbox.clone()])
            .await?;
        Ok(())
    }

    async fn undo(&self, activity: &Value, actor: &RemoteActor) -> Result<Outcome, InboxError> {
        let object = activity
            .get("object")
            .ok_or(InboxError::Invalid("no object"))?;
        let kind = object.get("type").and_then(Value::as_str);
        if kind.is_some_and(|k| k != "Follow") {
            return Ok(Outcome::Ignored);
        }
        let follow_id = id_of(object);
        let named = object
            .get("object")
            .and_then(id_of)
            .and_then(|o| self.site_of_actor(o));
        let mut removed = false;
        for site in self.settings.sites.iter().filter(|s| s.fediverse.is_some()) {
            if named.is_some_and(|n| n.name != site.name) {
                continue;
            }
            let follows = self.store.followers(&site.name).await?;
            let matches = follows.iter().any(|f| {
                f.actor == actor.id && (named.is_some() || Some(f.follow_id.as_str()) == follow_id)
            });
            if matches {
                removed |= self.store.remove_follower(&site.name, &actor.id).await?;
                tracing::info!(site = %site.name, "fediverse: a follower left");
            }
        }
        Ok(if removed {
            Outcome::Accepted
        } else {
            Outcome::Ignored
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actor_documents_are_read_only_from_their_own_origin() {
        let doc = json!({
            "id": "https://m.example/users/a",
            "type": "Person",
            "inbox": "https://m.example/users/a/inbox",
            "endpoints": {"sharedInbox": "https://m.example/inbox"},
            "preferredUsername": "a",
            "url": "https://m.example/@a",
            "publicKey": {"id": "https://m.example/users/a#main-key", "owner": "https://m.example/users/a", "publicKeyPem": "PEM"},
        });
        let a = parse_actor(&doc, "https://m.example/users/a").unwrap();
        assert_eq!(a.shared_inbox.as_deref(), Some("https://m.example/inbox"));
        assert_eq!(a.key_id, "https://m.example/users/a#main-key");
        assert_eq!(a.url.as_deref(), Some("https://m.example/@a"));
        assert!(parse_actor(&doc, "https://evil.example/users/a").is_none());
        assert!(parse_actor(&doc, "http://m.example/users/a").is_none());
        // A key owned by someone else is not this actor's.
        let mut other = doc.clone();
        other["publicKey"]["owner"] = json!("https://m.example/users/b");
        assert!(parse_actor(&other, "https://m.example/users/a").is_none());
    }
}

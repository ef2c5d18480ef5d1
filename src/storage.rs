//! What the widget keeps in the reader's browser: drafts (so nothing typed is lost), the
//! reader's name/email/website, and the edit tokens of their own comments. Keys are built by
//! plain functions (tested natively); values go to `localStorage` when the browser allows it,
//! else to memory, so a blocked storage degrades to "kept until reload" instead of failing.

use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

const PREFIX: &str = "palabre:v1";

/// Where the draft of a new top-level comment (`parent: None`) or a reply is kept.
pub fn draft_key(endpoint: &str, thread: &str, parent: Option<i64>) -> String {
    let target = parent.map_or_else(|| "top".to_owned(), |id| id.to_string());
    format!("{PREFIX}:draft:{endpoint}:{thread}:{target}")
}

pub fn identity_key(endpoint: &str) -> String {
    format!("{PREFIX}:identity:{endpoint}")
}

/// Where the reader's session with this comment server is kept (the blog origin's storage:
/// never a cookie, so third-party cookie blocking cannot end it).
pub fn session_key(endpoint: &str) -> String {
    format!("{PREFIX}:session:{endpoint}")
}

pub fn own_comments_key(endpoint: &str) -> String {
    format!("{PREFIX}:own:{endpoint}")
}

/// The reader's details, remembered between comments.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub author: String,
    pub email: String,
    pub website: String,
}

/// Who the reader proved to be, and the bearer token that says so (see `components::account`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signed {
    pub token: String,
    pub role: palabre_api::Role,
    pub name: Option<String>,
    pub email: Option<String>,
    /// Milliseconds since the epoch.
    pub expires_ms: i64,
}

/// Proof of authorship of one comment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnComment {
    pub token: String,
    pub created_ms: i64,
    /// The Markdown as posted: the server sends only HTML, and editing starts from the source.
    #[serde(default)]
    pub body: String,
    /// The thread key while the comment awaits moderation: after a reload the widget asks
    /// the server for it (by token) and shows it to its author only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_in: Option<String>,
}

/// Own comments as stored: a JSON object keyed by comment id. Its keys are strings, which the
/// browser's parser (`json.rs`) won't read as numbers: they are parsed here (a key that is
/// not a number, written by hand, is dropped). By hand rather than through a map of strings,
/// which cost 12 KB of wasm.
#[derive(Default)]
struct StoredOwn(BTreeMap<i64, OwnComment>);

struct StoredOwnRef<'a>(&'a BTreeMap<i64, OwnComment>);

impl Serialize for StoredOwnRef<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(id, own)| (id.to_string(), own)))
    }
}

impl<'de> Deserialize<'de> for StoredOwn {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ById;
        impl<'de> serde::de::Visitor<'de> for ById {
            type Value = StoredOwn;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("own comments by id")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<StoredOwn, A::Error> {
                let mut all = BTreeMap::new();
                while let Some((id, own)) = map.next_entry::<String, OwnComment>()? {
                    if let Ok(id) = id.parse() {
                        all.insert(id, own);
                    }
                }
                Ok(StoredOwn(all))
            }
        }
        d.deserialize_map(ById)
    }
}

/// A string store: `localStorage`, or memory where that is unavailable (and in native tests).
#[derive(Clone)]
pub struct Store {
    backend: Backend,
}

#[derive(Clone)]
enum Backend {
    Memory(Rc<RefCell<HashMap<String, String>>>),
    #[cfg(target_arch = "wasm32")]
    Local(web_sys::Storage),
}

impl Store {
    pub fn memory() -> Self {
        Self {
            backend: Backend::Memory(Rc::default()),
        }
    }

    /// `localStorage` if the browser lets us use it, else memory. Probed once per page.
    pub fn browser() -> Self {
        thread_local! {
            static BROWSER: Store = Store::probe_browser();
        }
        BROWSER.with(Store::clone)
    }

    fn probe_browser() -> Self {
        #[cfg(target_arch = "wasm32")]
        {
            let local = web_sys::window().and_then(|w| w.local_storage().ok().flatten());
            // Storage can exist and still throw on write (quota 0, privacy modes): probe it.
            if let Some(s) = local {
                let probe = format!("{PREFIX}:probe");
                if s.set_item(&probe, "1").is_ok() {
                    let _ = s.remove_item(&probe);
                    return Self {
                        backend: Backend::Local(s),
                    };
                }
            }
        }
        Self::memory()
    }

    pub fn get(&self, key: &str) -> Option<String> {
        match &self.backend {
            Backend::Memory(m) => m.borrow().get(key).cloned(),
            #[cfg(target_arch = "wasm32")]
            Backend::Local(s) => s.get_item(key).ok().flatten(),
        }
    }

    pub fn set(&self, key: &str, value: &str) {
        match &self.backend {
            Backend::Memory(m) => {
                m.borrow_mut().insert(key.to_owned(), value.to_owned());
            }
            #[cfg(target_arch = "wasm32")]
            Backend::Local(s) => {
                let _ = s.set_item(key, value);
            }
        }
    }

    pub fn remove(&self, key: &str) {
        match &self.backend {
            Backend::Memory(m) => {
                m.borrow_mut().remove(key);
            }
            #[cfg(target_arch = "wasm32")]
            Backend::Local(s) => {
                let _ = s.remove_item(key);
            }
        }
    }

    fn get_json<T: for<'de> Deserialize<'de>>(&self, key: &str) -> Option<T> {
        self.get(key).and_then(|v| crate::json::from_str(&v))
    }

    fn set_json<T: Serialize>(&self, key: &str, value: &T) {
        if let Some(v) = crate::json::to_string(value) {
            self.set(key, &v);
        }
    }

    pub fn draft(&self, key: &str) -> String {
        self.get(key).unwrap_or_default()
    }

    /// Saves the draft; an empty one is removed rather than kept as clutter.
    pub fn save_draft(&self, key: &str, body: &str) {
        if body.trim().is_empty() {
            self.remove(key);
        } else {
            self.set(key, body);
        }
    }

    pub fn identity(&self, endpoint: &str) -> Identity {
        self.get_json(&identity_key(endpoint)).unwrap_or_default()
    }

    pub fn save_identity(&self, endpoint: &str, identity: &Identity) {
        self.set_json(&identity_key(endpoint), identity);
    }

    /// The reader's own comments still inside the edit window; expired ones are forgotten.
    /// The session kept for this comment server, unless it has expired.
    pub fn session(&self, endpoint: &str, now_ms: i64) -> Option<Signed> {
        self.get_json::<Signed>(&session_key(endpoint))
            .filter(|s| s.expires_ms > now_ms)
    }

    pub fn save_session(&self, endpoint: &str, session: &Signed) {
        self.set_json(&session_key(endpoint), session);
    }

    pub fn drop_session(&self, endpoint: &str) {
        self.remove(&session_key(endpoint));
    }

    pub fn own_comments(
        &self,
        endpoint: &str,
        now_ms: i64,
        window_ms: i64,
    ) -> BTreeMap<i64, OwnComment> {
        let key = own_comments_key(endpoint);
        let mut all = self.own_map(&key);
        let before = all.len();
        all.retain(|_, c| now_ms < c.created_ms.saturating_add(window_ms));
        if all.len() != before {
            self.save_own_map(&key, &all);
        }
        all
    }

    pub fn remember_own(&self, endpoint: &str, id: i64, own: OwnComment) {
        let key = own_comments_key(endpoint);
        let mut all = self.own_map(&key);
        all.insert(id, own);
        self.save_own_map(&key, &all);
    }

    pub fn forget_own(&self, endpoint: &str, id: i64) {
        let key = own_comments_key(endpoint);
        let mut all = self.own_map(&key);
        if all.remove(&id).is_some() {
            self.save_own_map(&key, &all);
        }
    }

    /// Keeps (or replaces) one of the reader's own comments in `shown`, the widget's copy,
    /// and in the browser, together: the two never disagree.
    pub fn keep_own(
        &self,
        endpoint: &str,
        shown: &mut BTreeMap<i64, OwnComment>,
        id: i64,
        own: OwnComment,
    ) {
        self.remember_own(endpoint, id, own.clone());
        shown.insert(id, own);
    }

    /// Forgets one of the reader's own comments in `shown` and in the browser.
    pub fn drop_own(&self, endpoint: &str, shown: &mut BTreeMap<i64, OwnComment>, id: i64) {
        self.forget_own(endpoint, id);
        shown.remove(&id);
    }

    fn own_map(&self, key: &str) -> BTreeMap<i64, OwnComment> {
        self.get_json::<StoredOwn>(key).unwrap_or_default().0
    }

    fn save_own_map(&self, key: &str, all: &BTreeMap<i64, OwnComment>) {
        self.set_json(key, &StoredOwnRef(all));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draft_keys_separate_servers_threads_and_parents() {
        let a = draft_key("https://c.example", "/post", None);
        assert_eq!(a, "palabre:v1:draft:https://c.example:/post:top");
        let keys = [
            a,
            draft_key("https://c.example", "/post", Some(7)),
            draft_key("https://c.example", "/other", None),
            draft_key("https://d.example", "/post", None),
        ];
        let unique: std::collections::HashSet<_> = keys.iter().collect();
        assert_eq!(unique.len(), keys.len());
    }

    #[test]
    fn drafts_are_saved_restored_and_cleared() {
        let s = Store::memory();
        let k = draft_key("e", "/t", None);
        assert_eq!(s.draft(&k), "");
        s.save_draft(&k, "half a thought");
        assert_eq!(s.draft(&k), "half a thought");
        s.save_draft(&k, "  ");
        assert_eq!(s.get(&k), None);
    }

    #[test]
    fn identity_round_trips_and_survives_garbage() {
        let s = Store::memory();
        assert_eq!(s.identity("e"), Identity::default());
        let id = Identity {
            author: "Zoé".into(),
            email: "z@example.org".into(),
            website: String::new(),
        };
        s.save_identity("e", &id);
        assert_eq!(s.identity("e"), id);
        s.set(&identity_key("e"), "{not json");
        assert_eq!(s.identity("e"), Identity::default());
    }

    #[test]
    fn an_own_comment_is_kept_and_dropped_on_screen_and_in_the_browser_together() {
        let s = Store::memory();
        let mut shown = BTreeMap::new();
        let own = |body: &str| OwnComment {
            token: "t".into(),
            created_ms: 1,
            body: body.into(),
            pending_in: None,
        };
        s.keep_own("e", &mut shown, 7, own("first"));
        s.keep_own("e", &mut shown, 7, own("edited"));
        assert_eq!(shown.get(&7).map(|o| o.body.as_str()), Some("edited"));
        assert_eq!(s.own_comments("e", 0, i64::MAX), shown);
        s.drop_own("e", &mut shown, 7);
        assert!(shown.is_empty());
        assert!(s.own_comments("e", 0, i64::MAX).is_empty());
    }

    #[test]
    fn own_comments_expire_with_the_edit_window() {
        let s = Store::memory();
        s.remember_own(
            "e",
            1,
            OwnComment {
                token: "t1".into(),
                created_ms: 1_000,
                body: "a".into(),
                pending_in: None,
            },
        );
        s.remember_own(
            "e",
            2,
            OwnComment {
                token: "t2".into(),
                created_ms: 5_000,
                body: "b".into(),
                pending_in: None,
            },
        );
        let live = s.own_comments("e", 6_000, 2_000);
        assert_eq!(live.keys().copied().collect::<Vec<_>>(), vec![2]);
        // The expired one is gone from storage too.
        assert_eq!(s.own_comments("e", 0, i64::MAX).len(), 1);
        s.forget_own("e", 2);
        assert!(s.own_comments("e", 0, i64::MAX).is_empty());
    }
}

//! Serialized responses readers fetch most (thread pages, first paints, counts), kept until
//! their thread changes. Most visits only read, so a page is built once per change instead of
//! per reader.
//!
//! Invalidation follows the store's change sequence (migration 0005), not the write paths: a
//! sync asks which threads changed since the last one and drops them. This process syncs after
//! each of its own writes, before answering, so a reader sees their write on the next read.
//! For writes by other processes (another replica, `palabre import` beside the server), a
//! background task syncs as soon as the store signals a change (PostgreSQL's notifications:
//! milliseconds) and in any case every [`SYNC_INTERVAL`], should a signal be lost or the
//! backend have none (SQLite).

use crate::http::encoding::{Encoded, Upgrades};
use crate::store::{SiteName, Store, ThreadRef};
use axum::body::Bytes;
use palabre_api::{SortOrder, ThreadKey};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// How stale a cached response may get when another process changes its thread.
pub const SYNC_INTERVAL: Duration = Duration::from_secs(1);

/// Which page of a thread.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PageKey {
    pub sort: SortOrder,
    pub limit: u32,
    pub cursor: Option<String>,
}

/// Taken before reading the store; a response read under it is kept only if no sync dropped
/// anything since (the read might predate the change the sync saw).
#[derive(Debug, Clone, Copy)]
pub struct ReadTicket(u64);

pub struct ResponseCache {
    max_bytes: usize,
    entries: Mutex<Entries>,
    /// One sync at a time; a sync that starts after a write covers it.
    sync_lock: tokio::sync::Mutex<()>,
    /// Sync requests so far, and how many of them a finished sync covered.
    requested: AtomicU64,
    covered: AtomicU64,
    /// Lookups answered and not (the metrics).
    hits: AtomicU64,
    misses: AtomicU64,
    /// Better compression for what stays cached.
    upgrades: Upgrades,
}

#[derive(Default)]
struct Entries {
    threads: HashMap<ThreadRef, ThreadEntry>,
    /// Whole counts responses by site and request body: a blog's index page asks for the
    /// same threads for every visitor. Each is listed in the entries of its threads, which
    /// drop it.
    count_responses: HashMap<CountsRequest, Encoded>,
    bytes: usize,
    /// Bumped whenever a sync drops something.
    generation: u64,
    /// The change sequence applied so far; `None` before the first sync.
    seen: Option<i64>,
}

#[derive(Default)]
struct ThreadEntry {
    pages: HashMap<PageKey, Encoded>,
    /// First paints by page, then by `FirstPaint::signature`, with the minute they were drawn
    /// in (two levels, so a lookup borrows its keys).
    first_paints: HashMap<PageKey, HashMap<String, (i64, Encoded)>>,
    /// Keys of `count_responses` that include this thread.
    count_requests: Vec<CountsRequest>,
    bytes: usize,
}

/// A counts request: the site it came for, and its body.
type CountsRequest = (SiteName, Bytes);

/// A rough size of what an entry holds besides its bodies (keys, map slots).
const ENTRY_OVERHEAD: usize = 128;

impl ResponseCache {
    /// A cache of at most `max_bytes`; 0 keeps nothing.
    pub fn new(max_bytes: usize) -> Self {
        Self {
            max_bytes,
            entries: Mutex::default(),
            sync_lock: tokio::sync::Mutex::new(()),
            requested: AtomicU64::new(0),
            covered: AtomicU64::new(0),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            upgrades: Upgrades::default(),
        }
    }

    fn entries(&self) -> MutexGuard<'_, Entries> {
        // A panic while holding the lock leaves consistent maps (each change is one insert or
        // remove), so a poisoned lock is still usable.
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Take one before reading the store for a response to cache.
    pub async fn ticket(&self, store: &dyn Store) -> ReadTicket {
        if self.entries().seen.is_none() {
            self.sync(store).await;
        }
        ReadTicket(self.entries().generation)
    }

    /// The change sequence every cached response reflects (each includes all changes up to
    /// it); `None` before the first sync.
    pub fn seen(&self) -> Option<i64> {
        self.entries().seen
    }

    pub fn page(&self, thread: &ThreadRef, key: &PageKey) -> Option<Encoded> {
        let found = self
            .entries()
            .threads
            .get(thread)
            .and_then(|t| t.pages.get(key).cloned());
        self.count(found)
    }

    fn count<T>(&self, found: Option<T>) -> Option<T> {
        let counter = if found.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    /// Lookups answered from the cache and not, since start.
    pub fn hits_and_misses(&self) -> (u64, u64) {
        (
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
        )
    }

    pub fn put_page(&self, ticket: ReadTicket, thread: &ThreadRef, key: PageKey, body: Encoded) {
        let size = body.size() + ENTRY_OVERHEAD + key.cursor.as_ref().map_or(0, String::len);
        let Some(mut entries) = self.admit(ticket, size) else {
            return;
        };
        self.upgrades.schedule(&body);
        let entry = entries.thread_mut(thread);
        let key_bytes = thread.key.as_str().len() + thread.site.as_str().len();
        if entry.pages.insert(key, body).is_none() {
            entry.bytes += size + key_bytes;
            entries.bytes += size + key_bytes;
        }
    }

    /// A first paint of this page drawn for `signature` during `minute` (ms since the epoch /
    /// 60,000). One drawn in an earlier minute is not served: its relative times ("5 minutes
    /// ago") may have moved on. Within the minute they lag by less than a minute, which the
    /// widget corrects when it takes over.
    pub fn first_paint(
        &self,
        thread: &ThreadRef,
        key: &PageKey,
        signature: &str,
        minute: i64,
    ) -> Option<Encoded> {
        let found = {
            let entries = self.entries();
            entries
                .threads
                .get(thread)
                .and_then(|t| t.first_paints.get(key))
                .and_then(|paints| paints.get(signature))
                .filter(|(drawn, _)| *drawn == minute)
                .map(|(_, body)| body.clone())
        };
        self.count(found)
    }

    pub fn put_first_paint(
        &self,
        ticket: ReadTicket,
        thread: &ThreadRef,
        key: PageKey,
        signature: String,
        minute: i64,
        body: Encoded,
    ) {
        let size = |body: &Encoded, key: &PageKey, signature: &str| {
            body.size()
                + ENTRY_OVERHEAD
                + key.cursor.as_ref().map_or(0, String::len)
                + signature.len()
        };
        let added = size(&body, &key, &signature);
        let Some(mut entries) = self.admit(ticket, added) else {
            return;
        };
        self.upgrades.schedule(&body);
        let entry = entries.thread_mut(thread);
        let replaced = entry
            .first_paints
            .entry(key.clone())
            .or_default()
            .insert(signature.clone(), (minute, body))
            .map_or(0, |(_, old)| size(&old, &key, &signature));
        entry.bytes = entry.bytes + added - replaced;
        entries.bytes = entries.bytes + added - replaced;
    }

    /// A counts response cached for exactly this request body, on this site.
    pub fn counts_response(&self, site: &SiteName, request: &Bytes) -> Option<Encoded> {
        // The key's clone is two reference counts: nothing is copied.
        let key = (site.clone(), request.clone());
        let found = self.entries().count_responses.get(&key).cloned();
        self.count(found)
    }

    /// Keeps a counts response for its site and request body, until one of `threads` changes.
    pub fn put_counts_response(
        &self,
        ticket: ReadTicket,
        site: &SiteName,
        request: Bytes,
        threads: &[ThreadKey],
        response: Encoded,
    ) {
        let size = request.len() + response.size() + ENTRY_OVERHEAD * (1 + threads.len());
        let request = (site.clone(), request);
        let Some(mut entries) = self.admit(ticket, size) else {
            return;
        };
        if entries.count_responses.contains_key(&request) {
            return;
        }
        for key in threads {
            let entry = entries.thread_mut(&ThreadRef::new(site.clone(), key.clone()));
            entry.count_requests.push(request.clone());
            entry.bytes += ENTRY_OVERHEAD;
        }
        self.upgrades.schedule(&response);
        entries.count_responses.insert(request, response);
        entries.bytes += size;
    }

    /// The entries, ready to take `size` more bytes read under `ticket`; `None` if that read
    /// may be stale or is too big to keep.
    fn admit(&self, ticket: ReadTicket, size: usize) -> Option<MutexGuard<'_, Entries>> {
        if size > self.max_bytes / 4 {
            return None;
        }
        let mut entries = self.entries();
        if entries.generation != ticket.0 || entries.seen.is_none() {
            return None;
        }
        if entries.bytes + size > self.max_bytes {
            entries.shrink(self.max_bytes / 2);
        }
        Some(entries)
    }

    /// Drops what changed in the store since the last sync, whoever changed it. Returns once
    /// a sync that started after this call has finished.
    pub async fn sync(&self, store: &dyn Store) {
        let ticket = self.requested.fetch_add(1, Ordering::SeqCst) + 1;
        let _one_at_a_time = self.sync_lock.lock().await;
        if self.covered.load(Ordering::SeqCst) >= ticket {
            return;
        }
        // Every request made so far arrived before this sync's read, so it covers them all.
        let upto = self.requested.load(Ordering::SeqCst);
        let seen = self.entries().seen;
        match store.changes_since(seen.unwrap_or(i64::MAX)).await {
            Ok(changes) => {
                let mut entries = self.entries();
                if seen.is_none() {
                    // The first sync only learns where the sequence stands: nothing is cached.
                    entries.seen = Some(changes.seq);
                } else {
                    let mut dropped = false;
                    for key in &changes.threads {
                        dropped |= entries.drop_thread(key);
                    }
                    // A sequence that went backwards is another database (restored from a
                    // backup): trust nothing.
                    if changes.seq < entries.seen.unwrap_or(0) {
                        entries.clear();
                        dropped = true;
                    }
                    if dropped {
                        entries.generation += 1;
                    }
                    entries.seen = Some(changes.seq);
                }
            }
            Err(e) => {
                // Without knowing what changed, nothing cached can be trusted.
                tracing::warn!(error = %e, "response cache: cannot read changes; cache cleared");
                let mut entries = self.entries();
                entries.clear();
                entries.generation += 1;
                entries.seen = None;
            }
        }
        self.covered.store(upto, Ordering::SeqCst);
    }

    /// Syncs on each change signal of the store and every [`SYNC_INTERVAL`], for as long as
    /// the server runs; and starts the compression upgrades.
    pub fn spawn_sync(self: &Arc<Self>, store: Arc<dyn Store>) -> tokio::task::JoinHandle<()> {
        self.upgrades.spawn_worker();
        let cache = Arc::clone(self);
        tokio::spawn(async move {
            let mut every = tokio::time::interval(SYNC_INTERVAL);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut signal = store.change_signal();
            loop {
                tokio::select! {
                    _ = every.tick() => {}
                    _ = crate::store::next_change(&mut signal) => {}
                }
                cache.sync(store.as_ref()).await;
            }
        })
    }

    /// Bytes held, for tests and the benchmarks.
    pub fn bytes(&self) -> usize {
        self.entries().bytes
    }
}

impl Entries {
    /// The thread's entry, made if missing (the key is copied only then).
    fn thread_mut(&mut self, thread: &ThreadRef) -> &mut ThreadEntry {
        if !self.threads.contains_key(thread) {
            self.threads.insert(thread.clone(), ThreadEntry::default());
        }
        self.threads.get_mut(thread).expect("inserted above")
    }

    fn clear(&mut self) {
        self.threads.clear();
        self.count_responses.clear();
        self.bytes = 0;
    }

    /// Drops a thread's entry and the counts responses that include it.
    fn drop_thread(&mut self, key: &ThreadRef) -> bool {
        let Some(entry) = self.threads.remove(key) else {
            return false;
        };
        self.bytes -= entry.bytes;
        for request in &entry.count_requests {
            if let Some(response) = self.count_responses.remove(request) {
                // What put_counts_response added but the per-thread parts, which every
                // thread's entry holds and gives back when it goes.
                self.bytes -= request.1.len() + response.size() + ENTRY_OVERHEAD;
            }
        }
        true
    }

    /// Drops whole threads (in no particular order) until at most `target` bytes remain.
    fn shrink(&mut self, target: usize) {
        let keys: Vec<ThreadRef> = self.threads.keys().cloned().collect();
        for key in keys {
            if self.bytes <= target {
                break;
            }
            self.drop_thread(&key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use palabre_api::Timestamp;

    async fn store() -> Arc<dyn Store> {
        crate::store::connect("sqlite::memory:").await.unwrap()
    }

    /// A thread of the default site.
    fn t(key: &str) -> ThreadRef {
        on("default", key)
    }

    fn on(site: &str, key: &str) -> ThreadRef {
        ThreadRef::new(
            SiteName::parse(site).unwrap(),
            ThreadKey::parse(key).unwrap(),
        )
    }

    fn default_site() -> SiteName {
        SiteName::default_site()
    }

    async fn change(store: &dyn Store, thread: &str) {
        change_on(store, &t(thread)).await;
    }

    async fn change_on(store: &dyn Store, thread: &ThreadRef) {
        let mut tx = store.begin_import().await.unwrap();
        tx.thread(
            thread,
            Some("a title"),
            Timestamp::from_millis(1),
            false,
            false,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }

    fn first_page() -> PageKey {
        PageKey {
            sort: SortOrder::Oldest,
            limit: 50,
            cursor: None,
        }
    }

    fn body(text: &'static str) -> Encoded {
        Encoded::identity(request(text))
    }

    fn request(text: &'static str) -> Bytes {
        Bytes::from_static(text.as_bytes())
    }

    #[tokio::test]
    async fn a_change_drops_its_thread_only() {
        let store = store().await;
        let cache = ResponseCache::new(1 << 20);
        let ticket = cache.ticket(store.as_ref()).await;
        cache.put_page(ticket, &t("/a"), first_page(), body("a"));
        cache.put_page(ticket, &t("/b"), first_page(), body("b"));
        let a = [ThreadKey::parse("/a").unwrap()];
        let request = request(r#"{"threads":["/a"]}"#);
        cache.put_counts_response(ticket, &default_site(), request.clone(), &a, body("3"));
        assert_eq!(cache.page(&t("/a"), &first_page()), Some(body("a")));

        change(store.as_ref(), "/a").await;
        // Not seen until a sync asks the store.
        assert_eq!(cache.page(&t("/a"), &first_page()), Some(body("a")));
        cache.sync(store.as_ref()).await;
        assert_eq!(cache.page(&t("/a"), &first_page()), None);
        assert_eq!(cache.counts_response(&default_site(), &request), None);
        assert_eq!(cache.page(&t("/b"), &first_page()), Some(body("b")));
    }

    #[tokio::test]
    async fn one_key_on_two_sites_is_two_threads() {
        let store = store().await;
        let cache = ResponseCache::new(1 << 20);
        let ticket = cache.ticket(store.as_ref()).await;
        let (one, two) = (on("one", "/about"), on("two", "/about"));
        cache.put_page(ticket, &one, first_page(), body("one's"));
        cache.put_page(ticket, &two, first_page(), body("two's"));
        let request = request(r#"{"threads":["/about"]}"#);
        let about = [ThreadKey::parse("/about").unwrap()];
        let site = |s: &str| SiteName::parse(s).unwrap();
        cache.put_counts_response(ticket, &site("one"), request.clone(), &about, body("1"));
        cache.put_counts_response(ticket, &site("two"), request.clone(), &about, body("2"));
        assert_eq!(cache.page(&one, &first_page()), Some(body("one's")));
        assert_eq!(cache.page(&two, &first_page()), Some(body("two's")));
        assert_eq!(
            cache.counts_response(&site("two"), &request),
            Some(body("2"))
        );

        change_on(store.as_ref(), &one).await;
        cache.sync(store.as_ref()).await;
        assert_eq!(cache.page(&one, &first_page()), None);
        assert_eq!(cache.counts_response(&site("one"), &request), None);
        assert_eq!(cache.page(&two, &first_page()), Some(body("two's")));
        assert_eq!(
            cache.counts_response(&site("two"), &request),
            Some(body("2"))
        );
    }

    #[tokio::test]
    async fn a_first_paint_lasts_its_minute_and_goes_with_its_thread() {
        let store = store().await;
        let cache = ResponseCache::new(1 << 20);
        let ticket = cache.ticket(store.as_ref()).await;
        let put = |minute, text| {
            cache.put_first_paint(
                ticket,
                &t("/a"),
                first_page(),
                "en".into(),
                minute,
                body(text),
            )
        };
        put(7, "drawn in minute 7");
        assert_eq!(
            cache.first_paint(&t("/a"), &first_page(), "en", 7),
            Some(body("drawn in minute 7"))
        );
        assert_eq!(cache.first_paint(&t("/a"), &first_page(), "en", 8), None);
        assert_eq!(cache.first_paint(&t("/a"), &first_page(), "fr", 7), None);
        let before = cache.bytes();
        put(8, "drawn in minute 8");
        assert_eq!(cache.bytes(), before, "replaced, not added");
        assert_eq!(
            cache.first_paint(&t("/a"), &first_page(), "en", 8),
            Some(body("drawn in minute 8"))
        );

        change(store.as_ref(), "/a").await;
        cache.sync(store.as_ref()).await;
        assert_eq!(cache.first_paint(&t("/a"), &first_page(), "en", 8), None);
        assert_eq!(cache.bytes(), 0);
    }

    #[tokio::test]
    async fn a_counts_response_goes_when_any_of_its_threads_changes() {
        let store = store().await;
        let cache = ResponseCache::new(1 << 20);
        let ticket = cache.ticket(store.as_ref()).await;
        let threads = [
            ThreadKey::parse("/a").unwrap(),
            ThreadKey::parse("/b").unwrap(),
        ];
        let request = request(r#"{"threads":["/a","/b"]}"#);
        cache.put_counts_response(
            ticket,
            &default_site(),
            request.clone(),
            &threads,
            body("counts"),
        );
        assert_eq!(
            cache.counts_response(&default_site(), &request),
            Some(body("counts"))
        );

        change(store.as_ref(), "/b").await;
        cache.sync(store.as_ref()).await;
        assert_eq!(cache.counts_response(&default_site(), &request), None);
        // What is left is /a's (now empty) entry; dropping it gives everything back.
        change(store.as_ref(), "/a").await;
        cache.sync(store.as_ref()).await;
        assert_eq!(cache.bytes(), 0);
    }

    #[tokio::test]
    async fn a_read_that_may_predate_a_change_is_not_kept() {
        let store = store().await;
        let cache = ResponseCache::new(1 << 20);
        let before = cache.ticket(store.as_ref()).await;
        cache.put_page(before, &t("/a"), first_page(), body("old"));
        // A slow reader takes its ticket, reads the old thread, and is overtaken by a change
        // that the cache syncs before the reader stores what it read.
        let slow_reader = cache.ticket(store.as_ref()).await;
        change(store.as_ref(), "/a").await;
        cache.sync(store.as_ref()).await;
        cache.put_page(slow_reader, &t("/a"), first_page(), body("stale"));
        assert_eq!(cache.page(&t("/a"), &first_page()), None);

        let after = cache.ticket(store.as_ref()).await;
        cache.put_page(after, &t("/a"), first_page(), body("new"));
        assert_eq!(cache.page(&t("/a"), &first_page()), Some(body("new")));
    }

    #[tokio::test]
    async fn changes_made_before_the_first_sync_are_not_replayed() {
        let store = store().await;
        change(store.as_ref(), "/a").await;
        let cache = ResponseCache::new(1 << 20);
        let ticket = cache.ticket(store.as_ref()).await;
        cache.put_page(ticket, &t("/a"), first_page(), body("a"));
        cache.sync(store.as_ref()).await;
        assert_eq!(cache.page(&t("/a"), &first_page()), Some(body("a")));
    }

    #[tokio::test]
    async fn memory_stays_within_its_budget() {
        let store = store().await;
        let cache = ResponseCache::new(10_000);
        let ticket = cache.ticket(store.as_ref()).await;
        for i in 0..200 {
            cache.put_page(
                ticket,
                &t(&format!("/t{i}")),
                first_page(),
                body("0123456789"),
            );
        }
        assert!(cache.bytes() <= 10_000, "{} bytes", cache.bytes());
        assert!(cache.bytes() > 0);
        // Too big for the budget: not kept at all.
        cache.put_page(
            ticket,
            &t("/big"),
            first_page(),
            Encoded::identity(Bytes::from(vec![b'x'; 5_000])),
        );
        assert_eq!(cache.page(&t("/big"), &first_page()), None);
    }

    #[tokio::test]
    async fn a_zero_budget_keeps_nothing() {
        let store = store().await;
        let cache = ResponseCache::new(0);
        let ticket = cache.ticket(store.as_ref()).await;
        cache.put_page(ticket, &t("/a"), first_page(), body("a"));
        let a = [ThreadKey::parse("/a").unwrap()];
        cache.put_counts_response(ticket, &default_site(), request("{}"), &a, body("1"));
        assert_eq!(cache.page(&t("/a"), &first_page()), None);
        assert_eq!(cache.counts_response(&default_site(), &request("{}")), None);
        assert_eq!(cache.bytes(), 0);
    }
}

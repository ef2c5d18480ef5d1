//! Live updates: readers' streams of what changes in the threads they read.
//!
//! The database's `events` table is the one source (SQLite `0007_events`, PostgreSQL `0001`):
//! every change readers may see is a row numbered by the change sequence, whoever made it.
//! One hub per process reads the rows after the last it has seen, once for all its streams,
//! when something may have changed (this process wrote, the store signalled another replica's
//! write, or the poll ticked), and hands each stream the events of its threads. A reader who
//! reconnects with the last id it saw gets what it missed read from the same table, so it
//! misses nothing and gets nothing twice, whichever replica it lands on.
//!
//! A stream holds no database connection while idle: it waits on a channel. A stream whose
//! channel is full (a slow reader) is dropped, never waited for: its reader reconnects and
//! catches up from the table. The hub queries nothing while no stream is open.

use crate::config::LiveLimits;
use crate::store::{ChangeEvent, EventKind, SiteName, Store, StoreError, ThreadRef};
use palabre_api::{CommentStatus, LiveEvent, ThreadKey, Timestamp};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::{Notify, mpsc};

/// Events a stream may have waiting; a reader further behind is dropped (it catches up on
/// reconnecting).
const STREAM_BUFFER: usize = 256;
/// Events read from the database at a time.
const BATCH: u32 = 500;
/// How often the hub looks for changes when nothing told it to.
const POLL: Duration = Duration::from_secs(1);
/// Replayed messages at most: a reader further behind reloads instead.
const MAX_REPLAY: usize = 1000;
/// How often events older than the replay window are deleted.
const PRUNE_EVERY: Duration = Duration::from_secs(600);

/// One message for a stream: its change sequence number and what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The SSE `id`; `None` for [`LiveEvent::Reload`], which replaces no change.
    pub seq: Option<i64>,
    /// The thread it is about (which site's, too: the event names only the key).
    pub thread: Option<ThreadRef>,
    pub event: LiveEvent,
    /// `event` as JSON, written once for all the streams it goes to.
    pub json: String,
}

impl Message {
    pub fn new(seq: Option<i64>, event: LiveEvent) -> Self {
        // A derived Serialize of strings and numbers: it cannot fail.
        let json = serde_json::to_string(&event).unwrap_or_default();
        Self {
            seq,
            thread: None,
            event,
            json,
        }
    }

    fn of_thread(seq: i64, thread: ThreadRef, event: LiveEvent) -> Self {
        Self {
            thread: Some(thread),
            ..Self::new(Some(seq), event)
        }
    }
}

/// Why a stream is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The process has as many streams as it takes.
    Full,
    /// This client network has as many as it may.
    TooMany,
}

pub struct LiveHub {
    store: Arc<dyn Store>,
    limits: LiveLimits,
    inner: Mutex<Inner>,
    wake: Notify,
}

#[derive(Default)]
struct Inner {
    streams: HashMap<u64, Stream>,
    /// The streams of each thread: an event is handed to those only, not checked against
    /// every open stream (10,000 streams took 0.4 ms more CPU per post that way).
    by_thread: HashMap<ThreadRef, Vec<u64>>,
    per_client: HashMap<String, usize>,
    next_id: u64,
    /// The last event handed out; `None` while no stream is open (nothing is read then).
    seen: Option<i64>,
    closed: bool,
}

struct Stream {
    threads: HashSet<ThreadRef>,
    /// The last id the reader has: a replica behind the one it came from must not hand it
    /// those events again.
    after: i64,
    client: String,
    tx: mpsc::Sender<Arc<Message>>,
}

/// An open stream: live messages arrive on `rx`; dropping it closes the stream.
pub struct Subscription {
    hub: Arc<LiveHub>,
    id: u64,
    pub rx: mpsc::Receiver<Arc<Message>>,
    /// What the reader missed since the id it gave, read before any live message.
    pub replay: Vec<Message>,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.hub.remove(self.id);
    }
}

impl LiveHub {
    pub fn new(store: Arc<dyn Store>, limits: LiveLimits) -> Arc<Self> {
        Arc::new(Self {
            store,
            limits,
            inner: Mutex::default(),
            wake: Notify::new(),
        })
    }

    pub fn limits(&self) -> LiveLimits {
        self.limits
    }

    fn inner(&self) -> MutexGuard<'_, Inner> {
        // Each change under the lock is one insert or remove: a poisoned lock is consistent.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Open streams, for tests and the benchmarks.
    pub fn open_streams(&self) -> usize {
        self.inner().streams.len()
    }

    /// Something may have changed: look now rather than at the next poll.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Ends every stream (the server is stopping: streams would hold it open).
    pub fn close_all(&self) {
        let mut inner = self.inner();
        inner.closed = true;
        inner.streams.clear();
        inner.by_thread.clear();
        inner.per_client.clear();
        inner.seen = None;
    }

    /// Opens a stream of these threads for `client` (a network identity, kept in memory
    /// only). With `after`, the events since that id come first in `replay`, or a
    /// [`LiveEvent::Reload`] if they are no longer all kept.
    pub async fn subscribe(
        self: &Arc<Self>,
        threads: &[ThreadRef],
        client: String,
        after: Option<i64>,
    ) -> Result<Result<Subscription, Refusal>, StoreError> {
        let window = self.store.event_window().await?;
        let (tx, rx) = mpsc::channel(STREAM_BUFFER);
        let (id, from) = {
            let mut inner = self.inner();
            if inner.closed || inner.streams.len() >= self.limits.max_streams {
                return Ok(Err(Refusal::Full));
            }
            let n = inner.per_client.get(&client).copied().unwrap_or(0);
            if n >= self.limits.max_streams_per_client {
                return Ok(Err(Refusal::TooMany));
            }
            *inner.per_client.entry(client.clone()).or_default() += 1;
            let id = inner.next_id;
            inner.next_id += 1;
            let threads: HashSet<ThreadRef> = threads.iter().cloned().collect();
            for thread in &threads {
                inner.by_thread.entry(thread.clone()).or_default().push(id);
            }
            inner.streams.insert(
                id,
                Stream {
                    threads,
                    after: after.unwrap_or(i64::MIN),
                    client,
                    tx,
                },
            );
            // Live messages start after what the hub has handed out; the replay covers the rest.
            let from = *inner.seen.get_or_insert(window.now);
            (id, from)
        };
        let subscription = |replay| Subscription {
            hub: Arc::clone(self),
            id,
            rx,
            replay,
        };
        let Some(after) = after else {
            return Ok(Ok(subscription(Vec::new())));
        };
        let reload = || vec![Message::new(None, LiveEvent::Reload)];
        if after < window.pruned_through || after > window.now.max(from) {
            // Pruned since, or another database (restored from a backup): start afresh.
            return Ok(Ok(subscription(reload())));
        }
        let mut replay = Vec::new();
        let mut cursor = after;
        while cursor < from {
            let events = self.store.events_since(cursor, threads, BATCH).await?;
            let Some(last) = events.last().map(|e| e.seq) else {
                break;
            };
            let events: Vec<ChangeEvent> = events.into_iter().filter(|e| e.seq <= from).collect();
            replay.extend(messages(self.store.as_ref(), events).await?);
            if replay.len() > MAX_REPLAY {
                return Ok(Ok(subscription(reload())));
            }
            cursor = last;
        }
        Ok(Ok(subscription(replay)))
    }

    fn remove(&self, id: u64) {
        let mut inner = self.inner();
        let Some(stream) = inner.streams.remove(&id) else {
            return;
        };
        for thread in &stream.threads {
            if let Some(ids) = inner.by_thread.get_mut(thread) {
                ids.retain(|&other| other != id);
                if ids.is_empty() {
                    inner.by_thread.remove(thread);
                }
            }
        }
        if let Some(n) = inner.per_client.get_mut(&stream.client) {
            *n -= 1;
            if *n == 0 {
                inner.per_client.remove(&stream.client);
            }
        }
        if inner.streams.is_empty() {
            inner.seen = None;
        }
    }

    /// Reads and hands out new events, and prunes old ones, for as long as the server runs.
    pub fn spawn(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let hub = Arc::clone(self);
        tokio::spawn(async move {
            let mut poll = tokio::time::interval(POLL);
            poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut prune = tokio::time::interval(PRUNE_EVERY);
            prune.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut signal = hub.store.change_signal();
            loop {
                tokio::select! {
                    _ = poll.tick() => {}
                    _ = hub.wake.notified() => {}
                    _ = crate::store::next_change(&mut signal) => {}
                    _ = prune.tick() => hub.prune().await,
                }
                if let Err(e) = hub.hand_out().await {
                    tracing::warn!(error = %e, "live updates: cannot read new events");
                }
            }
        })
    }

    async fn prune(&self) {
        let window = self.limits.replay_window.as_millis() as i64;
        let before = Timestamp::from_millis(crate::clock::now().as_millis() - window);
        match self.store.prune_events(before).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(
                events = n,
                "live updates: pruned events past the replay window"
            ),
            Err(e) => tracing::warn!(error = %e, "live updates: pruning failed"),
        }
    }

    async fn hand_out(&self) -> Result<(), StoreError> {
        loop {
            let Some(seen) = self.inner().seen else {
                return Ok(());
            };
            let events = self.store.events_since(seen, &[], BATCH).await?;
            let Some(last) = events.last().map(|e| e.seq) else {
                return Ok(());
            };
            let full = events.len() as u32 == BATCH;
            let messages = messages(self.store.as_ref(), events).await?;
            let mut inner = self.inner();
            if inner.seen != Some(seen) {
                // Every stream closed meanwhile (and maybe a new one opened from a later
                // point): these are nobody's.
                continue;
            }
            let mut slow = Vec::new();
            for message in messages.into_iter().map(Arc::new) {
                let Some(ids) = message.thread.as_ref().and_then(|t| inner.by_thread.get(t)) else {
                    continue;
                };
                for id in ids {
                    let Some(stream) = inner.streams.get(id) else {
                        continue;
                    };
                    let for_it = message.seq.is_some_and(|seq| seq > stream.after);
                    if for_it && stream.tx.try_send(Arc::clone(&message)).is_err() {
                        slow.push(*id);
                    }
                }
            }
            inner.seen = Some(last);
            drop(inner);
            for id in slow {
                // Its reader reconnects with the last id it got and catches up.
                tracing::debug!("live updates: a slow stream was dropped");
                self.remove(id);
            }
            if !full {
                return Ok(());
            }
        }
    }
}

/// What readers are told of `events`: each comment and thread once, as it is now (its last
/// event's id), held comments left out, in the order of the changes.
pub async fn messages(
    store: &dyn Store,
    events: Vec<ChangeEvent>,
) -> Result<Vec<Message>, StoreError> {
    // The last event of each comment or thread stands for the earlier ones.
    let mut last: HashMap<(&ThreadRef, Option<i64>, bool), i64> = HashMap::new();
    for e in &events {
        let of_thread = e.kind == EventKind::Thread;
        last.insert((&e.thread, e.comment_id, of_thread), e.seq);
    }
    let keep: Vec<bool> = events
        .iter()
        .map(|e| last.get(&(&e.thread, e.comment_id, e.kind == EventKind::Thread)) == Some(&e.seq))
        .collect();
    let events: Vec<ChangeEvent> = events
        .into_iter()
        .zip(keep)
        .filter_map(|(e, keep)| keep.then_some(e))
        .collect();
    let ids: Vec<i64> = events
        .iter()
        .filter(|e| e.kind == EventKind::Comment)
        .filter_map(|e| e.comment_id)
        .collect();
    let comments: HashMap<i64, _> = store
        .comments_by_id(&ids)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    // One query per site for all the threads of the batch (nearly always one site).
    let mut by_site: HashMap<&SiteName, Vec<ThreadKey>> = HashMap::new();
    for e in &events {
        let keys = by_site.entry(&e.thread.site).or_default();
        if !keys.contains(&e.thread.key) {
            keys.push(e.thread.key.clone());
        }
    }
    let mut threads: HashMap<ThreadRef, _> = HashMap::new();
    for (site, keys) in by_site {
        let mut found = store.threads(site, &keys).await?;
        for key in keys {
            if let Some(record) = found.remove(key.as_str()) {
                threads.insert(ThreadRef::new(site.clone(), key), record);
            }
        }
    }
    let mut out = Vec::with_capacity(events.len());
    for e in events {
        let Some(thread) = threads.get(&e.thread) else {
            continue;
        };
        let thread_key = e.thread.key.as_str().to_owned();
        let event = match e.kind {
            EventKind::Thread => LiveEvent::Thread {
                thread: thread_key,
                locked: thread.locked,
                hidden: thread.hidden,
                count: thread.count,
            },
            // A hidden thread shows readers nothing.
            _ if thread.hidden => continue,
            EventKind::Removed => LiveEvent::Removed {
                thread: thread_key,
                id: e.comment_id.unwrap_or_default(),
            },
            EventKind::Comment => {
                // Gone since: its removal follows.
                let Some(c) = e.comment_id.and_then(|id| comments.get(&id)) else {
                    continue;
                };
                match (c.status, c.spam) {
                    (CommentStatus::Published | CommentStatus::Deleted, _) => LiveEvent::Comment {
                        thread: thread_key,
                        comment: palabre_api::Comment::from(c.clone()),
                    },
                    // Taken down by a moderator: readers who saw it drop it.
                    (CommentStatus::Pending, true) => LiveEvent::Removed {
                        thread: thread_key,
                        id: c.id,
                    },
                    // Held: never broadcast (its author sees it as before).
                    (CommentStatus::Pending, false) => continue,
                }
            }
        };
        out.push(Message::of_thread(e.seq, e.thread, event));
    }
    Ok(out)
}

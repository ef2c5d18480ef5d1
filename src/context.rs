//! State shared by every component of one widget, provided once by `App` as context.

use crate::client::ApiClient;
use crate::config::WidgetConfig;
use crate::storage::{OwnComment, Signed, Store};
use crate::thread_state::ThreadState;
use leptos::prelude::*;
use palabre_api::i18n::{Lang, Msg, Words};
use palabre_api::{CommentRules, ServerConfig};
use std::collections::{BTreeMap, HashMap};

/// Rules used until the server's arrive (the server's defaults).
/// Until the server's config arrives: its defaults.
pub const FALLBACK_RULES: CommentRules = CommentRules::DEFAULTS;

/// A view drawn by a chunk once it has come: the account panel, a comment's moderation tools.
pub type ChunkView<A> = Option<fn(Ctx, A) -> AnyView>;

#[derive(Clone, Copy)]
pub struct Ctx {
    pub config: StoredValue<WidgetConfig>,
    pub server: RwSignal<Option<ServerConfig>>,
    /// The thread. Whole-thread views (the list of top-level comments, the count) track it;
    /// a comment tracks only its own trigger in `comment_changed`, so that a new page, reply
    /// or vote redraws what it touched and not every comment shown. Read-only: its one
    /// writer is [`Ctx::update_thread`], so no change can skip telling the comments.
    pub thread: ReadSignal<ThreadState>,
    write_thread: WriteSignal<ThreadState>,
    pub comment_changed: StoredValue<HashMap<i64, ArcTrigger>>,
    pub locked: Memo<bool>,
    /// Edit tokens of the reader's own comments still inside the edit window: read from the
    /// browser by the `own` chunk, fetched only when there are some.
    pub own: RwSignal<BTreeMap<i64, OwnComment>>,
    /// This session's votes: comment id -> 1 / -1.
    pub my_votes: RwSignal<BTreeMap<i64, i64>>,
    /// The comment whose inline reply form is open.
    pub replying_to: RwSignal<Option<i64>>,
    /// `replying_to` per comment: opening a form notifies two comments, not all of them.
    pub replying: StoredValue<Selector<Option<i64>>>,
    /// Text read out by screen readers (an `aria-live` region).
    pub announcement: RwSignal<String>,
    /// Milliseconds since the epoch, refreshed every minute for relative times.
    pub now: RwSignal<i64>,
    /// The words of the widget's language (see `language`).
    pub words: Words,
    /// The widget's `<section>`, once drawn.
    pub section: NodeRef<leptos::html::Section>,
    /// The reader's session, once the `account` chunk has read or made one.
    pub session: StoredValue<Option<Signed>>,
    /// The session's role (`verified`, `member`, `author`) while there is one: what views
    /// track (the form leaves out what the identity gives).
    pub signed_as: RwSignal<Option<String>>,
    /// The sign-in panel: closed (`None`), open (`""`), or waiting for the code sent to
    /// this address.
    pub signing_in: RwSignal<Option<String>>,
    /// The account panel, drawn by the `account` chunk once it has come.
    pub account: RwSignal<ChunkView<i64>>,
    /// A comment's moderation tools, for the blog's author (the `moderate` chunk).
    pub moderate: RwSignal<ChunkView<i64>>,
}

impl Ctx {
    pub fn new(config: WidgetConfig, words: Words) -> Self {
        let (thread, write_thread) = signal(ThreadState::new(config.sort));
        let replying_to = RwSignal::new(None);
        Ctx {
            thread,
            write_thread,
            comment_changed: StoredValue::new(Default::default()),
            locked: Memo::new(move |_| thread.with(|t| t.locked)),
            config: StoredValue::new(config),
            server: RwSignal::new(None),
            own: RwSignal::new(BTreeMap::new()),
            my_votes: RwSignal::new(Default::default()),
            replying_to,
            replying: StoredValue::new(Selector::new(move || replying_to.get())),
            announcement: RwSignal::new(String::new()),
            now: RwSignal::new(now_ms()),
            words,
            section: NodeRef::new(),
            session: StoredValue::new(None),
            signed_as: RwSignal::new(None),
            signing_in: RwSignal::new(None),
            account: RwSignal::new(None),
            moderate: RwSignal::new(None),
        }
    }

    pub fn lang(&self) -> Lang {
        self.config.with_value(|c| c.lang)
    }

    pub fn words(&self) -> Words {
        self.words
    }

    pub fn t(&self, msg: Msg) -> &'static str {
        self.words().get(msg)
    }

    pub fn client(&self) -> ApiClient {
        self.config.with_value(|c| ApiClient::new(&c.endpoint))
    }

    pub fn endpoint(&self) -> String {
        self.config.with_value(|c| c.endpoint.clone())
    }

    pub fn rules(&self) -> CommentRules {
        self.server
            .with_untracked(|s| s.as_ref().map(CommentRules::from))
            .unwrap_or(FALLBACK_RULES)
    }

    pub fn edit_window_ms(&self) -> i64 {
        self.server
            .with(|s| s.as_ref().map(|c| c.edit_window_secs as i64 * 1000))
            .unwrap_or(palabre_api::DEFAULT_EDIT_WINDOW_SECS as i64 * 1000)
    }

    /// [`Ctx::owns`] for event handlers and one-off reads: tracks nothing.
    pub fn owns_untracked(&self, id: i64) -> Option<OwnComment> {
        untrack(|| self.owns(id))
    }

    /// Keeps one of the reader's own comments (posted, edited, approved), on screen and in
    /// the browser.
    pub fn remember_own(&self, id: i64, own: OwnComment) {
        let endpoint = self.endpoint();
        self.own
            .update(|shown| self.store().keep_own(&endpoint, shown, id, own));
    }

    /// Forgets one of the reader's own comments (deleted, or gone from the server).
    pub fn forget_own(&self, id: i64) {
        let endpoint = self.endpoint();
        self.own
            .update(|shown| self.store().drop_own(&endpoint, shown, id));
    }

    pub fn announce(&self, text: impl Into<String>) {
        self.announcement.set(text.into());
    }

    /// The reader may still edit or delete this comment.
    pub fn owns(&self, id: i64) -> Option<OwnComment> {
        let own = self.own.with(|own| own.get(&id).cloned())?;
        // Only the reader's own comments follow the clock (their edit window closes).
        let now = self.now.get();
        (now < own.created_ms.saturating_add(self.edit_window_ms())).then_some(own)
    }

    /// Whether the inline reply form is open under this comment.
    pub fn is_replying_to(&self, id: i64) -> bool {
        self.replying.with_value(|s| s.selected(&Some(id)))
    }

    pub fn store(&self) -> Store {
        Store::browser()
    }

    /// What a comment's views track: notified when that comment or its replies change.
    pub fn comment_trigger(&self, id: i64) -> ArcTrigger {
        self.comment_changed
            .try_update_value(|m| m.entry(id).or_default().clone())
            .unwrap_or_default()
    }

    /// Changes the thread, then tells the comments that the change touched.
    pub fn update_thread<R: Default>(&self, change: impl FnOnce(&mut ThreadState) -> R) -> R {
        let mut changed = Vec::new();
        let mut result = None;
        self.write_thread.update(|t| {
            result = Some(change(t));
            changed = t.take_changed();
        });
        self.comment_changed.with_value(|m| {
            for id in changed {
                if let Some(trigger) = m.get(&id) {
                    trigger.notify();
                }
            }
        });
        result.unwrap_or_default()
    }
}

/// The widget's context; panics with a clear message outside a widget.
pub fn use_ctx() -> Ctx {
    use_context::<Ctx>().expect("Palabre component used outside the widget's App")
}

pub fn now_ms() -> i64 {
    js_sys::Date::now() as i64
}

//! What a widget does with its thread's live changes (`crate::live` brings them): apply them
//! to the thread in place, keeping what the reader looks at where it is, and say once that
//! new comments are waiting. Most readers never see a change while they read: applying one
//! comes in the `live` chunk, fetched with the first change; changes that arrive meanwhile
//! wait in order.

use crate::anchor::Anchor;
use crate::chunk::{self, chunk};
use crate::client::ApiError;
use crate::context::Ctx;
use crate::live::{Following, Listener};
use leptos::prelude::*;
use palabre_api::i18n::Msg;
use palabre_api::{CommentStatus, LiveEvent, ThreadPage};
use std::cell::{Cell, RefCell};
use std::rc::Rc;

/// Where the widget keeps its [`Following`]: a page read later moves it on.
pub type Follow = StoredValue<Option<Following>, LocalStorage>;
/// How the widget reads its first page again and merges it into what is shown (the stream
/// could not say what was missed; the thread was shown again): the reader's place, later
/// pages and open forms stay.
pub type Refresh = StoredValue<Option<Rc<dyn Fn()>>, LocalStorage>;

/// Starts following the thread from the change `after` (its first page's), once the widget
/// is on screen.
pub fn follow(ctx: Ctx, after: i64, following: Follow, refresh: Refresh) {
    let Some(section) = ctx.section.get_untracked() else {
        return;
    };
    let (endpoint, thread) = ctx
        .config
        .with_value(|c| (c.endpoint.clone(), c.thread.as_str().to_owned()));
    let listener: Listener = Rc::new(move |event| arrived(ctx, refresh, event));
    following.set_value(Some(crate::live::follow(
        &endpoint, &thread, after, &section, listener,
    )));
}

/// The widget read a page reflecting every change up to `after`.
pub fn caught_up(following: Follow, after: i64) {
    following.with_value(|f| {
        if let Some(f) = f {
            f.caught_up(after);
        }
    });
}

/// Changes waiting for the `live` chunk, in the order they came, for every widget of the
/// page. Bounded: past [`MAX_WAITING`] (the chunk unreachable for long while the stream is
/// not), the rest is one "reload" that reads the thread again once it comes.
type Waiting = Vec<(Ctx, Refresh, LiveEvent)>;
const MAX_WAITING: usize = 500;

thread_local! {
    static WAITING: RefCell<Waiting> = const { RefCell::new(Vec::new()) };
    static FETCHING: Cell<bool> = const { Cell::new(false) };
}

fn arrived(ctx: Ctx, refresh: Refresh, event: LiveEvent) {
    WAITING.with_borrow_mut(|w| {
        if w.len() < MAX_WAITING {
            w.push((ctx, refresh, event));
        } else if !matches!(w.last(), Some((_, _, LiveEvent::Reload))) {
            w.push((ctx, refresh, LiveEvent::Reload));
        }
    });
    if FETCHING.replace(true) {
        return;
    }
    leptos::task::spawn_local(async {
        let chunk = load_live().await;
        FETCHING.set(false);
        // Not fetched: the changes wait for the next one, which tries again.
        if let Ok(chunk) = chunk {
            for (ctx, refresh, event) in WAITING.take() {
                (chunk.changed)(ctx, refresh, event);
            }
        }
    });
}

fn changed(ctx: Ctx, refresh: Refresh, event: LiveEvent) {
    let refresh = || {
        if let Some(f) = refresh.with_value(Clone::clone) {
            f();
        }
    };
    let anchor = ctx.section.get_untracked().and_then(|s| Anchor::find(&s));
    let waiting_before = ctx.thread.with_untracked(|t| t.waiting());
    match event {
        LiveEvent::Comment { comment, .. } => {
            ctx.update_thread(|t| t.live_comment(comment));
        }
        LiveEvent::Removed { id, .. } => {
            // The reader is answering it (or a reply under it): it stays as a placeholder, so
            // the open form and what is typed in it stay on screen.
            let answering = ctx
                .replying_to
                .get_untracked()
                .is_some_and(|r| ctx.thread.with_untracked(|t| t.is_within(r, id)));
            let placeholder = answering
                .then(|| ctx.thread.with_untracked(|t| t.get(id).cloned()))
                .flatten();
            match placeholder {
                Some(mut c) => {
                    c.status = CommentStatus::Deleted;
                    c.html.clear();
                    ctx.update_thread(|t| t.live_comment(c));
                }
                None => {
                    ctx.update_thread(|t| t.live_removed(id));
                }
            }
        }
        LiveEvent::Thread { locked, hidden, .. } => {
            let was_hidden = ctx.thread.with_untracked(|t| t.hidden);
            ctx.update_thread(|t| t.live_thread(locked, hidden));
            if was_hidden && !hidden {
                refresh();
            }
        }
        LiveEvent::Reload => refresh(),
    }
    if let Some(anchor) = anchor {
        anchor.keep();
    }
    let waiting = ctx.thread.with_untracked(|t| t.waiting());
    if waiting_before == 0 && waiting > 0 {
        ctx.announce(ctx.words().plural(Msg::NewComments, waiting as u64));
    }
}

/// Live updates but for listening: applying a change, showing the new comments a reader asks
/// for, merging the first page read again after a long absence.
#[derive(Clone, Copy)]
pub struct LiveChunk {
    changed: fn(Ctx, Refresh, LiveEvent),
    pub show_waiting: fn(Ctx),
    merge: fn(Ctx, ThreadPage),
}

thread_local! {
    static LIVE: Cell<Option<LiveChunk>> = const { Cell::new(None) };
}

chunk!(live, live_chunk -> LiveChunk = LiveChunk {
    changed,
    show_waiting,
    merge
});

pub async fn load_live() -> Result<LiveChunk, ApiError> {
    chunk::load(&LIVE, live_chunk).await
}

pub fn prefetch_live() {
    chunk::prefetch(&LIVE, live_chunk);
}

/// Shows the new comments waiting behind the button, and moves the focus to the first (the
/// button goes).
fn show_waiting(ctx: Ctx) {
    let roots = ctx.update_thread(|t| t.show_waiting());
    let Some(first) = roots.first().copied() else {
        return;
    };
    let section = ctx.section;
    request_animation_frame(move || {
        let found = section.get_untracked().and_then(|s| {
            s.query_selector(&format!("li[data-id=\"{first}\"]"))
                .ok()
                .flatten()
        });
        if let Some(li) =
            found.and_then(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(e).ok())
        {
            let _ = li.focus();
        }
    });
}

fn merge(ctx: Ctx, page: ThreadPage) {
    let anchor = ctx.section.get_untracked().and_then(|s| Anchor::find(&s));
    ctx.update_thread(|t| t.refresh(page));
    if let Some(anchor) = anchor {
        anchor.keep();
    }
}

/// Merges the first page, read again, into what is shown; whether it could.
pub async fn merge_first_page(ctx: Ctx, page: ThreadPage) -> bool {
    match load_live().await {
        Ok(chunk) => {
            (chunk.merge)(ctx, page);
            true
        }
        Err(_) => false,
    }
}

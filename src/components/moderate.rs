//! Moderation in place: the blog's author, signed in inside the widget, sees the thread's held
//! comments and acts on any comment (approve, reject, spam, delete, block) with the rules, log
//! entries and emails of `/admin`. The `moderate` chunk: only the author downloads it.

use crate::chunk::{self, chunk};
use crate::client::ApiError;
use crate::context::{Ctx, use_ctx};
use crate::session::{self, error_text};
use leptos::prelude::*;
use leptos::task::spawn_local;
use palabre_api::i18n::Msg;
use palabre_api::i18n::account::Account;
use palabre_api::{CommentModeration, CommentStatus, HeldComments, ModerateComment, Moderated};
use std::cell::Cell;

#[derive(Clone, Copy)]
pub struct ModerateChunk {
    /// Brings the thread's held comments in and draws the tools under every comment.
    pub start: fn(Ctx),
}

thread_local! {
    static MODERATE: Cell<Option<ModerateChunk>> = const { Cell::new(None) };
}

chunk!(moderate, moderate_chunk -> ModerateChunk = ModerateChunk { start });

pub async fn load_moderate() -> Result<ModerateChunk, ApiError> {
    chunk::load(&MODERATE, moderate_chunk).await
}

fn token(ctx: Ctx) -> Option<String> {
    ctx.session
        .with_value(|s| s.as_ref().map(|s| s.token.clone()))
}

fn start(ctx: Ctx) {
    ctx.moderate
        .set(Some(|_, id| view! { <ModerationTools id=id /> }.into_any()));
    let Some(token) = token(ctx) else {
        return;
    };
    let thread = ctx.config.with_value(|c| c.thread.as_str().to_owned());
    spawn_local(async move {
        let held = ctx
            .client()
            .get_signed::<HeldComments>("/api/v1/moderation", &[("thread", &thread)], &token)
            .await;
        match held {
            Ok(held) => ctx.update_thread(|t| {
                for c in held.comments {
                    t.add_new(c);
                }
            }),
            Err(e) => ctx.announce(e.words(ctx.words(), Msg::Unreachable)),
        }
    });
}

/// The author's buttons under one comment: a held one is approved or rejected; any one may be
/// marked as spam, deleted, or its writer blocked.
#[component]
fn ModerationTools(id: i64) -> impl IntoView {
    let ctx = use_ctx();
    let Some(w) = session::words() else {
        return ().into_any();
    };
    let busy = RwSignal::new(false);
    let status = move || ctx.thread.with(|t| t.get(id).map(|c| c.status));
    let act = move |actions: &'static [CommentModeration]| {
        let Some(token) = token(ctx) else {
            return;
        };
        busy.set(true);
        spawn_local(async move {
            let path = format!("/api/v1/comments/{id}/moderation");
            let mut last = None;
            for &action in actions {
                let done = ctx
                    .client()
                    .post_json::<_, Moderated>(&path, &ModerateComment { action }, Some(&token))
                    .await;
                match done {
                    Ok(done) => last = Some(done),
                    Err(e) => {
                        ctx.announce(error_text(&e, ctx.words(), w));
                        busy.set(false);
                        return;
                    }
                }
            }
            busy.set(false);
            let Some(done) = last else {
                return;
            };
            let notice = match actions[0] {
                CommentModeration::Approve => Account::Approved,
                CommentModeration::BlockReader | CommentModeration::BlockEmail => {
                    Account::BlockedNotice
                }
                _ => Account::Removed,
            };
            match done.comment {
                Some(c) if c.status == CommentStatus::Deleted => {
                    ctx.update_thread(|t| t.apply_delete(id, Some(c)))
                }
                Some(c) => ctx.update_thread(|t| t.approved(c)),
                // Blocking leaves the comment where it is.
                None if notice != Account::BlockedNotice => {
                    ctx.update_thread(|t| t.apply_delete(id, None))
                }
                None => {}
            }
            ctx.announce(w.get(notice));
        });
    };
    let button = move |label: Account,
                       class: &'static str,
                       actions: &'static [CommentModeration]| {
        view! {
            <button type="button" class=class disabled=move || busy.get() on:click=move |_| act(actions)>
                {w.get(label)}
            </button>
        }
    };
    view! {
        <span class="moderation" role="group" aria-label=ctx.t(Msg::AwaitingModeration)>
            {move || (status() == Some(CommentStatus::Pending)).then(|| view! {
                {button(Account::Approve, "approve", &[CommentModeration::Approve])}
                {button(Account::Reject, "reject", &[CommentModeration::Reject])}
            })}
            {move || (status() == Some(CommentStatus::Published)).then(|| view! {
                <button type="button" class="delete" disabled=move || busy.get()
                    on:click=move |_| act(&[CommentModeration::Delete])>
                    {ctx.t(Msg::Delete)}
                </button>
            })}
            {button(Account::Spam, "spam", &[CommentModeration::Spam])}
            {button(Account::Block, "block", &[CommentModeration::BlockReader, CommentModeration::BlockEmail])}
        </span>
    }
    .into_any()
}

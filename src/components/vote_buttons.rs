use crate::chunk::{self, chunk};
use crate::context::{Ctx, use_ctx};
use leptos::prelude::*;
use leptos::task::spawn_local;
use palabre_api::i18n::Msg;
use std::cell::Cell;

/// Like and dislike, with counts; pressing the current choice again withdraws it. Named
/// "Like 3": what a voice-control user sees ("3"; the arrow is the stylesheet's) is in the name,
/// and the count is announced.
#[component]
pub fn VoteButtons(id: i64) -> impl IntoView {
    let ctx = use_ctx();
    // Tracks this comment only (see `Ctx::thread`).
    let changed = ctx.comment_trigger(id);
    let counts = Memo::new(move |_| {
        changed.track();
        ctx.thread
            .with_untracked(|t| t.get(id).map(|c| (c.likes, c.dislikes)).unwrap_or_default())
    });
    let counts = move || counts.get();
    let mine = move || ctx.my_votes.with(|v| v.get(&id).copied().unwrap_or(0));
    // Voting comes in the `vote` chunk, fetched on intent.
    let vote = move |value: i64| {
        let value = if mine() == value { 0 } else { value };
        spawn_local(async move {
            match chunk::load(&VOTE, vote_chunk).await {
                Ok(cast) => cast(ctx, id, value),
                Err(e) => ctx.announce(e.words(ctx.words(), Msg::Unreachable)),
            }
        });
    };
    view! {
        <span
            class="votes"
            on:pointerenter=move |_| chunk::prefetch(&VOTE, vote_chunk)
            on:focusin=move |_| chunk::prefetch(&VOTE, vote_chunk)
        >
            <button
                type="button"
                class="vote like"
                aria-pressed=move || (mine() == 1).to_string()
                title=ctx.t(Msg::Like)
                on:click=move |_| vote(1)
            >
                <span class="sr-only">{ctx.t(Msg::Like)}" "</span>
                <span class="n">{move || counts().0}</span>
            </button>
            <button
                type="button"
                class="vote dislike"
                aria-pressed=move || (mine() == -1).to_string()
                title=ctx.t(Msg::Dislike)
                on:click=move |_| vote(-1)
            >
                <span class="sr-only">{ctx.t(Msg::Dislike)}" "</span>
                <span class="n">{move || counts().1}</span>
            </button>
        </span>
    }
}

type Cast = fn(Ctx, i64, i64);

thread_local! {
    static VOTE: Cell<Option<Cast>> = const { Cell::new(None) };
}

chunk!(vote, vote_chunk -> Cast = cast);

/// Casts (or withdraws, with 0) this reader's vote on comment `id`.
fn cast(ctx: Ctx, id: i64, value: i64) {
    spawn_local(async move {
        match ctx.client().vote(id, value).await {
            Ok(c) => {
                ctx.update_thread(|t| t.set_votes(id, c.likes, c.dislikes));
                ctx.my_votes.update(|v| {
                    v.insert(id, c.value);
                });
            }
            Err(e) => ctx.announce(e.words(ctx.words(), Msg::Unreachable)),
        }
    });
}

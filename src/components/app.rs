use super::account::{AccountSlot, load_account};
use super::comment::CommentView;
use super::edit_form::load_own;
use super::live_updates;
use super::new_comments::NewComments;
use super::reply_form::ReplyForm;
use super::thread_header::ThreadHeader;
use crate::client::ApiError;
use crate::config::WidgetConfig;
use crate::context::{Ctx, now_ms};
use crate::handoff::Handoff;
use crate::storage::own_comments_key;
use leptos::prelude::*;
use leptos::task::spawn_local;
use palabre_api::first_paint::offers_reply;
use palabre_api::i18n::{Msg, Words};
use std::rc::Rc;
use std::time::Duration;

/// Top-level comments (with their replies) the widget draws in its first frame: as many as the
/// server's first paint holds, which that frame replaces. Drawing a whole first page (56
/// comments) took about 110 ms, and 200 top-level comments 260 ms, in one task; a reader sees
/// only the first few at once.
pub const FIRST_DRAW_ROOTS: usize = palabre_api::first_paint::FIRST_PAINT_ROOTS;
/// Top-level comments drawn in each later frame, until the page is all there.
pub const DRAW_STEP_ROOTS: usize = 10;

/// Draws DRAW_STEP_ROOTS more top-level comments after each frame, until all are drawn.
fn draw_rest(ctx: Ctx, shown: RwSignal<usize>) {
    // A timeout queued from an animation frame runs once that frame is drawn.
    request_animation_frame(move || {
        set_timeout(
            move || {
                let total = ctx.thread.with_untracked(|t| t.roots().len());
                let next = shown.get_untracked().saturating_add(DRAW_STEP_ROOTS);
                if next >= total {
                    shown.set(usize::MAX);
                } else {
                    shown.set(next);
                    draw_rest(ctx, shown);
                }
            },
            Duration::ZERO,
        )
    });
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Load {
    Loading,
    /// Loading another page; what is shown stays.
    LoadingMore,
    Ready,
    Failed {
        unreachable: bool,
    },
}

/// One widget: the thread of `config.thread` and its forms, worded with `words`. `handoff`
/// takes the place of the server's first paint once the first page is drawn (see `mount`).
#[component]
pub fn App(config: WidgetConfig, words: Words, handoff: Option<Handoff>) -> impl IntoView {
    let handoff = StoredValue::new_local(handoff);
    let hand_over = move || {
        if let Some(h) = handoff.try_update_value(Option::take).flatten() {
            h.run();
        }
    };
    let ctx = Ctx::new(config, words);
    provide_context(ctx);
    let load = RwSignal::new(Load::Loading);
    let following: live_updates::Follow = StoredValue::new_local(None);
    // How many top-level comments the list draws (see FIRST_DRAW_ROOTS).
    let roots_shown = RwSignal::new(usize::MAX);

    // The reader's own comments, if they posted from this browser: the `own` chunk reads them
    // (their Edit and Delete buttons come with it).
    let endpoint = ctx.endpoint();
    let has_own = ctx.store().get(&own_comments_key(&endpoint)).is_some();
    if has_own {
        spawn_local(async move {
            if let Ok(own) = load_own().await {
                (own.restore)(ctx);
            }
        });
    }
    // A session kept from an earlier visit, or the site's word for its member: the account
    // chunk signs them in at once.
    if ctx.config.with_value(|c| c.sso_token.is_some())
        || ctx
            .store()
            .get(&crate::storage::session_key(&endpoint))
            .is_some()
    {
        spawn_local(async move {
            if let Ok(account) = load_account().await {
                (account.start)(ctx);
            }
        });
    }

    // The server's rules: until they come, the form validates with the defaults.
    spawn_local(async move {
        if let Ok(server) = ctx.client().config().await {
            ctx.server.set(Some(server));
        }
    });

    let refresh: live_updates::Refresh = StoredValue::new_local(None);
    // `more`: the next page; `refresh`: the first page again, merged into what is shown (the
    // live stream could not say what was missed).
    let fetch_page = move |more: bool, refresh_page: bool| {
        if !refresh_page {
            load.set(if more {
                Load::LoadingMore
            } else {
                Load::Loading
            });
        }
        let (key, page_size) = ctx
            .config
            .with_value(|c| (c.thread.as_str().to_owned(), c.page_size));
        let sort = ctx.thread.with_untracked(|t| t.sort);
        let cursor = if more {
            ctx.thread.with_untracked(|t| t.next_cursor.clone())
        } else {
            None
        };
        spawn_local(async move {
            match ctx
                .client()
                .thread(&key, sort, page_size, cursor.as_deref())
                .await
            {
                Ok((page, after)) if refresh_page => {
                    if live_updates::merge_first_page(ctx, page).await
                        && let Some(after) = after
                    {
                        live_updates::caught_up(following, after);
                    }
                }
                Ok((page, after)) => {
                    // A page is drawn a few top-level comments a frame, so that no frame waits
                    // for all of it: first as many as the server's first paint shows (which
                    // gives way in the frame that draws them), then DRAW_STEP_ROOTS at a time.
                    if more {
                        let shown = ctx.thread.with_untracked(|t| t.roots().len());
                        roots_shown.set(shown + DRAW_STEP_ROOTS);
                    } else {
                        roots_shown.set(FIRST_DRAW_ROOTS);
                        request_animation_frame(hand_over);
                    }
                    draw_rest(ctx, roots_shown);
                    ctx.update_thread(|t| {
                        if !more {
                            t.reset(sort);
                        }
                        t.append_page(page);
                    });
                    load.set(Load::Ready);
                    // Live from the change this page reflects; each page read moves it on.
                    match after {
                        Some(after) if following.with_value(Option::is_some) => {
                            live_updates::caught_up(following, after)
                        }
                        Some(after) if ctx.config.with_value(|c| c.live) => {
                            live_updates::follow(ctx, after, following, refresh)
                        }
                        _ => {}
                    }
                    // The reader's own comments awaiting moderation, if any: by the `own` chunk.
                    if !more
                        && has_own
                        && let Ok(own) = load_own().await
                    {
                        (own.restore)(ctx);
                        (own.show_pending)(ctx, key);
                    }
                }
                // The stream's next reconnection tries again.
                Err(_) if refresh_page => {}
                Err(e) => {
                    load.set(Load::Failed {
                        unreachable: matches!(e, ApiError::Unreachable),
                    });
                    request_animation_frame(hand_over);
                    ctx.announce(ctx.t(Msg::LoadFailed));
                }
            }
        });
    };
    fetch_page(false, false);
    refresh.set_value(Some(Rc::new(move || fetch_page(false, true))));

    // Relative times ("5 minutes ago") move on while the page stays open.
    let _ = set_interval_with_handle(move || ctx.now.set(now_ms()), Duration::from_secs(60));

    let on_sort = Callback::new(move |sort| {
        ctx.update_thread(|t| t.sort = sort);
        fetch_page(false, false);
    });

    let roots = move || {
        let shown = roots_shown.get();
        ctx.thread
            .with(|t| t.roots().iter().take(shown).copied().collect::<Vec<_>>())
    };
    // What the body shows, as a memo: loading another page (or a new comment) must not
    // rebuild the list, which would redraw every comment already shown.
    let phase = Memo::new(move |_| match load.get() {
        Load::Failed { unreachable } if ctx.thread.with(|t| t.is_empty()) => {
            Load::Failed { unreachable }
        }
        Load::Loading => Load::Loading,
        _ => Load::Ready,
    });
    let body = move || {
        match phase.get() {
        Load::Loading => view! {
            <div class="skeleton" aria-hidden="true">
                <div class="skeleton-line"></div>
                <div class="skeleton-line short"></div>
                <div class="skeleton-line"></div>
            </div>
            <p class="status">{ctx.t(Msg::Loading)}</p>
        }
        .into_any(),
        Load::Failed { unreachable } => view! {
            <div class="status error" role="alert">
                <p>{ctx.t(if unreachable { Msg::Unreachable } else { Msg::LoadFailed })}</p>
                <button type="button" class="retry" on:click=move |_| fetch_page(false, false)>
                    {ctx.t(Msg::Retry)}
                </button>
            </div>
        }
        .into_any(),
        _ => view! {
            <Show when=move || ctx.thread.with(|t| t.is_empty())>
                <p class="status empty">{ctx.t(Msg::EmptyThread)}</p>
            </Show>
            <NewComments at_top=true />
            <ol class="comments" role="list">
                <For each=roots key=|id| *id children=move |id| view! { <CommentView id=id depth=0 /> } />
            </ol>
            <NewComments at_top=false />
            <Show when=move || ctx.thread.with(|t| t.next_cursor.is_some())>
                <button
                    type="button"
                    class="load-more"
                    disabled=move || load.get() == Load::LoadingMore
                    on:click=move |_| fetch_page(true, false)
                >
                    {ctx.t(Msg::LoadMore)}
                </button>
            </Show>
            <Show when=move || matches!(load.get(), Load::Failed { .. })>
                <p class="status error" role="alert">
                    {ctx.t(Msg::LoadFailed)} " "
                    <button type="button" class="retry" on:click=move |_| fetch_page(true, false)>
                        {ctx.t(Msg::Retry)}
                    </button>
                </p>
            </Show>
        }
        .into_any(),
    }
    };

    view! {
        <section
            node_ref=ctx.section
            class="palabre"
            lang=words.lang().tag()
            dir=words.lang().dir()
            aria-label=ctx.t(Msg::Comments)
            on:mouseover=move |ev| crate::exact_time::fill_title(&ev, words.lang())
        >
            <ThreadHeader on_sort=on_sort />
            {body}
            <AccountSlot />
            <Show
                when=move || offers_reply(ctx.thread.with(|t| t.locked))
                fallback=move || view! { <p class="status locked">{ctx.t(Msg::ThreadLocked)}</p> }
            >
                <ReplyForm parent=None />
            </Show>
            <div class="sr-only" aria-live="polite" role="status">
                {move || ctx.announcement.get()}
            </div>
        </section>
    }
}

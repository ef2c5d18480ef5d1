use super::avatar::Avatar;
use super::edit_form::{OwnChunk, load_own, own_loaded, prefetch_own};
use super::reply_form::ReplyForm;
use super::vote_buttons::VoteButtons;
use crate::context::use_ctx;
use leptos::prelude::*;
use leptos::task::spawn_local;
use palabre_api::CommentStatus;
use palabre_api::first_paint::{
    collapsible, comment_class, has_actions, notes_pending, offers_reply, replies_flat,
};
use palabre_api::i18n::Msg;

/// One comment and, recursively, its replies.
#[component]
pub fn CommentView(id: i64, depth: usize) -> impl IntoView {
    let ctx = use_ctx();
    let Some(initial) = ctx.thread.with_untracked(|t| t.get(id).cloned()) else {
        return ().into_any();
    };
    // This comment's own trigger, not the whole thread (see `Ctx::thread`); the memos then
    // redraw only the parts that changed (the body on an edit, not on a vote).
    let changed = ctx.comment_trigger(id);
    let comment_memo = Memo::new({
        let changed = changed.clone();
        move |_| {
            changed.track();
            ctx.thread.with_untracked(|t| t.get(id).cloned())
        }
    });
    let comment = move || comment_memo.get();
    let html = Memo::new(move |_| comment_memo.with(|c| c.as_ref().map(|c| c.html.clone())));
    let children = Memo::new(move |_| {
        changed.track();
        ctx.thread.with_untracked(|t| t.children(id).to_vec())
    });
    let max_depth = ctx.config.with_value(|c| c.max_depth);
    let (show_avatars, show_votes) = ctx.config.with_value(|c| (c.avatars, c.votes));
    let collapsed = RwSignal::new(false);
    let editing = RwSignal::new(false);
    let confirming_delete = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let reply_count = move || children.with(Vec::len);
    let children = move || children.get();
    let status = Memo::new(move |_| {
        comment_memo.with(|c| c.as_ref().map_or(CommentStatus::Deleted, |c| c.status))
    });
    let status = move || status.get();
    let words = ctx.words();

    let author = move || {
        let c = comment()?;
        let name = c
            .author
            .clone()
            .unwrap_or_else(|| ctx.t(Msg::Anonymous).to_owned());
        Some(match c.website_link().map(str::to_owned) {
            Some(href) => view! {
                <a class="author" dir="auto" href=href rel="nofollow ugc noopener" target="_blank">{name}</a>
            }
            .into_any(),
            None => view! { <span class="author" dir="auto">{name}</span> }.into_any(),
        })
    };
    // Who the server says wrote it: fixed once posted.
    let role = initial.role;
    let role_mark = words
        .role_mark(role)
        .map(|mark| view! { <span class="role" data-role=role.as_str()>{mark}</span> });
    let created_ms = initial.created.as_millis();
    let time = move || words.relative_time(ctx.now.get(), created_ms);
    let edited = move || comment().and_then(|c| c.edited).is_some();

    // Editing and deleting come in the `own` chunk, fetched on intent; one that cannot be
    // fetched reads as the server out of reach.
    let with_own = move |then: Box<dyn FnOnce(OwnChunk)>| {
        spawn_local(async move {
            match load_own().await {
                Ok(own) => then(own),
                Err(e) => {
                    confirming_delete.set(false);
                    error.set(Some(e.words(words, Msg::Unreachable).to_owned()));
                }
            }
        })
    };
    let delete = move |_| {
        with_own(Box::new(move |own| {
            (own.delete)(ctx, id, confirming_delete, error)
        }))
    };
    let edit = move |_| {
        error.set(None);
        with_own(Box::new(move |_| editing.set(true)));
    };

    let body = move || match status() {
        s if !has_actions(s) => view! { <p class="deleted">{ctx.t(Msg::Deleted)}</p> }.into_any(),
        _ if editing.get() => match own_loaded() {
            Some(own) => (own.edit_form)(id, editing),
            None => ().into_any(),
        },
        _ => {
            let html = html.get().unwrap_or_default();
            // Sanitised by the server (ammonia allowlist): the only HTML the widget inserts.
            view! { <div class="body" dir="auto" inner_html=html></div> }.into_any()
        }
    };

    let actions = move || {
        if !has_actions(status()) {
            return None;
        }
        let own = ctx.owns(id).is_some();
        let locked = ctx.locked.get();
        Some(view! {
            <div class="actions">
                {show_votes.then(|| view! { <VoteButtons id=id /> })}
                {move || ctx.moderate.get().map(|tools| tools(ctx, id))}
                <Show when=move || offers_reply(locked)>
                    <button
                        type="button"
                        class="reply"
                        aria-expanded=move || ctx.is_replying_to(id).to_string()
                        on:click=move |_| {
                            let open = ctx.replying_to.get_untracked() == Some(id);
                            ctx.replying_to.set(if open { None } else { Some(id) });
                        }
                    >
                        {move || ctx.t(if ctx.is_replying_to(id) { Msg::CancelReply } else { Msg::Reply })}
                    </button>
                </Show>
                <Show when=move || own && !editing.get()>
                    <button type="button" class="edit" on:click=edit on:pointerenter=move |_| prefetch_own() on:focus=move |_| prefetch_own()>
                        {ctx.t(Msg::Edit)}
                    </button>
                    <Show
                        when=move || confirming_delete.get()
                        fallback=move || view! {
                            <button type="button" class="delete" on:click=move |_| confirming_delete.set(true) on:pointerenter=move |_| prefetch_own() on:focus=move |_| prefetch_own()>
                                {ctx.t(Msg::Delete)}
                            </button>
                        }
                    >
                        <span class="confirm" role="group">
                            <span>{ctx.t(Msg::ConfirmDelete)}</span>
                            <button type="button" class="delete confirm-yes" on:click=delete>
                                {ctx.t(Msg::Delete)}
                            </button>
                            <button type="button" class="confirm-no" on:click=move |_| confirming_delete.set(false)>
                                {ctx.t(Msg::Cancel)}
                            </button>
                        </span>
                    </Show>
                </Show>
            </div>
        })
    };

    view! {
        <li
            class=move || comment_class(status())
            data-id=id.to_string()
            tabindex="-1"
        >
            <article aria-label=move || comment().and_then(|c| c.author).unwrap_or_else(|| ctx.t(Msg::Anonymous).to_owned())>
                <header class="meta">
                    {show_avatars.then(|| view! { <Avatar seed=initial.avatar.clone() /> })}
                    {author}
                    {role_mark}
                    <time datetime=initial.created.to_rfc3339()>
                        {time}
                    </time>
                    <Show when=edited>
                        <span class="edited">" · " {ctx.t(Msg::EditedMark)}</span>
                    </Show>
                    <Show when=move || collapsible(reply_count())>
                        <button
                            type="button"
                            class="collapse"
                            aria-expanded=move || (!collapsed.get()).to_string()
                            on:click=move |_| collapsed.update(|c| *c = !*c)
                        >
                            {move || if collapsed.get() {
                                format!("{} ({})", ctx.t(Msg::Expand), reply_count())
                            } else {
                                ctx.t(Msg::Collapse).to_owned()
                            }}
                        </button>
                    </Show>
                </header>
                <Show when=move || notes_pending(status())>
                    <p class="pending-note">{ctx.t(Msg::AwaitingModeration)}</p>
                </Show>
                {body}
                {actions}
                {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            </article>
            <Show when=move || ctx.is_replying_to(id)>
                <ReplyForm parent=Some(id) />
            </Show>
            <Show when=move || { !collapsed.get() && collapsible(reply_count()) }>
                <ol class="replies" class:flat=move || replies_flat(depth, max_depth) role="list">
                    <For
                        each=children
                        key=|id| *id
                        children=move |child| view! { <CommentView id=child depth=depth + 1 /> }
                    />
                </ol>
            </Show>
        </li>
    }
    .into_any()
}

use crate::chunk::{self, chunk};
use crate::client::ApiError;
use crate::context::{Ctx, now_ms, use_ctx};
use leptos::prelude::*;
use leptos::task::spawn_local;
use palabre_api::i18n::Msg;
use palabre_api::{CommentBody, CommentStatus};
use std::cell::Cell;

/// What only a reader editing or deleting their own comment runs: the `own` chunk, fetched
/// on intent (a pointer over their Edit or Delete button, or the focus on one).
#[derive(Clone, Copy)]
pub struct OwnChunk {
    pub edit_form: fn(i64, RwSignal<bool>) -> AnyView,
    /// Deletes the comment; the confirmation closes and the error shows on failure.
    pub delete: fn(Ctx, i64, RwSignal<bool>, RwSignal<Option<String>>),
    /// Shows the reader's own comments awaiting moderation in the thread with this key.
    pub show_pending: fn(Ctx, String),
    /// Reads the reader's own comments kept in the browser, once.
    pub restore: fn(Ctx),
}

thread_local! {
    static OWN: Cell<Option<OwnChunk>> = const { Cell::new(None) };
}

chunk!(own, own_chunk -> OwnChunk = OwnChunk {
    edit_form: |id, editing| view! { <EditForm id=id editing=editing /> }.into_any(),
    delete: delete_own,
    show_pending,
    restore,
});

/// Merges what the browser keeps into what is shown (a sign-in may have added some already).
fn restore(ctx: Ctx) {
    let kept = ctx
        .store()
        .own_comments(&ctx.endpoint(), now_ms(), i64::MAX);
    let new = ctx
        .own
        .with_untracked(|own| kept.keys().any(|id| !own.contains_key(id)));
    if new {
        ctx.own.update(|own| {
            for (id, c) in kept {
                own.entry(id).or_insert(c);
            }
        });
    }
}

/// The chunk, if it has come.
pub fn own_loaded() -> Option<OwnChunk> {
    OWN.get()
}

pub async fn load_own() -> Result<OwnChunk, ApiError> {
    chunk::load(&OWN, own_chunk).await
}

pub fn prefetch_own() {
    chunk::prefetch(&OWN, own_chunk);
}

fn delete_own(ctx: Ctx, id: i64, confirming: RwSignal<bool>, error: RwSignal<Option<String>>) {
    let Some(own) = ctx.owns_untracked(id) else {
        return;
    };
    spawn_local(async move {
        match ctx.client().delete(id, &own.token).await {
            Ok(result) => {
                ctx.forget_own(id);
                ctx.update_thread(|t| t.apply_delete(id, result.placeholder));
                ctx.announce(ctx.t(Msg::DeletedNotice));
            }
            Err(e) => {
                confirming.set(false);
                let text = e.words(ctx.words(), Msg::Unreachable);
                error.set(Some(text.to_owned()));
            }
        }
    });
}

/// Edits one's own comment in place, starting from the Markdown kept when it was posted.
#[component]
pub fn EditForm(id: i64, editing: RwSignal<bool>) -> impl IntoView {
    let ctx = use_ctx();
    let words = ctx.words();
    let body = RwSignal::new(ctx.owns_untracked(id).map(|o| o.body).unwrap_or_default());
    let error = RwSignal::new(None::<String>);
    let saving = RwSignal::new(false);
    let textarea = NodeRef::<leptos::html::Textarea>::new();
    Effect::new(move |_| {
        if let Some(el) = textarea.get() {
            let _ = el.focus();
        }
    });

    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(own) = ctx.owns_untracked(id) else {
            editing.set(false);
            return;
        };
        let text = body.get_untracked();
        if let Err(e) = CommentBody::parse(&text, ctx.rules().max_body_length) {
            error.set(Some(words.error(e.code).to_owned()));
            return;
        }
        saving.set(true);
        spawn_local(async move {
            match ctx.client().edit(id, &own.token, &text).await {
                Ok(comment) => {
                    let mut own = own;
                    own.body = text;
                    ctx.remember_own(id, own);
                    ctx.update_thread(|t| t.replace(comment));
                    ctx.announce(ctx.t(Msg::Edited));
                    editing.set(false);
                }
                Err(e) => {
                    let text = e.words(words, Msg::PostFailedOffline);
                    error.set(Some(text.to_owned()));
                }
            }
            saving.set(false);
        });
    };

    view! {
        <form class="edit-form" on:submit=save>
            <label class="field">
                <span>{ctx.t(Msg::Body)}</span>
                <textarea
                    node_ref=textarea
                    name="body"
                    rows="4"
                    prop:value=move || body.get()
                    on:input=move |ev| body.set(event_target_value(&ev))
                ></textarea>
            </label>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <div class="buttons">
                <button type="submit" class="primary" disabled=move || saving.get()>{ctx.t(Msg::Save)}</button>
                <button type="button" on:click=move |_| editing.set(false)>{ctx.t(Msg::Cancel)}</button>
            </div>
        </form>
    }
}

/// The reader's own comments still awaiting moderation in this thread: the server returns
/// them to their author only (by edit token). Approved ones arrive with the thread; a
/// rejected one (gone) is forgotten.
fn show_pending(ctx: Ctx, thread_key: String) {
    let waiting: Vec<(i64, String)> = ctx.own.with_untracked(|own| {
        own.iter()
            .filter(|(_, c)| c.pending_in.as_deref() == Some(thread_key.as_str()))
            .map(|(id, c)| (*id, c.token.clone()))
            .collect()
    });
    spawn_local(async move {
        for (id, token) in waiting {
            if ctx.thread.with_untracked(|t| t.get(id).is_some()) {
                continue;
            }
            match ctx.client().comment(id, &token).await {
                Ok(c) if c.status == CommentStatus::Pending => ctx.update_thread(|t| t.add_new(c)),
                Ok(_) => {
                    if let Some(mut own) = ctx.own.with_untracked(|o| o.get(&id).cloned()) {
                        own.pending_in = None;
                        ctx.remember_own(id, own);
                    }
                }
                Err(ApiError::Refused { status: 404, .. }) => ctx.forget_own(id),
                Err(_) => {}
            }
        }
    });
}

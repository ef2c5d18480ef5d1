use crate::context::use_ctx;
use leptos::prelude::*;
use leptos::task::spawn_local;
use palabre_api::CommentBody;
use palabre_api::i18n::Msg;

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

use super::account::{load_account, open_sign_in};
use crate::chunk::{self, chunk};
use crate::client::ApiError;
use crate::context::{Ctx, now_ms, use_ctx};
use crate::proof_of_work::{self, HeldChallenge};
use crate::storage::{Identity, OwnComment, draft_key};
use leptos::prelude::*;
use leptos::task::spawn_local;
use palabre_api::i18n::Msg;
use palabre_api::{CommentStatus, ErrorCode, NewComment, Role};
use std::cell::Cell;

#[derive(Debug, Clone, PartialEq)]
enum Sending {
    Idle,
    Posting,
    /// The post failed in a way worth retrying; the text is kept.
    Failed(String),
}

/// The comment form: top level (`parent: None`) or inline under a comment. The draft is saved
/// at every keystroke and cleared only once the server has accepted the comment.
#[component]
pub fn ReplyForm(parent: Option<i64>) -> impl IntoView {
    let ctx = use_ctx();
    let words = ctx.words();
    let endpoint = ctx.endpoint();
    let (thread_key, title) = ctx
        .config
        .with_value(|c| (c.thread.as_str().to_owned(), c.title.clone()));
    let key = draft_key(&endpoint, &thread_key, parent);
    let store = ctx.store();
    let saved = store.identity(&endpoint);

    let body = RwSignal::new(store.draft(&key));
    let author = RwSignal::new(saved.author);
    let email = RwSignal::new(saved.email);
    let website = RwSignal::new(saved.website);
    let honeypot = RwSignal::new(String::new());
    let notify = RwSignal::new(false);
    let previewing = RwSignal::new(false);
    let preview_html = RwSignal::new(None::<String>);
    let field_error = RwSignal::new(None::<(String, ErrorCode)>);
    let sending = RwSignal::new(Sending::Idle);
    // Percent of the proof of work's expected work done while posting.
    let solved = RwSignal::new(0u64);
    let textarea = NodeRef::<leptos::html::Textarea>::new();
    let form = NodeRef::<leptos::html::Form>::new();
    // The anti-spam challenge is fetched as the form opens: its clock measures how long the
    // reader took to write (see `proof_of_work`).
    let challenge = StoredValue::new(None::<HeldChallenge>);
    spawn_local(async move {
        if let Ok(c) = proof_of_work::fetch(&ctx.client()).await {
            challenge.set_value(Some(c));
        }
    });

    // An inline reply form takes the focus when it opens.
    if parent.is_some() {
        Effect::new(move |_| {
            if let Some(el) = textarea.get() {
                let _ = el.focus();
            }
        });
    }

    let remember_identity = {
        let endpoint = endpoint.clone();
        move || {
            ctx.store().save_identity(
                &endpoint,
                &Identity {
                    author: author.get_untracked(),
                    email: email.get_untracked(),
                    website: website.get_untracked(),
                },
            )
        }
    };

    let id_prefix = format!(
        "palabre-{}-",
        parent.map_or_else(|| "top".to_owned(), |p| p.to_string())
    );
    let field_id = move |name: &str| format!("{id_prefix}{name}");
    let error_for = move |field: &'static str| {
        move || {
            field_error.with(|e| {
                e.as_ref()
                    .filter(|(f, _)| f == field)
                    .map(|(_, code)| words.error(*code))
            })
        }
    };
    let fields = Fields {
        ctx,
        parent,
        thread_key: StoredValue::new(thread_key.clone()),
        title: StoredValue::new(title.clone()),
        key: StoredValue::new(key.clone()),
        body,
        author,
        email,
        website,
        honeypot,
        notify,
        previewing,
        preview_html,
        field_error,
        sending,
        solved,
        form,
        challenge,
    };
    // Posting and previewing come in the `write` chunk, fetched as the reader shows they are
    // about to write (see `prefetch_write`). One that cannot be fetched reads as the server
    // out of reach: the text stays, the button offers to retry.
    let with_write = move |then: fn(WriteChunk, Fields), failed: fn(Fields, String)| {
        spawn_local(async move {
            match load_write().await {
                Ok(write) => then(write, fields),
                Err(e) => failed(fields, e.words(words, Msg::PostFailedOffline).to_owned()),
            }
        })
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if sending.get_untracked() != Sending::Posting {
            with_write(
                |write, fields| (write.submit)(fields),
                |fields, message| {
                    fields.ctx.announce(message.clone());
                    fields.sending.set(Sending::Failed(message));
                },
            );
        }
    };
    let show_preview = move |_| {
        previewing.set(true);
        preview_html.set(None);
        with_write(
            |write, fields| (write.preview)(fields),
            |fields, message| {
                fields
                    .preview_html
                    .set(Some(format!("<p>{}</p>", escape(&message))))
            },
        );
    };

    let required = move |on: bool| {
        let label = if on { Msg::Required } else { Msg::Optional };
        view! { <span class="hint">" (" {ctx.t(label)} ")"</span> }
    };
    let require_author = move || {
        ctx.server
            .with(|s| s.as_ref().is_some_and(|s| s.require_author))
    };
    let require_email = move || {
        ctx.server
            .with(|s| s.as_ref().is_some_and(|s| s.require_email))
    };

    let body_id = field_id("body");
    let body_err_id = format!("{body_id}-error");
    let hint_id = format!("{body_id}-hint");
    let body_described = format!("{hint_id} {body_err_id}");
    let text_field = move |name: &'static str,
                           label: Msg,
                           kind: &'static str,
                           value: RwSignal<String>,
                           autocomplete: &'static str,
                           hint: &'static str| {
        let remember = remember_identity.clone();
        let err = error_for(name);
        let id = field_id(name);
        let err_id = format!("{id}-error");
        // A field's note is read with it (the email's "Never shown to anyone.").
        let hint_id = format!("{id}-hint");
        let described = if hint.is_empty() {
            err_id.clone()
        } else {
            format!("{hint_id} {err_id}")
        };
        view! {
            <div class="field">
                <label for=id.clone()>
                    {ctx.t(label)}
                    {move || match name {
                        "author" => required(require_author()),
                        "email" => required(require_email()),
                        _ => required(false),
                    }}
                </label>
                <input
                    id=id
                    name=name
                    type=kind
                    autocomplete=autocomplete
                    aria-invalid=move || err().is_some().to_string()
                    aria-describedby=described
                    prop:value=move || value.get()
                    on:input=move |ev| {
                        value.set(event_target_value(&ev));
                        remember();
                    }
                />
                // Empty, and not shown, for a field without a note (cheaper than a branch).
                <p class="hint" id=hint_id>{hint}</p>
                <p class="error" id=err_id>{err}</p>
            </div>
        }
    };

    let save_draft = {
        let key = key.clone();
        move |ev: leptos::ev::Event| {
            let v = event_target_value(&ev);
            ctx.store().save_draft(&key, &v);
            body.set(v);
        }
    };

    view! {
        <form
            class="reply-form"
            class:inline=parent.is_some()
            data-signed=move || ctx.signed_as.get()
            node_ref=form
            on:submit=submit
            on:focusin=move |_| prefetch_write()
            on:pointerenter=move |_| prefetch_write()
            novalidate
        >
            <h3 class="form-title">{ctx.t(if parent.is_some() { Msg::ReplyTitle } else { Msg::FormTitle })}</h3>
            <div class="tabs" role="tablist">
                <button type="button" role="tab" aria-selected=move || (!previewing.get()).to_string()
                    on:click=move |_| previewing.set(false)>{ctx.t(Msg::Write)}</button>
                <button type="button" role="tab" class="preview-tab" aria-selected=move || previewing.get().to_string()
                    on:click=show_preview>{ctx.t(Msg::Preview)}</button>
            </div>
            <div class="field body-field" class:hidden=move || previewing.get()>
                <label for=body_id.clone()>{ctx.t(Msg::Body)}</label>
                <textarea
                    id=body_id
                    name="body"
                    rows="5"
                    node_ref=textarea
                    aria-invalid=move || error_for("body")().is_some().to_string()
                    aria-describedby=body_described
                    prop:value=move || body.get()
                    on:input=save_draft
                ></textarea>
                <p class="hint" id=hint_id>{ctx.t(Msg::BodyHint)}</p>
                <p class="error" id=body_err_id>{error_for("body")}</p>
            </div>
            <Show when=move || previewing.get()>
                <div class="preview body" aria-live="polite">
                    {move || match preview_html.get() {
                        Some(html) => view! { <div inner_html=html></div> }.into_any(),
                        None if body.with(|b| b.trim().is_empty()) => view! { <p class="hint">{ctx.t(Msg::PreviewEmpty)}</p> }.into_any(),
                        None => view! { <p class="hint">{ctx.t(Msg::Loading)}</p> }.into_any(),
                    }}
                </div>
            </Show>
            <div class="identity">
                {text_field("author", Msg::Name, "text", author, "name", "")}
                {text_field("email", Msg::Email, "email", email, "email", ctx.t(Msg::EmailHint))}
                {text_field("website", Msg::Website, "url", website, "url", "")}
            </div>
            // Replies by email need an address to send them to: typed, or proven by signing in.
            <Show when=move || {
                email.with(|e| !e.trim().is_empty())
                    || ctx.signed_as.with(|r| matches!(r.as_deref(), Some("verified" | "member")))
            }>
                <label class="check">
                    <input type="checkbox" name="notify"
                        prop:checked=move || notify.get()
                        on:change=move |ev| notify.set(event_target_checked(&ev)) />
                    {ctx.t(Msg::NotifyReplies)}
                </label>
            </Show>
            // People never see this field; bots fill it, and their post is dropped.
            <div class="hp" aria-hidden="true">
                <label>
                    {ctx.t(Msg::Honeypot)}
                    <input name="homepage" type="text" tabindex="-1" autocomplete="off"
                        prop:value=move || honeypot.get()
                        on:input=move |ev| honeypot.set(event_target_value(&ev)) />
                </label>
            </div>
            {move || match sending.get() {
                Sending::Failed(message) => Some(view! { <p class="error form-error" role="alert">{message}</p> }),
                _ => None,
            }}
            {move || (field_error.with(|e| e.as_ref().is_some_and(|(f, _)| !["body", "author", "email", "website"].contains(&f.as_str()))))
                .then(|| view! { <p class="error form-error" role="alert">{move || field_error.get().map(|(_, c)| words.error(c))}</p> })}
            <div class="buttons">
                <button type="submit" class="primary" disabled=move || sending.get() == Sending::Posting>
                    {move || match sending.get() {
                        // The proof of work's progress, once there is some to show.
                        Sending::Posting => match solved.get() {
                            0 => ctx.t(Msg::Posting).to_owned(),
                            p => format!("{} {p} %", ctx.t(Msg::Posting)),
                        },
                        Sending::Failed(_) => ctx.t(Msg::Retry).to_owned(),
                        Sending::Idle => ctx.t(Msg::Post).to_owned(),
                    }}
                </button>
                {parent.map(|_| view! {
                    <button type="button" on:click=move |_| ctx.replying_to.set(None)>{ctx.t(Msg::Cancel)}</button>
                })}
            </div>
        </form>
    }
}

/// Whether a field of the form is left out (`data-signed`, in the stylesheet) because the
/// reader signed in: their proven address replaces the email, and a member's or the
/// author's name is their identity's.
fn hides(role: Option<Role>, field: &str) -> bool {
    match role {
        None => false,
        Some(role) => field == "email" || (field == "author" && role != Role::Verified),
    }
}

/// Moves the focus to a comment once it is drawn, so keyboard and screen-reader users land on
/// what they just posted. `root` is the widget's shadow root.
fn focus_comment(root: web_sys::Node, id: i64) {
    use wasm_bindgen::JsCast;
    request_animation_frame(move || {
        let selector = format!("li.comment[data-id=\"{id}\"]");
        let found = root
            .dyn_ref::<web_sys::DocumentFragment>()
            .and_then(|r| r.query_selector(&selector).ok().flatten())
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
        if let Some(el) = found {
            let _ = el.focus();
        }
    });
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A form's state, for the code in the `write` chunk.
#[derive(Clone, Copy)]
pub struct Fields {
    ctx: Ctx,
    parent: Option<i64>,
    thread_key: StoredValue<String>,
    title: StoredValue<Option<String>>,
    /// The draft's key in the browser's storage.
    key: StoredValue<String>,
    body: RwSignal<String>,
    author: RwSignal<String>,
    email: RwSignal<String>,
    website: RwSignal<String>,
    honeypot: RwSignal<String>,
    notify: RwSignal<bool>,
    previewing: RwSignal<bool>,
    preview_html: RwSignal<Option<String>>,
    field_error: RwSignal<Option<(String, ErrorCode)>>,
    sending: RwSignal<Sending>,
    /// Percent of the proof of work's expected work done while posting.
    solved: RwSignal<u64>,
    form: NodeRef<leptos::html::Form>,
    challenge: StoredValue<Option<HeldChallenge>>,
}

/// What only a reader who writes runs: posting (checks, proof of work, the post, what follows)
/// and the preview.
#[derive(Clone, Copy)]
pub struct WriteChunk {
    submit: fn(Fields),
    preview: fn(Fields),
}

thread_local! {
    static WRITE: Cell<Option<WriteChunk>> = const { Cell::new(None) };
}

chunk!(write, write_chunk -> WriteChunk = WriteChunk { submit, preview });

async fn load_write() -> Result<WriteChunk, ApiError> {
    chunk::load(&WRITE, write_chunk).await
}

fn prefetch_write() {
    chunk::prefetch(&WRITE, write_chunk);
}

fn focus_field(f: Fields, field: &str) {
    if let Some(form) = f.form.get_untracked() {
        let selector = format!("[name=\"{field}\"]");
        if let Ok(Some(el)) = form.query_selector(&selector)
            && let Ok(el) = wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(el)
        {
            let _ = el.focus();
        }
    }
}

fn submit(f: Fields) {
    let ctx = f.ctx;
    let words = ctx.words();
    let optional = |s: String| (!s.trim().is_empty()).then_some(s);
    let session = ctx.session.get_value();
    let signed = session.is_some();
    let role = session.as_ref().map(|s| s.role);
    // Signed in, the identity gives the email (and a member's or the author's name).
    let typed = |field: RwSignal<String>, name: &str| {
        (!hides(role, name))
            .then(|| optional(field.get_untracked()))
            .flatten()
    };
    let wants_replies =
        f.notify.get_untracked() && (signed || !f.email.with_untracked(|e| e.trim().is_empty()));
    let input = NewComment {
        thread: f.thread_key.get_value(),
        title: f.title.get_value(),
        parent: f.parent,
        author: typed(f.author, "author"),
        email: typed(f.email, "email"),
        website: optional(f.website.get_untracked()),
        body: f.body.get_untracked(),
        notify: wants_replies.then_some(true),
        // Their reply notifications will be written in the language they read.
        lang: wants_replies.then(|| words.lang().tag().to_owned()),
        homepage: optional(f.honeypot.get_untracked()),
        pow: None,
    };
    // The server's own checks, run here first.
    let mut rules = ctx.rules();
    if signed {
        rules.require_author = false;
        rules.require_email = false;
    }
    if let Err(e) = input.validate(&rules) {
        f.field_error.set(Some((e.field.to_owned(), e.code)));
        focus_field(f, e.field);
        return;
    }
    f.field_error.set(None);
    f.sending.set(Sending::Posting);
    f.solved.set(0);
    spawn_local(async move {
        let body_text = input.body.clone();
        let thread = input.thread.clone();
        let solved = f.solved;
        let progress = move |p| solved.set(p);
        let token = session.map(|s| s.token);
        let notify_to = input.email.clone();
        match proof_of_work::post_comment(
            &ctx.client(),
            f.challenge,
            input,
            token.as_deref(),
            &progress,
        )
        .await
        {
            Ok(created) => {
                // The address must be proven before any reply is mailed to it: the server
                // sent it a code, which the account panel asks for.
                if created.code_sent
                    && let Some(email) = notify_to
                    && let Ok(account) = load_account().await
                {
                    (account.confirm_replies)(ctx, email);
                }
                ctx.store().save_draft(&f.key.get_value(), "");
                f.body.set(String::new());
                f.previewing.set(false);
                let pending = created.comment.status == CommentStatus::Pending;
                let own = OwnComment {
                    token: created.edit_token,
                    created_ms: created.comment.created.as_millis().max(now_ms()),
                    body: body_text,
                    pending_in: pending.then_some(thread),
                };
                let id = created.comment.id;
                ctx.remember_own(id, own);
                let root = f.form.get_untracked().map(|form| form.get_root_node());
                ctx.update_thread(|t| t.add_new(created.comment));
                f.sending.set(Sending::Idle);
                ctx.announce(ctx.t(if pending {
                    Msg::PostedPending
                } else {
                    Msg::Posted
                }));
                if f.parent.is_some() {
                    ctx.replying_to.set(None);
                }
                if let Some(root) = root {
                    focus_comment(root, id);
                }
            }
            Err(e) => {
                match e.code() {
                    // Someone's name: if it is the reader's, signing in lets them use it.
                    Some(ErrorCode::NameReserved) => open_sign_in(ctx),
                    // The session ended elsewhere (signed out everywhere, revoked).
                    Some(ErrorCode::SessionInvalid) => {
                        if let Ok(account) = load_account().await {
                            (account.ended)(ctx);
                        }
                    }
                    _ => {}
                }
                let message = match (&e, e.code(), e.field()) {
                    (_, Some(code), Some(field)) if !e.is_transient() => {
                        f.field_error.set(Some((field.to_owned(), code)));
                        focus_field(f, field);
                        f.sending.set(Sending::Idle);
                        return;
                    }
                    _ if e.is_server_failure() => ctx.t(Msg::PostFailedServer).to_owned(),
                    _ => e.words(words, Msg::PostFailedOffline).to_owned(),
                };
                ctx.announce(message.clone());
                f.sending.set(Sending::Failed(message));
            }
        }
    });
}

fn preview(f: Fields) {
    let ctx = f.ctx;
    let text = f.body.get_untracked();
    if text.trim().is_empty() {
        return;
    }
    spawn_local(async move {
        let html = match ctx.client().preview(&text).await {
            Ok(p) => p.html,
            Err(e) => {
                let msg = e.words(ctx.words(), Msg::Unreachable);
                format!("<p>{}</p>", escape(msg))
            }
        };
        f.preview_html.set(Some(html));
    });
}

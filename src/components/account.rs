//! Who is speaking: signing in inside the widget. The first load has only the "Sign in"
//! button; the panel (email and code, the author's password, the signed-in bar, signing out)
//! comes in the `account` chunk, fetched on intent, or at once on a page whose reader kept a
//! session or whose site vouches for its member (`data-sso-token`). The session is a bearer
//! token in the blog origin's storage, never a cookie.

use super::moderate::load_moderate;
use crate::chunk::{self, chunk};
use crate::client::ApiError;
use crate::context::{Ctx, now_ms, use_ctx};
use crate::session::{self, PasskeyAnswer, PasskeyChallenge, error_text, fill_one, shown_name};
use crate::storage::{OwnComment, Signed};
use leptos::prelude::*;
use leptos::task::spawn_local;
use palabre_api::i18n::Msg;
use palabre_api::i18n::account::{Account, AccountWords};
use palabre_api::{
    CommentStatus, EmailCodeRequest, EmailCodeVerify, LockThread, Me, MyComments, PasswordSignIn,
    Role, Session, SignOut, SsoSignIn,
};
use std::cell::Cell;

/// The `account` chunk's entry points.
#[derive(Clone, Copy)]
pub struct AccountChunk {
    /// Draws the panel, and restores the kept session or signs in with the page's token.
    pub start: fn(Ctx),
    /// Asks for the code the server mailed to confirm reply notifications to this address.
    pub confirm_replies: fn(Ctx, String),
    /// Forgets a session the server no longer knows.
    pub ended: fn(Ctx),
}

thread_local! {
    static ACCOUNT: Cell<Option<AccountChunk>> = const { Cell::new(None) };
    /// The code asked for confirms reply notifications (else it signs in).
    static FOR_REPLIES: Cell<bool> = const { Cell::new(false) };
}

chunk!(account, account_chunk -> AccountChunk = AccountChunk { start, confirm_replies, ended });

pub async fn load_account() -> Result<AccountChunk, ApiError> {
    chunk::load(&ACCOUNT, account_chunk).await
}

pub fn prefetch_account() {
    chunk::prefetch(&ACCOUNT, account_chunk);
}

/// Opens the sign-in panel (a reserved name was typed, or "Sign in" pressed).
pub fn open_sign_in(ctx: Ctx) {
    ctx.signing_in.set(Some(String::new()));
    spawn_local(async move {
        match load_account().await {
            Ok(account) => (account.start)(ctx),
            Err(e) => ctx.announce(e.words(ctx.words(), Msg::Unreachable)),
        }
    });
}

/// Where the panel goes: the "Sign in" button until the chunk draws it.
#[component]
pub fn AccountSlot() -> impl IntoView {
    let ctx = use_ctx();
    view! {
        <div class="account">
            <button type="button" class="link" hidden=move || ctx.account.with(Option::is_some)
                on:click=move |_| open_sign_in(ctx) on:pointerenter=|_| prefetch_account()>
                {ctx.t(Msg::SignIn)}
            </button>
            {move || ctx.account.get().map(|panel| panel(ctx, 0))}
        </div>
    }
}

// What follows runs in the `account` chunk only.

fn start(ctx: Ctx) {
    if ctx.account.get_untracked().is_some() {
        return;
    }
    spawn_local(async move {
        let Some(words) = session::fetch_words(&ctx.endpoint(), ctx.lang()).await else {
            ctx.announce(ctx.t(Msg::Unreachable));
            return;
        };
        let store = ctx.store();
        let endpoint = ctx.endpoint();
        let client = ctx.client();
        let kept = store.session(&endpoint, now_ms());
        let sso = ctx.config.with_value(|c| c.sso_token.clone());
        let mut signed = None;
        if let Some(kept) = kept {
            match client
                .get_signed::<Me>("/api/v1/me", &[], &kept.token)
                .await
            {
                Ok(me) => signed = Some(session::updated_by(Some(kept), me)),
                // Still kept: the server may be out of reach for a moment.
                Err(e) if e.is_transient() => signed = Some(kept),
                Err(_) => store.drop_session(&endpoint),
            }
        }
        // The site's member, if no session of theirs is kept (an author's stays theirs).
        if signed.is_none()
            && let Some(token) = sso
        {
            match client
                .post_json::<_, Session>("/api/v1/auth/sso", &SsoSignIn { token }, None)
                .await
            {
                Ok(s) => signed = Some(session::signed(s)),
                Err(e) => ctx.announce(error_text(&e, ctx.words(), words)),
            }
        }
        if let Some(s) = signed {
            signed_in(ctx, s);
        }
        ctx.account.set(Some(|_, _| view! { <Panel /> }.into_any()));
    });
}

/// Keeps the session, shows what it allows: the reader's own comments (edit, delete, held),
/// and for the author moderation in place.
fn signed_in(ctx: Ctx, s: Signed) {
    ctx.store().save_session(&ctx.endpoint(), &s);
    ctx.session.set_value(Some(s.clone()));
    ctx.signed_as.set(Some(s.role.as_str().to_owned()));
    ctx.signing_in.set(None);
    let thread = ctx.config.with_value(|c| c.thread.as_str().to_owned());
    spawn_local(async move {
        let mine = ctx
            .client()
            .get_signed::<MyComments>("/api/v1/me/comments", &[("thread", &thread)], &s.token)
            .await;
        if let Ok(mine) = mine {
            for my in mine.comments {
                let c = my.comment;
                let pending = c.status == CommentStatus::Pending;
                ctx.remember_own(
                    c.id,
                    OwnComment {
                        // The session proves these comments are theirs, on any device.
                        token: s.token.clone(),
                        created_ms: c.created.as_millis(),
                        body: my.body,
                        pending_in: pending.then(|| thread.clone()),
                    },
                );
                if pending {
                    ctx.update_thread(|t| t.add_new(c));
                }
            }
        }
        if s.role == Role::Author
            && let Ok(moderate) = load_moderate().await
        {
            (moderate.start)(ctx);
        }
    });
}

fn confirm_replies(ctx: Ctx, email: String) {
    FOR_REPLIES.set(true);
    ctx.signing_in.set(Some(email));
    start(ctx);
}

fn ended(ctx: Ctx) {
    let endpoint = ctx.endpoint();
    ctx.store().drop_session(&endpoint);
    if let Some(s) = ctx.session.get_value() {
        // What the session alone proved is not the reader's any more on this device.
        let theirs: Vec<i64> = ctx.own.with_untracked(|own| {
            own.iter()
                .filter(|(_, o)| o.token == s.token)
                .map(|(id, _)| *id)
                .collect()
        });
        for id in theirs {
            ctx.forget_own(id);
        }
    }
    ctx.session.set_value(None);
    ctx.signed_as.set(None);
    ctx.moderate.set(None);
}

/// A passkey ceremony the browser did not finish (cancelled, no passkey for this blog), said
/// as the server's refusal of one.
fn passkey_failed() -> ApiError {
    ApiError::Refused {
        status: 401,
        body: palabre_api::ErrorBody {
            code: palabre_api::ErrorCode::PasskeyInvalid,
            message: String::new(),
            field: None,
        },
        retry_after_secs: None,
    }
}

/// Something the panel does (sign in, sign out, lock): its failure is shown in the panel.
type Work = std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), ApiError>>>>;

/// What the panel is doing: one thing at a time, its failure shown in the panel.
#[derive(Clone, Copy)]
struct Doing {
    ctx: Ctx,
    error: RwSignal<Option<String>>,
    busy: RwSignal<bool>,
    w: AccountWords,
}

impl Doing {
    fn run(self, work: Work) {
        let ctx = self.ctx;
        self.error.set(None);
        self.busy.set(true);
        spawn_local(async move {
            if let Err(e) = work.await {
                self.error.set(Some(error_text(&e, ctx.words(), self.w)));
            }
            self.busy.set(false);
        });
    }
}

/// The account panel: signed in, the bar that says as whom; else the sign-in steps.
#[component]
fn Panel() -> impl IntoView {
    let ctx = use_ctx();
    let Some(w) = session::words() else {
        return ().into_any();
    };
    let doing = Doing {
        ctx,
        error: RwSignal::new(None),
        busy: RwSignal::new(false),
        w,
    };
    let (run, busy, error) = (doing, doing.busy, doing.error);
    let body = move || {
        match (
        ctx.signed_as.track(),
        ctx.session.get_value(),
        ctx.signing_in.get(),
    ) {
        (_, Some(s), _) => view! { <SignedBar s=s w=w run=run busy=busy /> }.into_any(),
        (_, None, None) => view! {
            <button type="button" class="link" on:click=move |_| ctx.signing_in.set(Some(String::new()))>
                {w.get(Account::SignInTitle)}
            </button>
        }
        .into_any(),
        (_, None, Some(email)) if email.is_empty() => view! { <SignInForm w=w run=run busy=busy /> }.into_any(),
        (_, None, Some(email)) => view! { <CodeForm email=email w=w run=run busy=busy /> }.into_any(),
    }
    };
    view! {
        <div class="account" role="group" aria-label=w.get(Account::SignInTitle)>
            {body}
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </div>
    }
    .into_any()
}

#[component]
fn SignedBar(s: Signed, w: AccountWords, run: Doing, busy: RwSignal<bool>) -> impl IntoView {
    let ctx = use_ctx();
    let name = fill_one(w.get(Account::SignedInAs), "name", shown_name(&s));
    let mark = ctx
        .words()
        .role_mark(s.role)
        .map(|m| view! { " " <span class="role" data-role=s.role.as_str()>{m}</span> });
    let token = s.token.clone();
    let sign_out = move |everywhere: bool| {
        let token = token.clone();
        run.run(Box::pin(async move {
            let done = ctx
                .client()
                .post_empty(
                    "/api/v1/auth/sign-out",
                    &SignOut { everywhere },
                    Some(&token),
                )
                .await;
            match done {
                // Already ended on the server: so it is here too.
                Ok(()) | Err(ApiError::Refused { status: 401, .. }) => {
                    ended(ctx);
                    Ok(())
                }
                Err(e) => Err(e),
            }
        }))
    };
    let out_here = sign_out.clone();
    let lock_token = s.token.clone();
    let author = s.role == Role::Author;
    let lock = move |_| {
        let token = lock_token.clone();
        let locked = !ctx.locked.get_untracked();
        let thread = ctx.config.with_value(|c| c.thread.as_str().to_owned());
        run.run(Box::pin(async move {
            ctx.client()
                .post_empty(
                    "/api/v1/threads/lock",
                    &LockThread { thread, locked },
                    Some(&token),
                )
                .await?;
            ctx.update_thread(|t| t.live_thread(locked, false));
            ctx.announce(w.get(if locked {
                Account::ThreadClosed
            } else {
                Account::ThreadReopened
            }));
            Ok(())
        }))
    };
    let key_token = s.token.clone();
    let may_add_passkey =
        matches!(s.role, Role::Verified | Role::Author) && session::passkeys_supported();
    let add_passkey = move |_| {
        let token = key_token.clone();
        run.run(Box::pin(async move {
            let passkey = chunk::load(&PASSKEY, passkey_chunk).await?;
            (passkey.add)(ctx, w, token).await
        }))
    };
    view! {
        <p class="signed-in"><span dir="auto">{name}</span>{mark}</p>
        <div class="buttons">
            {may_add_passkey.then(|| view! {
                <button type="button" class="passkey" disabled=move || busy.get() on:click=add_passkey
                    on:pointerenter=|_| chunk::prefetch(&PASSKEY, passkey_chunk)>
                    {w.get(Account::AddPasskey)}
                </button>
            })}
            {author.then(|| view! {
                <button type="button" class="lock" disabled=move || busy.get() on:click=lock>
                    {move || w.get(if ctx.locked.get() { Account::UnlockThread } else { Account::LockThread })}
                </button>
            })}
            <button type="button" class="sign-out" disabled=move || busy.get() on:click=move |_| out_here(false)>
                {w.get(Account::SignOut)}
            </button>
            <button type="button" class="link" disabled=move || busy.get() on:click=move |_| sign_out(true)>
                {w.get(Account::SignOutEverywhere)}
            </button>
        </div>
    }
}

/// The first step: an email to send a code to (where the server sends mail), or the author's
/// name and password.
#[component]
fn SignInForm(w: AccountWords, run: Doing, busy: RwSignal<bool>) -> impl IntoView {
    let ctx = use_ctx();
    let email = RwSignal::new(String::new());
    let offers_email = RwSignal::new(false);
    let endpoint = ctx.endpoint();
    spawn_local(async move {
        offers_email.set(session::offers_email(&endpoint).await);
    });
    let as_author = RwSignal::new(false);
    let name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let send = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let address = email.get_untracked().trim().to_owned();
        let lang = Some(ctx.lang().tag().to_owned());
        run.run(Box::pin(async move {
            let request = EmailCodeRequest {
                email: address.clone(),
                lang,
            };
            ctx.client()
                .post_empty("/api/v1/auth/email", &request, None)
                .await?;
            FOR_REPLIES.set(false);
            ctx.signing_in.set(Some(address));
            Ok(())
        }))
    };
    let author = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let request = PasswordSignIn {
            name: name.get_untracked(),
            password: password.get_untracked(),
        };
        run.run(Box::pin(async move {
            let s: Session = ctx
                .client()
                .post_json("/api/v1/auth/password", &request, None)
                .await?;
            signed_in(ctx, session::signed(s));
            Ok(())
        }))
    };
    let field =
        move |label: Account, kind: &'static str, auto: &'static str, value: RwSignal<String>| {
            view! {
                <label class="field">
                    <span>{w.get(label)}</span>
                    <input type=kind name=kind autocomplete=auto
                        prop:value=move || value.get()
                        on:input=move |ev| value.set(event_target_value(&ev)) />
                </label>
            }
        };
    let with_passkey = move |_| {
        run.run(Box::pin(async move {
            let passkey = chunk::load(&PASSKEY, passkey_chunk).await?;
            (passkey.sign_in)(ctx).await
        }))
    };
    view! {
        {session::passkeys_supported().then(|| view! {
            <div class="buttons">
                <button type="button" class="passkey" disabled=move || busy.get() on:click=with_passkey
                    on:pointerenter=|_| chunk::prefetch(&PASSKEY, passkey_chunk)>
                    {w.get(Account::UsePasskey)}
                </button>
            </div>
        })}
        <Show when=move || offers_email.get()>
            <form class="sign-in-form" on:submit=send novalidate>
                <p class="hint">{w.get(Account::SignInIntro)}</p>
                {field(Account::YourEmail, "email", "email", email)}
                <div class="buttons">
                    <button type="submit" class="primary" disabled=move || busy.get()>{w.get(Account::SendCode)}</button>
                </div>
            </form>
        </Show>
        <button type="button" class="link" aria-expanded=move || as_author.get().to_string()
            on:click=move |_| as_author.update(|a| *a = !*a)>
            {w.get(Account::AuthorToggle)}
        </button>
        <Show when=move || as_author.get()>
            <form class="author-form" on:submit=author novalidate>
                {field(Account::AdminName, "text", "username", name)}
                {field(Account::Password, "password", "current-password", password)}
                <div class="buttons">
                    <button type="submit" class="primary" disabled=move || busy.get()>{w.get(Account::SignInButton)}</button>
                </div>
            </form>
        </Show>
        <div class="buttons">
            <button type="button" on:click=move |_| ctx.signing_in.set(None)>{w.get(Account::Close)}</button>
        </div>
    }
}

/// The second step: the code mailed to `email`, to sign in or to confirm reply notifications.
#[component]
fn CodeForm(email: String, w: AccountWords, run: Doing, busy: RwSignal<bool>) -> impl IntoView {
    let ctx = use_ctx();
    let for_replies = FOR_REPLIES.get();
    let said = fill_one(
        w.get(if for_replies {
            Account::ConfirmReplies
        } else {
            Account::CodeSentTo
        }),
        "email",
        &email,
    );
    let code = RwSignal::new(String::new());
    let input = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if let Some(el) = input.get() {
            let _ = el.focus();
        }
    });
    let address = StoredValue::new(email);
    let verify = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let request = EmailCodeVerify {
            email: address.get_value(),
            code: code.get_untracked().trim().to_owned(),
        };
        run.run(Box::pin(async move {
            let s: Session = ctx
                .client()
                .post_json("/api/v1/auth/email/verify", &request, None)
                .await?;
            let confirmed = FOR_REPLIES.replace(false);
            signed_in(ctx, session::signed(s));
            if confirmed {
                ctx.announce(fill_one(
                    w.get(Account::RepliesConfirmed),
                    "email",
                    &request.email,
                ));
            }
            Ok(())
        }))
    };
    view! {
        <form class="code-form" on:submit=verify novalidate>
            <p class="hint" role="status">{said}</p>
            <label class="field">
                <span>{w.get(Account::Code)}</span>
                <input node_ref=input name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="6"
                    prop:value=move || code.get()
                    on:input=move |ev| code.set(event_target_value(&ev)) />
            </label>
            <div class="buttons">
                <button type="submit" class="primary" disabled=move || busy.get()>{w.get(Account::ConfirmCode)}</button>
                <button type="button" on:click=move |_| {
                    FOR_REPLIES.set(false);
                    ctx.signing_in.set(Some(String::new()));
                }>{w.get(Account::OtherEmail)}</button>
            </div>
        </form>
    }
}

/// Passkeys: a chunk of their own, fetched as a reader reaches for one.
#[derive(Clone, Copy)]
struct PasskeyChunk {
    sign_in: fn(Ctx) -> Work,
    add: fn(Ctx, AccountWords, String) -> Work,
}

thread_local! {
    static PASSKEY: Cell<Option<PasskeyChunk>> = const { Cell::new(None) };
}

chunk!(passkey, passkey_chunk -> PasskeyChunk = PasskeyChunk {
    sign_in: passkey_sign_in,
    add: passkey_add,
});

/// Signs in with a passkey of this blog, whichever the browser offers.
fn passkey_sign_in(ctx: Ctx) -> Work {
    Box::pin(async move {
        let client = ctx.client();
        let challenge: PasskeyChallenge =
            client.post_json("/api/v1/auth/passkey", &(), None).await?;
        let Some(credential) = session::passkey_ceremony(false, &challenge.options).await else {
            return Err(passkey_failed());
        };
        let answer = PasskeyAnswer {
            ceremony: challenge.ceremony,
            credential,
        };
        let s: Session = client
            .post_json("/api/v1/auth/passkey/finish", &answer, None)
            .await?;
        signed_in(ctx, session::signed(s));
        Ok(())
    })
}

/// Adds a passkey to the signed-in identity (`token` is its session).
fn passkey_add(ctx: Ctx, w: AccountWords, token: String) -> Work {
    Box::pin(async move {
        let client = ctx.client();
        let challenge: PasskeyChallenge = client
            .post_json("/api/v1/auth/passkey/register", &(), Some(&token))
            .await?;
        let Some(credential) = session::passkey_ceremony(true, &challenge.options).await else {
            return Err(passkey_failed());
        };
        let answer = PasskeyAnswer {
            ceremony: challenge.ceremony,
            credential,
        };
        client
            .post_empty(
                "/api/v1/auth/passkey/register/finish",
                &answer,
                Some(&token),
            )
            .await?;
        ctx.announce(w.get(Account::PasskeyAdded));
        Ok(())
    })
}

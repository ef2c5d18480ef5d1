//! The reader's session with the comment server, in plain Rust: what a sign-in answer becomes
//! in the browser, the account panel's words (fetched with its chunk, English included), and
//! the panel's errors in the reader's words.

use crate::client::ApiError;
use crate::storage::Signed;
#[cfg(target_arch = "wasm32")]
use palabre_api::i18n::Texts;
use palabre_api::i18n::account::{Account, AccountWords};
use palabre_api::i18n::{Lang, Words};
use palabre_api::{ErrorCode, Me, Session};
use std::cell::Cell;

/// A session as the widget keeps it.
pub fn signed(session: Session) -> Signed {
    Signed {
        token: session.token,
        expires_ms: session.expires.as_millis(),
        ..updated_by(None, session.me)
    }
}

/// What `/api/v1/me` says of a kept session (the name may have changed, from another device).
pub fn updated_by(kept: Option<Signed>, me: Me) -> Signed {
    let token = kept.map(|k| k.token).unwrap_or_default();
    Signed {
        token,
        role: me.role,
        name: me.name,
        email: me.email,
        expires_ms: me.expires.as_millis(),
    }
}

/// What the panel shows of who is signed in: their name, else their address.
pub fn shown_name(s: &Signed) -> &str {
    s.name.as_deref().or(s.email.as_deref()).unwrap_or("")
}

/// `text` with `{name}` (one at most, the translation test checks) filled in.
pub fn fill_one(text: &str, name: &str, value: &str) -> String {
    let hole = format!("{{{name}}}");
    match text.split_once(hole.as_str()) {
        Some((before, after)) => format!("{before}{value}{after}"),
        None => text.to_owned(),
    }
}

/// A failed sign-in, sign-out or moderation, in the reader's words.
pub fn error_text(e: &ApiError, words: Words, account: AccountWords) -> String {
    let own = match e.code() {
        Some(ErrorCode::CodeInvalid) => Some(Account::ErrCode),
        Some(ErrorCode::CredentialsInvalid) => Some(Account::ErrCredentials),
        Some(ErrorCode::SessionInvalid) => Some(Account::ErrSession),
        Some(ErrorCode::SsoInvalid) => Some(Account::ErrSso),
        Some(ErrorCode::PasskeyInvalid) => Some(Account::ErrPasskey),
        _ => None,
    };
    match own {
        Some(key) => account.get(key).to_owned(),
        None => e
            .words(words, palabre_api::i18n::Msg::Unreachable)
            .to_owned(),
    }
}

thread_local! {
    static WORDS: Cell<Option<AccountWords>> = const { Cell::new(None) };
}

/// The account words, once fetched.
pub fn words() -> Option<AccountWords> {
    WORDS.get()
}

/// Fetches the account words of `lang` once (`/api/v1/words/{lang}/account`).
#[cfg(target_arch = "wasm32")]
pub async fn fetch_words(endpoint: &str, lang: Lang) -> Option<AccountWords> {
    use wasm_bindgen::JsCast;
    if let Some(w) = WORDS.get().filter(|w| w.lang() == lang) {
        return Some(w);
    }
    let url = format!(
        "{endpoint}/api/v1/words/{}/account?v={}",
        lang.tag(),
        Account::VERSION
    );
    let response = web_sys::window()?.fetch_with_str(&url);
    let response: web_sys::Response = wasm_bindgen_futures::JsFuture::from(response)
        .await
        .ok()?
        .dyn_into()
        .ok()?;
    if !response.ok() {
        return None;
    }
    let list = wasm_bindgen_futures::JsFuture::from(response.json().ok()?)
        .await
        .ok()?;
    let field = |name: &str| js_sys::Reflect::get(&list, &name.into()).ok();
    let version = field("version")?.as_f64()? as u32;
    let words: js_sys::Array = field("words")?.dyn_into().ok()?;
    let words = words.iter().map(|w| w.as_string()).collect::<Option<_>>()?;
    let texts = Texts::from_list(lang, version == Account::VERSION, words)?;
    WORDS.set(Some(texts));
    Some(texts)
}

#[cfg(not(target_arch = "wasm32"))]
pub async fn fetch_words(_endpoint: &str, lang: Lang) -> Option<AccountWords> {
    let texts = AccountWords::builtin(lang);
    WORDS.set(Some(texts));
    Some(texts)
}

/// Whether the server sends sign-in codes (`sign_in` in `/api/v1/config`, which the first
/// load does not read).
#[cfg(target_arch = "wasm32")]
pub async fn offers_email(endpoint: &str) -> bool {
    async fn read(endpoint: &str) -> Option<bool> {
        let url = format!("{endpoint}/api/v1/config");
        let response = web_sys::window()?.fetch_with_str(&url);
        let response: web_sys::Response = wasm_bindgen::JsCast::dyn_into(
            wasm_bindgen_futures::JsFuture::from(response).await.ok()?,
        )
        .ok()?;
        let config = wasm_bindgen_futures::JsFuture::from(response.json().ok()?)
            .await
            .ok()?;
        let ways = js_sys::Reflect::get(&config, &"sign_in".into()).ok()?;
        let ways: js_sys::Array = wasm_bindgen::JsCast::dyn_into(ways).ok()?;
        Some(ways.includes(&palabre_api::SIGN_IN_EMAIL.into(), 0))
    }
    read(endpoint).await.unwrap_or(false)
}

#[cfg(not(target_arch = "wasm32"))]
pub async fn offers_email(_endpoint: &str) -> bool {
    false
}

/// Whether this browser runs passkey ceremonies from JSON options (`parse…FromJSON`,
/// `toJSON`): those without are not offered passkeys.
#[cfg(target_arch = "wasm32")]
pub fn passkeys_supported() -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    js_sys::Reflect::get(&window, &"PublicKeyCredential".into())
        .and_then(|p| js_sys::Reflect::get(&p, &"parseRequestOptionsFromJSON".into()))
        .is_ok_and(|f| f.is_function())
}

#[cfg(not(target_arch = "wasm32"))]
pub fn passkeys_supported() -> bool {
    false
}

/// Runs a passkey ceremony in the browser: `navigator.credentials.create()` (`create`) or
/// `.get()` with the server's options; the credential's JSON, or `None` when the reader
/// cancelled or the browser refused.
#[cfg(target_arch = "wasm32")]
pub async fn passkey_ceremony(
    create: bool,
    options: &wasm_bindgen::JsValue,
) -> Option<wasm_bindgen::JsValue> {
    use js_sys::{Function, Object, Promise, Reflect};
    use wasm_bindgen::JsCast;
    let window = web_sys::window()?;
    let class = Reflect::get(&window, &"PublicKeyCredential".into()).ok()?;
    let (parse, call) = if create {
        ("parseCreationOptionsFromJSON", "create")
    } else {
        ("parseRequestOptionsFromJSON", "get")
    };
    let parse: Function = Reflect::get(&class, &parse.into()).ok()?.dyn_into().ok()?;
    let public_key = Reflect::get(options, &"publicKey".into()).ok()?;
    let public_key = parse.call1(&class, &public_key).ok()?;
    let request = Object::new();
    Reflect::set(&request, &"publicKey".into(), &public_key).ok()?;
    let credentials = Reflect::get(&window.navigator(), &"credentials".into()).ok()?;
    let call: Function = Reflect::get(&credentials, &call.into())
        .ok()?
        .dyn_into()
        .ok()?;
    let promise: Promise = call.call1(&credentials, &request).ok()?.dyn_into().ok()?;
    let credential = wasm_bindgen_futures::JsFuture::from(promise).await.ok()?;
    let to_json: Function = Reflect::get(&credential, &"toJSON".into())
        .ok()?
        .dyn_into()
        .ok()?;
    to_json.call0(&credential).ok()
}

#[cfg(not(target_arch = "wasm32"))]
pub async fn passkey_ceremony(
    _create: bool,
    _options: &wasm_bindgen::JsValue,
) -> Option<wasm_bindgen::JsValue> {
    None
}

/// A passkey ceremony's first step, from the server.
#[derive(serde::Deserialize)]
pub struct PasskeyChallenge {
    pub ceremony: String,
    #[serde(with = "serde_wasm_bindgen::preserve")]
    pub options: wasm_bindgen::JsValue,
}

/// Its answer, to the server.
#[derive(serde::Serialize)]
pub struct PasskeyAnswer {
    pub ceremony: String,
    #[serde(with = "serde_wasm_bindgen::preserve")]
    pub credential: wasm_bindgen::JsValue,
}

#[cfg(test)]
mod tests {
    use super::*;
    use palabre_api::{ErrorBody, Role, Timestamp};

    fn me(name: Option<&str>) -> Me {
        Me {
            role: Role::Verified,
            name: name.map(str::to_owned),
            email: Some("ada@example.org".into()),
            expires: Timestamp::from_millis(2_000),
        }
    }

    #[test]
    fn a_session_keeps_its_token_and_what_me_says() {
        let s = signed(Session {
            token: "plb.abc".into(),
            expires: Timestamp::from_millis(1_000),
            me: me(None),
        });
        assert_eq!(s.token, "plb.abc");
        assert_eq!(s.expires_ms, 1_000);
        assert_eq!(shown_name(&s), "ada@example.org");
        let later = updated_by(Some(s), me(Some("Ada")));
        assert_eq!(later.token, "plb.abc");
        assert_eq!(shown_name(&later), "Ada");
        assert_eq!(later.expires_ms, 2_000);
    }

    #[test]
    fn one_placeholder_is_filled_and_others_are_left() {
        assert_eq!(fill_one("to {email}.", "email", "a@b"), "to a@b.");
        assert_eq!(fill_one("as {name}", "email", "a@b"), "as {name}");
    }

    #[test]
    fn sign_in_errors_read_in_the_panels_words_and_others_in_the_widgets() {
        let refused = |code: ErrorCode| ApiError::Refused {
            status: code.http_status(),
            body: ErrorBody {
                code,
                message: String::new(),
                field: None,
            },
            retry_after_secs: None,
        };
        let (words, account) = (Words::english(), AccountWords::builtin(Lang::En));
        assert_eq!(
            error_text(&refused(ErrorCode::CodeInvalid), words, account),
            account.get(Account::ErrCode)
        );
        assert_eq!(
            error_text(&refused(ErrorCode::RateLimited), words, account),
            words.error(ErrorCode::RateLimited)
        );
        assert_eq!(
            error_text(&ApiError::Unreachable, words, account),
            words.get(palabre_api::i18n::Msg::Unreachable)
        );
    }
}

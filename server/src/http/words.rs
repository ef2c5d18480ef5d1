//! `/api/v1/words/{lang}`: the widget's words in one language. The widget carries English
//! only and fetches any other language here, alongside the thread, so that a language costs
//! the readers of the others nothing. The same words for every site and reader: cached by
//! browsers and proxies for a day, compressed once per process.

use super::encoding::Encoded;
use super::extract::{AcceptEncoding, Negotiated};
use crate::error::Error;
use crate::http::state::AppState;
use axum::Router;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use palabre_api::ErrorCode;
use palabre_api::i18n::account::AccountWords;
use palabre_api::i18n::{Lang, Words};
use std::sync::OnceLock;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/words/{lang}", get(words))
        .route("/api/v1/words/{lang}/account", get(account_words))
}

fn lang_of(tag: &str) -> Result<Lang, Error> {
    Lang::parse_exact(tag).map_err(|why| Error::Body {
        code: ErrorCode::InvalidParameter,
        // Echoes at most a short tag back (JSON-escaped like every message).
        detail: why.chars().take(120).collect(),
        field: Some("lang".into()),
    })
}

async fn words(
    Path(tag): Path<String>,
    accept: AcceptEncoding,
) -> Result<impl IntoResponse, Error> {
    let lang = lang_of(&tag)?;
    Ok((
        [(header::CACHE_CONTROL, "public, max-age=86400")],
        Negotiated::json(encoded(lang), accept),
    ))
}

/// The account panel's and moderation's words (`palabre_api::i18n::account`), English
/// included: the widget carries none of them.
async fn account_words(
    Path(tag): Path<String>,
    accept: AcceptEncoding,
) -> Result<impl IntoResponse, Error> {
    let lang = lang_of(&tag)?;
    static ALL: OnceLock<Vec<Encoded>> = OnceLock::new();
    let all = ALL.get_or_init(|| {
        Lang::ALL
            .into_iter()
            .map(|l| {
                let json = serde_json::to_vec(&AccountWords::builtin(l).to_list())
                    .expect("a list of strings serializes");
                Encoded::compress(Bytes::from(json))
            })
            .collect()
    });
    Ok((
        [(header::CACHE_CONTROL, "public, max-age=86400")],
        Negotiated::json(all[lang as usize].clone(), accept),
    ))
}

/// Every language's words, in `Lang` order, serialised and compressed once.
fn encoded(lang: Lang) -> Encoded {
    static ALL: OnceLock<Vec<Encoded>> = OnceLock::new();
    let all = ALL.get_or_init(|| {
        Lang::ALL
            .into_iter()
            .map(|l| {
                let json = serde_json::to_vec(&Words::builtin(l).to_list())
                    .expect("a list of strings serializes");
                Encoded::compress(Bytes::from(json))
            })
            .collect()
    });
    all[lang as usize].clone()
}

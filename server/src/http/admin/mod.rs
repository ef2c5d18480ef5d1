//! `/admin`: moderation pages served by the same binary. Server-rendered forms; every
//! request but the sign-in page needs a session, every form post its CSRF token, and every
//! action goes through [`crate::moderation`], which logs it.

mod account;
pub mod auth;
mod comments;
mod email_links;
mod forms;
pub mod pages;
mod readers;
mod session;
mod threads;

use crate::error::Error;
use crate::http::state::AppState;
use crate::words::Say;
use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

/// Rows on one admin page.
const PAGE_SIZE: u32 = 50;

/// A page's `site` filter: every site when empty.
fn site_filter(raw: Option<&str>) -> AdminResult<Option<crate::store::SiteName>> {
    match raw.map(str::trim).unwrap_or("") {
        "" => Ok(None),
        name => crate::store::SiteName::parse(name)
            .map(Some)
            .map_err(|_| AdminError::BadInput(crate::words::Say::UnknownSite)),
    }
}

/// The sites a filter offers: none with a single site (there is nothing to choose).
fn site_choices(state: &AppState) -> Vec<crate::store::SiteName> {
    let sites = &state.services.settings.sites;
    if sites.len() > 1 {
        sites.iter().map(|s| s.name.clone()).collect()
    } else {
        Vec::new()
    }
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin", get(|| async { Redirect::to("/admin/queue") }))
        .route("/admin/", get(|| async { Redirect::to("/admin/queue") }))
        .route("/admin/admin.css", get(stylesheet))
        .route(
            "/admin/login",
            get(session::login_page).post(session::login),
        )
        .route("/admin/logout", post(session::logout))
        .route("/admin/passkey.js", get(passkey_script))
        .route("/admin/passkey", post(session::passkey_start))
        .route("/admin/passkey/finish", post(session::passkey_finish))
        .route("/admin/queue", get(comments::queue))
        .route("/admin/comments", get(comments::comments))
        .route("/admin/comments/action", post(comments::comment_action))
        .route(
            "/admin/comments/{id}/edit",
            get(comments::edit_page).post(comments::edit),
        )
        .route("/admin/threads", get(threads::threads))
        .route("/admin/threads/action", post(threads::thread_action))
        .route(
            "/admin/blocks",
            get(threads::blocks).post(threads::add_block),
        )
        .route("/admin/blocks/remove", post(threads::remove_block))
        .route("/admin/log", get(threads::log))
        .route(
            "/admin/account",
            get(account::account).post(account::set_display_name),
        )
        .route("/admin/readers", get(readers::readers))
        .route("/admin/readers/export", post(readers::reader_export))
        .route("/admin/readers/delete", post(readers::reader_delete))
        .route("/admin/readers/sign-out", post(readers::reader_sign_out))
        .route(
            "/admin/email-action",
            get(email_links::email_action_page).post(email_links::email_action),
        )
        .layer(axum::middleware::map_response(harden))
}

/// Admin pages (and the other pages the server draws, such as `/unsubscribe`) are never
/// cached, framed, or allowed to run script.
pub async fn harden(mut response: Response) -> Response {
    let h = response.headers_mut();
    // The sign-in page sets its own, which lets its one script run (passkeys).
    h.entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'",
        ));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    response
}

/// Why an admin request did not go through, as a page (not JSON).
#[derive(Debug)]
pub enum AdminError {
    /// No session, or an expired one: to the sign-in page.
    SignIn,
    /// The form's CSRF token is missing or wrong.
    Forged,
    NotFound,
    /// What was wrong with the input, said on the page.
    BadInput(Say),
    Internal(Error),
}

impl From<Error> for AdminError {
    fn from(e: Error) -> Self {
        Self::Internal(e)
    }
}

impl From<crate::store::StoreError> for AdminError {
    fn from(e: crate::store::StoreError) -> Self {
        Self::Internal(e.into())
    }
}

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        let page = |status: StatusCode, title: &str, text: &str| {
            (status, pages::message(title, text)).into_response()
        };
        match self {
            Self::SignIn => Redirect::to("/admin/login").into_response(),
            Self::Forged => page(
                StatusCode::FORBIDDEN,
                pages::t(Say::FormExpiredTitle),
                pages::t(Say::FormExpired),
            ),
            Self::NotFound => page(
                StatusCode::NOT_FOUND,
                pages::t(Say::NotFoundTitle),
                pages::t(Say::NotFound),
            ),
            Self::BadInput(what) => page(
                StatusCode::UNPROCESSABLE_ENTITY,
                pages::t(Say::InvalidInput),
                pages::t(what),
            ),
            Self::Internal(e) => {
                // Logs the cause; the page says nothing about it.
                let _ = e.into_response();
                page(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    pages::t(Say::FailedTitle),
                    pages::t(Say::Failed),
                )
            }
        }
    }
}

type AdminResult<T = Response> = Result<T, AdminError>;

async fn passkey_script() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("passkey.js"),
    )
}

async fn stylesheet() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        pages::STYLESHEET,
    )
}

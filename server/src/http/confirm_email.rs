//! `/confirm-email`: the link in a sign-in code's email, for a reader whose comment form is
//! gone (they asked for replies, then closed the page). A GET shows a button (mail scanners
//! follow links and must change nothing); the POST types the code for them: the address is
//! proven and the posts that asked for replies at it get them.

use super::admin::pages;
use crate::http::admin::pages::t;
use crate::http::state::AppState;
use crate::identity;
use crate::store::SiteName;
use crate::words::Say;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use maud::html;
use palabre_api::Email;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/confirm-email", get(page).post(confirm))
        .layer(axum::middleware::map_response(super::admin::harden))
}

#[derive(Deserialize)]
struct Link {
    site: String,
    email: String,
    code: String,
}

type LinkQuery = Result<Query<Link>, axum::extract::rejection::QueryRejection>;

/// The link's parts, typed; `None` for one no code email could hold.
fn parsed(state: &AppState, link: LinkQuery) -> Option<(SiteName, Email, String)> {
    let Query(link) = link.ok()?;
    let site = SiteName::parse(&link.site).ok()?;
    state.services.settings.site(&site)?;
    let email = Email::parse(&link.email).ok()??;
    let code = link.code.trim();
    identity::is_code(code).then(|| (site, email, code.to_owned()))
}

fn invalid() -> Response {
    (
        StatusCode::NOT_FOUND,
        pages::message(t(Say::UnsubscribeInvalidTitle), t(Say::ConfirmInvalid)),
    )
        .into_response()
}

async fn page(State(state): State<AppState>, link: LinkQuery) -> Response {
    let Some((site, email, code)) = parsed(&state, link) else {
        return invalid();
    };
    let action = identity::confirm_path(&site, &email, &code);
    pages::layout(
        t(Say::ConfirmTitle),
        None,
        html! {
            p { (t(Say::ConfirmExplain)) }
            p { strong { (email.as_str()) } }
            form method="post" action=(action) {
                button type="submit" { (t(Say::ConfirmButton)) }
            }
        },
    )
    .into_response()
}

async fn confirm(
    State(state): State<AppState>,
    super::extract::ClientIp(client): super::extract::ClientIp,
    link: LinkQuery,
) -> Response {
    let Some((site, email, code)) = parsed(&state, link) else {
        return invalid();
    };
    if state
        .login_limiter
        .check(&crate::crypto::network_identity(client))
        .is_err()
    {
        return (
            StatusCode::TOO_MANY_REQUESTS,
            pages::message(t(Say::UnsubscribeInvalidTitle), t(Say::TooManyAttempts)),
        )
            .into_response();
    }
    let services = &state.services;
    match identity::prove_code(&*services.store, &services.keys, &site, &email, &code).await {
        Ok(_) => pages::message(t(Say::ConfirmedTitle), t(Say::Confirmed)).into_response(),
        Err(crate::error::Error::Refused(_)) => invalid(),
        Err(e) => e.into_response(),
    }
}

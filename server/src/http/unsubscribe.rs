//! `/unsubscribe`: the signed link in reply notifications. A GET shows a button (mail
//! scanners follow links); the POST (also RFC 8058 one-click from mail clients) acts: no more
//! reply emails to that address.

use super::admin::pages;
use crate::http::admin::pages::t;
use crate::http::state::AppState;
use crate::notify::links;
use crate::words::Say;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use maud::html;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/unsubscribe", get(page).post(unsubscribe))
        .layer(axum::middleware::map_response(super::admin::harden))
}

#[derive(Deserialize)]
struct Link {
    id: i64,
    sig: String,
}

type LinkQuery = Result<Query<Link>, axum::extract::rejection::QueryRejection>;

/// The link's parameters if its signature holds.
fn checked(state: &AppState, link: LinkQuery) -> Option<Link> {
    link.ok()
        .map(|Query(l)| l)
        .filter(|l| links::unsubscribe_valid(&state.services.keys, l.id, &l.sig))
}

fn invalid() -> Response {
    (
        StatusCode::NOT_FOUND,
        pages::message(t(Say::UnsubscribeInvalidTitle), t(Say::UnsubscribeInvalid)),
    )
        .into_response()
}

async fn page(State(state): State<AppState>, link: LinkQuery) -> Response {
    let Some(link) = checked(&state, link) else {
        return invalid();
    };
    pages::layout(
        t(Say::UnsubscribeTitle),
        None,
        html! {
            p { (t(Say::UnsubscribeExplain)) }
            form method="post" action={ "/unsubscribe?id=" (link.id) "&sig=" (link.sig) } {
                button type="submit" { (t(Say::Unsubscribe)) }
            }
        },
    )
    .into_response()
}

async fn unsubscribe(State(state): State<AppState>, link: LinkQuery) -> Response {
    let Some(link) = checked(&state, link) else {
        return invalid();
    };
    let email = match state.services.store.comment(link.id).await {
        Ok(c) => c.and_then(|c| c.email),
        Err(e) => return crate::error::Error::from(e).into_response(),
    };
    if let Some(email) = email
        && let Err(e) = state.services.store.unsubscribe_email(&email).await
    {
        return crate::error::Error::from(e).into_response();
    }
    pages::message(t(Say::UnsubscribedTitle), t(Say::Unsubscribed)).into_response()
}

//! The fediverse's routes: WebFinger, the site accounts' documents and inboxes. Routing and
//! status codes only; the rest is `crate::federation`.

use super::extract::ClientIp;
use super::state::AppState;
use crate::error::Error;
use crate::federation::documents::{self, ACTIVITY_JSON};
use crate::federation::inbox::{InboxError, Outcome};
use crate::federation::signatures::Incoming;
use crate::federation::{Federation, fetch};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use palabre_api::ErrorCode;
use std::sync::Arc;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/.well-known/webfinger", get(webfinger))
        .route("/ap/{account}", get(actor))
        .route("/ap/{account}/followers", get(followers))
        .route("/ap/{account}/outbox", get(outbox))
        .route("/ap/{account}/icon.png", get(icon))
        .route("/ap/{account}/articles/{article}", get(article))
        .route("/ap/{account}/articles/{article}/replies", get(replies))
        .route("/ap/{account}/comments/{id}", get(comment))
        .route(
            "/ap/{account}/inbox",
            post(inbox).layer(DefaultBodyLimit::max(fetch::MAX_BODY)),
        )
        .route(
            "/ap/inbox",
            post(shared_inbox).layer(DefaultBodyLimit::max(fetch::MAX_BODY)),
        )
}

fn federation(state: &AppState) -> Result<&Arc<Federation>, Error> {
    state
        .federation
        .as_ref()
        .ok_or(Error::Refused(ErrorCode::NotFound))
}

/// The site whose account is `account`.
fn site_of<'a>(fed: &'a Federation, account: &str) -> Result<&'a crate::config::Site, Error> {
    fed.site_of_account(account)
        .ok_or(Error::Refused(ErrorCode::NotFound))
}

fn activity_json(doc: serde_json::Value) -> Response {
    (
        [
            (header::CONTENT_TYPE, ACTIVITY_JSON),
            (header::CACHE_CONTROL, "max-age=300"),
        ],
        doc.to_string(),
    )
        .into_response()
}

#[derive(serde::Deserialize)]
struct Resource {
    resource: String,
}

async fn webfinger(
    State(state): State<AppState>,
    Query(q): Query<Resource>,
) -> Result<Response, Error> {
    let fed = federation(&state)?;
    let doc =
        documents::webfinger(fed, q.resource.trim()).ok_or(Error::Refused(ErrorCode::NotFound))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/jrd+json"),
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
        ],
        doc.to_string(),
    )
        .into_response())
}

/// Whether the client asked for ActivityPub rather than a page.
fn wants_activity_json(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("activity+json") || v.contains("ld+json"))
}

async fn actor(
    State(state): State<AppState>,
    Path(account): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Error> {
    let fed = federation(&state)?;
    let site = site_of(fed, &account)?;
    // A person following the profile link from Mastodon lands on the blog.
    if !wants_activity_json(&headers)
        && let Some(origin) = site.origins.first()
    {
        return Ok(Redirect::to(origin).into_response());
    }
    Ok(activity_json(documents::actor(fed, site).await?))
}

async fn followers(
    State(state): State<AppState>,
    Path(account): Path<String>,
) -> Result<Response, Error> {
    let fed = federation(&state)?;
    let site = site_of(fed, &account)?;
    Ok(activity_json(documents::followers(fed, site).await?))
}

async fn outbox(
    State(state): State<AppState>,
    Path(account): Path<String>,
) -> Result<Response, Error> {
    let fed = federation(&state)?;
    let site = site_of(fed, &account)?;
    Ok(activity_json(documents::outbox(fed, site).await?))
}

async fn icon(
    State(state): State<AppState>,
    Path(account): Path<String>,
) -> Result<Response, Error> {
    let fed = federation(&state)?;
    let site = site_of(fed, &account)?;
    let id = fed.actor_id(site).unwrap_or_default();
    Ok((
        [
            (header::CONTENT_TYPE, "image/png"),
            (header::CACHE_CONTROL, "max-age=86400"),
        ],
        documents::icon_png(&id),
    )
        .into_response())
}

/// The site and thread key an article URL names.
fn article_of<'a>(
    fed: &'a Federation,
    account: &str,
    article: &str,
) -> Result<(&'a crate::config::Site, String), Error> {
    let site = site_of(fed, account)?;
    let id = format!(
        "{}/articles/{article}",
        fed.actor_id(site).unwrap_or_default()
    );
    let key = fed
        .thread_key_of_article(site, &id)
        .ok_or(Error::Refused(ErrorCode::NotFound))?;
    Ok((site, key))
}

async fn article(
    State(state): State<AppState>,
    Path((account, article)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, Error> {
    let fed = federation(&state)?;
    let (site, key) = article_of(fed, &account, &article)?;
    let doc = fed.article_document(site, &key).await?;
    if !wants_activity_json(&headers)
        && let Some(url) = doc["url"].as_str()
    {
        return Ok(Redirect::to(url).into_response());
    }
    Ok(activity_json(doc))
}

async fn replies(
    State(state): State<AppState>,
    Path((account, article)): Path<(String, String)>,
) -> Result<Response, Error> {
    let fed = federation(&state)?;
    let (site, key) = article_of(fed, &account, &article)?;
    Ok(activity_json(fed.replies_document(site, &key).await?))
}

async fn comment(
    State(state): State<AppState>,
    Path((account, id)): Path<(String, i64)>,
    headers: HeaderMap,
) -> Result<Response, Error> {
    let fed = federation(&state)?;
    let site = site_of(fed, &account)?;
    let tombstone = || {
        let doc = serde_json::json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": fed.note_id(site, id),
            "type": "Tombstone",
        });
        let mut res = activity_json(doc);
        *res.status_mut() = StatusCode::GONE;
        res
    };
    let Some((c, remote)) = fed.comment_of_site(site, id).await? else {
        return if fed.tombstoned(id).await? {
            Ok(tombstone())
        } else {
            Err(Error::Refused(ErrorCode::NotFound))
        };
    };
    if remote {
        // Its writer's server holds it; we never speak for them.
        return Err(Error::Refused(ErrorCode::NotFound));
    }
    match fed.note_document(site, &c).await? {
        Some(doc) if !wants_activity_json(&headers) => {
            Ok(Redirect::to(doc["url"].as_str().unwrap_or("/")).into_response())
        }
        Some(doc) => Ok(activity_json(doc)),
        None if c.status == palabre_api::CommentStatus::Pending => {
            Err(Error::Refused(ErrorCode::NotFound))
        }
        // Deleted, or removed by a moderator.
        None => Ok(tombstone()),
    }
}

async fn inbox(
    State(state): State<AppState>,
    Path(account): Path<String>,
    client: ClientIp,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Error> {
    let fed = federation(&state)?;
    site_of(fed, &account)?;
    receive(&state, fed, client, method, uri, headers, body).await
}

async fn shared_inbox(
    State(state): State<AppState>,
    client: ClientIp,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Error> {
    let fed = federation(&state)?;
    receive(&state, fed, client, method, uri, headers, body).await
}

async fn receive(
    state: &AppState,
    fed: &Federation,
    client: ClientIp,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Error> {
    super::extract::limit(&state.inbox_limiter, client.0)?;
    let target = format!(
        "{}{}",
        state.services.settings.base_url().trim_end_matches('/'),
        uri.path_and_query().map_or("/", |p| p.as_str())
    );
    let incoming = Incoming {
        method: method.as_str(),
        target_uri: &target,
        headers: &headers,
        body: Some(&body),
        now_secs: crate::clock::now().as_millis() / 1000,
    };
    let (status, code) = match fed.receive(&incoming, &body).await {
        Ok(Outcome::Accepted | Outcome::Duplicate | Outcome::Ignored) => {
            return Ok(StatusCode::ACCEPTED.into_response());
        }
        Err(InboxError::Signature(why)) => {
            tracing::info!(reason = %why, "fediverse: an activity's signature was refused");
            (StatusCode::UNAUTHORIZED, "signature_invalid")
        }
        Err(InboxError::Invalid(why)) => {
            tracing::info!(reason = why, "fediverse: an activity was refused");
            (StatusCode::BAD_REQUEST, "activity_invalid")
        }
        Err(InboxError::Blocked) => (StatusCode::FORBIDDEN, "blocked"),
        Err(InboxError::RateLimited) => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
        Err(InboxError::Internal(e)) => return Err(Error::Internal(e)),
    };
    Ok((status, axum::Json(serde_json::json!({ "code": code }))).into_response())
}

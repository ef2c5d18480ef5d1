//! `/embed/*`: the widget's files. Public and credential-free, so any page may load them
//! (`Access-Control-Allow-Origin: *`); the API's own CORS still decides who may post.

use crate::error::Error;
use crate::http::encoding::Encoding;
use crate::http::state::AppState;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use palabre_api::ErrorCode;

pub fn router() -> Router<AppState> {
    Router::new().route("/embed/{file}", get(asset))
}

async fn asset(
    State(state): State<AppState>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Error> {
    let asset = state
        .widget
        .as_deref()
        .and_then(|bundle| bundle.get(&file))
        .ok_or(Error::Refused(ErrorCode::NotFound))?;
    let cache = if asset.immutable {
        // The name changes with the content: cache for a year, never revalidate.
        "public, max-age=31536000, immutable"
    } else {
        // The loader keeps its name across releases: always revalidate (cheap, via ETag).
        "public, max-age=0, must-revalidate"
    };
    let mut out = HeaderMap::new();
    out.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    out.insert(
        header::ETAG,
        HeaderValue::from_str(&asset.etag).expect("hex etag"),
    );
    out.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    out.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    out.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("cross-origin"),
    );
    let not_modified = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim() == asset.etag));
    if not_modified {
        return Ok((StatusCode::NOT_MODIFIED, out).into_response());
    }
    let accept = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let (body, encoding) = asset.body(Encoding::negotiate(accept));
    if let Some(name) = encoding.header() {
        out.insert(header::CONTENT_ENCODING, HeaderValue::from_static(name));
    }
    out.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    Ok((out, body).into_response())
}

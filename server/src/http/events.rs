//! `GET /api/v1/events?thread=K[&thread=K2…][&after=ID]`: live updates of threads as
//! Server-Sent Events (`live.rs`). The reconnecting browser's `Last-Event-ID` header, or
//! `after`, says what the reader has; what it missed comes first. Heartbeats keep proxies
//! from closing a quiet stream; a stream with nothing to say for the idle timeout ends, and
//! every stream ends when the server stops.

use super::extract::{ClientIp, Site};
use crate::error::{Error, Result};
use crate::http::state::AppState;
use crate::live::{Message, Refusal};
use crate::store::ThreadRef;
use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures_util::StreamExt as _;
use palabre_api::{ErrorCode, MAX_LIVE_THREADS, ThreadKey, ValidationError};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

/// Between heartbeats (an SSE comment line).
const HEARTBEAT: Duration = Duration::from_secs(15);
/// The browser's wait before reconnecting a stream the server ended.
const RETRY: Duration = Duration::from_secs(3);

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/events", get(events))
}

struct Query {
    threads: Vec<ThreadKey>,
    after: Option<i64>,
}

fn parse_query(raw: Option<&str>) -> Result<Query> {
    let invalid = |field: &'static str| {
        Error::Invalid(ValidationError {
            field,
            code: ErrorCode::InvalidParameter,
        })
    };
    let mut threads = Vec::new();
    let mut after = None;
    for (name, value) in form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        match &*name {
            "thread" => {
                let key = ThreadKey::parse(&value).map_err(Error::Invalid)?;
                if !threads.contains(&key) {
                    threads.push(key);
                }
            }
            "after" => after = Some(value.parse::<i64>().map_err(|_| invalid("after"))?),
            _ => {}
        }
    }
    if threads.is_empty() || threads.len() > MAX_LIVE_THREADS {
        return Err(invalid("thread"));
    }
    Ok(Query { threads, after })
}

async fn events(
    State(state): State<AppState>,
    Site(site): Site,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response> {
    let query = parse_query(raw.as_deref())?;
    // The browser's own reconnection says where it stopped, more recently than the URL.
    let after = match headers.get("last-event-id") {
        Some(v) => Some(
            v.to_str()
                .ok()
                .and_then(|v| v.trim().parse::<i64>().ok())
                .ok_or(Error::Refused(ErrorCode::InvalidParameter))?,
        ),
        None => query.after,
    };
    let client = crate::crypto::network_identity(ip);
    let threads: Vec<ThreadRef> = query
        .threads
        .into_iter()
        .map(|key| ThreadRef::new(site.clone(), key))
        .collect();
    let subscription = match state.live.subscribe(&threads, client, after).await? {
        Ok(s) => s,
        Err(Refusal::Full | Refusal::TooMany) => {
            return Err(Error::RateLimited {
                retry_after_secs: 30,
            });
        }
    };
    let idle = state.live.limits().idle_timeout;
    let replay = subscription.replay.clone().into_iter().map(Arc::new);
    let stream =
        futures_util::stream::iter(replay.map(|m| Ok::<_, Infallible>(sse_event(&m)))).chain(
            futures_util::stream::unfold(subscription, move |mut subscription| async move {
                // Nothing for `idle`: end; the widget reopens while its reader is there.
                let message = tokio::time::timeout(idle, subscription.rx.recv())
                    .await
                    .ok()??;
                Some((Ok(sse_event(&message)), subscription))
            }),
        );
    let mut response = Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(HEARTBEAT))
        .into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // nginx buffers responses by default, which would hold events back.
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(response)
}

fn sse_event(message: &Message) -> Event {
    let event = Event::default().retry(RETRY);
    let event = match message.seq {
        Some(seq) => event.id(seq.to_string()),
        None => event,
    };
    event.data(&message.json)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_names_one_to_sixteen_threads_and_maybe_a_start() {
        let q = parse_query(Some("thread=%2Fa&thread=%2Fb&thread=%2Fa&after=41")).unwrap();
        assert_eq!(q.threads.len(), 2);
        assert_eq!(q.after, Some(41));
        for bad in [
            None,
            Some(""),
            Some("after=3"),
            Some("thread=%2Fa&after=x"),
            Some("thread="),
        ] {
            assert!(parse_query(bad).is_err(), "{bad:?}");
        }
        let many: Vec<String> = (0..=MAX_LIVE_THREADS)
            .map(|i| format!("thread=/t{i}"))
            .collect();
        assert!(parse_query(Some(&many.join("&"))).is_err());
    }
}

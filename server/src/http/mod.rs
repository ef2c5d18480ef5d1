//! The HTTP edge: routing, extractors that turn requests into typed input, and the layers
//! every response passes through (CORS, size limit, tracing, panic guard).

pub mod admin;
mod auth;
pub mod cache;
mod challenge;
mod comments;
mod confirm_email;
mod counts;
mod embed;
pub mod encoding;
mod events;
mod extract;
mod fediverse;
mod feed;
pub mod first_paint;
mod health;
mod in_place;
pub mod metrics;
mod openapi;
mod preview;
pub mod state;
mod unsubscribe;
pub mod widget_bundle;
mod widget_config;
mod words;

use crate::error::Error;
use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{HeaderValue, Method, header};
use axum::response::{IntoResponse, Response};
use palabre_api::ErrorCode;
use state::AppState;
use std::time::Duration;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

/// The whole application, used by `main` and by tests alike.
pub fn router(state: AppState) -> Router {
    let sync_cache = axum::middleware::from_fn_with_state(state.clone(), sync_cache_after_writes);
    let app = Router::new()
        .merge(comments::router().route_layer(sync_cache.clone()))
        .merge(auth::router().route_layer(sync_cache.clone()))
        .merge(in_place::router().route_layer(sync_cache.clone()))
        .merge(challenge::router())
        .merge(counts::router())
        .merge(events::router())
        .merge(feed::router())
        .merge(fediverse::router())
        .merge(preview::router())
        .merge(widget_config::router())
        .merge(words::router())
        .merge(openapi::router())
        .merge(health::router())
        .merge(embed::router())
        .merge(
            Router::new()
                .merge(admin::router().route_layer(sync_cache))
                .merge(unsubscribe::router())
                .merge(confirm_email::router())
                .layer(axum::middleware::from_fn_with_state(
                    state.clone(),
                    admin::pages::in_the_visitors_language,
                )),
        )
        .fallback(|| async { Error::Refused(ErrorCode::NotFound) })
        .method_not_allowed_fallback(|| async { Error::Refused(ErrorCode::MethodNotAllowed) });
    every_answer(app, state)
}

/// The layers every answer passes through, a handler's panic included (innermost first): the
/// body limit, the panic guard, metrics, tracing, CORS, `nosniff`. The guard sits inside the
/// others so that its 500 is counted, logged, readable cross-origin and `nosniff` like any
/// other answer.
pub fn every_answer(app: Router<AppState>, state: AppState) -> Router {
    let cors = cors(state.services.settings.origins());
    app.layer(DefaultBodyLimit::max(
        state.services.settings.max_request_bytes,
    ))
    .layer(CatchPanicLayer::custom(|_| -> Response {
        tracing::error!("handler panicked");
        Error::Refused(ErrorCode::Internal).into_response()
    }))
    .layer(axum::middleware::from_fn_with_state(
        state.clone(),
        record_metrics,
    ))
    .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
        // The route template, not the URI: query strings may hold thread keys.
        let route = req
            .extensions()
            .get::<MatchedPath>()
            .map_or("<unmatched>", MatchedPath::as_str);
        tracing::info_span!("request", method = %req.method(), route)
    }))
    .layer(cors)
    .layer(SetResponseHeaderLayer::overriding(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    ))
    .with_state(state)
}

/// Routers that change threads pass through this: the response cache drops what a write
/// changed before its client hears back, so the client's next read sees the write; and the
/// live-updates hub looks for the write's events at once.
async fn sync_cache_after_writes(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: Request,
    next: axum::middleware::Next,
) -> Response {
    let writes = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let response = next.run(req).await;
    if writes {
        state.cache.sync(state.services.store.as_ref()).await;
        state.live.wake();
    }
    response
}

/// Counts every answer by route template and status, and times it.
async fn record_metrics(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: Request,
    next: axum::middleware::Next,
) -> Response {
    let started = std::time::Instant::now();
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "<unmatched>".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(req).await;
    state.metrics.record(
        &method,
        &route,
        response.status().as_u16(),
        started.elapsed(),
        response.extensions().get::<ErrorCode>().copied(),
    );
    response
}

/// The metrics on their own router, for the `--metrics-listen` address only.
pub fn metrics_router(state: AppState) -> Router {
    Router::new()
        .route(
            "/metrics",
            axum::routing::get(
                |axum::extract::State(state): axum::extract::State<AppState>| async move {
                    (
                        [(
                            header::CONTENT_TYPE,
                            "text/plain; version=0.0.4; charset=utf-8",
                        )],
                        {
                            let mut gauges = state.gauges();
                            if let Some(fed) = &state.federation {
                                gauges.fediverse = Some(fed.queue_figures().await);
                            }
                            state.metrics.render(&gauges)
                        },
                    )
                },
            ),
        )
        .with_state(state)
}

/// Browsers may call the API only from the configured blog origins, of every site.
fn cors<'a>(origins: impl Iterator<Item = &'a str>) -> CorsLayer {
    let origins: Vec<HeaderValue> = origins
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::GET, Method::POST, Method::PATCH, Method::DELETE])
        // Last-Event-ID: a live-updates stream's reconnection says what it has.
        .allow_headers([
            header::CONTENT_TYPE,
            header::AUTHORIZATION,
            header::HeaderName::from_static("last-event-id"),
        ])
        .expose_headers([
            header::RETRY_AFTER,
            header::HeaderName::from_static(palabre_api::EVENTS_AFTER_HEADER),
        ])
        .max_age(Duration::from_secs(3600))
}

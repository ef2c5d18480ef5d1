//! Counters for Prometheus, served on their own address (`--metrics-listen`) so that they are
//! never public by accident. Requests are counted by route template and status (never by URL:
//! query strings hold thread keys), with a latency histogram per route; new comments by
//! outcome, refusals by error code. What other parts keep (the cache's hits, the pool, the
//! notification queue, open streams) is read when scraped. Nothing here names a client.

use palabre_api::ErrorCode;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds of the latency histogram, in seconds.
const BUCKETS: [f64; 10] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 2.5,
];

#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    requests: BTreeMap<(&'static str, String, u16), u64>,
    latency: BTreeMap<String, Histogram>,
    /// New comments by outcome: published or held.
    comments: BTreeMap<&'static str, u64>,
    /// Refused new comments by error code.
    refused: BTreeMap<&'static str, u64>,
}

#[derive(Default, Clone)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// What is read from elsewhere when scraped.
#[derive(Debug, Clone, Default)]
pub struct Gauges {
    pub cache_hits: u64,
    pub cache_misses: u64,
    pub cache_bytes: u64,
    /// Database connections open and idle (both backends' pools).
    pub pool: Option<(u32, u32)>,
    pub notifications_queued: u64,
    pub notifications_failed: u64,
    pub live_streams: u64,
    /// The delivery queue and the inboxes, when a site has a fediverse account.
    pub fediverse: Option<crate::federation::QueueFigures>,
}

fn method_name(method: &axum::http::Method) -> &'static str {
    match *method {
        axum::http::Method::GET => "GET",
        axum::http::Method::POST => "POST",
        axum::http::Method::PATCH => "PATCH",
        axum::http::Method::DELETE => "DELETE",
        axum::http::Method::HEAD => "HEAD",
        axum::http::Method::OPTIONS => "OPTIONS",
        axum::http::Method::PUT => "PUT",
        _ => "other",
    }
}

impl Metrics {
    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// One answered request. `route` is the matched template (`<unmatched>` for none);
    /// `error` the code of an error answer.
    pub fn record(
        &self,
        method: &axum::http::Method,
        route: &str,
        status: u16,
        elapsed: Duration,
        error: Option<ErrorCode>,
    ) {
        let method = method_name(method);
        let mut inner = self.inner();
        *inner
            .requests
            .entry((method, route.to_owned(), status))
            .or_default() += 1;
        let h = inner.latency.entry(route.to_owned()).or_default();
        let secs = elapsed.as_secs_f64();
        for (i, bound) in BUCKETS.iter().enumerate() {
            if secs <= *bound {
                h.counts[i] += 1;
            }
        }
        h.count += 1;
        h.sum += secs;
        if method == "POST" && route == "/api/v1/comments" {
            match (status, error) {
                (201, _) => *inner.comments.entry("published").or_default() += 1,
                (202, _) => *inner.comments.entry("held").or_default() += 1,
                (_, Some(code)) => *inner.refused.entry(code.as_str()).or_default() += 1,
                _ => *inner.refused.entry("other").or_default() += 1,
            }
        }
    }

    /// The Prometheus text exposition.
    pub fn render(&self, g: &Gauges) -> String {
        let inner = self.inner();
        let mut out = String::new();
        let mut family = |name: &str, kind: &str, help: &str| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        };
        family(
            "palabre_http_requests_total",
            "counter",
            "Requests answered, by method, route template and status.",
        );
        let mut lines = String::new();
        for ((method, route, status), n) in &inner.requests {
            let _ = writeln!(
                lines,
                "palabre_http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {n}",
                escape(route)
            );
        }
        out.push_str(&lines);
        let _ = writeln!(
            out,
            "# HELP palabre_http_request_duration_seconds Time to answer, by route template.\n\
             # TYPE palabre_http_request_duration_seconds histogram"
        );
        for (route, h) in &inner.latency {
            let route = escape(route);
            for (bound, n) in BUCKETS.iter().zip(h.counts) {
                let _ = writeln!(
                    out,
                    "palabre_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {n}"
                );
            }
            let _ = writeln!(
                out,
                "palabre_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}\n\
                 palabre_http_request_duration_seconds_sum{{route=\"{route}\"}} {}\n\
                 palabre_http_request_duration_seconds_count{{route=\"{route}\"}} {}",
                h.count, h.sum, h.count
            );
        }
        let _ = writeln!(
            out,
            "# HELP palabre_comments_total New comments taken, by outcome (published, held).\n\
             # TYPE palabre_comments_total counter"
        );
        for outcome in ["published", "held"] {
            let n = inner.comments.get(outcome).copied().unwrap_or(0);
            let _ = writeln!(out, "palabre_comments_total{{outcome=\"{outcome}\"}} {n}");
        }
        let _ = writeln!(
            out,
            "# HELP palabre_comments_refused_total New comments refused, by error code.\n\
             # TYPE palabre_comments_refused_total counter"
        );
        for (reason, n) in &inner.refused {
            let _ = writeln!(
                out,
                "palabre_comments_refused_total{{reason=\"{reason}\"}} {n}"
            );
        }
        let mut simple = |name: &str, kind: &str, help: &str, value: u64| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
            );
        };
        simple(
            "palabre_cache_hits_total",
            "counter",
            "Responses served from the response cache.",
            g.cache_hits,
        );
        simple(
            "palabre_cache_misses_total",
            "counter",
            "Cacheable responses built from the database.",
            g.cache_misses,
        );
        simple(
            "palabre_cache_bytes",
            "gauge",
            "Memory held by the response cache.",
            g.cache_bytes,
        );
        if let Some((open, idle)) = g.pool {
            simple(
                "palabre_db_connections",
                "gauge",
                "Database connections open.",
                u64::from(open),
            );
            simple(
                "palabre_db_connections_idle",
                "gauge",
                "Database connections open and idle.",
                u64::from(idle),
            );
        }
        simple(
            "palabre_notifications_queued",
            "gauge",
            "Emails and webhooks waiting to be sent.",
            g.notifications_queued,
        );
        simple(
            "palabre_notifications_failed_total",
            "counter",
            "Emails and webhooks given up after every retry.",
            g.notifications_failed,
        );
        simple(
            "palabre_live_streams",
            "gauge",
            "Open live-update streams.",
            g.live_streams,
        );
        if let Some(f) = &g.fediverse {
            simple(
                "palabre_fediverse_received_total",
                "counter",
                "Activities taken in by the inboxes (accepted or ignored).",
                f.received,
            );
            simple(
                "palabre_fediverse_refused_total",
                "counter",
                "Activities the inboxes refused (signature, origin, limits).",
                f.refused,
            );
            for (name, kind, help, values) in [
                (
                    "palabre_deliveries_queued",
                    "gauge",
                    "Deliveries waiting in the database, by kind.",
                    &f.queued,
                ),
                (
                    "palabre_deliveries_sent_total",
                    "counter",
                    "Deliveries sent by this process, by kind.",
                    &f.sent,
                ),
                (
                    "palabre_deliveries_failed_total",
                    "counter",
                    "Deliveries this process gave up after every retry, by kind.",
                    &f.failed,
                ),
            ] {
                let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
                for (k, n) in values {
                    let _ = writeln!(out, "{name}{{kind=\"{k}\"}} {n}");
                }
            }
        }
        out
    }
}

/// A label value: backslash, quote and newline escaped.
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Method;

    #[test]
    fn requests_comments_and_refusals_are_counted() {
        let m = Metrics::default();
        let ms = Duration::from_millis;
        m.record(&Method::GET, "/api/v1/comments", 200, ms(3), None);
        m.record(&Method::POST, "/api/v1/comments", 201, ms(4), None);
        m.record(&Method::POST, "/api/v1/comments", 202, ms(4), None);
        m.record(
            &Method::POST,
            "/api/v1/comments",
            429,
            ms(1),
            Some(ErrorCode::RateLimited),
        );
        let text = m.render(&Gauges {
            pool: Some((3, 2)),
            live_streams: 4,
            ..Gauges::default()
        });
        for line in [
            "palabre_http_requests_total{method=\"GET\",route=\"/api/v1/comments\",status=\"200\"} 1",
            "palabre_http_requests_total{method=\"POST\",route=\"/api/v1/comments\",status=\"429\"} 1",
            "palabre_http_request_duration_seconds_bucket{route=\"/api/v1/comments\",le=\"0.005\"} 4",
            "palabre_http_request_duration_seconds_bucket{route=\"/api/v1/comments\",le=\"0.0025\"} 1",
            "palabre_http_request_duration_seconds_count{route=\"/api/v1/comments\"} 4",
            "palabre_comments_total{outcome=\"published\"} 1",
            "palabre_comments_total{outcome=\"held\"} 1",
            "palabre_comments_refused_total{reason=\"rate_limited\"} 1",
            "palabre_db_connections_idle 2",
            "palabre_live_streams 4",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} in\n{text}");
        }
        assert_eq!(escape("a\"b\\c"), "a\\\"b\\\\c");
    }
}

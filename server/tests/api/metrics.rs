//! `/metrics` on `--metrics-listen`: counters move with what the server does, and the public
//! address does not serve them.

use crate::helpers::*;
use serde_json::json;

fn value(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test]
async fn a_scrape_after_some_requests_shows_them_counted() {
    let app =
        TestApp::spawn_with(|s| s.metrics_listen = Some("127.0.0.1:0".parse().unwrap())).await;
    let url = app.metrics.clone().expect("a metrics address");
    let scrape = || async {
        let res = app.client.get(&url).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert!(
            res.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/plain")
        );
        res.text().await.unwrap()
    };
    let before = scrape().await;

    app.comment("/t", "counted", None).await;
    app.thread("/t").await;
    app.thread("/t").await;
    let refused = app
        .post_json_as_is(
            "/api/v1/comments",
            &json!({"thread": "/t", "body": "no proof of work"}),
        )
        .await;
    assert_eq!(refused.status(), 403);
    let _stream = app.get("/api/v1/events?thread=/t").await;

    let after = scrape().await;
    let moved = |series: &str| value(&after, series) - value(&before, series);
    assert_eq!(
        moved("palabre_comments_total{outcome=\"published\"}"),
        1.0,
        "{after}"
    );
    assert_eq!(
        moved("palabre_comments_refused_total{reason=\"challenge_required\"}"),
        1.0,
        "{after}"
    );
    assert!(
        moved(
            "palabre_http_requests_total{method=\"GET\",route=\"/api/v1/comments\",status=\"200\"}"
        ) >= 2.0
    );
    assert!(
        moved("palabre_http_request_duration_seconds_count{route=\"/api/v1/comments\"}") >= 4.0
    );
    assert!(
        moved("palabre_cache_hits_total") >= 1.0,
        "the second read came from the cache"
    );
    assert!(moved("palabre_cache_misses_total") >= 1.0);
    assert_eq!(value(&after, "palabre_live_streams"), 1.0);
    assert!(value(&after, "palabre_db_connections") >= 1.0);
    // No client address, email or thread key in any series.
    assert!(!after.contains("127.0.0.1") && !after.contains("thread=/t"));

    let public = app.get("/metrics").await;
    assert_eq!(public.status(), 404, "never on the public address");
}

//! Live updates (`GET /api/v1/events`): what a stream carries and in which order, replay by
//! `Last-Event-ID`, held comments never leaking, the limits, and streams across replicas.

use crate::admin::{held_comment, sign_in};
use crate::helpers::*;
use palabre_api::{ErrorCode, LiveEvent, ModerationMode};
use serde_json::json;
use std::time::{Duration, Instant};

/// A reader's open stream, parsed as a browser's EventSource would.
struct Events {
    res: reqwest::Response,
    buffer: String,
}

#[derive(Debug)]
struct Received {
    id: Option<i64>,
    event: LiveEvent,
}

impl Events {
    async fn open(app: &TestApp, query: &str, last_event_id: Option<i64>) -> Self {
        let mut req = app.client.get(app.url(&format!("/api/v1/events?{query}")));
        if let Some(id) = last_event_id {
            req = req.header("last-event-id", id.to_string());
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], "text/event-stream");
        Self {
            res,
            buffer: String::new(),
        }
    }

    /// The next event, or `None` if the stream ends or `wait` passes first.
    async fn next(&mut self, wait: Duration) -> Option<Received> {
        let deadline = Instant::now() + wait;
        loop {
            while let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut id = None;
                let mut data = String::new();
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("id:") {
                        id = Some(v.trim().parse().unwrap());
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim_start());
                    }
                }
                if !data.is_empty() {
                    let event = serde_json::from_str(&data).unwrap();
                    return Some(Received { id, event });
                }
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            match tokio::time::timeout(left, self.res.chunk()).await {
                Ok(Ok(Some(bytes))) => self.buffer.push_str(&String::from_utf8_lossy(&bytes)),
                Ok(_) => return None,
                Err(_) => return None,
            }
        }
    }

    async fn expect(&mut self) -> Received {
        self.next(Duration::from_secs(5))
            .await
            .expect("an event within 5 s")
    }

    /// Asserts nothing comes for a while (held comments, other threads).
    async fn expect_quiet(&mut self, wait: Duration) {
        if let Some(e) = self.next(wait).await {
            panic!("unexpected event {e:?}");
        }
    }
}

fn comment_text(e: &Received) -> String {
    match &e.event {
        LiveEvent::Comment { comment, .. } => comment.html.clone(),
        other => panic!("not a comment: {other:?}"),
    }
}

#[tokio::test]
async fn a_stream_carries_posts_edits_votes_deletions_and_locks_in_order() {
    let app = TestApp::spawn().await;
    let mut stream = Events::open(&app, "thread=/t", None).await;
    let mut other = Events::open(&app, "thread=/elsewhere", None).await;
    let first = app.comment("/t", "first", None).await;
    let e = stream.expect().await;
    assert!(comment_text(&e).contains("first"));
    let reply = app.comment("/t", "a reply", Some(first.comment.id)).await;
    let e = stream.expect().await;
    assert!(comment_text(&e).contains("a reply"));
    app.post_json(
        &format!("/api/v1/comments/{}/vote", first.comment.id),
        &json!({"value": 1}),
    )
    .await;
    match stream.expect().await.event {
        LiveEvent::Comment { comment, .. } => {
            assert_eq!((comment.id, comment.likes), (first.comment.id, 1));
        }
        other => panic!("{other:?}"),
    }
    app.client
        .patch(app.url(&format!("/api/v1/comments/{}", reply.comment.id)))
        .bearer_auth(&reply.edit_token)
        .json(&json!({"body": "a reply, edited"}))
        .send()
        .await
        .unwrap();
    let e = stream.expect().await;
    assert!(comment_text(&e).contains("edited"));
    app.client
        .delete(app.url(&format!("/api/v1/comments/{}", reply.comment.id)))
        .bearer_auth(&reply.edit_token)
        .send()
        .await
        .unwrap();
    let e = stream.expect().await;
    assert_eq!(
        e.event,
        LiveEvent::Removed {
            thread: "/t".into(),
            id: reply.comment.id
        }
    );
    let admin = sign_in(&app).await;
    admin
        .post(
            "/admin/threads/action",
            &[("key", "/t"), ("action", "lock")],
        )
        .await;
    let e = stream.expect().await;
    assert!(
        matches!(e.event, LiveEvent::Thread { locked: true, .. }),
        "{e:?}"
    );
    other.expect_quiet(Duration::from_millis(300)).await;
}

#[tokio::test]
async fn held_comments_are_never_broadcast_until_approved() {
    let app = TestApp::spawn_with(|s| s.moderation = ModerationMode::All).await;
    let mut stream = Events::open(&app, "thread=/t", None).await;
    let (id, _) = held_comment(&app, "/t", "held text", "h@example.org").await;
    stream.expect_quiet(Duration::from_millis(1500)).await;
    let admin = sign_in(&app).await;
    admin.act("approve", &[id]).await;
    let e = stream.expect().await;
    assert!(comment_text(&e).contains("held text"));
}

#[tokio::test]
async fn a_reader_reconnecting_gets_exactly_what_it_missed() {
    let app = TestApp::spawn().await;
    let mut stream = Events::open(&app, "thread=/t&thread=/u", None).await;
    app.comment("/t", "one", None).await;
    app.comment("/u", "two", None).await;
    let seen = stream.expect().await.id.unwrap();
    let last = stream.expect().await.id.unwrap();
    assert!(last > seen);
    drop(stream);

    // Missed while away: three comments, one of them on a thread this reader does not follow.
    app.comment("/t", "three", None).await;
    app.comment("/other", "not for you", None).await;
    app.comment("/u", "four", None).await;
    let mut back = Events::open(&app, "thread=/t&thread=/u", Some(last)).await;
    let a = back.expect().await;
    let b = back.expect().await;
    assert!(comment_text(&a).contains("three") && comment_text(&b).contains("four"));
    assert!(a.id.unwrap() > last && b.id > a.id);
    // Then live, with no duplicate.
    app.comment("/t", "five", None).await;
    let c = back.expect().await;
    assert!(comment_text(&c).contains("five"), "{c:?}");
    back.expect_quiet(Duration::from_millis(300)).await;

    // The same through the URL, as the widget does after pausing.
    let mut again = Events::open(&app, &format!("thread=/t&after={}", a.id.unwrap()), None).await;
    assert!(comment_text(&again.expect().await).contains("five"));
}

/// The widget reads a page, then opens its stream later with the page's
/// `palabre-events-after`: what changed in between comes first, and nothing the page showed.
#[tokio::test]
async fn a_page_says_where_its_live_updates_start() {
    const BLOG_ORIGIN: &str = "https://blog.example";
    let app = TestApp::spawn_with(|s| s.sites[0].origins = vec![BLOG_ORIGIN.into()]).await;
    app.comment("/t", "on the page", None).await;
    // Twice: the answer from the store, then from the response cache.
    let mut afters = Vec::new();
    for _ in 0..2 {
        let res = app
            .client
            .get(app.url("/api/v1/comments?thread=/t"))
            .header("origin", BLOG_ORIGIN)
            .send()
            .await
            .unwrap();
        let exposed = res.headers()["access-control-expose-headers"]
            .to_str()
            .unwrap();
        assert!(
            exposed.contains(palabre_api::EVENTS_AFTER_HEADER),
            "{exposed}"
        );
        let after: i64 = res.headers()[palabre_api::EVENTS_AFTER_HEADER]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        afters.push(after);
    }
    assert_eq!(
        afters[0], afters[1],
        "nothing changed between the two reads"
    );
    app.comment("/t", "after the page", None).await;
    let mut stream = Events::open(&app, &format!("thread=/t&after={}", afters[0]), None).await;
    let e = stream.expect().await;
    assert!(comment_text(&e).contains("after the page"), "{e:?}");
    stream.expect_quiet(Duration::from_millis(300)).await;
}

#[tokio::test]
async fn a_reader_away_too_long_is_told_to_reload() {
    let app = TestApp::spawn().await;
    let mut stream = Events::open(&app, "thread=/t", None).await;
    app.comment("/t", "one", None).await;
    let id = stream.expect().await.id.unwrap();
    drop(stream);
    app.comment("/t", "two", None).await;
    let later =
        palabre_api::Timestamp::from_millis(palabre_server::clock::now().as_millis() + 5_000);
    assert!(app.state.services.store.prune_events(later).await.unwrap() > 0);
    let mut back = Events::open(&app, "thread=/t", Some(id)).await;
    let e = back.expect().await;
    assert_eq!((e.id, e.event), (None, LiveEvent::Reload));
    // An id from another database (ahead of this one) too.
    let mut odd = Events::open(&app, "thread=/t", Some(1 << 40)).await;
    assert_eq!(odd.expect().await.event, LiveEvent::Reload);
}

#[tokio::test]
async fn streams_are_limited_per_client_and_end_when_idle() {
    let app = TestApp::spawn_with(|s| {
        s.live.max_streams_per_client = 2;
        s.live.idle_timeout = Duration::from_millis(400);
    })
    .await;
    let a = Events::open(&app, "thread=/t", None).await;
    let mut b = Events::open(&app, "thread=/t", None).await;
    let res = app.get("/api/v1/events?thread=/t").await;
    assert_eq!(res.status(), 429);
    assert!(res.headers().contains_key("retry-after"));
    drop(a);
    tokio::time::sleep(Duration::from_millis(50)).await;
    let _c = Events::open(&app, "thread=/t", None).await;
    // Nothing to say for the idle timeout: the stream ends.
    let started = Instant::now();
    assert!(b.next(Duration::from_secs(3)).await.is_none());
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn bad_queries_are_refused_before_any_stream() {
    let app = TestApp::spawn().await;
    for (query, code) in [
        ("", ErrorCode::InvalidParameter),
        ("thread=", ErrorCode::ThreadInvalid),
        ("thread=/t&after=soon", ErrorCode::InvalidParameter),
    ] {
        let res = app.get(&format!("/api/v1/events?{query}")).await;
        expect_error(res, code.http_status(), code).await;
    }
    let res = app
        .client
        .get(app.url("/api/v1/events?thread=/t"))
        .header("last-event-id", "yesterday")
        .send()
        .await
        .unwrap();
    expect_error(res, 400, ErrorCode::InvalidParameter).await;
    assert_eq!(app.state.live.open_streams(), 0);
}

#[tokio::test]
async fn a_slow_reader_is_dropped_without_holding_back_the_others() {
    let app = TestApp::spawn().await;
    let key = crate::helpers::default_thread("/t");
    // A reader that never reads: its buffer fills, and it is dropped.
    let slow = app
        .state
        .live
        .subscribe(&[key], "slow".into(), None)
        .await
        .unwrap()
        .unwrap();
    let mut fast = Events::open(&app, "thread=/t", None).await;
    for i in 0..300 {
        app.comment("/t", &format!("c{i}"), None).await;
        assert!(comment_text(&fast.expect().await).contains(&format!("c{i}")));
    }
    assert_eq!(app.state.live.open_streams(), 1, "the slow one is gone");
    drop(slow);
}

#[tokio::test]
async fn a_post_on_one_replica_reaches_streams_on_another() {
    let Some((a, b)) = crate::replicas::two_replicas(|_| {}).await else {
        return;
    };
    let mut on_b = Events::open(&b, "thread=/t", None).await;
    a.comment("/t", "through A", None).await;
    let sent = Instant::now();
    let e = on_b.expect().await;
    eprintln!(
        "replica A's post reached a stream on B after {:?}",
        sent.elapsed()
    );
    assert!(comment_text(&e).contains("through A"));
    assert!(
        sent.elapsed() < Duration::from_millis(500),
        "{:?}",
        sent.elapsed()
    );
    // B's reader reconnects to A with B's id: exactly what it missed, from A.
    let id = e.id.unwrap();
    drop(on_b);
    b.comment("/t", "through B", None).await;
    let mut on_a = Events::open(&a, "thread=/t", Some(id)).await;
    assert!(comment_text(&on_a.expect().await).contains("through B"));
    on_a.expect_quiet(Duration::from_millis(300)).await;
}

#[tokio::test]
async fn streams_of_one_thread_come_and_go_without_disturbing_each_other() {
    let app = TestApp::spawn().await;
    let mut both = Events::open(&app, "thread=/a&thread=/b", None).await;
    let leaving = Events::open(&app, "thread=/a", None).await;
    let mut staying = Events::open(&app, "thread=/a", None).await;
    app.comment("/a", "to all three", None).await;
    assert!(comment_text(&both.expect().await).contains("to all three"));
    assert!(comment_text(&staying.expect().await).contains("to all three"));
    drop(leaving);
    // One gone, the others of its thread still get everything; a new one joins them.
    app.comment("/a", "after one left", None).await;
    assert!(comment_text(&staying.expect().await).contains("after one left"));
    let mut newcomer = Events::open(&app, "thread=/a", None).await;
    app.comment("/b", "on the other thread", None).await;
    assert!(comment_text(&both.expect().await).contains("after one left"));
    assert!(comment_text(&both.expect().await).contains("on the other thread"));
    app.comment("/a", "to the newcomer", None).await;
    assert!(comment_text(&newcomer.expect().await).contains("to the newcomer"));
    assert!(comment_text(&staying.expect().await).contains("to the newcomer"));
    staying.expect_quiet(Duration::from_millis(200)).await;
}

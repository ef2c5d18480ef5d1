//! What the server compresses, and what it must not (BREACH).

use crate::admin::sign_in;
use crate::helpers::TestApp;
use serde_json::json;
use std::io::Read;
use std::time::{Duration, Instant};

/// One encoding's answer: its status, `Content-Encoding`, `Vary`, `Content-Length`, and body
/// as sent.
struct Answer {
    encoding: Option<String>,
    vary: String,
    length: Option<usize>,
    body: Vec<u8>,
}

async fn fetch(req: reqwest::RequestBuilder, accept: &str) -> Answer {
    let res = req.header("accept-encoding", accept).send().await.unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    let header = |name: &str| {
        res.headers()
            .get_all(name)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let encoding = Some(header("content-encoding")).filter(|e| !e.is_empty());
    let vary = header("vary");
    let length = res.content_length().map(|n| n as usize);
    let body = res.bytes().await.unwrap().to_vec();
    Answer {
        encoding,
        vary,
        length,
        body,
    }
}

fn decode(answer: &Answer) -> Vec<u8> {
    let mut out = Vec::new();
    match answer.encoding.as_deref() {
        Some("br") => brotli::Decompressor::new(&answer.body[..], 4096)
            .read_to_end(&mut out)
            .map(drop),
        Some("gzip") => flate2::read::GzDecoder::new(&answer.body[..])
            .read_to_end(&mut out)
            .map(drop),
        None => {
            out.clone_from(&answer.body);
            Ok(())
        }
        Some(other) => panic!("unexpected encoding {other}"),
    }
    .expect("decodes");
    out
}

/// A comment's text, from a fixed sequence: phrases of the kind readers write, combined so
/// that no two comments repeat each other, as on a real page (repeated text would compress far
/// better: gzip makes this page about 10 times smaller, as it does the pages readers see).
fn reader_text(seed: &mut u64) -> String {
    const OPENERS: [&str; 16] = [
        "I tried the cold rise",
        "Thanks for the recipe,",
        "My grandmother always said",
        "Has anyone measured",
        "For anyone at altitude,",
        "Les crêpes « maison »",
        "The second bake",
        "Could you add",
        "We moved the starter",
        "Rye behaves differently:",
        "Printed this out,",
        "I disagree about",
        "Mixing by hand",
        "The scoring pattern",
        "Baking in a loaf tin",
        "What brand of oven",
    ];
    const MIDDLES: [&str; 16] = [
        "with whole wheat flour",
        "at 230 degrees",
        "after a long autolyse",
        "on a cheap kitchen scale",
        "in the warm kitchen",
        "with toasted walnuts",
        "for a 500 gram loaf",
        "under a tray of water",
        "with 10 % semolina",
        "between bakes in the fridge",
        "during the last fold",
        "with the lid on",
        "at 2.4 % salt",
        "on a baking stone",
        "after twenty minutes",
        "with fresh yeast",
    ];
    const CLOSERS: [&str; 16] = [
        "and the crumb was far more open.",
        "but it came out flat.",
        "and it worked first time.",
        "so I will try again this weekend.",
        "which my kids loved.",
        "and the crust cracked.",
        "but the dough tore.",
        "and it kept for two weeks.",
        "so thank you!",
        "see https://bread.example/notes.",
        "and the colour was lovely.",
        "which surprised me.",
        "but the bottom burnt.",
        "and nobody noticed.",
        "so what went wrong?",
        "mais c'est bon.",
    ];
    let mut next = |n: usize| {
        *seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (*seed >> 33) as usize % n
    };
    let mut text = String::new();
    for _ in 0..2 + next(5) {
        text.push_str(&format!(
            "{} {} {} ({} g, {} min) ",
            OPENERS[next(16)],
            MIDDLES[next(16)],
            CLOSERS[next(16)],
            100 + next(900),
            5 + next(55)
        ));
    }
    text
}

/// `n` comments on `thread`: a third top-level, the rest replies to recent ones.
async fn seed(app: &TestApp, thread: &str, n: usize) {
    let mut seed = 3;
    let mut ids: Vec<i64> = Vec::new();
    for i in 0..n {
        let parent =
            (!ids.is_empty() && i % 3 != 0).then(|| ids[ids.len() - 1 - i % ids.len().min(5)]);
        let text = reader_text(&mut seed);
        ids.push(app.comment(thread, &text, parent).await.comment.id);
    }
}

#[tokio::test]
async fn what_readers_fetch_most_goes_compressed_in_the_encoding_they_prefer() {
    let app = TestApp::spawn().await;
    seed(&app, "/bread", 30).await;
    let keys: Vec<String> = (0..60).map(|i| format!("/post-{i}")).collect();
    let client = reqwest::Client::new();
    type Request<'a> = Box<dyn Fn() -> reqwest::RequestBuilder + 'a>;
    let requests: Vec<(&str, Request)> = vec![
        (
            "thread page",
            Box::new(|| client.get(app.url("/api/v1/comments?thread=/bread"))),
        ),
        (
            "first paint",
            Box::new(|| client.get(app.url("/api/v1/first-paint?thread=/bread"))),
        ),
        (
            "counts",
            Box::new(|| {
                client
                    .post(app.url("/api/v1/counts"))
                    .json(&json!({ "threads": keys }))
            }),
        ),
        (
            "feed",
            Box::new(|| client.get(app.url("/api/v1/feed?thread=/bread"))),
        ),
        (
            "API document",
            Box::new(|| client.get(app.url("/api/v1/openapi.json"))),
        ),
    ];
    for (name, request) in &requests {
        let plain = fetch(request(), "identity").await;
        assert_eq!(plain.encoding, None, "{name}");
        assert!(plain.body.len() > 512, "{name}: {} bytes", plain.body.len());
        // Twice each: the second answer comes from the response cache where there is one.
        for _ in 0..2 {
            for (accept, expected) in [
                ("gzip, deflate, br, zstd", "br"),
                ("gzip", "gzip"),
                ("br;q=0, gzip;q=0.5", "gzip"),
            ] {
                let answer = fetch(request(), accept).await;
                assert_eq!(
                    answer.encoding.as_deref(),
                    Some(expected),
                    "{name}, {accept}"
                );
                assert!(
                    answer.vary.to_ascii_lowercase().contains("accept-encoding"),
                    "{name}: Vary {:?}",
                    answer.vary
                );
                assert_eq!(answer.length, Some(answer.body.len()), "{name}");
                assert!(
                    answer.body.len() < plain.body.len() / 2,
                    "{name}, {expected}: {} of {} bytes",
                    answer.body.len(),
                    plain.body.len()
                );
                assert_eq!(decode(&answer), plain.body, "{name}, {expected}");
            }
        }
        let plain_again = fetch(request(), "").await;
        assert_eq!(plain_again.encoding, None, "{name}");
        assert!(
            plain_again
                .vary
                .to_ascii_lowercase()
                .contains("accept-encoding")
        );
    }
}

#[tokio::test]
async fn a_200_comment_page_takes_at_most_12_kb_on_the_wire() {
    let app = TestApp::spawn().await;
    seed(&app, "/long", 200).await;
    let client = reqwest::Client::new();
    let page = || client.get(app.url("/api/v1/comments?thread=/long&limit=200"));
    let plain = fetch(page(), "identity").await;
    let first = fetch(page(), "br").await;
    assert_eq!(decode(&first), plain.body);
    assert!(
        first.body.len() * 6 < plain.body.len(),
        "at once: {} of {} bytes",
        first.body.len(),
        plain.body.len()
    );
    // The better form replaces it in the background once the page has stayed cached.
    let started = Instant::now();
    let best = loop {
        let answer = fetch(page(), "br").await;
        if answer.body.len() < first.body.len() || started.elapsed() > Duration::from_secs(10) {
            break answer;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let gzip = fetch(page(), "gzip").await;
    println!(
        "200 comments: {} bytes of JSON, {} gzip, {} brotli at once, {} after {:?}",
        plain.body.len(),
        gzip.body.len(),
        first.body.len(),
        best.body.len(),
        started.elapsed()
    );
    assert!(best.body.len() <= 12 * 1024, "{} bytes", best.body.len());
    assert!(best.body.len() < first.body.len());
    assert_eq!(decode(&best), plain.body);
}

#[tokio::test]
async fn what_carries_a_secret_next_to_reader_text_is_never_compressed() {
    let app = TestApp::spawn().await;
    let long = reader_text(&mut 11).repeat(4);
    // The answer to a post holds the edit token beside the reader's own words.
    let posted = app
        .client
        .post(app.url("/api/v1/comments"))
        .header("accept-encoding", "br, gzip")
        .json(&json!({
            "thread": "/secret", "body": &long[..long.len().min(990)], "author": "Tester",
            "pow": app.solved_challenge().await,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 201);
    assert_eq!(posted.headers().get("content-encoding"), None);
    assert!(posted.text().await.unwrap().contains("edit_token"));

    // Admin pages hold the CSRF token beside the comments they list.
    let admin = sign_in(&app).await;
    for path in ["/admin/comments", "/admin/queue", "/admin/threads"] {
        let res = admin
            .get_with(path, &[("accept-encoding", "br, gzip")])
            .await;
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(res.headers().get("content-encoding"), None, "{path}");
        assert!(res.text().await.unwrap().contains("csrf"), "{path}");
    }
}

//! Classes of vulnerability found in our peers' advisories, each tried here: a reader's
//! `website` (quotes, `javascript:` variants) in every context the server writes it, HTML in
//! names and bodies inside notification emails, forwarded-address headers a client sends
//! itself, and path traversal under /embed/ and /admin/. (Headers on every answer, oversized
//! and deeply nested JSON: security.rs and bad_input.rs. The widget's own drawing: the
//! end-to-end `reader.test.mjs`.)

use crate::admin::sign_in;
use crate::helpers::*;
use crate::notifications::{smtp_sink, wait_for_mail, with_smtp};
use palabre_api::{ErrorCode, ModerationMode};
use palabre_server::cli::ImportFormat;
use palabre_server::cli::import::import_file;
use palabre_server::import::Options;
use palabre_server::rate_limit::RateLimit;
use serde_json::json;

/// Websites a reader may type; each is refused or stored as an inert http(s) link.
const TYPED: &[&str] = &[
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "javascript&colon;alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "https://a.example/\" onmouseover=\"alert(1)",
    "https://a.example/'onmouseover='alert(1)",
    "https://a.example/><script>alert(1)</script>",
    "https://user:pass@a.example/",
];

/// Attribute names in markup (HTML or XML), values skipped whether quoted or not: a value that
/// broke out of its quotes shows up here as a name of its own.
fn attribute_names(markup: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = markup;
    while let Some(i) = rest.find('<') {
        rest = &rest[i + 1..];
        if !rest.starts_with(|c: char| c.is_ascii_alphabetic()) {
            continue;
        }
        let tag_end = rest.find('>').unwrap_or(rest.len());
        let mut tag = &rest[..tag_end];
        rest = &rest[tag_end..];
        tag = tag.trim_start_matches(|c: char| !c.is_whitespace());
        loop {
            tag = tag.trim_start_matches(|c: char| c.is_whitespace() || c == '/');
            if tag.is_empty() {
                break;
            }
            let name_end = tag
                .find(|c: char| c == '=' || c.is_whitespace())
                .unwrap_or(tag.len());
            names.push(tag[..name_end].to_ascii_lowercase());
            tag = &tag[name_end..];
            if let Some(value) = tag.strip_prefix('=') {
                tag = match value.chars().next() {
                    Some(q @ ('"' | '\'')) => value[1..].find(q).map_or("", |j| &value[j + 2..]),
                    _ => value.find(char::is_whitespace).map_or("", |j| &value[j..]),
                };
            }
        }
    }
    names
}

/// No event-handler attribute, and no link to anything but http(s) and mailto.
fn assert_inert(markup: &str, context: &str) {
    let names = attribute_names(markup);
    assert!(!names.is_empty(), "{context}: markup was scanned");
    let handlers: Vec<&String> = names.iter().filter(|n| n.starts_with("on")).collect();
    assert!(handlers.is_empty(), "{context}: {handlers:?} in {markup}");
    let lower = markup.to_ascii_lowercase();
    for scheme in ["javascript:", "vbscript:", "data:text"] {
        assert!(
            !lower.contains(&format!("=\"{scheme}")),
            "{context}: a {scheme} link"
        );
        assert!(
            !lower.contains(&format!("<uri>{scheme}")),
            "{context}: a {scheme} link"
        );
    }
    assert!(!lower.contains("<script"), "{context}: a script element");
}

#[test]
fn the_attribute_scanner_sees_a_value_that_broke_out() {
    assert_eq!(
        attribute_names(r#"<a href="x" class='y'>"#),
        ["href", "class"]
    );
    assert_eq!(
        attribute_names(r#"<a href="https://a.example/" onmouseover="alert(1)">"#),
        ["href", "onmouseover"]
    );
    assert_eq!(
        attribute_names(r#"<a href="https://a.example/&quot; onmouseover=&quot;x">"#),
        ["href"]
    );
}

#[tokio::test]
async fn a_website_is_refused_or_inert_in_every_context_the_server_writes_it() {
    let (port, inbox) = smtp_sink().await;
    let app = TestApp::spawn_with(|s| {
        with_smtp(s, port);
        s.moderation = ModerationMode::None;
    })
    .await;
    let mut accepted = 0;
    for (i, website) in TYPED.iter().enumerate() {
        let res = app
            .post_json(
                "/api/v1/comments",
                &json!({"thread": "/post", "title": "Bread", "author": format!("Typed {i}"),
                        "website": website, "body": format!("typed {i}")}),
            )
            .await;
        match res.status().as_u16() {
            201 => {
                accepted += 1;
                let c: serde_json::Value = res.json().await.unwrap();
                let stored = c["comment"]["website"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                assert!(
                    stored.starts_with("https://") || stored.is_empty(),
                    "{website:?} -> {stored:?}"
                );
                assert!(
                    !stored.contains(['"', '<', '>', ' ']),
                    "{website:?} -> {stored:?}"
                );
            }
            status => {
                assert_eq!(status, 422, "{website:?}");
                let body = res.json::<palabre_api::ErrorBody>().await.unwrap();
                assert_eq!(body.code, ErrorCode::WebsiteInvalid, "{website:?}");
            }
        }
    }
    // An import is not held to the form's rules beyond the scheme: quotes come in raw.
    let dir = tempfile::tempdir().unwrap();
    let wxr = dir.path().join("hostile.xml");
    std::fs::write(&wxr, format!(r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:wp="http://wordpress.org/export/1.2/"><channel>
<item><title>Bread &lt;b&gt;</title><link>https://blog.example/post</link>
{}
</item></channel></rss>"#, [
        "https://a.example/\" onmouseover=\"alert(1)",
        "https://a.example/'onmouseover='alert(1)",
        "javascript:alert(1)",
        "https://a.example/\"><script>alert(1)</script>",
    ].iter().enumerate().map(|(i, w)| format!(
        "<wp:comment><wp:comment_id>{i}</wp:comment_id><wp:comment_author><![CDATA[Imported <img src=x onerror=alert({i})>]]></wp:comment_author>\
         <wp:comment_author_url><![CDATA[{w}]]></wp:comment_author_url><wp:comment_date_gmt>2024-01-0{} 10:00:00</wp:comment_date_gmt>\
         <wp:comment_content><![CDATA[imported {i}]]></wp:comment_content><wp:comment_approved>1</wp:comment_approved></wp:comment>", i + 1)).collect::<String>()))
    .unwrap();
    import_file(
        &app.state.services,
        ImportFormat::Wordpress,
        &wxr,
        Options::default(),
        indicatif::ProgressBar::hidden(),
    )
    .await
    .unwrap();
    assert_eq!(app.thread("/post").await.comments.len(), accepted + 4);

    // The thread's first paint, the feeds, the admin pages: every attribute value stays one.
    let paint = app
        .get("/api/v1/first-paint?thread=/post&limit=200")
        .await
        .text()
        .await
        .unwrap();
    assert!(paint.contains("imported 0"), "{paint}");
    assert_inert(&paint, "first paint");
    for feed in ["/api/v1/feed?thread=/post", "/api/v1/feed"] {
        let xml = app.get(feed).await.text().await.unwrap();
        assert!(xml.contains("imported 3"), "{xml}");
        assert_inert(&xml, feed);
    }
    let admin = sign_in(&app).await;
    for page in ["/admin/comments", "/admin/threads", "/admin/log"] {
        let html = admin.get(page).await.text().await.unwrap();
        assert_inert(&html, page);
    }
    let html = admin.get("/admin/comments").await.text().await.unwrap();
    assert!(
        html.contains("Imported &lt;img src=x onerror=alert(0)&gt;"),
        "a name shown as text"
    );

    // A reply mails its subscriber: plain text, with names, title and body as typed.
    let parent = app
        .post_json(
            "/api/v1/comments",
            &json!({"thread": "/post", "title": "Bread <i>", "author": "Sub", "email": "sub@example.org",
                    "notify": true, "body": "subscribed"}),
        )
        .await
        .json::<serde_json::Value>()
        .await
        .unwrap();
    crate::notifications::confirm(&app, &inbox, "sub@example.org").await;
    app.post_json(
        "/api/v1/comments",
        &json!({"thread": "/post", "parent": parent["comment"]["id"], "author": "<b>Eve</b> \"x\"",
                "website": "https://a.example/'onmouseover='alert(1)", "body": "<img src=x onerror=alert(1)> **hi**"}),
    )
    .await;
    let mut mail = None;
    for n in 1..=40 {
        let all = wait_for_mail(&inbox, n).await;
        let notice = |m: &crate::notifications::Mail| {
            m.to == ["sub@example.org"] && m.text.contains("/unsubscribe?")
        };
        if let Some(m) = all.into_iter().find(notice) {
            mail = Some(m);
            break;
        }
    }
    let mail = mail.expect("the subscriber's mail");
    assert!(
        mail.text.contains("Content-Type: text/plain"),
        "{}",
        mail.text
    );
    assert!(
        !mail.text.to_ascii_lowercase().contains("text/html"),
        "no HTML part: {}",
        mail.text
    );
    assert!(
        mail.text.contains("<b>Eve</b>"),
        "the name as typed: {}",
        mail.text
    );
    assert!(
        mail.text.contains("<img src=x onerror=alert(1)> **hi**"),
        "the body as typed: {}",
        mail.text
    );
    assert!(
        !mail.text.contains("<strong>"),
        "never rendered: {}",
        mail.text
    );
}

async fn burst(app: &TestApp, headers: &[(&str, String)]) -> u16 {
    let mut req = app.client.post(app.url("/api/v1/preview"));
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    req.json(&json!({"body": "x"}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn forwarded_addresses_count_only_from_the_configured_header_and_its_last_hop() {
    let limit = |s: &mut palabre_server::config::Settings| {
        s.rate_limit = RateLimit {
            burst: 2,
            per_minute: 1,
        };
    };
    // Unset: a client's own X-Forwarded-For and X-Real-IP are ignored, whatever they say.
    let app = TestApp::spawn_with(limit).await;
    let statuses: Vec<u16> = statuses_of(&app, |i| {
        vec![
            ("x-forwarded-for", format!("198.51.100.{i}")),
            ("x-real-ip", format!("198.51.100.{i}")),
        ]
    })
    .await;
    assert_eq!(
        statuses,
        [200, 200, 429, 429],
        "one client, however it names itself"
    );

    // Set: only that header, and only its last hop (what our proxy added).
    let app = TestApp::spawn_with(|s| {
        limit(s);
        s.client_ip_header = Some("x-forwarded-for".parse().unwrap());
    })
    .await;
    let statuses = statuses_of(&app, |i| {
        vec![
            ("x-forwarded-for", format!("198.51.100.{i}, 203.0.113.7")),
            ("x-real-ip", format!("198.51.100.{i}")),
        ]
    })
    .await;
    assert_eq!(
        statuses,
        [200, 200, 429, 429],
        "the claimed first hops and X-Real-IP change nothing"
    );
    let other = burst(
        &app,
        &[("x-forwarded-for", "198.51.100.1, 203.0.113.8".into())],
    )
    .await;
    assert_eq!(other, 200, "another last hop is another client");
}

async fn statuses_of(
    app: &TestApp,
    headers: impl Fn(usize) -> Vec<(&'static str, String)>,
) -> Vec<u16> {
    let mut out = Vec::new();
    for i in 0..4 {
        out.push(burst(app, &headers(i)).await);
    }
    out
}

#[tokio::test]
async fn no_path_leaves_the_widget_files_or_the_admin_pages() {
    let app = TestApp::spawn().await;
    for path in [
        "/embed/../Cargo.toml",
        "/embed/..%2fCargo.toml",
        "/embed/%2e%2e/%2e%2e/etc/passwd",
        "/embed/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "/embed/..%5c..%5cCargo.toml",
        "/embed/%252e%252e%252fCargo.toml",
        "/embed/....//....//etc/passwd",
        "/embed//etc/passwd",
        "/embed/%00palabre.js",
        "/admin/../embed/palabre.js",
        "/admin/%2e%2e/%2e%2e/etc/passwd",
        "/admin/..%2f..%2fCargo.toml",
        "/admin/admin.css/..%2f..%2fCargo.toml",
    ] {
        let res = app
            .client
            .get(format!("{}{path}", app.base))
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        let body = res.text().await.unwrap();
        assert!(
            !body.contains("root:") && !body.contains("[package]") && !body.contains("[workspace]"),
            "{path}: a file's content"
        );
        assert!(matches!(status, 400 | 404 | 303 | 401), "{path}: {status}");
    }
}

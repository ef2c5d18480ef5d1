//! The bad-input matrix: every malformed or hostile request gets the right status, code and
//! field, and nothing is stored.

use crate::helpers::*;
use palabre_api::ErrorCode;
use serde_json::json;

struct Case {
    what: &'static str,
    content_type: Option<&'static str>,
    body: Vec<u8>,
    status: u16,
    code: ErrorCode,
    field: Option<&'static str>,
}

fn case(
    what: &'static str,
    body: serde_json::Value,
    status: u16,
    code: ErrorCode,
    field: Option<&'static str>,
) -> Case {
    Case {
        what,
        content_type: Some("application/json"),
        body: serde_json::to_vec(&body).unwrap(),
        status,
        code,
        field,
    }
}

fn raw(
    what: &'static str,
    ct: Option<&'static str>,
    body: &[u8],
    status: u16,
    code: ErrorCode,
) -> Case {
    Case {
        what,
        content_type: ct,
        body: body.to_vec(),
        status,
        code,
        field: None,
    }
}

#[tokio::test]
async fn malformed_and_invalid_comments_are_refused_and_nothing_is_stored() {
    let app = TestApp::spawn().await;
    // A comment in another thread, to reply to across threads.
    let elsewhere = app.comment("/other", "elsewhere", None).await.comment;
    let before = app.totals().await;
    let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    let nested_json = format!("{{\"thread\":\"/t\",\"body\":{deep}}}");
    let huge = json!({"thread": "/t", "body": "x".repeat(20 * 1024)});
    use ErrorCode::*;
    let cases = vec![
        raw(
            "empty body",
            Some("application/json"),
            b"",
            400,
            MalformedJson,
        ),
        raw(
            "not json",
            Some("application/json"),
            b"hello",
            400,
            MalformedJson,
        ),
        raw(
            "truncated",
            Some("application/json"),
            br#"{"thread":"/t","body":"#,
            400,
            MalformedJson,
        ),
        raw(
            "trailing garbage",
            Some("application/json"),
            br#"{"thread":"/t","body":"x"} x"#,
            400,
            MalformedJson,
        ),
        raw(
            "invalid utf-8",
            Some("application/json"),
            b"{\"thread\":\"/t\",\"body\":\"\xff\xfe\"}",
            400,
            MalformedJson,
        ),
        raw(
            "lone surrogate escape",
            Some("application/json"),
            br#"{"thread":"/t","body":"\ud800"}"#,
            400,
            MalformedJson,
        ),
        // Typed fields refuse nesting at the first bracket: no recursion to exhaust.
        raw(
            "deeply nested",
            Some("application/json"),
            nested_json.as_bytes(),
            422,
            InvalidField,
        ),
        raw(
            "no content type",
            None,
            br#"{"thread":"/t","body":"x"}"#,
            415,
            UnsupportedMediaType,
        ),
        raw(
            "text/plain (a cross-site form)",
            Some("text/plain"),
            br#"{"thread":"/t","body":"x"}"#,
            415,
            UnsupportedMediaType,
        ),
        raw(
            "form encoded",
            Some("application/x-www-form-urlencoded"),
            b"thread=/t&body=x",
            415,
            UnsupportedMediaType,
        ),
        raw(
            "multipart",
            Some("multipart/form-data; boundary=x"),
            b"--x--",
            415,
            UnsupportedMediaType,
        ),
        Case {
            what: "huge JSON",
            content_type: Some("application/json"),
            body: serde_json::to_vec(&huge).unwrap(),
            status: 413,
            code: PayloadTooLarge,
            field: None,
        },
        case("null", json!(null), 422, InvalidField, None),
        case("array", json!([1, 2]), 422, InvalidField, None),
        case("empty object", json!({}), 422, InvalidField, None),
        case(
            "missing body",
            json!({"thread": "/t"}),
            422,
            InvalidField,
            None,
        ),
        case(
            "thread is a number",
            json!({"thread": 5, "body": "x"}),
            422,
            InvalidField,
            Some("thread"),
        ),
        case(
            "body is an object",
            json!({"thread": "/t", "body": {"a": 1}}),
            422,
            InvalidField,
            Some("body"),
        ),
        case(
            "parent is a string",
            json!({"thread": "/t", "body": "x", "parent": "1"}),
            422,
            InvalidField,
            Some("parent"),
        ),
        case(
            "notify is a string",
            json!({"thread": "/t", "body": "x", "notify": "yes"}),
            422,
            InvalidField,
            Some("notify"),
        ),
        case(
            "unknown field",
            json!({"thread": "/t", "body": "x", "admin": true}),
            422,
            InvalidField,
            None,
        ),
        case(
            "empty thread",
            json!({"thread": " ", "body": "x"}),
            422,
            ThreadInvalid,
            Some("thread"),
        ),
        case(
            "thread with newline",
            json!({"thread": "/a\n/b", "body": "x"}),
            422,
            ThreadInvalid,
            Some("thread"),
        ),
        case(
            "thread too long",
            json!({"thread": "/".repeat(401), "body": "x"}),
            422,
            ThreadInvalid,
            Some("thread"),
        ),
        case(
            "empty body",
            json!({"thread": "/t", "body": ""}),
            422,
            BodyEmpty,
            Some("body"),
        ),
        case(
            "blank body",
            json!({"thread": "/t", "body": " \n\t\u{0} "}),
            422,
            BodyEmpty,
            Some("body"),
        ),
        case(
            "body too long",
            json!({"thread": "/t", "body": "é".repeat(1001)}),
            422,
            BodyTooLong,
            Some("body"),
        ),
        case(
            "author too long",
            json!({"thread": "/t", "body": "x", "author": "a".repeat(65)}),
            422,
            AuthorTooLong,
            Some("author"),
        ),
        case(
            "bad email",
            json!({"thread": "/t", "body": "x", "email": "not-an-email"}),
            422,
            EmailInvalid,
            Some("email"),
        ),
        case(
            "javascript: website",
            json!({"thread": "/t", "body": "x", "website": "javascript:alert(1)"}),
            422,
            WebsiteInvalid,
            Some("website"),
        ),
        case(
            "data: website",
            json!({"thread": "/t", "body": "x", "website": "data:text/html,<script>alert(1)</script>"}),
            422,
            WebsiteInvalid,
            Some("website"),
        ),
        case(
            "website with quote",
            json!({"thread": "/t", "body": "x", "website": "https://e.org/\"><script>"}),
            422,
            WebsiteInvalid,
            Some("website"),
        ),
        case(
            "unknown parent",
            json!({"thread": "/t", "body": "x", "parent": 987_654}),
            422,
            ParentNotFound,
            Some("parent"),
        ),
        case(
            "parent in another thread",
            json!({"thread": "/t", "body": "x", "parent": elsewhere.id}),
            422,
            ParentNotFound,
            Some("parent"),
        ),
        case(
            "negative parent",
            json!({"thread": "/t", "body": "x", "parent": -1}),
            422,
            ParentNotFound,
            Some("parent"),
        ),
    ];
    for c in cases {
        let res = app
            .post_raw("/api/v1/comments", c.content_type, c.body)
            .await;
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        assert_eq!(status, c.status, "{}: {text}", c.what);
        let body: palabre_api::ErrorBody =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}: {text}", c.what));
        assert_eq!(body.code, c.code, "{}: {text}", c.what);
        if let Some(field) = c.field {
            assert_eq!(body.field.as_deref(), Some(field), "{}: {text}", c.what);
        }
        assert!(
            !text.contains("sqlite") && !text.contains("/tmp"),
            "{}: leaks internals: {text}",
            c.what
        );
    }
    assert_eq!(app.totals().await, before, "nothing stored");
    assert!(app.thread("/t").await.comments.is_empty());
}

#[tokio::test]
async fn hostile_bodies_are_stored_only_as_inert_markup() {
    let app = TestApp::spawn().await;
    let payloads = [
        "<script>alert(document.cookie)</script>",
        "<img src=x onerror=alert(1)>",
        "<svg/onload=alert(1)>",
        "<a href=\"javascript:alert(1)\">click</a>",
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "![x](https://evil.example/x.png\" onerror=\"alert(1))",
        "<iframe src=\"https://evil.example\"></iframe>",
        "<style>body{display:none}</style>",
        "<p style=\"position:fixed;top:0\">overlay</p>",
        "[x](https://e.org\" onmouseover=\"alert(1))",
        "<details open ontoggle=alert(1)>",
        "`<script>` in code and\n```\n<script>alert(1)</script>\n```",
        "<<script>script>alert(1)<</script>/script>",
        "&lt;script&gt;alert(1)&lt;/script&gt;",
    ];
    for p in payloads {
        let created = app.comment("/xss", p, None).await;
        assert_safe_html(&created.comment.html);
    }
    let page = app.thread("/xss").await;
    assert_eq!(page.comments.len(), payloads.len());
    for c in &page.comments {
        assert_safe_html(&c.html);
        assert!(!c.html.contains("<script"), "{}", c.html);
    }
    // Author and website are plain text fields: returned as typed, for the widget to escape.
    let res = app
        .post_json(
            "/api/v1/comments",
            &json!({"thread": "/xss", "body": "x", "author": "<b onmouseover=alert(1)>Eve</b>"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let created: palabre_api::CreatedComment = res.json().await.unwrap();
    assert_eq!(
        created.comment.author.as_deref(),
        Some("<b onmouseover=alert(1)>Eve</b>")
    );
}

#[tokio::test]
async fn bad_query_parameters() {
    let app = TestApp::spawn().await;
    let get = |q: &'static str| {
        app.client
            .get(app.url(&format!("/api/v1/comments?{q}")))
            .send()
    };
    expect_error(get("").await.unwrap(), 422, ErrorCode::ThreadInvalid).await;
    expect_error(
        get("thread=/t&sort=random").await.unwrap(),
        400,
        ErrorCode::InvalidParameter,
    )
    .await;
    for limit in ["0", "201", "-1", "ten"] {
        let res = app
            .client
            .get(app.url("/api/v1/comments"))
            .query(&[("thread", "/t"), ("limit", limit)])
            .send()
            .await
            .unwrap();
        let e = expect_error(res, 400, ErrorCode::InvalidParameter).await;
        assert_eq!(e.field.as_deref(), Some("limit"));
    }
    for cursor in ["garbage", "t1_2_3", "o1_2"] {
        let res = app
            .client
            .get(app.url("/api/v1/comments"))
            .query(&[("thread", "/t"), ("cursor", cursor)])
            .send()
            .await
            .unwrap();
        expect_error(res, 400, ErrorCode::InvalidCursor).await;
    }
}

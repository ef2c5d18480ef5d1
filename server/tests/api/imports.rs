//! Imports and export, with fixtures written for the project (tests/fixtures/): counts,
//! nesting, authors, dates and text after import; re-runs; dry runs; malformed input that
//! leaves the database as it was; and an export that survives a round trip byte for byte.

use crate::helpers::*;
use palabre_api::{CommentStatus, Timestamp};
use palabre_server::cli::ImportFormat;
use palabre_server::cli::import::import_file;
use palabre_server::import::{Mapping, Options, Report};
use palabre_server::store::CommentRecord;
use std::path::{Path, PathBuf};

pub(crate) fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

pub(crate) async fn import(
    app: &TestApp,
    format: ImportFormat,
    path: &Path,
    options: Options,
) -> anyhow::Result<Report> {
    import_file(
        &app.state.services,
        format,
        path,
        options,
        indicatif::ProgressBar::hidden(),
    )
    .await
}

pub(crate) async fn comments(app: &TestApp, key: &str) -> Vec<CommentRecord> {
    app.state
        .services
        .store
        .export_comments(&crate::helpers::default_thread(key))
        .await
        .unwrap()
}

pub(crate) fn by_author<'a>(all: &'a [CommentRecord], name: &str) -> &'a CommentRecord {
    all.iter()
        .find(|c| c.author.as_deref() == Some(name))
        .unwrap_or_else(|| panic!("no comment by {name}"))
}

#[tokio::test]
async fn disqus_threads_replies_statuses_and_text() {
    let app = TestApp::spawn().await;
    let report = import(
        &app,
        ImportFormat::Disqus,
        &fixture("disqus.xml"),
        Options::default(),
    )
    .await
    .unwrap();
    // Two URLs of one article became one thread: its path.
    let keys: Vec<&String> = report.threads.keys().collect();
    assert_eq!(keys, ["/posts/pistou/", "/posts/sourdough/"]);
    assert_eq!(report.links.linked, 2);
    assert_eq!(report.links.orphans, 1);
    assert_eq!(report.links.dropped_placeholders, 1);

    let sourdough = comments(&app, "/posts/sourdough/").await;
    assert_eq!(sourdough.len(), 4);
    let ines = by_author(&sourdough, "Inès");
    assert_eq!(ines.email.as_deref(), Some("ines@example.org"));
    assert_eq!(
        ines.created,
        Timestamp::parse_rfc3339("2019-03-01T09:15:00Z").unwrap()
    );
    assert_eq!(ines.status, CommentStatus::Published);
    // The source's script and javascript: link are gone; the text stays.
    assert!(
        !ines.html.contains("<script") && !ines.html.contains("javascript:"),
        "{}",
        ines.html
    );
    assert!(ines.html.contains("How long in the fridge?"));
    let tom = by_author(&sourdough, "Tom");
    assert_eq!(
        tom.parent_id,
        Some(ines.id),
        "reply listed before its parent, still nested"
    );
    assert_eq!(tom.depth, 1);
    assert!(
        tom.html.contains("<strong>eighteen</strong>"),
        "{}",
        tom.html
    );
    assert_eq!(tom.email, None, "missing email is fine");
    let zoe = by_author(&sourdough, "Zoé");
    assert!(
        zoe.html.contains("«&nbsp;like a cloud&nbsp;» 🍞"),
        "{}",
        zoe.html
    );
    let bot = by_author(&sourdough, "Bot");
    assert!(bot.spam && bot.status == CommentStatus::Pending);

    let pistou = comments(&app, "/posts/pistou/").await;
    assert_eq!(pistou.len(), 3, "placeholder, its reply, the orphan");
    let placeholder = pistou
        .iter()
        .find(|c| c.status == CommentStatus::Deleted)
        .unwrap();
    assert_eq!(placeholder.html, "");
    let lea = by_author(&pistou, "Léa");
    assert_eq!(lea.parent_id, Some(placeholder.id));
    let ana = by_author(&pistou, "Ana");
    assert_eq!(ana.parent_id, None, "orphan kept at top level");
    let page = app.thread("/posts/pistou/").await;
    assert_eq!(
        page.thread.title.as_deref(),
        Some("La soupe au pistou & ses secrets")
    );
    assert_eq!(page.thread.count, 2);
}

#[tokio::test]
async fn rerunning_an_import_adds_nothing_and_a_dry_run_changes_nothing() {
    let app = TestApp::spawn().await;
    let dry = Options {
        dry_run: true,
        ..Options::default()
    };
    let preview = import(&app, ImportFormat::Disqus, &fixture("disqus.xml"), dry)
        .await
        .unwrap();
    assert_eq!(preview.comments(), 8);
    assert_eq!(app.totals().await.comments, 0, "dry run");
    assert_eq!(app.totals().await.threads, 0);
    import(
        &app,
        ImportFormat::Disqus,
        &fixture("disqus.xml"),
        Options::default(),
    )
    .await
    .unwrap();
    let once = app.totals().await;
    let again = import(
        &app,
        ImportFormat::Disqus,
        &fixture("disqus.xml"),
        Options::default(),
    )
    .await
    .unwrap();
    assert_eq!(app.totals().await, once);
    assert_eq!(
        again.comments(),
        1,
        "only the dropped deleted comment comes back, and goes again"
    );
    assert_eq!(again.already_imported, 7);
}

#[tokio::test]
async fn a_truncated_file_names_its_line_and_imports_nothing() {
    let app = TestApp::spawn().await;
    let err = import(
        &app,
        ImportFormat::Disqus,
        &fixture("disqus-truncated.xml"),
        Options::default(),
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(err.contains("line 55:"), "{err}");
    assert!(err.contains("nothing was imported"), "{err}");
    assert_eq!(app.totals().await.comments, 0);
    assert_eq!(app.totals().await.threads, 0);
    // The wrong format altogether.
    let err = import(
        &app,
        ImportFormat::Wordpress,
        &fixture("disqus.xml"),
        Options::default(),
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(err.contains("expected a WordPress export"), "{err}");
}

#[tokio::test]
async fn mappings_rewrite_urls_to_thread_keys() {
    let app = TestApp::spawn().await;
    let options = Options {
        mappings: vec![
            Mapping::parse("https://slowkitchen.example/posts/=/blog/").unwrap(),
            Mapping::parse("http://www.slowkitchen.example/posts/=/blog/").unwrap(),
        ],
        ..Options::default()
    };
    let report = import(&app, ImportFormat::Disqus, &fixture("disqus.xml"), options)
        .await
        .unwrap();
    // A mapped URL is keyed as the widget keys that page: its tracker goes.
    let keys: Vec<&String> = report.threads.keys().collect();
    assert_eq!(keys, ["/blog/pistou/", "/blog/sourdough/"]);
}

#[tokio::test]
async fn wordpress_statuses_pingbacks_and_unicode() {
    let app = TestApp::spawn().await;
    let report = import(
        &app,
        ImportFormat::Wordpress,
        &fixture("wordpress.xml"),
        Options::default(),
    )
    .await
    .unwrap();
    assert_eq!(report.not_comments, 1, "the pingback");
    let sourdough = comments(&app, "/posts/sourdough/").await;
    assert_eq!(sourdough.len(), 4, "trash without replies dropped");
    let ines = by_author(&sourdough, "Inès");
    assert_eq!(ines.website.as_deref(), Some("https://ines.example"));
    assert_eq!(
        ines.created,
        Timestamp::parse_rfc3339("2021-05-01T09:15:00Z").unwrap(),
        "GMT date"
    );
    assert!(
        ines.html
            .contains("First line<br>\nsecond line with <em>emphasis</em> &amp; an ampersand"),
        "{}",
        ines.html
    );
    let tom = by_author(&sourdough, "Tom");
    assert_eq!(tom.parent_id, Some(ines.id));
    assert!(
        tom.html.contains(
            r#"<a href="https://tom.example/bread" rel="nofollow ugc noopener">see my loaf</a>"#
        ),
        "{}",
        tom.html
    );
    assert_eq!(
        by_author(&sourdough, "Awaiting").status,
        CommentStatus::Pending
    );
    assert!(by_author(&sourdough, "Spammer").spam);
    let pistou = comments(&app, "/posts/pistou/").await;
    assert!(pistou[0].html.contains("« Merci ! » — c’est délicieux 😋"));
    assert_eq!(pistou[0].parent_id, None, "parent 77 is not in the file");
    let page = app.thread("/posts/sourdough/").await;
    assert_eq!(
        page.thread.title.as_deref(),
        Some("Sourdough without the anxiety")
    );
    assert_eq!(page.thread.count, 2);
}

#[tokio::test]
async fn isso_databases() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("isso.db");
    let isso = palabre_server::store::connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    drop(isso);
    // A fresh file, then Isso's schema and rows from the fixture.
    std::fs::remove_file(&db).unwrap();
    let status = std::process::Command::new("python3")
        .args(["-c", "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.executescript(open(sys.argv[2]).read()); c.commit()"])
        .arg(&db)
        .arg(fixture("isso.sql"))
        .status()
        .unwrap();
    assert!(status.success());
    let app = TestApp::spawn().await;
    let report = import(&app, ImportFormat::Isso, &db, Options::default())
        .await
        .unwrap();
    assert_eq!(report.comments(), 5);
    let sourdough = comments(&app, "/posts/sourdough/").await;
    let ines = by_author(&sourdough, "Inès");
    assert_eq!(ines.created, Timestamp::from_millis(1_600_000_000_250));
    assert!(ines.html.contains("<strong>bold</strong>"));
    assert_eq!((ines.likes, ines.dislikes, ines.notify), (3, 1, true));
    let tom = by_author(&sourdough, "Tom");
    assert_eq!(tom.parent_id, Some(ines.id));
    assert_eq!(tom.edited, Some(Timestamp::from_millis(1_600_000_200_500)));
    assert_eq!(
        sourdough
            .iter()
            .filter(|c| c.status == CommentStatus::Pending)
            .count(),
        1
    );
    let pistou = comments(&app, "/posts/pistou/").await;
    assert_eq!(pistou.len(), 2);
    assert_eq!(by_author(&pistou, "Léa").parent_id, Some(pistou[0].id));
}

/// A database with a bit of everything an export carries: an import's threads, statuses and
/// nesting, and what only a live server makes (votes, an edit, a held comment, a lock).
async fn fill_with_everything(app: &TestApp) {
    import(
        app,
        ImportFormat::Disqus,
        &fixture("disqus.xml"),
        Options::default(),
    )
    .await
    .unwrap();
    let live = app.comment("/live", "A *live* comment", None).await;
    let held = app.comment("/live", "held", None).await.comment.id;
    app.state
        .services
        .store
        .set_comment_status(held, CommentStatus::Pending, false)
        .await
        .unwrap();
    app.post_json(
        &format!("/api/v1/comments/{}/vote", live.comment.id),
        &serde_json::json!({"value": 1}),
    )
    .await;
    app.client
        .patch(app.url(&format!("/api/v1/comments/{}", live.comment.id)))
        .bearer_auth(&live.edit_token)
        .json(&serde_json::json!({"body": "A *live* comment, edited"}))
        .send()
        .await
        .unwrap();
    app.state
        .services
        .store
        .set_thread_locked(&crate::helpers::default_thread("/live"), true)
        .await
        .unwrap();
}

#[tokio::test]
async fn an_export_imported_into_an_empty_database_exports_byte_identical() {
    let app = TestApp::spawn().await;
    fill_with_everything(&app).await;
    // One comment by the blog's author: its mark goes out and comes back.
    app.sql("UPDATE comments SET role = 'author' WHERE id = (SELECT MIN(id) FROM comments)")
        .await;
    let mut first = Vec::new();
    palabre_server::import::export::export(&app.state.services, None, &mut first)
        .await
        .unwrap();
    let file = app.dir.path().join("export.jsonl");
    std::fs::write(&file, &first).unwrap();

    let empty = TestApp::spawn().await;
    import(&empty, ImportFormat::Palabre, &file, Options::default())
        .await
        .unwrap();
    let mut second = Vec::new();
    palabre_server::import::export::export(&empty.state.services, None, &mut second)
        .await
        .unwrap();
    assert_eq!(
        String::from_utf8(second).unwrap(),
        String::from_utf8(first.clone()).unwrap()
    );
    // What readers see came back too.
    assert_eq!(
        empty.thread("/posts/sourdough/").await.comments.len(),
        app.thread("/posts/sourdough/").await.comments.len()
    );
    let text = String::from_utf8(first).unwrap();
    assert!(text.lines().next().unwrap().contains("palabre-export"));
    assert!(text.contains(r#""votes":{"#), "votes are exported");
    assert_eq!(
        text.matches(r#""role":"author""#).count(),
        1,
        "a guest's role is left out"
    );
    assert!(text.contains(r#""locked":true"#));
}

#[tokio::test]
async fn a_malformed_export_line_is_named() {
    let app = TestApp::spawn().await;
    let file = app.dir.path().join("bad.jsonl");
    std::fs::write(
        &file,
        "{\"format\":\"palabre-export\",\"version\":1}\n{\"thread\":{\"key\":\"/t\",\"title\":null,\"locked\":false,\"hidden\":false,\"created\":\"2026-01-01T00:00:00.000Z\"}}\n{\"comment\":{\"id\":1}}\n",
    )
    .unwrap();
    let err = import(&app, ImportFormat::Palabre, &file, Options::default())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("line 3") && err.contains("missing field"),
        "{err}"
    );
    assert_eq!(
        app.totals().await.threads,
        0,
        "the thread line before it is rolled back too"
    );
}

/// `palabre export` from SQLite, `palabre import palabre` into PostgreSQL, export again: the
/// same bytes; and the same way back. The README's "Moving to PostgreSQL" is these commands.
#[tokio::test]
async fn moving_between_sqlite_and_postgres_keeps_every_byte() {
    let Some(cluster) = postgres_cluster() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut settings = test_settings(dir.path()).await;
    let sqlite = format!("sqlite://{}/from.db", dir.path().display());
    settings.database = sqlite.clone().into();
    let app = TestApp::start(settings, tempfile::tempdir().unwrap()).await;
    fill_with_everything(&app).await;
    drop(app);

    let palabre = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_palabre"))
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "palabre {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let file = |name: &str| dir.path().join(name).display().to_string();
    let postgres = fresh_postgres(&cluster).await;
    let back = format!("sqlite://{}/back.db", dir.path().display());

    palabre(&["export", &file("1.jsonl"), "--database", &sqlite]);
    palabre(&[
        "import",
        "palabre",
        &file("1.jsonl"),
        "--database",
        &postgres,
    ]);
    palabre(&["export", &file("2.jsonl"), "--database", &postgres]);
    palabre(&["import", "palabre", &file("2.jsonl"), "--database", &back]);
    palabre(&["export", &file("3.jsonl"), "--database", &back]);
    let read = |name: &str| std::fs::read_to_string(file(name)).unwrap();
    let first = read("1.jsonl");
    assert!(first.lines().count() > 10, "{first}");
    assert_eq!(read("2.jsonl"), first, "SQLite -> PostgreSQL");
    assert_eq!(read("3.jsonl"), first, "PostgreSQL -> SQLite");

    // Posting goes on after the move: the imported ids do not collide with new ones.
    let mut settings = test_settings(dir.path()).await;
    settings.database = postgres.into();
    let moved = TestApp::start(settings, tempfile::tempdir().unwrap()).await;
    moved
        .comment("/posts/sourdough/", "after the move", None)
        .await;
}

#[tokio::test]
async fn one_stray_post_does_not_block_a_migration_unless_strict() {
    let app = TestApp::spawn().await;
    let path = fixture("disqus-stray.xml");
    let strict = Options {
        strict: true,
        ..Options::default()
    };
    let err = import(&app, ImportFormat::Disqus, &path, strict)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("post 6 is in thread 1337, which the file does not describe before it")
            && err.contains("nothing was imported"),
        "{err}"
    );
    assert_eq!(app.totals().await.comments, 0, "--strict: all or nothing");

    let report = import(&app, ImportFormat::Disqus, &path, Options::default())
        .await
        .unwrap();
    assert_eq!(report.comments(), 3, "posts 5, 7 and 8");
    let reasons: Vec<&str> = report.skipped.iter().map(|s| s.reason.as_str()).collect();
    assert_eq!(
        reasons,
        [
            "post 6 is in thread 1337, which the file does not describe before it",
            "post 9 is in thread 3, which has no <link>",
        ]
    );
    assert!(report.skipped.iter().all(|s| s.offset.is_some()));
    assert_eq!(report.links.orphans, 1, "post 7's parent was skipped");
    // Threads with an empty <id/> are keyed by their link, query and all.
    let fourth = comments(&app, "/?p=4").await;
    assert_eq!(fourth.len(), 2);
    assert_eq!(
        comments(&app, "/?page_id=7").await.len(),
        1,
        "tracker dropped"
    );
    assert_eq!(app.thread("/?p=4").await.thread.count, 2);
}

#[tokio::test]
async fn wordpress_plain_permalinks_keep_one_thread_per_page() {
    let app = TestApp::spawn().await;
    let report = import(
        &app,
        ImportFormat::Wordpress,
        &fixture("wordpress-plain.xml"),
        Options::default(),
    )
    .await
    .unwrap();
    let keys: Vec<&String> = report.threads.keys().collect();
    assert_eq!(keys, ["/?p=1", "/?p=4", "/?page_id=7"]);
    assert_eq!(comments(&app, "/").await.len(), 0, "nothing lumped into /");
    assert_eq!(report.skipped.len(), 1);
    assert!(
        report.skipped[0]
            .reason
            .starts_with("comment 3: <wp:comment_date_gmt>"),
        "{:?}",
        report.skipped
    );
    // The key the widget gives that page, whatever trackers its link carried.
    let key = palabre_api::page_thread_key("http://plainblog.example/?utm_source=x&p=4#comments");
    assert_eq!(app.thread(&key).await.thread.count, 1);
}

//! Databases made by earlier releases open with this one and keep what they hold. An earlier
//! release's database is made here by the migrations it shipped, run from the same files (so
//! with the checksums it recorded), then filled with rows as it wrote them.

use palabre_api::{CommentStatus, Timestamp};
use palabre_server::store::{self, Deletion, NewCommentRecord};
use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};
use std::path::Path;

/// A SQLite database at `db` as the release whose newest migration came before `first_new`.
async fn made_by_release_before(dir: &Path, db: &Path, first_new: &str) -> SqlitePool {
    let shipped = dir.join("migrations");
    std::fs::create_dir(&shipped).unwrap();
    let all = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite");
    for entry in std::fs::read_dir(all).unwrap() {
        let entry = entry.unwrap();
        if entry.file_name().to_str().unwrap() < first_new {
            std::fs::copy(entry.path(), shipped.join(entry.file_name())).unwrap();
        }
    }
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(
            SqliteConnectOptions::new()
                .filename(db)
                .create_if_missing(true)
                .foreign_keys(true),
        )
        .await
        .unwrap();
    Migrator::new(shipped.as_path())
        .await
        .unwrap()
        .run(&pool)
        .await
        .unwrap();
    pool
}

async fn exec(pool: &SqlitePool, sql: &str) {
    sqlx::raw_sql(sql).execute(pool).await.unwrap();
}

/// Checks the file is whole and every foreign key holds; returns a pool on it.
async fn sound(db: &Path) -> SqlitePool {
    let check = SqlitePool::connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    let ok: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&check)
        .await
        .unwrap();
    assert_eq!(ok, "ok");
    let broken = sqlx::query("PRAGMA foreign_key_check")
        .fetch_all(&check)
        .await
        .unwrap();
    assert_eq!(broken.len(), 0, "rows whose foreign key points nowhere");
    check
}

fn comment_row(id: i64, parent: Option<i64>, root: i64, depth: i64) -> String {
    let parent = parent.map_or("NULL".into(), |p| p.to_string());
    format!(
        "INSERT INTO comments (id, thread_id, parent_id, root_id, depth, status, author, \
         avatar, body, html, created_at, edit_token_hash, reader_hash) \
         VALUES ({id}, 1, {parent}, {root}, {depth}, 'published', 'Ann', 'av', 'text {id}', \
         '<p>text {id}</p>', {id}000, x'07', 'r');"
    )
}

#[tokio::test]
async fn ids_freed_before_the_upgrade_are_not_given_again_and_nothing_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("palabre.db");
    let old = made_by_release_before(dir.path(), &db, "0008").await;
    exec(
        &old,
        "INSERT INTO threads (key, created_at) VALUES ('/old', 1);",
    )
    .await;
    for row in [
        comment_row(1, None, 1, 0),
        comment_row(2, Some(1), 1, 1),
        comment_row(3, None, 3, 0),
        comment_row(4, None, 4, 0),
    ] {
        exec(&old, &row).await;
    }
    exec(
        &old,
        "INSERT INTO votes (comment_id, voter, value) VALUES (1, 'v', 1);
         INSERT INTO imports (source, external_id, comment_id) VALUES ('isso', '9', 2);
         DELETE FROM comments WHERE id = 4;",
    )
    .await;
    old.close().await;

    let s = store::connect(&format!("sqlite://{}", db.display()))
        .await
        .expect("the old database opens and migrates");
    let kept = s.comment(2).await.unwrap().expect("comment 2 kept");
    assert_eq!((kept.parent_id, kept.body.as_str()), (Some(1), "text 2"));
    assert_eq!(s.totals().await.unwrap().votes, 1, "votes kept");
    let new = NewCommentRecord {
        thread: crate::helpers::default_thread("/old"),
        title: None,
        parent: None,
        status: CommentStatus::Published,
        author: None,
        email: None,
        website: None,
        avatar: "av".into(),
        body: "new".into(),
        html: "<p>new</p>".into(),
        created: Timestamp::from_millis(5_000),
        edit_token_hash: vec![7; 32],
        reader_hash: "r".into(),
        notify: false,
        notify_lang: None,
        challenge: None,
        identity_id: None,
        role: Default::default(),
    };
    let fresh = s.insert_comment(new).await.unwrap();
    assert!(
        fresh.id > 4,
        "id {} was given before the upgrade (its deletion is in the events)",
        fresh.id
    );

    // The rebuilt table is still what the others refer to: deleting cascades to votes, a
    // reply's parent still holds it in place.
    assert!(matches!(
        s.delete_comment(1).await.unwrap(),
        Some(Deletion::Placeholder(_))
    ));
    assert_eq!(s.totals().await.unwrap().votes, 0);
    drop(s);
    let check = sound(&db).await;
    let auto: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM sqlite_master WHERE name = 'comments' AND sql LIKE '%AUTOINCREMENT%'",
    )
    .fetch_one(&check)
    .await
    .unwrap();
    assert_eq!(auto, 1);
}

/// What the release before sites wrote (a thread with a comment, a reply and a vote, and a
/// locked thread), in each backend's SQL.
fn release_before_sites_rows(bytes: impl Fn(u8) -> String, yes: &str) -> String {
    let about = "(SELECT id FROM threads WHERE key = '/about')";
    let first = "(SELECT id FROM comments WHERE body = 'first')";
    format!(
        "INSERT INTO threads (key, title, created_at) VALUES ('/about', 'About', 1);
         INSERT INTO threads (key, created_at, locked) VALUES ('/closed', 2, {yes});
         INSERT INTO comments (thread_id, parent_id, root_id, depth, status, author, email, \
           avatar, body, html, created_at, edit_token_hash, reader_hash) \
           VALUES ({about}, NULL, 0, 0, 'published', 'Ann', 'ann@example.org', 'av', 'first', \
           '<p>first</p>', 1000, {}, 'r');
         INSERT INTO comments (thread_id, parent_id, root_id, depth, status, author, email, \
           avatar, body, html, created_at, edit_token_hash, reader_hash) \
           VALUES ({about}, {first}, {first}, 1, 'published', 'Bob', NULL, 'av', 'reply', \
           '<p>reply</p>', 2000, {}, 'r2');
         INSERT INTO votes (comment_id, voter, value) VALUES ({first}, 'v', 1);",
        bytes(7),
        bytes(8),
    )
}

/// A database of the release before sites, opened by this one: every thread is the default
/// site's, read and written as before, and the same key on another site is another thread.
async fn check_upgraded_to_sites(s: &dyn store::Store, backend: &str) {
    use palabre_api::SortOrder;
    use store::{PageQuery, SiteName, ThreadRef};
    let about = crate::helpers::default_thread("/about");
    let t = s.thread(&about).await.unwrap().expect("the old thread");
    assert_eq!(
        (t.site.as_str(), t.title.as_deref(), t.count),
        ("default", Some("About"), 2),
        "{backend}"
    );
    let closed = crate::helpers::default_thread("/closed");
    assert!(
        s.thread(&closed).await.unwrap().unwrap().locked,
        "{backend}"
    );
    assert!(s.post_gate(&closed, None, "r").await.unwrap().thread_closed);
    let page = s
        .thread_page(&PageQuery {
            thread: about.clone(),
            sort: SortOrder::Oldest,
            limit: 10,
            after: None,
        })
        .await
        .unwrap()
        .unwrap();
    let bodies: Vec<&str> = page.comments.iter().map(|c| c.body.as_str()).collect();
    assert_eq!(bodies, ["first", "reply"], "{backend}");
    assert_eq!(s.totals().await.unwrap().votes, 1, "{backend}: votes kept");
    let start = s.event_window().await.unwrap().now;

    let post = |thread: ThreadRef, token: u8| NewCommentRecord {
        thread,
        edit_token_hash: vec![token; 32],
        ..crate::store_conformance::new_comment("/unused", None, 5_000)
    };
    let again = s.insert_comment(post(about.clone(), 1)).await.unwrap();
    assert_eq!(
        s.thread(&about).await.unwrap().unwrap().id,
        t.id,
        "{backend}"
    );
    assert_eq!(again.site.as_str(), SiteName::DEFAULT);
    let elsewhere = ThreadRef::new(SiteName::parse("second-blog").unwrap(), about.key.clone());
    s.insert_comment(post(elsewhere.clone(), 2)).await.unwrap();
    let other = s.thread(&elsewhere).await.unwrap().unwrap();
    assert_ne!(
        other.id, t.id,
        "{backend}: another site's /about is another thread"
    );
    assert_eq!(
        (other.count, s.thread(&about).await.unwrap().unwrap().count),
        (1, 3)
    );
    // The change triggers, made again with the table, still record every change.
    let events = s.events_since(start, &[], 10).await.unwrap();
    let threads: Vec<&ThreadRef> = events.iter().map(|e| &e.thread).collect();
    assert!(
        threads.contains(&&about) && threads.contains(&&elsewhere),
        "{backend}: {events:?}"
    );
}

#[tokio::test]
async fn a_database_of_the_release_before_sites_is_the_default_site() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("palabre.db");
    let old = made_by_release_before(dir.path(), &db, "0010").await;
    exec(
        &old,
        &release_before_sites_rows(|b| format!("x'{b:02x}'"), "1"),
    )
    .await;
    old.close().await;
    let s = store::connect(&format!("sqlite://{}", db.display()))
        .await
        .expect("the old database opens and migrates");
    check_upgraded_to_sites(s.as_ref(), "sqlite").await;
    drop(s);
    sound(&db).await;

    if let Some(cluster) = crate::helpers::postgres_cluster() {
        let url = crate::helpers::fresh_postgres(&cluster).await;
        let shipped = dir.path().join("pg-migrations");
        std::fs::create_dir(&shipped).unwrap();
        let all = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/postgres");
        for entry in std::fs::read_dir(all).unwrap() {
            let entry = entry.unwrap();
            if entry.file_name().to_str().unwrap() < "0003" {
                std::fs::copy(entry.path(), shipped.join(entry.file_name())).unwrap();
            }
        }
        let old = sqlx::PgPool::connect(&url).await.unwrap();
        Migrator::new(shipped.as_path())
            .await
            .unwrap()
            .run(&old)
            .await
            .unwrap();
        sqlx::raw_sql(&release_before_sites_rows(
            |b| format!("'\\x{b:02x}'::bytea"),
            "TRUE",
        ))
        .execute(&old)
        .await
        .unwrap();
        old.close().await;
        let s = store::connect(&url)
            .await
            .expect("the old PostgreSQL database opens and migrates");
        check_upgraded_to_sites(s.as_ref(), "postgres").await;
    }
}

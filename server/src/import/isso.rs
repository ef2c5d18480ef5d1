//! An Isso database (SQLite): `threads (id, uri, title)` and `comments (tid, id, parent,
//! created, modified, mode, remote_addr, text, author, email, website, likes, dislikes,
//! notification)`. Isso keeps Markdown, as we do. Mode 1 is accepted, 2 pending, 4 deleted.

use super::{ImportError, Importer, SourceComment, SourceId};
use palabre_api::{CommentStatus, Timestamp};
use sqlx::Row;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, SqliteConnection};
use std::path::Path;

fn seconds(s: f64) -> Timestamp {
    Timestamp::from_millis((s * 1000.0).round() as i64)
}

pub async fn import(path: &Path, importer: &mut Importer<'_>) -> Result<(), ImportError> {
    let mut conn: SqliteConnection = SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .connect()
        .await
        .map_err(|e| {
            ImportError::malformed(None, format!("not a readable SQLite database: {e}"))
        })?;
    let not_isso =
        |e: sqlx::Error| ImportError::malformed(None, format!("not an Isso database: {e}"));
    let instance = instance(&mut conn).await;
    let threads: Vec<(i64, String, Option<String>)> =
        sqlx::query_as("SELECT id, uri, title FROM threads ORDER BY id")
            .fetch_all(&mut conn)
            .await
            .map_err(not_isso)?;
    for (tid, uri, title) in threads {
        // Rows one at a time would hold the connection across awaits; a thread's comments
        // are few enough to hold.
        let rows = sqlx::query(
            "SELECT id, parent, created, modified, mode, remote_addr, text, author, email, \
             website, likes, dislikes, notification FROM comments WHERE tid = ? ORDER BY id",
        )
        .bind(tid)
        .fetch_all(&mut conn)
        .await
        .map_err(not_isso)?;
        let mut thread = None;
        for row in rows {
            let get =
                |e: sqlx::Error| ImportError::malformed(None, format!("Isso comment row: {e}"));
            let id: i64 = row.try_get("id").map_err(get)?;
            let created = seconds(row.try_get::<f64, _>("created").map_err(get)?);
            let t = match &thread {
                Some(t) => (t as &(i64, String)).clone(),
                None => {
                    let t = importer
                        .thread(&uri, title.as_deref(), created, false, false)
                        .await?;
                    thread = Some(t.clone());
                    t
                }
            };
            let mode: i64 = row.try_get("mode").map_err(get)?;
            let text: String = row.try_get("text").map_err(get)?;
            let source_id = |id: i64| format!("isso:{instance}:{uri}#isso-{id}");
            let key = SourceId {
                key: source_id(id),
                earlier: format!("isso:{id}"),
            };
            let mut c = SourceComment::new(key, &text, text.clone(), created);
            c.external_parent = row
                .try_get::<Option<i64>, _>("parent")
                .map_err(get)?
                .map(source_id);
            c.edited = row
                .try_get::<Option<f64>, _>("modified")
                .map_err(get)?
                .map(seconds);
            c.status = match mode {
                1 => CommentStatus::Published,
                4 => CommentStatus::Deleted,
                _ => CommentStatus::Pending,
            };
            if c.status == CommentStatus::Deleted {
                c.body = String::new();
            }
            c.ip = row.try_get("remote_addr").map_err(get)?;
            c.author = row.try_get("author").map_err(get)?;
            c.email = row.try_get("email").map_err(get)?;
            c.website = row.try_get("website").map_err(get)?;
            c.likes = row
                .try_get::<Option<i64>, _>("likes")
                .map_err(get)?
                .unwrap_or(0)
                .clamp(0, u32::MAX.into()) as u32;
            c.dislikes = row
                .try_get::<Option<i64>, _>("dislikes")
                .map_err(get)?
                .unwrap_or(0)
                .clamp(0, u32::MAX.into()) as u32;
            c.notify = row
                .try_get::<Option<i64>, _>("notification")
                .map_err(get)?
                .unwrap_or(0)
                == 1;
            importer.comment((t.0, &t.1), c).await?;
        }
    }
    Ok(())
}

/// Which Isso this database is: a digest of the random key Isso keeps in it (never the key
/// itself, which signs Isso's cookies), or nothing for a database without one. Comment ids are
/// the database's own, so two Isso databases' comments are told apart by it.
async fn instance(conn: &mut SqliteConnection) -> String {
    // No such table (an Isso older than its preferences, a hand-made file): no instance.
    let key: Option<Option<Vec<u8>>> =
        sqlx::query_scalar("SELECT CAST(value AS BLOB) FROM preferences WHERE key = 'session-key'")
            .fetch_optional(conn)
            .await
            .ok()
            .flatten();
    key.flatten()
        .filter(|k| !k.is_empty())
        .map(|k| {
            use sha2::Digest;
            let digest = sha2::Sha256::digest(&k);
            super::export::hex(&digest[..8])
        })
        .unwrap_or_default()
}

//! Backups of a SQLite database: taken while posts keep coming, restored by putting the file
//! in place (README, "Backups"), and on a schedule with rotation.

use crate::helpers::*;
use palabre_server::backup;
use palabre_server::config::BackupSchedule;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

async fn integrity(path: &Path) -> String {
    use sqlx::Connection;
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}?mode=ro", path.display()))
        .await
        .unwrap();
    sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut conn)
        .await
        .unwrap()
}

async fn sqlite_app(configure: impl FnOnce(&mut palabre_server::config::Settings)) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = test_settings(dir.path()).await;
    settings.database = format!("sqlite://{}/palabre.db", dir.path().display()).into();
    configure(&mut settings);
    TestApp::start(settings, dir).await
}

#[tokio::test]
async fn a_backup_under_write_load_restores_every_comment_acknowledged_before_it() {
    let app = Arc::new(sqlite_app(|_| {}).await);
    let acknowledged: Arc<Mutex<Vec<(i64, Instant)>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let mut writers = Vec::new();
    for w in 0..4 {
        let (app, acknowledged, stop) = (app.clone(), acknowledged.clone(), stop.clone());
        writers.push(tokio::spawn(async move {
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                let id = app
                    .comment(&format!("/t{}", i % 7), &format!("w{w} #{i}"), None)
                    .await;
                acknowledged
                    .lock()
                    .unwrap()
                    .push((id.comment.id, Instant::now()));
                i += 1;
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(400)).await;
    let file = tempfile::tempdir().unwrap();
    let path = file.path().join("backup.db");
    let began = Instant::now();
    let bytes = backup::backup_to(app.state.services.store.as_ref(), &path)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.await.unwrap();
    }
    assert!(bytes > 0 && std::fs::metadata(&path).unwrap().len() == bytes);
    assert!(!file.path().join("backup.db.partial").exists());
    let acknowledged = acknowledged.lock().unwrap().clone();
    let before: Vec<i64> = acknowledged
        .iter()
        .filter(|(_, at)| *at < began)
        .map(|(id, _)| *id)
        .collect();
    let after = acknowledged.len() - before.len();
    assert!(
        before.len() > 20 && after > 20,
        "load on both sides: {} and {after}",
        before.len()
    );
    assert_eq!(integrity(&path).await, "ok");

    // Restore: stop, put the file in place, start.
    drop(app);
    let restored_dir = tempfile::tempdir().unwrap();
    std::fs::copy(&path, restored_dir.path().join("palabre.db")).unwrap();
    let mut settings = test_settings(restored_dir.path()).await;
    settings.database = format!("sqlite://{}/palabre.db", restored_dir.path().display()).into();
    let restored = TestApp::start(settings, restored_dir).await;
    let found = restored
        .state
        .services
        .store
        .comments_by_id(&before)
        .await
        .unwrap();
    assert_eq!(
        found.len(),
        before.len(),
        "every comment acknowledged before the backup"
    );
    // The restored server takes posts again.
    restored.comment("/t0", "after the restore", None).await;
}

#[tokio::test]
async fn scheduled_backups_rotate_and_each_is_whole() {
    let backups = tempfile::tempdir().unwrap();
    let dir = backups.path().join("nested");
    let app = sqlite_app(|s| {
        s.backup = Some(BackupSchedule {
            dir: dir.clone(),
            every: Duration::from_millis(150),
            keep: 2,
        })
    })
    .await;
    app.comment("/t", "kept in the backups", None).await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    // A backup may be under way as the folder is read (every 150 ms): its `.partial` file
    // is not a backup yet, and is never kept if it fails.
    let files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| !p.to_string_lossy().contains(".partial"))
        .collect();
    assert_eq!(files.len(), 2, "rotated down to 2: {files:?}");
    for f in &files {
        assert!(
            f.file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("palabre-")
        );
        assert_eq!(integrity(f).await, "ok");
    }
}

#[test]
fn palabre_backup_from_the_shell_and_postgres_pointed_to_pg_dump() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/palabre.db", dir.path().display());
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_palabre"))
            .args(args)
            .output()
            .unwrap()
    };
    // A database with its schema: an export creates it.
    assert!(run(&["export", "-", "--database", &url]).status.success());
    let file = dir.path().join("copy.db");
    let out = run(&["backup", file.to_str().unwrap(), "--database", &url]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("Backup written to"));
    assert!(file.exists());
    // Again: the file is replaced, not refused.
    assert!(
        run(&["backup", file.to_str().unwrap(), "--database", &url])
            .status
            .success()
    );

    let out = run(&[
        "serve",
        "--backup-dir",
        dir.path().to_str().unwrap(),
        "--database",
        "postgres://u:pw@127.0.0.1:1/db",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("pg_dump"));
    if let Some(cluster) = postgres_cluster() {
        let postgres = tokio::runtime::Runtime::new()
            .unwrap()
            .block_on(fresh_postgres(&cluster));
        let out = run(&["backup", file.to_str().unwrap(), "--database", &postgres]);
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("pg_dump")
                && !err.contains(
                    cluster
                        .split('@')
                        .next()
                        .unwrap()
                        .rsplit(':')
                        .next()
                        .unwrap()
                ),
            "{err}"
        );
    }
}

#[tokio::test]
async fn a_backup_where_no_file_can_go_says_so_and_changes_nothing() {
    let app = sqlite_app(|_| {}).await;
    app.comment("/t", "still here", None).await;
    // A "folder" that is a file: no permission trick (the tests may run as root).
    let blocker = tempfile::NamedTempFile::new().unwrap();
    let target = blocker.path().join("backup.db");
    let err = backup::backup_to(app.state.services.store.as_ref(), &target)
        .await
        .unwrap_err();
    let text = format!("{:#}", anyhow::Error::from(err));
    assert!(text.contains("backup.db"), "names the file: {text}");
    assert_eq!(
        app.thread("/t").await.comments.len(),
        1,
        "the database is untouched"
    );

    // The server refuses to start on a backup folder it cannot create, saying which.
    let dir = tempfile::tempdir().unwrap();
    let mut settings = test_settings(dir.path()).await;
    settings.database = format!("sqlite://{}/palabre.db", dir.path().display()).into();
    settings.backup = Some(BackupSchedule {
        dir: blocker.path().join("backups"),
        every: Duration::from_secs(3600),
        keep: 1,
    });
    let Err(err) = palabre_server::startup::Application::build(settings).await else {
        panic!("started with an impossible backup folder");
    };
    assert!(
        format!("{err:#}").contains("creating the backup folder"),
        "{err:#}"
    );
}

//! Crashes: `kill -9` of the real binary while it writes. Whatever it acknowledged is there
//! after a restart, exactly; what it did not finish is all there or not at all.

use crate::helpers::{Served, on_postgres, test_database};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const WRITERS: usize = 8;
const TRIALS: u64 = 4;

fn serve(dir: &std::path::Path, database: &str) -> Served {
    Served::start(
        dir,
        &[
            "--database",
            database,
            "--pow-difficulty",
            "0",
            "--min-post-delay",
            "0s",
            "--rate-limit-burst",
            "1000000",
            "--rate-limit-per-minute",
            "1000000",
        ],
    )
}

/// Posts comments one after another until the server stops answering; returns each answered
/// 201 as (id, text).
async fn write_until_gone(base: String, writer: usize, trial: u64) -> Vec<(i64, String)> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let mut acknowledged = Vec::new();
    for n in 0.. {
        let Ok(res) = client.get(format!("{base}/api/v1/challenge")).send().await else {
            break;
        };
        let Ok(challenge) = res.json::<palabre_api::Challenge>().await else {
            break;
        };
        let text = format!("trial {trial} writer {writer} comment {n}");
        let posted = client
            .post(format!("{base}/api/v1/comments"))
            .json(&serde_json::json!({
                "thread": format!("/crash/{}", n % 5), "body": text, "author": "Writer",
                "pow": {"challenge": challenge.challenge, "counter": 0},
            }))
            .send()
            .await;
        let Ok(res) = posted else { break };
        if res.status() != 201 {
            break;
        }
        let Ok(created) = res.json::<palabre_api::CreatedComment>().await else {
            // The answer was cut by the kill: not acknowledged.
            break;
        };
        acknowledged.push((created.comment.id, text));
    }
    acknowledged
}

async fn integrity_check(database: &str) {
    if on_postgres() {
        return;
    }
    use sqlx::Connection;
    let mut conn = sqlx::SqliteConnection::connect(database).await.unwrap();
    let result: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(result, "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_acknowledged_comment_survives_kill_9_during_concurrent_posting() {
    let dir = tempfile::tempdir().unwrap();
    let database = test_database(dir.path()).await;
    let mut all: Vec<(i64, String)> = Vec::new();
    for trial in 0..TRIALS {
        let served = serve(dir.path(), &database);
        let acknowledged = Arc::new(Mutex::new(Vec::new()));
        let writers: Vec<_> = (0..WRITERS)
            .map(|w| {
                let (base, acknowledged) = (served.base.clone(), Arc::clone(&acknowledged));
                tokio::spawn(async move {
                    let mine = write_until_gone(base, w, trial).await;
                    acknowledged.lock().unwrap().extend(mine);
                })
            })
            .collect();
        // A different moment in each trial, all of them mid-stream.
        tokio::time::sleep(Duration::from_millis(400 + 150 * trial)).await;
        served.kill();
        for w in writers {
            w.await.unwrap();
        }
        let acknowledged = std::mem::take(&mut *acknowledged.lock().unwrap());
        assert!(
            acknowledged.len() > 20,
            "trial {trial}: only {} posts before the kill",
            acknowledged.len()
        );
        all.extend(acknowledged);

        // After the restart, everything acknowledged so far, in this trial and the earlier.
        let served = serve(dir.path(), &database);
        let client = reqwest::Client::new();
        for (id, text) in &all {
            let res = client
                .get(format!("{}/api/v1/comments/{id}", served.base))
                .send()
                .await
                .unwrap();
            assert_eq!(
                res.status(),
                200,
                "trial {trial}: comment {id} ({text}) lost"
            );
            let comment: palabre_api::Comment = res.json().await.unwrap();
            assert_eq!(comment.html, format!("<p>{text}</p>\n"), "comment {id}");
        }
        drop(served);
        integrity_check(&database).await;
        println!(
            "trial {trial}: {} acknowledged in all, all there",
            all.len()
        );
    }
}

/// A Palabre export of `n` comments over 10 threads.
fn export_file(path: &std::path::Path, n: usize) {
    use std::fmt::Write;
    let mut text = String::from("{\"format\":\"palabre-export\",\"version\":1}\n");
    for t in 0..10 {
        writeln!(
            text,
            r#"{{"thread":{{"key":"/imported/{t}","title":"Post {t}","locked":false,"hidden":false,"created":"2020-01-01T00:00:00.000Z"}}}}"#
        )
        .unwrap();
        // Each thread's comments follow it, as in an export.
        for id in (1..=n).filter(|id| id % 10 == t) {
            writeln!(
                text,
                r#"{{"comment":{{"id":{id},"parent":null,"status":"published","spam":false,"author":"Reader","email":null,"website":null,"body":"Imported comment {id}","created":"2020-01-02T00:00:00.000Z","edited":null,"likes":0,"dislikes":0,"notify":false,"avatar":"b44fa994843240ab","reader":"imported","edit_token_hash":"{id:064x}","votes":{{}}}}}}"#
            )
            .unwrap();
        }
    }
    std::fs::write(path, text).unwrap();
}

fn imported(database: &str) -> i64 {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_palabre"))
        .args(["export", "-", "--database", database])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.starts_with("{\"comment\""))
        .count() as i64
}

#[tokio::test]
async fn an_import_killed_midway_leaves_nothing_and_can_be_run_again() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("big.jsonl");
    const COMMENTS: usize = 10_000;
    export_file(&file, COMMENTS);
    let import = |database: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_palabre"))
            .args([
                "import",
                "palabre",
                file.to_str().unwrap(),
                "--database",
                database,
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    // How long a whole import takes here, to kill the others a quarter, half and three
    // quarters of the way.
    let measured = test_database(dir.path()).await;
    let started = std::time::Instant::now();
    let whole = import(&measured).wait_with_output().unwrap();
    assert!(
        whole.status.success(),
        "{}",
        String::from_utf8_lossy(&whole.stderr)
    );
    let took = started.elapsed();
    assert_eq!(imported(&measured), COMMENTS as i64);

    for quarter in 1..=3u32 {
        let sub = tempfile::tempdir().unwrap();
        let database = test_database(sub.path()).await;
        let mut child = import(&database);
        std::thread::sleep(took * quarter / 4);
        let running = child.try_wait().unwrap().is_none();
        child.kill().unwrap();
        child.wait().unwrap();
        integrity_check(&database).await;
        let count = imported(&database);
        if running {
            assert_eq!(count, 0, "killed {quarter}/4 of the way: a partial import");
        } else {
            assert_eq!(count, COMMENTS as i64);
        }
        // Run again, it completes.
        let again = import(&database).wait_with_output().unwrap();
        assert!(
            again.status.success(),
            "{}",
            String::from_utf8_lossy(&again.stderr)
        );
        assert_eq!(imported(&database), COMMENTS as i64);
        println!("import killed at {quarter}/4 of {took:?} (running: {running}): {count} left");
    }
}

/// Posts `n` comments on `thread`, 8 at a time; returns their ids.
async fn seed(base: &str, thread: &str, n: usize) -> Vec<i64> {
    let client = reqwest::Client::new();
    let mut ids = Vec::new();
    for chunk in (0..n).collect::<Vec<_>>().chunks(WRITERS) {
        let mut posts = tokio::task::JoinSet::new();
        for &i in chunk {
            let (client, base, thread) = (client.clone(), base.to_owned(), thread.to_owned());
            posts.spawn(async move {
                let c: palabre_api::Challenge = client
                    .get(format!("{base}/api/v1/challenge"))
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                let res = client
                    .post(format!("{base}/api/v1/comments"))
                    .json(&serde_json::json!({
                        "thread": thread, "body": format!("comment {i}"),
                        "pow": {"challenge": c.challenge, "counter": 0},
                    }))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), 201);
                res.json::<palabre_api::CreatedComment>()
                    .await
                    .unwrap()
                    .comment
                    .id
            });
        }
        ids.extend(posts.join_all().await);
    }
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bulk_moderation_action_killed_midway_is_all_or_nothing() {
    const COMMENTS: usize = 1_000;
    let dir = tempfile::tempdir().unwrap();
    let database = test_database(dir.path()).await;
    {
        let store = palabre_server::store::connect(&database).await.unwrap();
        crate::admin::set_password(store.as_ref()).await;
    }
    let served = serve(dir.path(), &database);
    // How long deleting them all at once takes here, to kill the server partway next.
    let ids = seed(&served.base, "/bulk/measured", COMMENTS).await;
    let admin = crate::admin::sign_in_at(&served.base).await;
    let started = std::time::Instant::now();
    let res = delete_all(&admin, &ids).await.unwrap();
    let took = started.elapsed();
    assert_eq!(res.status(), 303);
    assert_eq!(published(&served.base, "/bulk/measured").await, 0);
    let mut served = served;

    for (trial, key) in ["/bulk/a", "/bulk/b", "/bulk/c"].into_iter().enumerate() {
        let ids = seed(&served.base, key, COMMENTS).await;
        let admin = crate::admin::sign_in_at(&served.base).await;
        let request = tokio::spawn(async move { delete_all(&admin, &ids).await.is_ok() });
        tokio::time::sleep(took * (trial as u32 + 1) / 4).await;
        served.kill();
        let answered = request.await.unwrap();
        served = serve(dir.path(), &database);
        let left = published(&served.base, key).await;
        println!(
            "bulk delete killed at {}/4 of {took:?}: {left} of {COMMENTS} left",
            trial + 1
        );
        assert!(
            left == 0 || left == COMMENTS as u64,
            "trial {trial}: {left} of {COMMENTS} left, a partial bulk action (answered: {answered})"
        );
    }
    drop(served);
    integrity_check(&database).await;
}

/// Published comments on `thread`.
async fn published(base: &str, thread: &str) -> u64 {
    reqwest::get(format!("{base}/api/v1/comments?thread={thread}&limit=1"))
        .await
        .unwrap()
        .json::<palabre_api::ThreadPage>()
        .await
        .unwrap()
        .thread
        .count
}

async fn delete_all(
    admin: &crate::admin::Admin,
    ids: &[i64],
) -> reqwest::Result<reqwest::Response> {
    let ids: Vec<String> = ids.iter().map(i64::to_string).collect();
    let mut fields = vec![("action", "delete")];
    fields.extend(ids.iter().map(|id| ("id", id.as_str())));
    admin.try_post("/admin/comments/action", &fields).await
}

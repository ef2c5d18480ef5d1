//! The real `palabre` binary, as a blog owner runs it: a fresh directory, no configuration.

use crate::helpers::Served;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

#[tokio::test]
async fn palabre_serve_starts_in_a_fresh_directory_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let served = Served::start(dir.path(), &["--min-post-delay", "1s"]);
    let base = served.base.clone();
    let client = reqwest::Client::new();
    // The default spam defence: a 16-bit proof of work, and a wait after the form opens.
    let challenge: palabre_api::Challenge = client
        .get(format!("{base}/api/v1/challenge"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(challenge.difficulty, 16);
    assert_eq!(challenge.wait_ms, 1000);
    let counter = palabre_api::pow::search(&challenge.challenge, 16, 0, u64::MAX).unwrap();
    tokio::time::sleep(Duration::from_millis(challenge.wait_ms)).await;
    let res = client
        .post(format!("{base}/api/v1/comments"))
        .json(
            &serde_json::json!({"thread": "/hello", "body": "Hi <script>alert(1)</script>",
            "pow": {"challenge": challenge.challenge, "counter": counter}}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let page: palabre_api::ThreadPage = client
        .get(format!("{base}/api/v1/comments?thread=/hello"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page.comments.len(), 1);
    assert_eq!(
        page.comments[0].html,
        "<p>Hi &lt;script&gt;alert(1)&lt;/script&gt;</p>\n"
    );
    assert!(
        dir.path().join("palabre.db").exists(),
        "default database in the working directory"
    );

    // A reader's live-updates stream stays open: it must not hold the shutdown up.
    let stream = client
        .get(format!("{base}/api/v1/events?thread=/hello"))
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);

    let mut served = served;
    let child = &mut served.child;
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still running 5 s after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(exit.success(), "graceful shutdown exits 0, got {exit:?}");
    drop(stream);
}

#[tokio::test]
async fn palabre_admin_set_password_reads_stdin_and_refuses_short_ones() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/palabre.db", dir.path().display());
    let run = |password: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_palabre"))
            .args([
                "admin",
                "set-password",
                "--database",
                &url,
                "--name",
                "ines",
            ])
            .stdin(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
        child.wait_with_output().unwrap()
    };
    let short = run("short");
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 10"));
    let ok = run("a long enough password");
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let store = palabre_server::store::connect(&url).await.unwrap();
    let hash = store.admin_password_hash("ines").await.unwrap().unwrap();
    assert!(
        hash.starts_with("$argon2id$"),
        "stored hashed, never in clear"
    );
    assert!(!hash.contains("long enough"));
}

#[test]
fn palabre_import_and_export_from_the_shell() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/palabre.db", dir.path().display());
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let palabre = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_palabre"))
            .args(args)
            .args(["--database", &url])
            .output()
            .unwrap()
    };
    let disqus = fixtures.join("disqus.xml");
    let dry = palabre(&["import", "disqus", disqus.to_str().unwrap(), "--dry-run"]);
    assert!(dry.status.success());
    let out = String::from_utf8_lossy(&dry.stdout);
    assert!(
        out.contains("/posts/sourdough/: 3 published, 0 held, 1 spam, 0 deleted"),
        "{out}"
    );
    assert!(
        out.contains("would import 8 comments in 2 threads"),
        "{out}"
    );
    assert!(out.contains("dry run: nothing changed"), "{out}");

    let truncated = fixtures.join("disqus-truncated.xml");
    let bad = palabre(&["import", "disqus", truncated.to_str().unwrap()]);
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("disqus-truncated.xml, line 55:") && err.contains("nothing was imported"),
        "{err}"
    );

    assert!(
        palabre(&["import", "disqus", disqus.to_str().unwrap()])
            .status
            .success()
    );
    assert!(!err.contains("backtrace"), "a message for people: {err}");
    let export = dir.path().join("all.jsonl");
    let done = palabre(&["export", export.to_str().unwrap()]);
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    let text = std::fs::read_to_string(&export).unwrap();
    assert_eq!(
        text.lines().count(),
        1 + 2 + 7,
        "header, 2 threads, 7 comments"
    );
}

#[test]
fn an_import_run_again_says_per_thread_what_it_skipped_and_why() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/palabre.db", dir.path().display());
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let wordpress = fixtures.join("wordpress.xml");
    let palabre = |extra: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_palabre"))
            .args(["import", "wordpress", wordpress.to_str().unwrap()])
            .args(extra)
            .args(["--database", &url])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let first = palabre(&[]);
    assert!(
        first.contains("skipped: 1 pingbacks and trackbacks"),
        "the pingback, in its thread: {first}"
    );
    let dry = palabre(&["--dry-run"]);
    let again = palabre(&[]);
    // The trashed comment without replies is dropped each time, so it is met again.
    for out in [&dry, &again] {
        assert!(
            out.contains(
                "/posts/sourdough/: 0 published, 0 held, 0 spam, 1 deleted; skipped: 4 already imported, 1 pingbacks and trackbacks"
            ),
            "{out}"
        );
        assert!(out.contains("already imported: 5;"), "{out}");
    }
    // The dry run says what the run then did, word for word but for its verb.
    assert_eq!(
        dry.replace("would import", "imported")
            .replace(" (dry run: nothing changed)", ""),
        again
    );
}

#[test]
fn json_logs_are_one_object_a_line_without_addresses() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_palabre"))
        .args(["serve", "--listen", "127.0.0.1:0", "--log-format", "json"])
        .current_dir(dir.path())
        .env(
            "RUST_LOG",
            "palabre=info,palabre_server=debug,tower_http=debug",
        )
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("palabre runs");
    let stderr = child.stderr.take().unwrap();
    // Stopped whatever happens, so that a failing assertion leaves no server behind.
    struct Stop(u32);
    impl Drop for Stop {
        fn drop(&mut self) {
            let _ = Command::new("kill")
                .args(["-TERM", &self.0.to_string()])
                .status();
        }
    }
    let stop = Stop(child.id());
    let mut lines = BufReader::new(stderr).lines().map_while(Result::ok);
    let started: serde_json::Value = serde_json::from_str(&lines.next().unwrap()).unwrap();
    assert_eq!(started["level"], "INFO");
    assert_eq!(started["fields"]["message"], "Palabre is listening");
    let address = started["fields"]["address"].as_str().unwrap().to_owned();
    // A request through the real socket: its log lines carry the route, not the client.
    let mut socket = std::net::TcpStream::connect(&address).unwrap();
    std::io::Write::write_all(
        &mut socket,
        b"GET /api/v1/comments?thread=/nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .unwrap();
    let mut answer = String::new();
    std::io::Read::read_to_string(&mut socket, &mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    drop(stop);
    let rest: Vec<String> = lines.collect();
    child.wait().unwrap();
    assert!(!rest.is_empty());
    for line in &rest {
        let record: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(
            record["timestamp"].is_string() && record["level"].is_string(),
            "{line}"
        );
        assert!(
            !line.contains("127.0.0.1:") || line.contains(&address),
            "no client address: {line}"
        );
    }
    assert!(
        rest.iter()
            .any(|l| l.contains("\"route\":\"/api/v1/comments\"")),
        "the request's route: {rest:?}"
    );
}

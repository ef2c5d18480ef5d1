//! A PostgreSQL database that goes away and comes back, through a TCP proxy the test cuts
//! and restores: readers get a clear 503 meanwhile, `/healthz` says so, nothing acknowledged
//! is lost, and the server serves again on its own once the database is back. Also: a
//! database URL's password never shows in what the server prints.

use crate::helpers::*;
use palabre_api::ErrorCode;
use serde_json::json;
use std::net::SocketAddr;
use std::process::Command;
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// Forwards 127.0.0.1:port to `upstream` while up; when down, cuts every connection and
/// refuses new ones.
struct Proxy {
    port: u16,
    up: watch::Sender<bool>,
}

impl Proxy {
    async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (up, watch_up) = watch::channel(true);
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if !*watch_up.borrow() {
                    continue; // dropped: the connection is closed at once
                }
                let mut down = watch_up.clone();
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = down.wait_for(|up| !*up) => {}
                    }
                });
            }
        });
        Self { port, up }
    }

    fn set(&self, up: bool) {
        self.up.send_replace(up);
    }
}

async fn wait_for_health(app: &TestApp, status: u16) -> Duration {
    let start = Instant::now();
    loop {
        if app.get("/healthz").await.status() == status {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "/healthz never answered {status}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_database_that_goes_away_and_comes_back_loses_nothing_acknowledged() {
    let Some(cluster) = postgres_cluster() else {
        return;
    };
    let direct = fresh_postgres(&cluster).await;
    // The same database, reached through the proxy.
    let port = direct
        .split('@')
        .nth(1)
        .unwrap()
        .split(['/', ':'])
        .nth(1)
        .unwrap();
    let upstream: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let proxy = Proxy::start(upstream).await;
    let through = direct.replace(&format!(":{port}/"), &format!(":{}/", proxy.port));
    let dir = tempfile::tempdir().unwrap();
    let mut settings = test_settings(dir.path()).await;
    settings.database = through.into();
    let app = TestApp::start(settings, dir).await;

    let mut acknowledged = vec![app.comment("/t", "before", None).await.comment.id];
    assert_eq!(app.get("/healthz").await.status(), 200);

    proxy.set(false);
    let noticed = wait_for_health(&app, 503).await;
    eprintln!("outage seen by /healthz after {noticed:?}");
    let started = Instant::now();
    let res = app
        .post_json(
            "/api/v1/comments",
            &json!({"thread": "/t", "body": "during"}),
        )
        .await;
    let refused_in = started.elapsed();
    assert!(res.headers().contains_key("retry-after"));
    let body = expect_error(res, 503, ErrorCode::Unavailable).await;
    assert!(!body.message.contains("127.0.0.1"), "{}", body.message);
    assert!(refused_in < Duration::from_secs(10), "took {refused_in:?}");

    proxy.set(true);
    let back = wait_for_health(&app, 200).await;
    eprintln!("recovery seen by /healthz after {back:?}");
    acknowledged.push(app.comment("/t", "after", None).await.comment.id);

    // Everything acknowledged is there, read straight from the database.
    let store = palabre_server::store::connect(&direct).await.unwrap();
    for id in acknowledged {
        assert!(
            store.comment(id).await.unwrap().is_some(),
            "comment {id} lost"
        );
    }
    let bodies: Vec<String> = store
        .export_comments(&crate::helpers::default_thread("/t"))
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.body)
        .collect();
    assert_eq!(bodies, ["before", "after"], "the refused post left nothing");
}

#[test]
fn a_database_password_never_shows_in_errors_logs_or_help() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let url = format!("postgres://palabre:Sup3rSecretPw@127.0.0.1:{port}/palabre");
    let out = Command::new(env!("CARGO_BIN_EXE_palabre"))
        .args(["serve", "--listen", "127.0.0.1:0", "--database", &url])
        .env("RUST_LOG", "trace")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!printed.contains("Sup3rSecretPw"), "{printed}");
    assert!(
        printed.contains("postgres://palabre:***@127.0.0.1") && printed.contains("refused"),
        "a clear reason: {printed}"
    );

    let help = Command::new(env!("CARGO_BIN_EXE_palabre"))
        .args(["serve", "--help"])
        .env("PALABRE_DATABASE", &url)
        .output()
        .unwrap();
    assert!(help.status.success());
    assert!(!String::from_utf8_lossy(&help.stdout).contains("Sup3rSecretPw"));
}

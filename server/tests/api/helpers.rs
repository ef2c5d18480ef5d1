use palabre_api::{CreatedComment, ErrorBody, ErrorCode, ThreadPage};
use palabre_server::config::{Settings, SpamRules};
use palabre_server::http::state::AppState;
use palabre_server::rate_limit::RateLimit;
use palabre_server::startup::Application;
use palabre_server::store::Totals;
use secrecy::SecretString;
use serde_json::{Value, json};

pub struct TestApp {
    pub base: String,
    /// `http://…` of `/metrics`, with `settings.metrics_listen`.
    pub metrics: Option<String>,
    pub client: reqwest::Client,
    pub state: AppState,
    pub dir: tempfile::TempDir,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// A thread of the default site (a server without `[[site]]` tables has that one only).
pub fn default_thread(key: &str) -> palabre_server::store::ThreadRef {
    palabre_server::store::ThreadRef::new(
        palabre_server::store::SiteName::default_site(),
        palabre_api::ThreadKey::parse(key).unwrap(),
    )
}

/// The PostgreSQL cluster the tests may use (a superuser URL), from PALABRE_TEST_POSTGRES,
/// which `scripts/test` sets. Without it a test that needs PostgreSQL fails in CI and says
/// so elsewhere: it never passes by skipping silently where the suite is judged.
pub fn postgres_cluster() -> Option<String> {
    match std::env::var("PALABRE_TEST_POSTGRES") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var_os("CI").is_some() => {
            panic!("PALABRE_TEST_POSTGRES is not set: run the tests through scripts/test")
        }
        _ => {
            eprintln!(
                "PALABRE_TEST_POSTGRES is not set: PostgreSQL part skipped (scripts/test runs it)"
            );
            None
        }
    }
}

/// A database of its own on the test cluster: a fresh schema, selected by the URL.
pub async fn fresh_postgres(cluster: &str) -> String {
    use sqlx::Connection;
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let schema = format!("t{}_{n}", std::process::id());
    let mut admin = sqlx::PgConnection::connect(cluster)
        .await
        .expect("the test cluster answers");
    sqlx::raw_sql(&format!("CREATE SCHEMA {schema}"))
        .execute(&mut admin)
        .await
        .expect("schema created");
    let _ = admin.close().await;
    let sep = if cluster.contains('?') { '&' } else { '?' };
    format!("{cluster}{sep}options[search_path]={schema}")
}

/// Which backend the black-box tests run on: SQLite, or PostgreSQL when
/// PALABRE_TEST_BACKEND=postgres (scripts/test runs the suite once on each).
pub fn on_postgres() -> bool {
    std::env::var("PALABRE_TEST_BACKEND").as_deref() == Ok("postgres")
}

/// A fresh database on the backend under test.
pub async fn test_database(dir: &std::path::Path) -> String {
    if on_postgres() {
        let cluster =
            postgres_cluster().expect("PALABRE_TEST_BACKEND=postgres needs PALABRE_TEST_POSTGRES");
        fresh_postgres(&cluster).await
    } else {
        format!("sqlite://{}/palabre.db", dir.display())
    }
}

pub async fn test_settings(dir: &std::path::Path) -> Settings {
    Settings {
        listen: "127.0.0.1:0".parse().unwrap(),
        database: test_database(dir).await.into(),
        secret: Some(SecretString::from(
            "a test secret that is long enough to use",
        )),
        max_body_length: 1000,
        max_request_bytes: 16 * 1024,
        // Generous: tests that are about rate limiting set their own.
        rate_limit: RateLimit {
            burst: 10_000,
            per_minute: 600_000,
        },
        // A challenge is still required, but free and usable at once; the spam tests set
        // their own difficulty and delay.
        spam: SpamRules {
            pow_difficulty: 0,
            min_post_delay: std::time::Duration::ZERO,
            ..SpamRules::default()
        },
        ..Settings::default()
    }
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(configure: impl FnOnce(&mut Settings)) -> Self {
        if std::env::var_os("TEST_LOG").is_some() {
            palabre_server::logs::init_tracing("debug");
        }
        let dir = tempfile::tempdir().expect("temp dir");
        let mut settings = test_settings(dir.path()).await;
        configure(&mut settings);
        Self::start(settings, dir).await
    }

    pub async fn start(settings: Settings, dir: tempfile::TempDir) -> Self {
        let app = Application::build(settings).await.expect("app builds");
        let base = format!("http://{}", app.local_addr());
        let metrics = app.metrics_addr().map(|a| format!("http://{a}/metrics"));
        let state = app.state().clone();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(app.run_until(async {
            let _ = rx.await;
        }));
        Self {
            base,
            metrics,
            client: reqwest::Client::new(),
            state,
            dir,
            shutdown: Some(tx),
        }
    }

    /// Another server process on the same database and settings: a second replica.
    pub async fn replica(&self) -> TestApp {
        let mut settings = (*self.state.services.settings).clone();
        settings.listen = "127.0.0.1:0".parse().unwrap();
        Self::start(settings, tempfile::tempdir().unwrap()).await
    }

    /// Every byte the database holds, as text: SQLite's files (main file and write-ahead
    /// log), or every row of every table of the PostgreSQL schema.
    pub async fn everything_stored(&self) -> String {
        if !self.state.services.settings.database.is_postgres() {
            let mut bytes = Vec::new();
            for entry in std::fs::read_dir(self.dir.path()).unwrap() {
                bytes.extend(std::fs::read(entry.unwrap().path()).unwrap());
            }
            return String::from_utf8_lossy(&bytes).into_owned();
        }
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(&self.state.services.settings.database)
            .await
            .unwrap();
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT table_name::TEXT FROM information_schema.tables \
             WHERE table_schema = current_schema()",
        )
        .fetch_all(&mut conn)
        .await
        .unwrap();
        assert!(tables.len() > 5, "the schema's tables: {tables:?}");
        let mut text = String::new();
        for table in tables {
            let rows: Vec<String> = sqlx::query_scalar(&format!("SELECT t::TEXT FROM {table} t"))
                .fetch_all(&mut conn)
                .await
                .unwrap();
            text.push_str(&rows.join("\n"));
        }
        text
    }

    /// Runs `sql` (statements as both backends write them) on the app's database, behind its
    /// back: for tests that make a state no request can.
    pub async fn sql(&self, sql: &str) {
        use sqlx::Connection;
        let url = &self.state.services.settings.database;
        if url.is_postgres() {
            let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
            sqlx::raw_sql(sql).execute(&mut conn).await.unwrap();
        } else {
            let mut conn = sqlx::SqliteConnection::connect(url).await.unwrap();
            sqlx::raw_sql(sql).execute(&mut conn).await.unwrap();
        }
    }

    /// One number `sql` selects, on the app's database.
    pub async fn sql_count(&self, sql: &str) -> i64 {
        use sqlx::Connection;
        let url = &self.state.services.settings.database;
        if url.is_postgres() {
            let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
            sqlx::query_scalar(sql).fetch_one(&mut conn).await.unwrap()
        } else {
            let mut conn = sqlx::SqliteConnection::connect(url).await.unwrap();
            sqlx::query_scalar(sql).fetch_one(&mut conn).await.unwrap()
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request sent")
    }

    /// Posts JSON. A comment without `pow` gets a freshly solved challenge, as the widget
    /// would add; [`TestApp::post_json_as_is`] sends the body untouched.
    pub async fn post_json(&self, path: &str, body: &Value) -> reqwest::Response {
        let mut body = body.clone();
        if path == "/api/v1/comments"
            && let Some(fields) = body.as_object_mut()
            && !fields.contains_key("pow")
        {
            fields.insert("pow".into(), self.solved_challenge().await);
        }
        self.post_json_as_is(path, &body).await
    }

    pub async fn post_json_as_is(&self, path: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .expect("request sent")
    }

    /// Fetches a challenge and solves it: the `pow` field of a new comment.
    pub async fn solved_challenge(&self) -> Value {
        self.solved_challenge_with(&[]).await
    }

    /// The same, for a client named by these headers (challenges are signed per reader).
    pub async fn solved_challenge_with(&self, headers: &[(&str, &str)]) -> Value {
        let mut req = self.client.get(self.url("/api/v1/challenge"));
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        let c: palabre_api::Challenge = req.send().await.unwrap().json().await.unwrap();
        let counter = palabre_api::pow::search(&c.challenge, c.difficulty, 0, u64::MAX).unwrap();
        json!({ "challenge": c.challenge, "counter": counter })
    }

    pub async fn post_raw(
        &self,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> reqwest::Response {
        let mut req = self.client.post(self.url(path)).body(body);
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        req.send().await.expect("request sent")
    }

    /// Posts a comment and returns the created comment, asserting 201.
    pub async fn comment(&self, thread: &str, body: &str, parent: Option<i64>) -> CreatedComment {
        let res = self
            .post_json(
                "/api/v1/comments",
                &json!({ "thread": thread, "body": body, "parent": parent, "author": "Tester" }),
            )
            .await;
        assert_eq!(res.status(), 201, "posting {body:?}");
        res.json().await.expect("created comment")
    }

    pub async fn thread(&self, key: &str) -> ThreadPage {
        self.thread_query(&[("thread", key)]).await
    }

    pub async fn thread_query(&self, query: &[(&str, &str)]) -> ThreadPage {
        let res = self
            .client
            .get(self.url("/api/v1/comments"))
            .query(query)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        res.json().await.unwrap()
    }

    pub async fn totals(&self) -> Totals {
        self.state.services.store.totals().await.unwrap()
    }
}

/// Asserts the response is an error with this status and code; returns its body.
pub async fn expect_error(res: reqwest::Response, status: u16, code: ErrorCode) -> ErrorBody {
    let got = res.status().as_u16();
    let text = res.text().await.unwrap();
    assert_eq!(got, status, "status for body {text}");
    let body: ErrorBody = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert_eq!(body.code, code, "{text}");
    assert!(!body.message.is_empty());
    body
}

/// The tags and attributes the sanitizer may let through. Anything else in rendered HTML is
/// a hole. Escaped text contains `&lt;`, never `<`, so every `<` starts a real tag.
pub fn assert_safe_html(html: &str) {
    if let Err(hole) = check_safe_html(html) {
        panic!("{hole}");
    }
}

/// [`assert_safe_html`] for callers that report rather than panic (the property tests): every
/// tag on the allowlist with only its allowed attributes, `rel` as the sanitizer writes it, and
/// every link http(s) or mailto. `Err` names the first hole.
pub fn check_safe_html(html: &str) -> Result<(), String> {
    const TAGS: &[&str] = &[
        "a",
        "p",
        "br",
        "strong",
        "em",
        "del",
        "code",
        "pre",
        "blockquote",
        "ul",
        "ol",
        "li",
        "hr",
    ];
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        let end = rest[i..]
            .find('>')
            .ok_or(format!("a tag left open in {html}"))?
            + i;
        let tag = &rest[i + 1..end];
        rest = &rest[end + 1..];
        let tag = tag.strip_prefix('/').unwrap_or(tag);
        let (name, mut attrs) = tag.split_once(char::is_whitespace).unwrap_or((tag, ""));
        let name = name.to_ascii_lowercase();
        if !TAGS.contains(&name.as_str()) {
            return Err(format!("tag <{name}> in {html}"));
        }
        while let Some(eq) = attrs.find("=\"") {
            let attr = attrs[..eq].trim();
            let close = attrs[eq + 2..]
                .find('"')
                .ok_or(format!("an attribute left open in {html}"))?
                + eq
                + 2;
            let value = &attrs[eq + 2..close];
            attrs = &attrs[close + 1..];
            match (name.as_str(), attr) {
                ("a", "href") => {
                    let v = value.to_ascii_lowercase();
                    if !(v.starts_with("http://")
                        || v.starts_with("https://")
                        || v.starts_with("mailto:"))
                    {
                        return Err(format!("href {value:?} in {html}"));
                    }
                }
                ("a", "rel") if value == "nofollow ugc noopener" => {}
                ("ol", "start") if value.bytes().all(|b| b.is_ascii_digit()) => {}
                _ => return Err(format!("attribute {attr}={value:?} on <{name}> in {html}")),
            }
        }
        if !attrs.trim().trim_end_matches('/').trim().is_empty() {
            return Err(format!("a bare attribute {attrs:?} in {html}"));
        }
    }
    Ok(())
}

/// The real `palabre serve` binary, started in `dir` with `args`; killed when dropped.
pub struct Served {
    pub child: std::process::Child,
    pub base: String,
}

impl Served {
    pub fn start(dir: &std::path::Path, args: &[&str]) -> Self {
        use std::io::{BufRead, BufReader};
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_palabre"))
            .arg("serve")
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .current_dir(dir)
            .env("RUST_LOG", "palabre=info")
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("palabre runs");
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        // Reads the log to its end, so the server never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let address = loop {
            let line = rx
                .recv_timeout(std::time::Duration::from_secs(30))
                .expect("a log line");
            if let Some(rest) = line.split("address=").nth(1) {
                break rest.split_whitespace().next().unwrap().to_owned();
            }
        };
        Self {
            child,
            base: format!("http://{address}"),
        }
    }

    /// SIGKILL: no shutdown, no flush, as a crash or the OOM killer would.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

//! Command line, environment and optional TOML file, resolved once into [`Settings`].
//! Precedence: flag, then environment variable, then the file, then the built-in default.

use crate::rate_limit::RateLimit;
use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use palabre_api::ModerationMode;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Palabre: self-hosted comments for blogs.
#[derive(Debug, Parser)]
#[command(name = "palabre", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the comment server.
    Serve(Box<ServeArgs>),
    /// Manage the admin pages' accounts.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Import comments from Disqus, WordPress, Isso or a Palabre export. Runs in one
    /// transaction: on any error nothing is imported. Re-running adds nothing twice.
    Import(ImportArgs),
    /// A reader's data rights: export or erase everything stored about an email.
    #[command(subcommand)]
    Reader(ReaderCommand),
    /// Write a consistent snapshot of a SQLite database to FILE while the server keeps
    /// serving (replaces FILE). For PostgreSQL, use pg_dump.
    Backup {
        file: PathBuf,
        #[command(flatten)]
        db: DatabaseArgs,
    },
    /// Write every thread, comment and vote to FILE (JSON Lines; see the README).
    Export {
        /// Where to write; `-` for standard output.
        file: PathBuf,
        #[command(flatten)]
        db: DatabaseArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum ReaderCommand {
    /// Print (as JSON) everything stored about an email: its comments and whether it is
    /// blocked.
    Export {
        #[arg(long)]
        email: String,
        #[command(flatten)]
        db: DatabaseArgs,
    },
    /// Erase the comments of an email.
    Delete {
        #[arg(long)]
        email: String,
        /// placeholder: replies stay under an empty placeholder; remove: replies go too.
        #[arg(long, value_enum, default_value = "placeholder")]
        mode: crate::readers::ForgetMode,
        #[command(flatten)]
        db: DatabaseArgs,
    },
}

/// The database a command works on (the server's, when it runs with the same settings).
#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// Database URL: sqlite://FILE or postgres://USER:PASSWORD@HOST/DB
    /// [default: sqlite://palabre.db].
    #[arg(long, env = "PALABRE_DATABASE", hide_env_values = true)]
    pub database: Option<String>,
    /// The server's secret key, if it is configured rather than generated (reader hashes
    /// and avatars of imported comments are keyed with it).
    #[arg(long, env = "PALABRE_SECRET", hide_env_values = true)]
    pub secret: Option<SecretString>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ImportFormat {
    /// A Disqus XML export.
    Disqus,
    /// A WordPress export (WXR).
    Wordpress,
    /// An Isso SQLite database.
    Isso,
    /// A file written by `palabre export`.
    Palabre,
}

#[derive(Debug, Clone, Args)]
pub struct ImportArgs {
    pub format: ImportFormat,
    pub file: PathBuf,
    /// Print what would be imported, per thread, and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Stop at the first item with an anomaly of its own (a post naming a thread the file
    /// does not describe, a date that does not parse), importing nothing. Without it, such
    /// items are skipped and listed in the summary.
    #[arg(long)]
    pub strict: bool,
    /// Rewrite a prefix of the source's URLs before they become thread keys, e.g.
    /// --map https://old.example/blog/=https://new.example/ (repeatable). Without a mapping, a
    /// URL's path is its thread key, as the widget does.
    #[arg(long = "map", value_name = "OLD=NEW")]
    pub mappings: Vec<String>,
    /// A file of OLD=NEW lines (blank lines and # comments ignored).
    #[arg(long)]
    pub map_file: Option<PathBuf>,
    #[command(flatten)]
    pub db: DatabaseArgs,
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create an admin or change their password, read from standard input (first line).
    /// Signs out that admin's sessions.
    SetPassword {
        /// Database URL: sqlite://FILE or postgres://USER:PASSWORD@HOST/DB
        /// [default: sqlite://palabre.db].
        #[arg(long, env = "PALABRE_DATABASE", hide_env_values = true)]
        database: Option<String>,
        /// The admin's name.
        #[arg(long, default_value = "admin")]
        name: String,
    },
    /// Print the argon2 hash of a password read from standard input, for
    /// PALABRE_ADMIN_PASSWORD_HASH.
    HashPassword,
}

#[derive(Debug, Default, Args)]
pub struct ServeArgs {
    /// TOML file with any of the settings below (keys as the long flags, with underscores).
    #[arg(long, env = "PALABRE_CONFIG")]
    pub config: Option<PathBuf>,

    /// Address and port to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "PALABRE_LISTEN")]
    pub listen: Option<SocketAddr>,

    /// Database URL: sqlite://FILE (created if missing) or postgres://USER:PASSWORD@HOST/DB
    /// [default: sqlite://palabre.db].
    #[arg(long, env = "PALABRE_DATABASE", hide_env_values = true)]
    pub database: Option<String>,

    /// A blog origin allowed to call the API from the browser (CORS), e.g.
    /// https://blog.example.org. Repeat the flag, or separate with commas in the variable.
    #[arg(long = "origin", env = "PALABRE_ORIGINS", value_delimiter = ',')]
    pub origins: Vec<String>,

    /// Secret key for keyed hashes (at least 32 characters). When absent, one is generated on
    /// first start and kept in the database.
    #[arg(long, env = "PALABRE_SECRET", hide_env_values = true)]
    pub secret: Option<SecretString>,

    /// How long authors may edit or delete their comment, e.g. 15m, 1h, 90s [default: 15m].
    #[arg(long, env = "PALABRE_EDIT_WINDOW")]
    pub edit_window: Option<String>,

    /// Longest comment, in characters (grapheme clusters) [default: 10000].
    #[arg(long, env = "PALABRE_MAX_BODY_LENGTH")]
    pub max_body_length: Option<u32>,

    /// Deepest reply level; top-level comments are level 0. Replies below it attach to the
    /// deepest allowed ancestor [default: 5].
    #[arg(long, env = "PALABRE_MAX_DEPTH")]
    pub max_depth: Option<u32>,

    /// Largest accepted request body, in bytes [default: 65536].
    #[arg(long, env = "PALABRE_MAX_REQUEST_BYTES")]
    pub max_request_bytes: Option<usize>,

    /// Write requests (post, edit, delete, vote, preview) a client may make in a burst
    /// [default: 10].
    #[arg(long, env = "PALABRE_RATE_LIMIT_BURST")]
    pub rate_limit_burst: Option<u32>,

    /// Sustained write requests per minute and client [default: 20].
    #[arg(long, env = "PALABRE_RATE_LIMIT_PER_MINUTE")]
    pub rate_limit_per_minute: Option<u32>,

    /// Require a name on every comment [default: false].
    #[arg(long, env = "PALABRE_REQUIRE_AUTHOR", num_args = 0..=1, default_missing_value = "true")]
    pub require_author: Option<bool>,

    /// Require an email on every comment [default: false].
    #[arg(long, env = "PALABRE_REQUIRE_EMAIL", num_args = 0..=1, default_missing_value = "true")]
    pub require_email: Option<bool>,

    /// Folder of the widget's bundle (from scripts/build-widget), served under /embed/.
    #[arg(long, env = "PALABRE_WIDGET_DIR")]
    pub widget_dir: Option<PathBuf>,

    /// Behind a reverse proxy: the header holding the client address (e.g. X-Real-IP or
    /// X-Forwarded-For, whose last entry is used). Unset, the connection's peer address is used.
    #[arg(long, env = "PALABRE_CLIENT_IP_HEADER")]
    pub client_ip_header: Option<String>,

    /// Which new comments wait for a moderator: none, first (a commenter's first comment;
    /// later ones with the same email publish at once) or all [default: none].
    #[arg(long, env = "PALABRE_MODERATION")]
    pub moderation: Option<String>,

    /// The server's public address, e.g. https://comments.example.org: used in links sent by
    /// email, and (https) to mark the admin cookie Secure [default: http://<listen>].
    #[arg(long, env = "PALABRE_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// How long an admin stays signed in, e.g. 12h [default: 12h].
    #[arg(long, env = "PALABRE_ADMIN_SESSION")]
    pub admin_session: Option<String>,

    /// Argon2 hash (PHC string) of the password of the admin named "admin", as printed by
    /// `palabre admin hash-password`. Alternative to `palabre admin set-password`.
    #[arg(long, env = "PALABRE_ADMIN_PASSWORD_HASH", hide_env_values = true)]
    pub admin_password_hash: Option<SecretString>,

    /// Proof-of-work difficulty in leading zero bits the widget must find before posting;
    /// raised automatically for readers who post fast. 0 turns it off [default: 16].
    #[arg(long, env = "PALABRE_POW_DIFFICULTY")]
    pub pow_difficulty: Option<u8>,

    /// Shortest time between the form's challenge and the post, e.g. 3s [default: 3s].
    #[arg(long, env = "PALABRE_MIN_POST_DELAY")]
    pub min_post_delay: Option<String>,

    /// Most links a comment may carry [default: 5].
    #[arg(long, env = "PALABRE_MAX_LINKS")]
    pub max_links: Option<u32>,

    /// Words or phrases (case-insensitive) that send a comment to the moderation queue.
    /// Repeat the flag, or separate with commas in the variable.
    #[arg(
        long = "blocked-word",
        env = "PALABRE_BLOCKED_WORDS",
        value_delimiter = ','
    )]
    pub blocked_words: Vec<String>,

    /// SMTP server for notification emails; unset, no email is sent.
    #[arg(long, env = "PALABRE_SMTP_HOST")]
    pub smtp_host: Option<String>,

    /// SMTP port [default: 587 with starttls, 465 with tls, 25 with none].
    #[arg(long, env = "PALABRE_SMTP_PORT")]
    pub smtp_port: Option<u16>,

    /// SMTP transport security: starttls, tls or none (none only for a relay on this machine)
    /// [default: starttls].
    #[arg(long, env = "PALABRE_SMTP_TLS")]
    pub smtp_tls: Option<String>,

    /// SMTP user name, if the server wants one.
    #[arg(long, env = "PALABRE_SMTP_USERNAME")]
    pub smtp_username: Option<String>,

    /// SMTP password.
    #[arg(long, env = "PALABRE_SMTP_PASSWORD", hide_env_values = true)]
    pub smtp_password: Option<SecretString>,

    /// Sender of notification emails, e.g. "Palabre <comments@example.org>".
    #[arg(long, env = "PALABRE_SMTP_FROM")]
    pub smtp_from: Option<String>,

    /// Who is told of new and held comments (with signed approve/delete links). Repeat the
    /// flag, or separate with commas in the variable.
    #[arg(
        long = "admin-email",
        env = "PALABRE_ADMIN_EMAILS",
        value_delimiter = ','
    )]
    pub admin_emails: Vec<String>,

    /// URL that receives a signed JSON POST for every new comment.
    #[arg(long, env = "PALABRE_WEBHOOK_URL")]
    pub webhook_url: Option<String>,

    /// Key of the webhook's HMAC-SHA256 signature (header X-Palabre-Signature).
    #[arg(long, env = "PALABRE_WEBHOOK_SECRET", hide_env_values = true)]
    pub webhook_secret: Option<SecretString>,

    /// How long the approve/delete links in emails stay valid, e.g. 7d [default: 7d].
    #[arg(long, env = "PALABRE_EMAIL_LINK_LIFETIME")]
    pub email_link_lifetime: Option<String>,

    /// Serve Atom feeds of recent comments (per thread and for the whole site) [default: true].
    #[arg(long, env = "PALABRE_FEEDS", num_args = 0..=1, default_missing_value = "true")]
    pub feeds: Option<bool>,

    /// Memory for cached thread pages and counts, in bytes; 0 turns the cache off
    /// [default: 16777216].
    #[arg(long, env = "PALABRE_RESPONSE_CACHE_BYTES")]
    pub response_cache_bytes: Option<usize>,

    /// Live updates: open streams this process takes at most [default: 10000].
    #[arg(long, env = "PALABRE_LIVE_MAX_STREAMS")]
    pub live_max_streams: Option<usize>,

    /// Live updates: open streams per client network (an IPv4 address, an IPv6 /64) at most
    /// [default: 8].
    #[arg(long, env = "PALABRE_LIVE_MAX_STREAMS_PER_CLIENT")]
    pub live_max_streams_per_client: Option<usize>,

    /// Live updates: a stream with nothing to send for this long is closed (the widget reopens
    /// it while its reader is on the page) [default: 30m].
    #[arg(long, env = "PALABRE_LIVE_IDLE_TIMEOUT")]
    pub live_idle_timeout: Option<String>,

    /// Live updates: how long a reader who lost the connection can catch up on what it missed;
    /// after that its widget reloads the first page [default: 24h].
    #[arg(long, env = "PALABRE_LIVE_REPLAY_WINDOW")]
    pub live_replay_window: Option<String>,

    /// Logs: text (one line a record) or json (one JSON object a line) [default: text].
    #[arg(long, env = "PALABRE_LOG_FORMAT", value_enum)]
    pub log_format: Option<crate::LogFormat>,

    /// Serve Prometheus metrics at /metrics on this address (e.g. 127.0.0.1:9090), apart
    /// from the public one [default: none].
    #[arg(long, env = "PALABRE_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,

    /// Take a backup of the (SQLite) database into this folder on a schedule, as
    /// palabre-<UTC time>.db.
    #[arg(long, env = "PALABRE_BACKUP_DIR")]
    pub backup_dir: Option<PathBuf>,

    /// With --backup-dir: time between backups, e.g. 24h, 6h [default: 24h].
    #[arg(long, env = "PALABRE_BACKUP_EVERY")]
    pub backup_every: Option<String>,

    /// With --backup-dir: backups kept; older ones are deleted [default: 7].
    #[arg(long, env = "PALABRE_BACKUP_KEEP")]
    pub backup_keep: Option<usize>,

    /// PostgreSQL: connections each server process keeps at most [default: 10].
    #[arg(long, env = "PALABRE_DB_POOL_SIZE")]
    pub db_pool_size: Option<u32>,

    /// PostgreSQL: longest a statement may run before the database cancels it, e.g. 5s; 0s
    /// for no limit [default: 5s].
    #[arg(long, env = "PALABRE_DB_STATEMENT_TIMEOUT")]
    pub db_statement_timeout: Option<String>,
}

/// The optional TOML file: the same settings as [`ServeArgs`].
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<SocketAddr>,
    database: Option<String>,
    origins: Option<Vec<String>>,
    secret: Option<SecretString>,
    edit_window: Option<String>,
    max_body_length: Option<u32>,
    max_depth: Option<u32>,
    max_request_bytes: Option<usize>,
    rate_limit_burst: Option<u32>,
    rate_limit_per_minute: Option<u32>,
    require_author: Option<bool>,
    require_email: Option<bool>,
    client_ip_header: Option<String>,
    widget_dir: Option<PathBuf>,
    moderation: Option<String>,
    public_url: Option<String>,
    admin_session: Option<String>,
    admin_password_hash: Option<SecretString>,
    pow_difficulty: Option<u8>,
    min_post_delay: Option<String>,
    max_links: Option<u32>,
    blocked_words: Option<Vec<String>>,
    smtp_host: Option<String>,
    smtp_port: Option<u16>,
    smtp_tls: Option<String>,
    smtp_username: Option<String>,
    smtp_password: Option<SecretString>,
    smtp_from: Option<String>,
    admin_emails: Option<Vec<String>>,
    webhook_url: Option<String>,
    webhook_secret: Option<SecretString>,
    email_link_lifetime: Option<String>,
    feeds: Option<bool>,
    response_cache_bytes: Option<usize>,
    db_pool_size: Option<u32>,
    db_statement_timeout: Option<String>,
    live_max_streams: Option<usize>,
    live_max_streams_per_client: Option<usize>,
    live_idle_timeout: Option<String>,
    live_replay_window: Option<String>,
    metrics_listen: Option<SocketAddr>,
    log_format: Option<crate::LogFormat>,
    backup_dir: Option<PathBuf>,
    backup_every: Option<String>,
    backup_keep: Option<usize>,
}

/// Everything the server runs with.
#[derive(Debug, Clone)]
pub struct Settings {
    pub listen: SocketAddr,
    pub database: crate::store::DatabaseUrl,
    /// PostgreSQL's connection pool and statement timeout.
    pub pool: crate::store::PoolSettings,
    pub live: crate::live::LiveLimits,
    pub log_format: crate::LogFormat,
    /// Where `/metrics` is served, if anywhere.
    pub metrics_listen: Option<SocketAddr>,
    /// Scheduled backups, when `--backup-dir` is set.
    pub backup: Option<crate::backup::BackupSchedule>,
    /// Normalised `scheme://host[:port]`.
    pub origins: Vec<String>,
    pub secret: Option<SecretString>,
    pub edit_window: Duration,
    pub max_body_length: u32,
    pub max_depth: u32,
    pub max_request_bytes: usize,
    pub rate_limit: RateLimit,
    pub require_author: bool,
    pub require_email: bool,
    pub moderation: ModerationMode,
    pub client_ip_header: Option<axum::http::HeaderName>,
    pub widget_dir: Option<PathBuf>,
    /// `scheme://host[:port][/path]`, no trailing slash.
    pub public_url: Option<String>,
    pub admin_session: Duration,
    pub admin_password_hash: Option<SecretString>,
    pub spam: SpamRules,
    pub notify: NotifySettings,
    pub feeds: bool,
    pub response_cache_bytes: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    StartTls,
    Tls,
    /// Plain text: only for a relay on the same machine (or a test's sink).
    None,
}

#[derive(Debug, Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub username: Option<String>,
    pub password: Option<SecretString>,
    pub from: String,
}

#[derive(Debug, Clone)]
pub struct WebhookSettings {
    pub url: String,
    pub secret: Option<SecretString>,
}

/// Emails and webhooks, sent in the background.
#[derive(Debug, Clone)]
pub struct NotifySettings {
    pub smtp: Option<SmtpSettings>,
    pub admin_emails: Vec<String>,
    pub webhook: Option<WebhookSettings>,
    pub link_lifetime: Duration,
    /// Waits between attempts; one attempt more than there are delays.
    pub retry_delays: Vec<Duration>,
    /// Notifications waiting to be sent; beyond it new ones are dropped (and logged).
    pub queue_capacity: usize,
}

impl Default for NotifySettings {
    fn default() -> Self {
        Self {
            smtp: None,
            admin_emails: Vec::new(),
            webhook: None,
            link_lifetime: Duration::from_secs(7 * 24 * 3600),
            retry_delays: vec![
                Duration::from_secs(5),
                Duration::from_secs(60),
                Duration::from_secs(600),
            ],
            queue_capacity: 1000,
        }
    }
}

/// Captcha-free spam defence.
#[derive(Debug, Clone)]
pub struct SpamRules {
    /// Leading zero bits of the proof of work; 0: no challenge.
    pub pow_difficulty: u8,
    pub min_post_delay: Duration,
    pub max_links: u32,
    /// Lowercased.
    pub blocked_words: Vec<String>,
}

impl Default for SpamRules {
    fn default() -> Self {
        Self {
            pow_difficulty: 16,
            min_post_delay: Duration::from_secs(3),
            max_links: 5,
            blocked_words: Vec::new(),
        }
    }
}

/// The hardest proof of work the server will ask for (about 16 million hashes on average).
pub const MAX_POW_DIFFICULTY: u8 = 24;

impl Settings {
    /// Where a thread's article is: its key if that is a URL, else the key (the widget's
    /// default key is the article's path) on the first blog origin.
    pub fn article_url(&self, key: &str) -> Option<String> {
        if key.starts_with("https://") || key.starts_with("http://") {
            return Some(key.to_owned());
        }
        let origin = self.origins.first()?;
        key.starts_with('/').then(|| format!("{origin}{key}"))
    }

    /// Where the server is reached from outside: `--public-url`, else its listen address.
    pub fn base_url(&self) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.listen))
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database: "sqlite://palabre.db".into(),
            pool: crate::store::PoolSettings::default(),
            live: crate::live::LiveLimits::default(),
            backup: None,
            metrics_listen: None,
            log_format: crate::LogFormat::Text,
            origins: Vec::new(),
            secret: None,
            edit_window: Duration::from_secs(palabre_api::DEFAULT_EDIT_WINDOW_SECS),
            max_body_length: palabre_api::DEFAULT_MAX_BODY_LENGTH,
            max_depth: 5,
            max_request_bytes: 64 * 1024,
            rate_limit: RateLimit {
                burst: 10,
                per_minute: 20,
            },
            require_author: false,
            require_email: false,
            moderation: ModerationMode::None,
            client_ip_header: None,
            widget_dir: None,
            public_url: None,
            admin_session: Duration::from_secs(12 * 3600),
            admin_password_hash: None,
            spam: SpamRules::default(),
            notify: NotifySettings::default(),
            feeds: true,
            response_cache_bytes: 16 * 1024 * 1024,
        }
    }
}

/// The shortest accepted configured secret.
pub const MIN_SECRET_CHARS: usize = 32;

impl ServeArgs {
    /// Merges flags/env with the file named by `--config` and the defaults, and checks values.
    pub fn resolve(self) -> anyhow::Result<Settings> {
        let file = match &self.config {
            Some(path) => read_file(path)?,
            None => FileConfig::default(),
        };
        let d = Settings::default();
        let origins = if self.origins.is_empty() {
            file.origins.unwrap_or_default()
        } else {
            self.origins
        };
        let origins = origins
            .iter()
            .filter(|o| !o.trim().is_empty())
            .map(|o| parse_origin(o))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let secret = self.secret.or(file.secret);
        if let Some(s) = &secret
            && s.expose_secret().chars().count() < MIN_SECRET_CHARS
        {
            bail!("the secret key must have at least {MIN_SECRET_CHARS} characters");
        }
        let edit_window = match self.edit_window.or(file.edit_window) {
            Some(s) => humantime::parse_duration(s.trim())
                .with_context(|| format!("edit window {s:?}: use e.g. 15m, 1h or 90s"))?,
            None => d.edit_window,
        };
        let max_body_length = self
            .max_body_length
            .or(file.max_body_length)
            .unwrap_or(d.max_body_length);
        if max_body_length == 0 {
            bail!("max body length must be at least 1");
        }
        let max_depth = self.max_depth.or(file.max_depth).unwrap_or(d.max_depth);
        if max_depth > 50 {
            bail!("max depth must be at most 50");
        }
        let max_request_bytes = self
            .max_request_bytes
            .or(file.max_request_bytes)
            .unwrap_or(d.max_request_bytes);
        if max_request_bytes < 1024 {
            bail!("max request bytes must be at least 1024");
        }
        let client_ip_header = self
            .client_ip_header
            .or(file.client_ip_header)
            .filter(|h| !h.trim().is_empty())
            .map(|h| {
                axum::http::HeaderName::try_from(h.trim())
                    .with_context(|| format!("client IP header {h:?} is not a header name"))
            })
            .transpose()?;
        let moderation = match self
            .moderation
            .or(file.moderation)
            .as_deref()
            .map(str::trim)
        {
            None | Some("none") => ModerationMode::None,
            Some("first") => ModerationMode::First,
            Some("all") => ModerationMode::All,
            Some(other) => bail!("moderation {other:?}: use none, first or all"),
        };
        let public_url = self
            .public_url
            .or(file.public_url)
            .map(|u| parse_public_url(&u))
            .transpose()?;
        let admin_session = duration(
            "admin session",
            self.admin_session.or(file.admin_session),
            d.admin_session,
        )?;
        let min_post_delay = duration(
            "min post delay",
            self.min_post_delay.or(file.min_post_delay),
            d.spam.min_post_delay,
        )?;
        let pow_difficulty = self
            .pow_difficulty
            .or(file.pow_difficulty)
            .unwrap_or(d.spam.pow_difficulty);
        if pow_difficulty > MAX_POW_DIFFICULTY {
            bail!("proof-of-work difficulty must be at most {MAX_POW_DIFFICULTY}");
        }
        let blocked_words = if self.blocked_words.is_empty() {
            file.blocked_words.unwrap_or_default()
        } else {
            self.blocked_words
        };
        let blocked_words = blocked_words
            .iter()
            .map(|w| w.trim().to_lowercase())
            .filter(|w| !w.is_empty())
            .collect();
        let notify = NotifySettings {
            smtp: match self.smtp_host.or(file.smtp_host) {
                None => None,
                Some(host) => {
                    let tls = match self.smtp_tls.or(file.smtp_tls).as_deref().map(str::trim) {
                        None | Some("starttls") => SmtpTls::StartTls,
                        Some("tls") => SmtpTls::Tls,
                        Some("none") => SmtpTls::None,
                        Some(other) => bail!("SMTP TLS {other:?}: use starttls, tls or none"),
                    };
                    let from = self
                        .smtp_from
                        .or(file.smtp_from)
                        .context("--smtp-from is required with --smtp-host")?;
                    from.parse::<lettre::message::Mailbox>()
                        .with_context(|| format!("SMTP sender {from:?} is not an address"))?;
                    Some(SmtpSettings {
                        host: host.trim().to_owned(),
                        port: self.smtp_port.or(file.smtp_port).unwrap_or(match tls {
                            SmtpTls::StartTls => 587,
                            SmtpTls::Tls => 465,
                            SmtpTls::None => 25,
                        }),
                        tls,
                        username: self.smtp_username.or(file.smtp_username),
                        password: self.smtp_password.or(file.smtp_password),
                        from,
                    })
                }
            },
            admin_emails: {
                let list = if self.admin_emails.is_empty() {
                    file.admin_emails.unwrap_or_default()
                } else {
                    self.admin_emails
                };
                let list: Vec<String> = list
                    .iter()
                    .map(|e| e.trim().to_owned())
                    .filter(|e| !e.is_empty())
                    .collect();
                for e in &list {
                    e.parse::<lettre::Address>()
                        .with_context(|| format!("admin email {e:?} is not an address"))?;
                }
                list
            },
            webhook: match self.webhook_url.or(file.webhook_url) {
                None => None,
                Some(url) => {
                    let url = url.trim().to_owned();
                    if !(url.starts_with("https://") || url.starts_with("http://")) {
                        bail!("webhook URL {url:?} must start with https:// or http://");
                    }
                    Some(WebhookSettings {
                        url,
                        secret: self.webhook_secret.or(file.webhook_secret),
                    })
                }
            },
            link_lifetime: duration(
                "email link lifetime",
                self.email_link_lifetime.or(file.email_link_lifetime),
                d.notify.link_lifetime,
            )?,
            ..NotifySettings::default()
        };
        let database = self
            .database
            .or(file.database)
            .map(crate::store::DatabaseUrl::from)
            .unwrap_or(d.database);
        let backup = match self.backup_dir.or(file.backup_dir) {
            None => None,
            Some(_) if database.is_postgres() => bail!(
                "--backup-dir backs up SQLite databases; back up PostgreSQL with pg_dump (README, Backups)"
            ),
            Some(dir) => {
                let every = duration(
                    "backup interval",
                    self.backup_every.or(file.backup_every),
                    Duration::from_secs(24 * 3600),
                )?;
                if every.is_zero() {
                    bail!("backup interval must be more than 0s");
                }
                let keep = self.backup_keep.or(file.backup_keep).unwrap_or(7);
                if keep == 0 {
                    bail!("backup keep must be at least 1");
                }
                Some(crate::backup::BackupSchedule { dir, every, keep })
            }
        };
        Ok(Settings {
            backup,
            metrics_listen: self.metrics_listen.or(file.metrics_listen),
            log_format: self.log_format.or(file.log_format).unwrap_or_default(),
            listen: self.listen.or(file.listen).unwrap_or(d.listen),
            database,
            live: crate::live::LiveLimits {
                max_streams: self
                    .live_max_streams
                    .or(file.live_max_streams)
                    .unwrap_or(d.live.max_streams),
                max_streams_per_client: self
                    .live_max_streams_per_client
                    .or(file.live_max_streams_per_client)
                    .unwrap_or(d.live.max_streams_per_client),
                idle_timeout: duration(
                    "live idle timeout",
                    self.live_idle_timeout.or(file.live_idle_timeout),
                    d.live.idle_timeout,
                )?,
                replay_window: duration(
                    "live replay window",
                    self.live_replay_window.or(file.live_replay_window),
                    d.live.replay_window,
                )?,
            },
            pool: crate::store::PoolSettings {
                max_connections: match self.db_pool_size.or(file.db_pool_size) {
                    Some(0) => bail!("db pool size must be at least 1"),
                    size => size.unwrap_or(d.pool.max_connections),
                },
                statement_timeout: duration(
                    "statement timeout",
                    self.db_statement_timeout.or(file.db_statement_timeout),
                    d.pool.statement_timeout,
                )?,
            },
            origins,
            secret,
            edit_window,
            max_body_length,
            max_depth,
            max_request_bytes,
            rate_limit: RateLimit {
                burst: self
                    .rate_limit_burst
                    .or(file.rate_limit_burst)
                    .unwrap_or(d.rate_limit.burst),
                per_minute: self
                    .rate_limit_per_minute
                    .or(file.rate_limit_per_minute)
                    .unwrap_or(d.rate_limit.per_minute),
            },
            require_author: self
                .require_author
                .or(file.require_author)
                .unwrap_or(d.require_author),
            require_email: self
                .require_email
                .or(file.require_email)
                .unwrap_or(d.require_email),
            moderation,
            client_ip_header,
            widget_dir: self.widget_dir.or(file.widget_dir),
            public_url,
            admin_session,
            admin_password_hash: self.admin_password_hash.or(file.admin_password_hash),
            spam: SpamRules {
                pow_difficulty,
                min_post_delay,
                max_links: self
                    .max_links
                    .or(file.max_links)
                    .unwrap_or(d.spam.max_links),
                blocked_words,
            },
            notify,
            feeds: self.feeds.or(file.feeds).unwrap_or(d.feeds),
            response_cache_bytes: self
                .response_cache_bytes
                .or(file.response_cache_bytes)
                .unwrap_or(d.response_cache_bytes),
        })
    }
}

fn duration(what: &str, raw: Option<String>, default: Duration) -> anyhow::Result<Duration> {
    match raw {
        Some(s) => humantime::parse_duration(s.trim())
            .with_context(|| format!("{what} {s:?}: use e.g. 15m, 1h or 90s")),
        None => Ok(default),
    }
}

/// `https://Comments.Example.org/palabre/` -> `https://comments.example.org/palabre`.
pub fn parse_public_url(raw: &str) -> anyhow::Result<String> {
    let s = raw.trim().trim_end_matches('/');
    let (origin, path) = match s.split_once("://") {
        Some((scheme, rest)) => match rest.find('/') {
            Some(i) => (format!("{scheme}://{}", &rest[..i]), &rest[i..]),
            None => (s.to_owned(), ""),
        },
        None => bail!("public URL {raw:?} must look like https://comments.example.org"),
    };
    let origin = parse_origin(&origin).with_context(|| format!("public URL {raw:?}"))?;
    if path
        .chars()
        .any(|c| c.is_whitespace() || "?#\"<>".contains(c))
    {
        bail!("public URL {raw:?} must not carry a query, fragment or spaces");
    }
    Ok(format!("{origin}{path}"))
}

fn read_file(path: &Path) -> anyhow::Result<FileConfig> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading config file {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("in config file {}", path.display()))
}

/// `https://Blog.Example.org/` -> `https://blog.example.org`. Paths are refused: an origin has
/// none, and a silently ignored path would hide a configuration mistake.
pub fn parse_origin(raw: &str) -> anyhow::Result<String> {
    let s = raw.trim().trim_end_matches('/');
    let (scheme, host) = s
        .split_once("://")
        .with_context(|| format!("origin {raw:?} must look like https://blog.example.org"))?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        bail!("origin {raw:?} must start with http:// or https://");
    }
    let valid_host = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-.:[]".contains(c));
    if !valid_host {
        bail!("origin {raw:?} must be scheme://host[:port] with no path");
    }
    Ok(format!("{scheme}://{}", host.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> ServeArgs {
        let mut full = vec!["palabre", "serve"];
        full.extend_from_slice(args);
        match Cli::try_parse_from(full).unwrap().command {
            Command::Serve(a) => *a,
            other => panic!("not serve: {other:?}"),
        }
    }

    #[test]
    fn defaults() {
        let s = ServeArgs::default().resolve().unwrap();
        assert_eq!(s.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(&*s.database, "sqlite://palabre.db");
        assert_eq!(s.edit_window, Duration::from_secs(900));
        assert!(s.origins.is_empty());
    }

    #[test]
    fn flags_override_file_which_overrides_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("palabre.toml");
        std::fs::write(
            &path,
            "listen = \"0.0.0.0:9000\"\nedit_window = \"1h\"\nmax_depth = 3\n\
             origins = [\"https://a.example\"]\nrequire_email = true\n",
        )
        .unwrap();
        let s = parse(&["--config", path.to_str().unwrap(), "--max-depth", "2"])
            .resolve()
            .unwrap();
        assert_eq!(s.listen.to_string(), "0.0.0.0:9000");
        assert_eq!(s.edit_window, Duration::from_secs(3600));
        assert_eq!(s.max_depth, 2);
        assert_eq!(s.origins, vec!["https://a.example"]);
        assert!(s.require_email);
        assert!(!s.require_author);
    }

    #[test]
    fn database_pool_settings_come_from_the_file_and_flags() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("palabre.toml");
        std::fs::write(
            &path,
            "database = \"postgres://p:pw@db/palabre\"\ndb_pool_size = 32\n\
             db_statement_timeout = \"2s\"\n",
        )
        .unwrap();
        let s = parse(&["--config", path.to_str().unwrap()])
            .resolve()
            .unwrap();
        assert!(s.database.is_postgres());
        assert_eq!(s.pool.max_connections, 32);
        assert_eq!(s.pool.statement_timeout, Duration::from_secs(2));
        assert!(
            !format!("{s:?}").contains("pw@"),
            "settings print no password"
        );
        let s = parse(&[
            "--config",
            path.to_str().unwrap(),
            "--db-statement-timeout",
            "250ms",
        ])
        .resolve()
        .unwrap();
        assert_eq!(s.pool.statement_timeout, Duration::from_millis(250));
        assert_eq!(
            ServeArgs::default().resolve().unwrap().pool,
            crate::store::PoolSettings::default()
        );
        let err = parse(&["--db-statement-timeout", "soon"])
            .resolve()
            .unwrap_err();
        assert!(format!("{err:#}").contains("statement timeout"), "{err:#}");
    }

    #[test]
    fn backups_need_a_folder_and_sqlite() {
        assert_eq!(ServeArgs::default().resolve().unwrap().backup, None);
        let s = parse(&[
            "--backup-dir",
            "/var/backups/palabre",
            "--backup-every",
            "6h",
        ])
        .resolve()
        .unwrap();
        assert_eq!(
            s.backup,
            Some(crate::backup::BackupSchedule {
                dir: "/var/backups/palabre".into(),
                every: Duration::from_secs(6 * 3600),
                keep: 7,
            })
        );
        for (args, needle) in [
            (
                &["--backup-dir", "b", "--backup-keep", "0"][..],
                "at least 1",
            ),
            (
                &["--backup-dir", "b", "--backup-every", "0s"][..],
                "more than 0s",
            ),
            (
                &["--backup-dir", "b", "--database", "postgres://h/db"][..],
                "pg_dump",
            ),
        ] {
            let err = parse(args).resolve().unwrap_err();
            assert!(format!("{err:#}").contains(needle), "{args:?}: {err:#}");
        }
    }

    #[test]
    fn unknown_file_keys_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.toml");
        std::fs::write(&path, "listne = \"0.0.0.0:9000\"\n").unwrap();
        let err = parse(&["--config", path.to_str().unwrap()])
            .resolve()
            .unwrap_err();
        assert!(format!("{err:#}").contains("listne"), "{err:#}");
    }

    #[test]
    fn repeated_origins_and_bool_flags() {
        let s = parse(&[
            "--origin",
            "https://Blog.Example.org/",
            "--origin",
            "http://localhost:4000",
            "--require-author",
        ])
        .resolve()
        .unwrap();
        assert_eq!(
            s.origins,
            vec!["https://blog.example.org", "http://localhost:4000"]
        );
        assert!(s.require_author);
    }

    #[test]
    fn bad_values_are_refused_with_a_reason() {
        for (args, needle) in [
            (&["--origin", "blog.example.org"][..], "must look like"),
            (
                &["--origin", "https://blog.example.org/comments"][..],
                "no path",
            ),
            (&["--origin", "ftp://x.org"][..], "http"),
            (&["--edit-window", "soon"][..], "edit window"),
            (&["--secret", "short"][..], "at least 32"),
            (&["--max-body-length", "0"][..], "at least 1"),
        ] {
            let err = parse(args).resolve().unwrap_err();
            assert!(format!("{err:#}").contains(needle), "{args:?}: {err:#}");
        }
    }

    #[test]
    fn secrets_stay_out_of_debug_output() {
        let s = parse(&["--secret", "0123456789abcdef0123456789abcdef-very-secret"])
            .resolve()
            .unwrap();
        assert!(!format!("{s:?}").contains("very-secret"));
    }
}

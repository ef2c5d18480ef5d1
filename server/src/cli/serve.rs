//! `palabre serve`: its settings, declared once. The same struct is the flags (with their
//! environment variables) and the TOML file named by `--config`; the file is read first and
//! whatever the command line or the environment gives replaces it, then [`ServeArgs::resolve`]
//! checks the values and fills in [`Settings`]' defaults. Precedence: flag, environment
//! variable, file, built-in default.

use crate::config::{
    BackupSchedule, HumanDuration, LiveLimits, MAX_POW_DIFFICULTY, MIN_SECRET_CHARS,
    NotifySettings, Settings, Site, SmtpSettings, SmtpTls, SpamRules, WebhookSettings,
    parse_origin, parse_public_url,
};
use crate::logs::LogFormat;
use crate::rate_limit::RateLimit;
use crate::startup::{Application, shutdown_signal};
use crate::store::{DatabaseUrl, PoolSettings, SiteName};
use anyhow::{Context, bail};
use clap::{Args, FromArgMatches};
use palabre_api::ModerationMode;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The settings `palabre serve` runs with: `given`, parsed from `matches`, over the file it
/// names (only what was given, a flag or its variable, replaces the file's value), resolved.
pub fn settings(given: ServeArgs, matches: &clap::ArgMatches) -> anyhow::Result<Settings> {
    let args = match &given.config {
        None => given,
        Some(path) => {
            let mut file = read_file(path)?;
            file.update_from_arg_matches(matches)?;
            file
        }
    };
    args.resolve()
}

/// Serves with `settings` until Ctrl-C or SIGTERM.
pub async fn run(settings: Settings) -> anyhow::Result<()> {
    let app = Application::build(settings).await?;
    tracing::info!(address = %app.local_addr(), "Palabre is listening");
    if let Some(metrics) = app.metrics_addr() {
        tracing::info!(metrics = %metrics, "Prometheus metrics at /metrics");
    }
    app.run_until(shutdown_signal()).await
}

fn read_file(path: &Path) -> anyhow::Result<ServeArgs> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading config file {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("in config file {}", path.display()))
}

#[derive(Debug, Default, Args, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServeArgs {
    /// TOML file with any of the settings below (keys as the long flags, with underscores).
    #[arg(long, env = "PALABRE_CONFIG")]
    #[serde(skip)]
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
    pub edit_window: Option<HumanDuration>,

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

    /// Single sign-on: the key (at least 32 characters) the blog's backend signs its members'
    /// tokens with (HS256 JWT in `data-sso-token`). With several blogs, each `[[site]]` has
    /// its own `sso_secret`.
    #[arg(long, env = "PALABRE_SSO_SECRET", hide_env_values = true)]
    pub sso_secret: Option<SecretString>,

    /// Only members signed in through the site's single sign-on may post [default: false].
    #[arg(long, env = "PALABRE_SSO_REQUIRED", num_args = 0..=1, default_missing_value = "true")]
    pub sso_required: Option<bool>,

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
    pub moderation: Option<ModerationMode>,

    /// The language of the emails and feeds, and of the admin pages when the browser asks for
    /// none that Palabre speaks: en, fr, de, es, it, pt, nl, pl or ar [default: en].
    #[arg(long, env = "PALABRE_LANGUAGE")]
    pub language: Option<String>,

    /// The server's public address, e.g. https://comments.example.org: used in links sent by
    /// email, and (https) to mark the admin cookie Secure [default: http://<listen>].
    #[arg(long, env = "PALABRE_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// How long an admin stays signed in, e.g. 12h [default: 12h].
    #[arg(long, env = "PALABRE_ADMIN_SESSION")]
    pub admin_session: Option<HumanDuration>,

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
    pub min_post_delay: Option<HumanDuration>,

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
    #[arg(long, env = "PALABRE_SMTP_TLS", value_enum)]
    pub smtp_tls: Option<SmtpTls>,

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
    pub email_link_lifetime: Option<HumanDuration>,

    /// Serve Atom feeds of recent comments (per thread and for the whole site) [default: true].
    #[arg(long, env = "PALABRE_FEEDS", num_args = 0..=1, default_missing_value = "true")]
    pub feeds: Option<bool>,

    /// Memory for cached thread pages and counts, in bytes; 0 turns the cache off
    /// [default: 16777216].
    #[arg(long, env = "PALABRE_RESPONSE_CACHE_BYTES")]
    pub response_cache_bytes: Option<usize>,

    /// The site's account on the fediverse, `@ACCOUNT@` the host of `public_url` (which it
    /// needs): followers, its articles announced, replies from Mastodon and others as comments.
    /// Off when unset. With several blogs, each `[[site]]` has its own.
    #[arg(long, env = "PALABRE_FEDIVERSE_ACCOUNT")]
    pub fediverse_account: Option<String>,

    /// The fediverse profile's display name [default: the account].
    #[arg(long, env = "PALABRE_FEDIVERSE_NAME")]
    pub fediverse_name: Option<String>,

    /// The fediverse profile's text.
    #[arg(long, env = "PALABRE_FEDIVERSE_SUMMARY")]
    pub fediverse_summary: Option<String>,

    /// The blog's RSS or Atom feed: its new entries are announced to the fediverse followers.
    #[arg(long, env = "PALABRE_FEED_URL")]
    pub feed_url: Option<String>,

    /// The fediverse handle's domain, when it is the blog's rather than the public URL's host
    /// (the blog's /.well-known/webfinger then redirects to this server).
    #[arg(long, env = "PALABRE_FEDIVERSE_DOMAIN")]
    pub fediverse_domain: Option<String>,

    /// How often the feeds are read for new entries, e.g. 15m [default: 15m].
    #[arg(long, env = "PALABRE_FEED_INTERVAL")]
    pub feed_interval: Option<HumanDuration>,

    /// TESTS ONLY: fetch from and deliver to fediverse servers on plain http and on private,
    /// loopback and link-local addresses. Never on a public server: it opens it to SSRF.
    #[arg(long, env = "PALABRE_FEDIVERSE_ALLOW_PRIVATE", num_args = 0..=1, default_missing_value = "true")]
    pub fediverse_allow_private: Option<bool>,

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
    pub live_idle_timeout: Option<HumanDuration>,

    /// Live updates: how long a reader who lost the connection can catch up on what it missed;
    /// after that its widget reloads the first page [default: 24h].
    #[arg(long, env = "PALABRE_LIVE_REPLAY_WINDOW")]
    pub live_replay_window: Option<HumanDuration>,

    /// Logs: text (one line a record) or json (one JSON object a line) [default: text].
    #[arg(long, env = "PALABRE_LOG_FORMAT", value_enum)]
    pub log_format: Option<LogFormat>,

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
    pub backup_every: Option<HumanDuration>,

    /// With --backup-dir: backups kept; older ones are deleted [default: 7].
    #[arg(long, env = "PALABRE_BACKUP_KEEP")]
    pub backup_keep: Option<usize>,

    /// PostgreSQL: connections each server process keeps at most [default: 10].
    #[arg(long, env = "PALABRE_DB_POOL_SIZE")]
    pub db_pool_size: Option<u32>,

    /// PostgreSQL: longest a statement may run before the database cancels it, e.g. 5s; 0s
    /// for no limit [default: 5s].
    #[arg(long, env = "PALABRE_DB_STATEMENT_TIMEOUT")]
    pub db_statement_timeout: Option<HumanDuration>,

    /// Several blogs on one server: `[[site]]` tables of the file only (a name, its origins,
    /// and its own moderation and admin emails where they differ).
    #[arg(skip)]
    #[serde(rename = "site")]
    pub sites: Vec<SiteArgs>,
}

/// One `[[site]]` table of the configuration file.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteArgs {
    pub name: String,
    #[serde(default)]
    pub origins: Vec<String>,
    pub moderation: Option<ModerationMode>,
    pub admin_emails: Option<Vec<String>>,
    /// The key this site's backend signs its members' tokens with.
    pub sso_secret: Option<SecretString>,
    pub sso_required: Option<bool>,
    pub fediverse_account: Option<String>,
    pub fediverse_name: Option<String>,
    pub fediverse_summary: Option<String>,
    pub feed_url: Option<String>,
    pub fediverse_domain: Option<String>,
}

impl ServeArgs {
    /// Checks the values and fills in the defaults.
    pub fn resolve(self) -> anyhow::Result<Settings> {
        let d = Settings::default();
        let origins = parse_origins(&self.origins)?;
        let sites = if self.sites.is_empty() {
            vec![Site {
                sso_secret: check_sso_secret(self.sso_secret.clone())?,
                sso_required: self.sso_required.unwrap_or(false),
                fediverse: site_fediverse(
                    self.fediverse_account.as_deref(),
                    self.fediverse_name.as_deref(),
                    self.fediverse_summary.as_deref(),
                    self.feed_url.as_deref(),
                    self.fediverse_domain.as_deref(),
                )?,
                ..Site::single(origins)
            }]
        } else if self.sso_secret.is_some() || self.sso_required.is_some() {
            bail!("sso_secret, sso_required: with [[site]] tables, each site has its own");
        } else if self.fediverse_account.is_some()
            || self.feed_url.is_some()
            || self.fediverse_domain.is_some()
        {
            bail!(
                "fediverse_account, feed_url, fediverse_domain: with [[site]] tables, each site \
                 has its own"
            );
        } else if !origins.is_empty() {
            bail!(
                "origins: with [[site]] tables, each site lists its own origins (move {} into one)",
                origins.join(", ")
            );
        } else {
            resolve_sites(&self.sites)?
        };
        if let Some(s) = &self.secret
            && s.expose_secret().chars().count() < MIN_SECRET_CHARS
        {
            bail!("the secret key must have at least {MIN_SECRET_CHARS} characters");
        }
        let max_body_length = self.max_body_length.unwrap_or(d.max_body_length);
        if max_body_length == 0 {
            bail!("max body length must be at least 1");
        }
        let max_depth = self.max_depth.unwrap_or(d.max_depth);
        if max_depth > 50 {
            bail!("max depth must be at most 50");
        }
        let max_request_bytes = self.max_request_bytes.unwrap_or(d.max_request_bytes);
        if max_request_bytes < 1024 {
            bail!("max request bytes must be at least 1024");
        }
        let client_ip_header = self
            .client_ip_header
            .filter(|h| !h.trim().is_empty())
            .map(|h| {
                axum::http::HeaderName::try_from(h.trim())
                    .with_context(|| format!("client IP header {h:?} is not a header name"))
            })
            .transpose()?;
        let pow_difficulty = self.pow_difficulty.unwrap_or(d.spam.pow_difficulty);
        if pow_difficulty > MAX_POW_DIFFICULTY {
            bail!("proof-of-work difficulty must be at most {MAX_POW_DIFFICULTY}");
        }
        let notify = NotifySettings {
            smtp: match self.smtp_host {
                None => None,
                Some(host) => {
                    let tls = self.smtp_tls.unwrap_or_default();
                    let from = self
                        .smtp_from
                        .context("--smtp-from is required with --smtp-host")?;
                    from.parse::<lettre::message::Mailbox>()
                        .with_context(|| format!("SMTP sender {from:?} is not an address"))?;
                    Some(SmtpSettings {
                        host: host.trim().to_owned(),
                        port: self.smtp_port.unwrap_or(match tls {
                            SmtpTls::StartTls => 587,
                            SmtpTls::Tls => 465,
                            SmtpTls::None => 25,
                        }),
                        tls,
                        username: self.smtp_username,
                        password: self.smtp_password,
                        from,
                    })
                }
            },
            admin_emails: {
                let list: Vec<String> = self
                    .admin_emails
                    .iter()
                    .map(|e| e.trim().to_owned())
                    .filter(|e| !e.is_empty())
                    .collect();
                check_emails(&list)?;
                list
            },
            webhook: match self.webhook_url {
                None => None,
                Some(url) => {
                    let url = url.trim().to_owned();
                    if !(url.starts_with("https://") || url.starts_with("http://")) {
                        bail!("webhook URL {url:?} must start with https:// or http://");
                    }
                    Some(WebhookSettings {
                        url,
                        secret: self.webhook_secret,
                    })
                }
            },
            link_lifetime: or(self.email_link_lifetime, d.notify.link_lifetime),
            ..NotifySettings::default()
        };
        let database = self.database.map(DatabaseUrl::from).unwrap_or(d.database);
        let backup = match self.backup_dir {
            None => None,
            Some(_) if database.is_postgres() => bail!(
                "--backup-dir backs up SQLite databases; back up PostgreSQL with pg_dump (README, Backups)"
            ),
            Some(dir) => {
                let every = or(self.backup_every, Duration::from_secs(24 * 3600));
                if every.is_zero() {
                    bail!("backup interval must be more than 0s");
                }
                let keep = self.backup_keep.unwrap_or(7);
                if keep == 0 {
                    bail!("backup keep must be at least 1");
                }
                Some(BackupSchedule { dir, every, keep })
            }
        };
        Ok(Settings {
            backup,
            metrics_listen: self.metrics_listen,
            log_format: self.log_format.unwrap_or_default(),
            listen: self.listen.unwrap_or(d.listen),
            database,
            live: LiveLimits {
                max_streams: self.live_max_streams.unwrap_or(d.live.max_streams),
                max_streams_per_client: self
                    .live_max_streams_per_client
                    .unwrap_or(d.live.max_streams_per_client),
                idle_timeout: or(self.live_idle_timeout, d.live.idle_timeout),
                replay_window: or(self.live_replay_window, d.live.replay_window),
            },
            pool: PoolSettings {
                max_connections: match self.db_pool_size {
                    Some(0) => bail!("db pool size must be at least 1"),
                    size => size.unwrap_or(d.pool.max_connections),
                },
                statement_timeout: or(self.db_statement_timeout, d.pool.statement_timeout),
            },
            sites,
            secret: self.secret,
            edit_window: or(self.edit_window, d.edit_window),
            max_body_length,
            max_depth,
            max_request_bytes,
            rate_limit: RateLimit {
                burst: self.rate_limit_burst.unwrap_or(d.rate_limit.burst),
                per_minute: self
                    .rate_limit_per_minute
                    .unwrap_or(d.rate_limit.per_minute),
            },
            require_author: self.require_author.unwrap_or(d.require_author),
            require_email: self.require_email.unwrap_or(d.require_email),
            moderation: self.moderation.unwrap_or(d.moderation),
            language: match &self.language {
                Some(tag) => tag
                    .parse()
                    .map_err(|e: String| anyhow::anyhow!("language: {e}"))?,
                None => d.language,
            },
            client_ip_header,
            widget_dir: self.widget_dir,
            public_url: self.public_url.map(|u| parse_public_url(&u)).transpose()?,
            admin_session: or(self.admin_session, d.admin_session),
            admin_password_hash: self.admin_password_hash,
            spam: SpamRules {
                pow_difficulty,
                min_post_delay: or(self.min_post_delay, d.spam.min_post_delay),
                max_links: self.max_links.unwrap_or(d.spam.max_links),
                blocked_words: self
                    .blocked_words
                    .iter()
                    .map(|w| w.trim().to_lowercase())
                    .filter(|w| !w.is_empty())
                    .collect(),
            },
            notify,
            feeds: self.feeds.unwrap_or(d.feeds),
            response_cache_bytes: self.response_cache_bytes.unwrap_or(d.response_cache_bytes),
            fediverse: crate::config::FediverseSettings {
                allow_private: self.fediverse_allow_private.unwrap_or(false),
                feed_interval: or(self.feed_interval, d.fediverse.feed_interval),
            },
        })
        .and_then(|settings| {
            if settings.public_url.is_none() && settings.sites.iter().any(|s| s.fediverse.is_some())
            {
                bail!(
                    "fediverse_account: set public_url too (the account's address is made of it)"
                );
            }
            Ok(settings)
        })
    }
}

/// A site's fediverse account, checked: a handle's user part, an http(s) feed.
fn site_fediverse(
    account: Option<&str>,
    name: Option<&str>,
    summary: Option<&str>,
    feed_url: Option<&str>,
    domain: Option<&str>,
) -> anyhow::Result<Option<crate::config::SiteFediverse>> {
    let Some(account) = account.map(str::trim).filter(|a| !a.is_empty()) else {
        if feed_url.is_some() {
            bail!("feed_url: set fediverse_account too (the feed's entries go to its followers)");
        }
        return Ok(None);
    };
    if account.len() > 30
        || !account
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        bail!("fediverse_account {account:?}: use 1 to 30 lowercase letters, digits or _");
    }
    let feed_url = match feed_url.map(str::trim).filter(|f| !f.is_empty()) {
        Some(f) => {
            let url = url::Url::parse(f).with_context(|| format!("feed_url {f:?}"))?;
            if !matches!(url.scheme(), "http" | "https") {
                bail!("feed_url {f:?}: use an http or https address");
            }
            Some(url.to_string())
        }
        None => None,
    };
    let domain = match domain.map(str::trim).filter(|d| !d.is_empty()) {
        Some(d) => {
            let host = url::Host::parse(&d.to_ascii_lowercase())
                .with_context(|| format!("fediverse_domain {d:?}"))?;
            if !matches!(host, url::Host::Domain(_)) {
                bail!("fediverse_domain {d:?}: use a domain name, like blog.example.org");
            }
            Some(host.to_string())
        }
        None => None,
    };
    let text = |t: Option<&str>| {
        t.map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
    };
    Ok(Some(crate::config::SiteFediverse {
        account: account.to_owned(),
        name: text(name),
        summary: text(summary),
        feed_url,
        domain,
    }))
}

fn parse_origins(raw: &[String]) -> anyhow::Result<Vec<String>> {
    raw.iter()
        .filter(|o| !o.trim().is_empty())
        .map(|o| parse_origin(o))
        .collect()
}

/// A single sign-on key: long enough that guessing it is out of reach.
fn check_sso_secret(secret: Option<SecretString>) -> anyhow::Result<Option<SecretString>> {
    use secrecy::ExposeSecret;
    match secret {
        Some(s) if s.expose_secret().chars().count() < crate::config::MIN_SECRET_CHARS => bail!(
            "sso_secret: use at least {} characters",
            crate::config::MIN_SECRET_CHARS
        ),
        other => Ok(other),
    }
}

fn check_emails(list: &[String]) -> anyhow::Result<()> {
    for e in list {
        e.parse::<lettre::Address>()
            .with_context(|| format!("admin email {e:?} is not an address"))?;
    }
    Ok(())
}

/// The `[[site]]` tables, checked: names unique, each site at least one origin, no origin
/// in two sites (it could not tell them apart).
fn resolve_sites(tables: &[SiteArgs]) -> anyhow::Result<Vec<Site>> {
    let mut sites: Vec<Site> = Vec::with_capacity(tables.len());
    for (n, table) in tables.iter().enumerate() {
        let at = || format!("[[site]] number {} ({:?})", n + 1, table.name);
        let name = SiteName::parse(table.name.trim())
            .map_err(anyhow::Error::msg)
            .with_context(at)?;
        if sites.iter().any(|s| s.name == name) {
            bail!("{}: another site has the name {name}", at());
        }
        let origins = parse_origins(&table.origins).with_context(at)?;
        if origins.is_empty() {
            bail!("{}: a site needs at least one origin", at());
        }
        for origin in &origins {
            if let Some(other) = sites.iter().find(|s| s.origins.contains(origin)) {
                bail!("{}: origin {origin} is also site {}'s", at(), other.name);
            }
        }
        let admin_emails = table
            .admin_emails
            .as_ref()
            .map(|list| -> anyhow::Result<Vec<String>> {
                let list: Vec<String> = list
                    .iter()
                    .map(|e| e.trim().to_owned())
                    .filter(|e| !e.is_empty())
                    .collect();
                check_emails(&list).with_context(at)?;
                Ok(list)
            })
            .transpose()?;
        let fediverse = site_fediverse(
            table.fediverse_account.as_deref(),
            table.fediverse_name.as_deref(),
            table.fediverse_summary.as_deref(),
            table.feed_url.as_deref(),
            table.fediverse_domain.as_deref(),
        )
        .with_context(at)?;
        if let Some(f) = &fediverse
            && let Some(other) = sites
                .iter()
                .find(|s| s.fediverse.as_ref().is_some_and(|o| o.account == f.account))
        {
            bail!(
                "{}: fediverse_account {:?} is also site {}'s",
                at(),
                f.account,
                other.name
            );
        }
        sites.push(Site {
            name,
            origins,
            moderation: table.moderation,
            admin_emails,
            sso_secret: check_sso_secret(table.sso_secret.clone()).with_context(at)?,
            sso_required: table.sso_required.unwrap_or(false),
            fediverse,
        });
    }
    Ok(sites)
}

fn or(given: Option<HumanDuration>, default: Duration) -> Duration {
    given.map_or(default, |h| h.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The settings `palabre serve ARGS` runs with; a value clap refuses is an error too.
    fn serve(args: &[&str]) -> anyhow::Result<Settings> {
        let mut full = vec!["palabre", "serve"];
        full.extend_from_slice(args);
        let matches = crate::cli::command().try_get_matches_from(full)?;
        let serve = matches
            .subcommand_matches("serve")
            .expect("the serve command");
        settings(ServeArgs::from_arg_matches(serve)?, serve)
    }

    #[test]
    fn defaults() {
        let s = ServeArgs::default().resolve().unwrap();
        assert_eq!(s.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(&*s.database, "sqlite://palabre.db");
        assert_eq!(s.edit_window, Duration::from_secs(900));
        assert_eq!(s.origins().count(), 0);
        assert_eq!(s.sites.len(), 1);
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
        let s = serve(&["--config", path.to_str().unwrap(), "--max-depth", "2"]).unwrap();
        assert_eq!(s.listen.to_string(), "0.0.0.0:9000");
        assert_eq!(s.edit_window, Duration::from_secs(3600));
        assert_eq!(s.max_depth, 2);
        assert_eq!(s.origins().collect::<Vec<_>>(), vec!["https://a.example"]);
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
        let s = serve(&["--config", path.to_str().unwrap()]).unwrap();
        assert!(s.database.is_postgres());
        assert_eq!(s.pool.max_connections, 32);
        assert_eq!(s.pool.statement_timeout, Duration::from_secs(2));
        assert!(
            !format!("{s:?}").contains("pw@"),
            "settings print no password"
        );
        let s = serve(&[
            "--config",
            path.to_str().unwrap(),
            "--db-statement-timeout",
            "250ms",
        ])
        .unwrap();
        assert_eq!(s.pool.statement_timeout, Duration::from_millis(250));
        assert_eq!(
            ServeArgs::default().resolve().unwrap().pool,
            PoolSettings::default()
        );
        let err = serve(&["--db-statement-timeout", "soon"]).unwrap_err();
        assert!(
            format!("{err:#}").contains("--db-statement-timeout"),
            "{err:#}"
        );
    }

    #[test]
    fn backups_need_a_folder_and_sqlite() {
        assert_eq!(ServeArgs::default().resolve().unwrap().backup, None);
        let s = serve(&[
            "--backup-dir",
            "/var/backups/palabre",
            "--backup-every",
            "6h",
        ])
        .unwrap();
        assert_eq!(
            s.backup,
            Some(BackupSchedule {
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
            let err = serve(args).unwrap_err();
            assert!(format!("{err:#}").contains(needle), "{args:?}: {err:#}");
        }
    }

    #[test]
    fn unknown_file_keys_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.toml");
        std::fs::write(&path, "listne = \"0.0.0.0:9000\"\n").unwrap();
        let err = serve(&["--config", path.to_str().unwrap()]).unwrap_err();
        assert!(format!("{err:#}").contains("listne"), "{err:#}");
    }

    #[test]
    fn repeated_origins_and_bool_flags() {
        let s = serve(&[
            "--origin",
            "https://Blog.Example.org/",
            "--origin",
            "http://localhost:4000",
            "--require-author",
        ])
        .unwrap();
        assert_eq!(
            s.origins().collect::<Vec<_>>(),
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
            (&["--edit-window", "soon"][..], "--edit-window"),
            (&["--moderation", "some"][..], "use none, first or all"),
            (
                &["--language", "xx"][..],
                "language: unknown language 'xx': Palabre speaks en, fr, de, es, it, pt, nl, pl, ar",
            ),
            (&["--smtp-tls", "ssl"][..], "starttls"),
            (&["--secret", "short"][..], "at least 32"),
            (&["--max-body-length", "0"][..], "at least 1"),
        ] {
            let err = serve(args).unwrap_err();
            assert!(format!("{err:#}").contains(needle), "{args:?}: {err:#}");
        }
    }

    #[test]
    fn sites_come_from_the_file_with_their_own_rules() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("palabre.toml");
        std::fs::write(
            &path,
            "moderation = \"first\"\nadmin_emails = [\"owner@example.org\"]\n\n\
             [[site]]\nname = \"default\"\norigins = [\"https://Blog.Example.org/\"]\n\n\
             [[site]]\nname = \"cooking\"\norigins = [\"https://cook.example\", \"http://localhost:4000\"]\n\
             moderation = \"all\"\nadmin_emails = [\"chef@example.org\"]\n",
        )
        .unwrap();
        let s = serve(&["--config", path.to_str().unwrap()]).unwrap();
        let names: Vec<&str> = s.sites.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["default", "cooking"]);
        assert_eq!(
            s.origins().collect::<Vec<_>>(),
            [
                "https://blog.example.org",
                "https://cook.example",
                "http://localhost:4000"
            ]
        );
        let cooking = s
            .site_for_origin("http://localhost:4000")
            .unwrap()
            .name
            .clone();
        assert_eq!(s.moderation_of(&cooking), ModerationMode::All);
        assert_eq!(s.admin_emails_of(&cooking), ["chef@example.org"]);
        let first = s.first_site().name.clone();
        assert_eq!(s.moderation_of(&first), ModerationMode::First);
        assert_eq!(s.admin_emails_of(&first), ["owner@example.org"]);
        assert_eq!(
            s.article_url(&cooking, "/soup").as_deref(),
            Some("https://cook.example/soup")
        );
    }

    #[test]
    fn a_malformed_site_is_refused_with_a_reason() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("palabre.toml");
        let site = |name: &str, origins: &str| {
            format!("[[site]]\nname = \"{name}\"\norigins = [{origins}]\n")
        };
        let a = "\"https://a.example\"";
        let b = "\"https://b.example\"";
        for (text, needle) in [
            (site("Blog One", a), "site name \"Blog One\" must be"),
            (site("", a), "site name \"\" must be"),
            (site("one", ""), "needs at least one origin"),
            (site("one", "\"a.example\""), "must look like"),
            (
                site("one", a) + &site("one", b),
                "another site has the name one",
            ),
            (
                site("one", a) + &site("two", a),
                "origin https://a.example is also site one's",
            ),
            (
                format!("origins = [{b}]\n") + &site("one", a),
                "each site lists its own origins",
            ),
            (site("one", a) + "colour = \"red\"\n", "colour"),
            (site("one", a) + "moderation = \"some\"\n", "moderation"),
            (
                site("one", a) + "admin_emails = [\"not an address\"]\n",
                "admin email \"not an address\" is not an address",
            ),
            (
                "[[site]]\norigins = [\"https://a.example\"]\n".into(),
                "name",
            ),
        ] {
            std::fs::write(&path, &text).unwrap();
            let err = serve(&["--config", path.to_str().unwrap()]).unwrap_err();
            assert!(format!("{err:#}").contains(needle), "{text}: {err:#}");
        }
    }

    #[test]
    fn secrets_stay_out_of_debug_output() {
        let s = serve(&["--secret", "0123456789abcdef0123456789abcdef-very-secret"]).unwrap();
        assert!(!format!("{s:?}").contains("very-secret"));
    }

    #[test]
    fn the_file_takes_every_kind_of_value_and_names_a_bad_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("palabre.toml");
        std::fs::write(
            &path,
            "moderation = \"first\"\nsmtp_host = \"mail.example\"\nsmtp_tls = \"tls\"\n\
             smtp_from = \"c@example.org\"\nlog_format = \"json\"\nadmin_session = \"2h\"\n\
             blocked_words = [\"Casino\"]\nlanguage = \"pt-BR\"\n",
        )
        .unwrap();
        let s = serve(&["--config", path.to_str().unwrap()]).unwrap();
        assert_eq!(s.moderation, ModerationMode::First);
        let smtp = s.notify.smtp.as_ref().unwrap();
        assert_eq!((smtp.tls, smtp.port), (SmtpTls::Tls, 465));
        assert_eq!(s.log_format, LogFormat::Json);
        assert_eq!(s.admin_session, Duration::from_secs(7200));
        assert_eq!(s.spam.blocked_words, vec!["casino"]);
        assert_eq!(s.language, palabre_api::i18n::Lang::Pt);
        // A flag replaces the file's value of the same setting, and only that one.
        let s = serve(&["--config", path.to_str().unwrap(), "--moderation", "all"]).unwrap();
        assert_eq!(s.moderation, ModerationMode::All);
        assert_eq!(s.admin_session, Duration::from_secs(7200));

        for (text, key) in [
            ("moderation = \"some\"\n", "moderation"),
            ("edit_window = \"soon\"\n", "edit_window"),
            ("smtp_tls = \"ssl\"\n", "smtp_tls"),
            ("language = \"klingon\"\n", "language"),
        ] {
            std::fs::write(&path, text).unwrap();
            let err = serve(&["--config", path.to_str().unwrap()]).unwrap_err();
            assert!(format!("{err:#}").contains(key), "{text}: {err:#}");
        }
    }
}

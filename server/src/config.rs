//! The settings the server runs with, resolved and checked ([`Settings`]), with their
//! defaults. Where they come from (flags, environment, the TOML file) is the command line's
//! business: `cli::serve`.

use anyhow::{Context, bail};
use palabre_api::ModerationMode;
use secrecy::SecretString;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::rate_limit::RateLimit;
use crate::store::SiteName;

/// Everything the server runs with.
#[derive(Debug, Clone)]
pub struct Settings {
    pub listen: SocketAddr,
    pub database: crate::store::DatabaseUrl,
    /// PostgreSQL's connection pool and statement timeout.
    pub pool: crate::store::PoolSettings,
    pub live: LiveLimits,
    pub log_format: crate::logs::LogFormat,
    /// Where `/metrics` is served, if anywhere.
    pub metrics_listen: Option<SocketAddr>,
    /// Scheduled backups, when `--backup-dir` is set.
    pub backup: Option<BackupSchedule>,
    /// The blogs served, never none: without `[[site]]` tables, one named `default` with
    /// the `--origin`s. Their origins are what CORS allows.
    pub sites: Vec<Site>,
    pub secret: Option<SecretString>,
    pub edit_window: Duration,
    pub max_body_length: u32,
    pub max_depth: u32,
    pub max_request_bytes: usize,
    pub rate_limit: RateLimit,
    pub require_author: bool,
    pub require_email: bool,
    pub moderation: ModerationMode,
    /// The language of the emails and feeds, and of the admin pages for a browser that asks
    /// for none Palabre speaks.
    pub language: palabre_api::i18n::Lang,
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
    /// Server-wide settings of the sites' fediverse accounts.
    pub fediverse: FediverseSettings,
}

/// What every site's fediverse account shares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FediverseSettings {
    /// Test only: remote servers on plain http and on private, loopback and link-local
    /// addresses are fetched and delivered to (logged loudly at start).
    pub allow_private: bool,
    /// How often each site's feed is read for new articles.
    pub feed_interval: Duration,
}

impl Default for FediverseSettings {
    fn default() -> Self {
        Self {
            allow_private: false,
            feed_interval: Duration::from_secs(15 * 60),
        }
    }
}

/// A site's account on the fediverse (`fediverse_account`): `@account@host of public_url`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteFediverse {
    /// The handle's user part: lowercase letters, digits and `_`.
    pub account: String,
    /// The profile's display name (the site's name when unset).
    pub name: Option<String>,
    /// The profile's text (plain text).
    pub summary: Option<String>,
    /// The blog's RSS or Atom feed: each new entry is announced to the followers.
    pub feed_url: Option<String>,
    /// The handle's domain when it is not the public URL's host (the blog's own domain, whose
    /// WebFinger sends requests on to us).
    pub domain: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    #[default]
    #[value(name = "starttls")]
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
    /// default key is the article's path) on its site's first origin.
    pub fn article_url(&self, site: &SiteName, key: &str) -> Option<String> {
        if key.starts_with("https://") || key.starts_with("http://") {
            return Some(key.to_owned());
        }
        let origin = self.site(site)?.origins.first()?;
        key.starts_with('/').then(|| format!("{origin}{key}"))
    }

    /// Every blog origin, of every site (CORS).
    pub fn origins(&self) -> impl Iterator<Item = &str> {
        self.sites
            .iter()
            .flat_map(|s| s.origins.iter().map(String::as_str))
    }

    /// The site whose fediverse account is `account`.
    pub fn site_of_account(&self, account: &str) -> Option<&Site> {
        self.sites
            .iter()
            .find(|s| s.fediverse.as_ref().is_some_and(|f| f.account == account))
    }

    pub fn site(&self, name: &SiteName) -> Option<&Site> {
        self.sites.iter().find(|s| &s.name == name)
    }

    /// The site of requests that name none (no `Origin`, no `site` parameter): the first.
    pub fn first_site(&self) -> &Site {
        // `ServeArgs::resolve` and `Default` never leave it empty.
        &self.sites[0]
    }

    /// The site a request from `origin` (normalised) is for, if any lists it.
    pub fn site_for_origin(&self, origin: &str) -> Option<&Site> {
        self.sites
            .iter()
            .find(|s| s.origins.iter().any(|o| o.eq_ignore_ascii_case(origin)))
    }

    /// Which new comments of this site wait for a moderator.
    pub fn moderation_of(&self, site: &SiteName) -> ModerationMode {
        self.site(site)
            .and_then(|s| s.moderation)
            .unwrap_or(self.moderation)
    }

    /// How emails name a site to its readers: the host of its first origin, else its name.
    pub fn site_label(&self, site: &SiteName) -> String {
        self.site(site)
            .and_then(|s| s.origins.first())
            .map(|o| {
                o.split_once("://")
                    .map_or(o.as_str(), |(_, host)| host)
                    .to_owned()
            })
            .unwrap_or_else(|| site.to_string())
    }

    /// The site's single sign-on key, if it has one.
    pub fn sso_of(&self, site: &SiteName) -> Option<&SecretString> {
        self.site(site).and_then(|s| s.sso_secret.as_ref())
    }

    /// Whether only the site's members may post.
    pub fn sso_required_of(&self, site: &SiteName) -> bool {
        self.site(site)
            .is_some_and(|s| s.sso_required && s.sso_secret.is_some())
    }

    /// Who is told of this site's new and held comments.
    pub fn admin_emails_of(&self, site: &SiteName) -> &[String] {
        self.site(site)
            .and_then(|s| s.admin_emails.as_deref())
            .unwrap_or(&self.notify.admin_emails)
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
            live: LiveLimits::default(),
            backup: None,
            metrics_listen: None,
            log_format: crate::logs::LogFormat::Text,
            sites: vec![Site::single(Vec::new())],
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
            language: palabre_api::i18n::Lang::En,
            client_ip_header: None,
            widget_dir: None,
            public_url: None,
            admin_session: Duration::from_secs(12 * 3600),
            admin_password_hash: None,
            spam: SpamRules::default(),
            notify: NotifySettings::default(),
            feeds: true,
            response_cache_bytes: 16 * 1024 * 1024,
            fediverse: FediverseSettings::default(),
        }
    }
}

/// One blog on this server (`[[site]]` in the configuration file).
#[derive(Debug, Clone)]
pub struct Site {
    pub name: SiteName,
    /// Normalised `scheme://host[:port]`; a request's `Origin` among them names this site.
    pub origins: Vec<String>,
    /// Its own moderation mode; the server's (`moderation`) when `None`.
    pub moderation: Option<ModerationMode>,
    /// Its own admin emails; the server's (`admin_emails`) when `None`.
    pub admin_emails: Option<Vec<String>>,
    /// The key the site's backend signs its members' tokens with (single sign-on, HS256).
    pub sso_secret: Option<SecretString>,
    /// Only members (signed in through the site's single sign-on) may post.
    pub sso_required: bool,
    /// Its account on the fediverse; none (the default) keeps the site off it.
    pub fediverse: Option<SiteFediverse>,
}

impl Site {
    /// The one site of a server without `[[site]]` tables: `default`, with the server's
    /// origins, moderation and admin emails.
    pub fn single(origins: Vec<String>) -> Self {
        Self {
            name: SiteName::default_site(),
            origins,
            moderation: None,
            admin_emails: None,
            sso_secret: None,
            sso_required: false,
            fediverse: None,
        }
    }
}

/// The shortest accepted configured secret.
pub const MIN_SECRET_CHARS: usize = 32;

/// Limits of the live-update streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LiveLimits {
    /// Open streams per process at most.
    pub max_streams: usize,
    /// Open streams per client network (an IPv4 address, an IPv6 /64) at most.
    pub max_streams_per_client: usize,
    /// A stream with nothing to send for this long is closed (the widget reopens it while
    /// its reader is on the page).
    pub idle_timeout: Duration,
    /// How far back a reconnecting reader is replayed; further, it is told to reload.
    pub replay_window: Duration,
}

impl Default for LiveLimits {
    fn default() -> Self {
        Self {
            max_streams: 10_000,
            max_streams_per_client: 8,
            idle_timeout: Duration::from_secs(30 * 60),
            replay_window: Duration::from_secs(24 * 3600),
        }
    }
}

/// `palabre serve --backup-dir DIR --backup-every D --backup-keep N`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupSchedule {
    pub dir: PathBuf,
    pub every: Duration,
    /// Backups kept; older ones are deleted after each new one.
    pub keep: usize,
}

/// A length of time as people write it (`15m`, `1h`, `90s`, `7d`): the one parser of every
/// duration setting, on the command line, in the environment and in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HumanDuration(pub Duration);

impl std::str::FromStr for HumanDuration {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        humantime::parse_duration(s.trim())
            .map(Self)
            .map_err(|e| format!("{s:?} is not a duration ({e}): use e.g. 15m, 1h or 90s"))
    }
}

impl<'de> Deserialize<'de> for HumanDuration {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
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

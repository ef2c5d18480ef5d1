//! The command tree: `palabre serve | import | export | backup | reader | admin`. Each command
//! parses its arguments here and runs the rules below it; `main` only calls [`run`].

pub mod admin;
pub mod import;
pub mod reader;
pub mod serve;

use crate::config::Settings;
use crate::crypto::Keys;
use crate::services::{Services, load_secret};
use crate::store;
use anyhow::Context;
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use secrecy::SecretString;
use std::path::{Path, PathBuf};
use std::time::Instant;

pub use serve::ServeArgs;

const LOG_FILTER: &str = "palabre=info,palabre_server=info,tower_http=warn";

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
    /// Print the `<link>` a blog page carries so that pasting its URL into Mastodon's search
    /// finds its fediverse article (and the replies to it).
    FediverseLink {
        /// The page's URL (its thread key is taken from it, as the widget does).
        url: String,
        /// The page's `data-thread`, when the blog names its threads itself.
        #[arg(long)]
        thread: Option<String>,
        /// The server's public URL.
        #[arg(long, env = "PALABRE_PUBLIC_URL")]
        public_url: String,
        /// The site's fediverse account.
        #[arg(long, env = "PALABRE_FEDIVERSE_ACCOUNT")]
        fediverse_account: String,
    },
    /// Write every thread, comment and vote to FILE (JSON Lines; see the README).
    Export {
        /// Where to write; `-` for standard output.
        file: PathBuf,
        /// Only this site's threads (a `[[site]]` name) [default: every site].
        #[arg(long, value_parser = site_name)]
        site: Option<store::SiteName>,
        #[command(flatten)]
        db: DatabaseArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum ReaderCommand {
    /// Print (as JSON) everything stored about an email: its comments, identities and
    /// sessions, and whether it is blocked.
    Export {
        #[arg(long)]
        email: String,
        /// Only on this site (a `[[site]]` name) [default: every site].
        #[arg(long, value_parser = site_name)]
        site: Option<store::SiteName>,
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
        /// Only on this site (a `[[site]]` name) [default: every site].
        #[arg(long, value_parser = site_name)]
        site: Option<store::SiteName>,
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
    /// The site (a `[[site]]` name) the threads go to [default: default, or for a Palabre
    /// export, the site each thread was exported from].
    #[arg(long, value_parser = site_name)]
    pub site: Option<store::SiteName>,
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
    /// Set the name an admin's comments carry in the thread ("Author"), reserved on every
    /// site; empty: their sign-in name.
    SetDisplayName {
        /// Database URL: sqlite://FILE or postgres://USER:PASSWORD@HOST/DB
        /// [default: sqlite://palabre.db].
        #[arg(long, env = "PALABRE_DATABASE", hide_env_values = true)]
        database: Option<String>,
        /// The admin's name.
        #[arg(long, default_value = "admin")]
        name: String,
        /// The name readers see, e.g. "Claire Dubois".
        display_name: String,
    },
}

/// The whole command tree, for `main` to parse the process's arguments with.
pub fn command() -> clap::Command {
    Cli::command()
}

/// Runs the parsed command to its end: the server until it is told to stop, any other until
/// done.
pub async fn run(matches: &clap::ArgMatches) -> anyhow::Result<()> {
    match Cli::from_arg_matches(matches)?.command {
        Command::Serve(args) => {
            let serve_matches = matches
                .subcommand_matches("serve")
                .context("the serve command's arguments")?;
            let settings = serve::settings(*args, serve_matches)?;
            crate::logs::init_logs(LOG_FILTER, settings.log_format);
            serve::run(settings).await
        }
        other => {
            crate::logs::init_tracing(LOG_FILTER);
            match other {
                Command::Serve(_) => unreachable!("served above"),
                Command::Admin(command) => admin::run(command).await,
                Command::Import(args) => import::import(args).await,
                Command::Export { file, site, db } => import::export(&file, site, db).await,
                Command::Backup { file, db } => backup(&file, db).await,
                Command::Reader(command) => reader::run(command).await,
                Command::FediverseLink {
                    url,
                    thread,
                    public_url,
                    fediverse_account,
                } => {
                    let key = thread.unwrap_or_else(|| palabre_api::page_thread_key(&url));
                    let key = palabre_api::ThreadKey::parse(&key)
                        .map_err(|_| anyhow::anyhow!("{key:?} is not a thread key"))?;
                    let base = crate::config::parse_public_url(&public_url)?;
                    let id = crate::federation::articles::article_url(
                        &format!("{base}/ap/{}", fediverse_account.trim()),
                        key.as_str(),
                    );
                    println!("{}", crate::federation::articles::link_tag(&id));
                    Ok(())
                }
            }
        }
    }
}

/// `--site NAME`.
fn site_name(raw: &str) -> Result<store::SiteName, String> {
    store::SiteName::parse(raw)
}

/// The database a command names, else the server's default.
pub fn database_url(given: Option<String>) -> store::DatabaseUrl {
    given
        .map(store::DatabaseUrl::from)
        .unwrap_or_else(|| Settings::default().database)
}

impl DatabaseArgs {
    /// The database named, else the server's default.
    pub fn url(&self) -> store::DatabaseUrl {
        database_url(self.database.clone())
    }

    /// What an offline command needs to run the rules: the store and the server's keys (the
    /// outbox sends nothing from the command line).
    pub async fn services(self) -> anyhow::Result<Services> {
        let settings = Settings {
            database: self.url(),
            secret: self.secret,
            ..Settings::default()
        };
        let store = store::connect_with(&settings.database, store::PoolSettings::offline())
            .await
            .context("opening the database")?;
        let secret = load_secret(store.as_ref(), &settings).await?;
        Ok(Services::new(store, Keys::new(secret.as_bytes()), settings))
    }
}

/// `palabre backup FILE`: one backup, now.
async fn backup(file: &Path, db: DatabaseArgs) -> anyhow::Result<()> {
    let url = db.url();
    let store = store::connect(&url)
        .await
        .with_context(|| format!("opening the database {url}"))?;
    let started = Instant::now();
    let bytes = crate::backup::backup_to(store.as_ref(), file).await?;
    eprintln!(
        "Backup written to {} ({bytes} bytes, {} ms).",
        file.display(),
        started.elapsed().as_millis()
    );
    Ok(())
}

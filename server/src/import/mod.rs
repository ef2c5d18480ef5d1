//! Imports from Disqus, WordPress (WXR), Isso and our own export, and the export itself.
//!
//! Every source is read as a stream (bounded memory, whatever the file size) into one
//! transaction: a malformed or truncated file leaves the database as it was, and the error
//! names the line. Each imported item is remembered by source and id, so re-running an import
//! adds nothing twice. HTML from elsewhere is converted to Markdown and rendered by the same
//! code as a new comment; nothing from the source reaches a page unsanitized.

pub mod disqus;
pub mod export;
pub mod html;
pub mod isso;
pub mod palabre;
pub mod wordpress;
mod xml;

use crate::crypto;
use crate::render::render;
use crate::services::Services;
use crate::store::{ImportTx, ImportedComment, LinkReport, StoreError};
use crate::store::{SiteName, ThreadRef};
use palabre_api::{CommentBody, CommentStatus, ThreadKey, Timestamp};
use std::collections::{BTreeMap, HashMap};

/// Longest imported comment, in characters: above any sane comment, below abuse.
const MAX_IMPORTED_BODY: usize = 100_000;

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The input is not what the format says; `offset` is a byte position in the file.
    #[error("{message}")]
    Malformed {
        offset: Option<u64>,
        message: String,
    },
    #[error("reading the input: {0}")]
    Io(#[from] std::io::Error),
    #[error("storage failed")]
    Store(#[from] StoreError),
}

impl ImportError {
    pub fn malformed(offset: Option<u64>, message: impl Into<String>) -> Self {
        Self::Malformed {
            offset,
            message: message.into(),
        }
    }

    /// The same error, placed at `offset` in the input.
    pub fn at(self, offset: Option<u64>) -> Self {
        match self {
            Self::Malformed { message, .. } => Self::Malformed { offset, message },
            other => other,
        }
    }
}

/// `--map OLD=NEW`: a prefix of source URLs (or thread keys) and its replacement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    pub from: String,
    pub to: String,
}

impl Mapping {
    pub fn parse(s: &str) -> Option<Self> {
        let (from, to) = s.split_once('=')?;
        (!from.trim().is_empty()).then(|| Self {
            from: from.trim().to_owned(),
            to: to.trim().to_owned(),
        })
    }
}

#[derive(Debug, Clone, Default)]
pub struct Options {
    pub dry_run: bool,
    pub mappings: Vec<Mapping>,
    /// Any anomaly in an item (a post naming a thread the file lacks, a date that does not
    /// parse) stops the import instead of skipping that item.
    pub strict: bool,
    /// The site the threads go to; `None`: the default site (or, for a Palabre export, the
    /// site each thread was exported from).
    pub site: Option<SiteName>,
}

/// What an import did (or, dry, would do), per thread key.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub threads: BTreeMap<String, ThreadReport>,
    /// Items imported by an earlier run, skipped.
    pub already_imported: u64,
    /// Items the format says are not comments (pingbacks, trackbacks).
    pub not_comments: u64,
    pub links: LinkReport,
    /// Items left out for an anomaly of their own, in file order (none with `strict`).
    pub skipped: Vec<Skipped>,
}

/// An item the import left out, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// Byte position in the file, where the format has one.
    pub offset: Option<u64>,
    pub reason: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ThreadReport {
    pub published: u64,
    pub pending: u64,
    pub spam: u64,
    pub deleted: u64,
}

impl Report {
    pub fn comments(&self) -> u64 {
        self.threads
            .values()
            .map(|t| t.published + t.pending + t.spam + t.deleted)
            .sum()
    }
}

/// A comment as a source describes it.
#[derive(Debug, Clone)]
pub struct SourceComment {
    pub external_id: String,
    pub external_parent: Option<String>,
    pub status: CommentStatus,
    pub spam: bool,
    pub author: Option<String>,
    pub email: Option<String>,
    pub website: Option<String>,
    pub ip: Option<String>,
    /// Markdown (sources with HTML convert it with [`html::to_markdown`]).
    pub body: String,
    pub created: Timestamp,
    pub edited: Option<Timestamp>,
    pub likes: u32,
    pub dislikes: u32,
    pub notify: bool,
    /// Our own export: keep the id if free, and these exact values.
    pub wanted_id: Option<i64>,
    pub avatar: Option<String>,
    pub reader_hash: Option<String>,
    pub edit_token_hash: Option<Vec<u8>>,
    pub votes: Vec<(String, i64)>,
}

impl SourceComment {
    pub fn new(external_id: String, body: String, created: Timestamp) -> Self {
        Self {
            external_id,
            external_parent: None,
            status: CommentStatus::Published,
            spam: false,
            author: None,
            email: None,
            website: None,
            ip: None,
            body,
            created,
            edited: None,
            likes: 0,
            dislikes: 0,
            notify: false,
            wanted_id: None,
            avatar: None,
            reader_hash: None,
            edit_token_hash: None,
            votes: Vec::new(),
        }
    }
}

/// Receives a source's threads and comments inside the import's transaction.
pub struct Importer<'a> {
    services: &'a Services,
    tx: Box<dyn ImportTx>,
    /// The format read (`disqus`, `palabre`, ...).
    format: String,
    /// What the imported items are remembered under: the format, and the site when it is
    /// not the default one, so that one file imported into two blogs is imported twice.
    source: String,
    options: Options,
    report: Report,
    /// Thread (as [`ThreadRef`]'s label) -> id, for the threads met so far.
    threads: HashMap<String, i64>,
}

impl<'a> Importer<'a> {
    pub async fn begin(
        services: &'a Services,
        source: &str,
        options: Options,
    ) -> Result<Self, ImportError> {
        let ledger = match &options.site {
            Some(site) if site.as_str() != SiteName::DEFAULT => format!("{source}@{site}"),
            _ => source.to_owned(),
        };
        Ok(Self {
            tx: services.store.begin_import().await?,
            services,
            format: source.to_owned(),
            source: ledger,
            options,
            report: Report::default(),
            threads: HashMap::new(),
        })
    }

    /// The thread key for a source URL (or key): mappings first, then, for a URL or a path,
    /// the key the widget gives that page (its path and the query parameters that tell pages
    /// apart, `palabre_api::page_thread_key`).
    pub fn thread_key(&self, url: &str) -> Result<ThreadKey, ImportError> {
        let mut key = url.trim().to_owned();
        if let Some(m) = self
            .options
            .mappings
            .iter()
            .find(|m| key.starts_with(&m.from))
        {
            key = format!("{}{}", m.to, &key[m.from.len()..]);
        }
        // Our own export holds keys, written as the blog had them; the other sources hold
        // pages' URLs and paths.
        let page =
            key.starts_with("https://") || key.starts_with("http://") || key.starts_with('/');
        if page && self.format != "palabre" {
            key = palabre_api::page_thread_key(&key);
        }
        ThreadKey::parse(&key)
            .map_err(|_| ImportError::malformed(None, format!("{url:?} gives no valid thread key")))
    }

    pub async fn thread(
        &mut self,
        url: &str,
        title: Option<&str>,
        created: Timestamp,
        locked: bool,
        hidden: bool,
    ) -> Result<(i64, String), ImportError> {
        self.thread_of_site(None, url, title, created, locked, hidden)
            .await
    }

    /// [`Importer::thread`], of the site the source names (a Palabre export's), unless the
    /// import was given one.
    pub async fn thread_of_site(
        &mut self,
        site: Option<&str>,
        url: &str,
        title: Option<&str>,
        created: Timestamp,
        locked: bool,
        hidden: bool,
    ) -> Result<(i64, String), ImportError> {
        let site = match (&self.options.site, site) {
            (Some(given), _) => given.clone(),
            (None, Some(named)) => SiteName::parse(named)
                .map_err(|e| ImportError::malformed(None, format!("thread {url:?}: {e}")))?,
            (None, None) => SiteName::default_site(),
        };
        let thread = ThreadRef::new(site, self.thread_key(url)?);
        let label = thread.to_string();
        if let Some(&id) = self.threads.get(&label) {
            return Ok((id, label));
        }
        let title = title.map(str::trim).filter(|t| !t.is_empty());
        let title = title.map(|t| t.chars().take(200).collect::<String>());
        let id = self
            .tx
            .thread(&thread, title.as_deref(), created, locked, hidden)
            .await?;
        self.threads.insert(label.clone(), id);
        self.report.threads.entry(label.clone()).or_default();
        Ok((id, label))
    }

    /// An item with an anomaly of its own: left out and counted, or with `strict` the end of
    /// the import. The file's structure being wrong is never skipped: that is an error.
    pub fn skip(&mut self, offset: Option<u64>, reason: String) -> Result<(), ImportError> {
        if self.options.strict {
            return Err(ImportError::malformed(offset, reason));
        }
        self.report.skipped.push(Skipped { offset, reason });
        Ok(())
    }

    /// [`Importer::skip`] for what an item's own values got wrong (`Malformed`); any other
    /// error (storage) still ends the import.
    pub fn skip_if_malformed(
        &mut self,
        offset: Option<u64>,
        result: Result<(), ImportError>,
    ) -> Result<(), ImportError> {
        match result {
            Err(ImportError::Malformed { message, .. }) => self.skip(offset, message),
            other => other,
        }
    }

    pub fn not_a_comment(&mut self) {
        self.report.not_comments += 1;
    }

    /// Stores one comment of thread `thread` (from [`Importer::thread`]).
    pub async fn comment(
        &mut self,
        thread: (i64, &str),
        c: SourceComment,
    ) -> Result<(), ImportError> {
        if self.tx.seen(&self.source, &c.external_id).await? {
            self.report.already_imported += 1;
            return Ok(());
        }
        let keys = &self.services.keys;
        let clean = |s: Option<String>, max: usize| {
            s.map(|v| {
                v.chars()
                    .filter(|c| !c.is_control())
                    .take(max)
                    .collect::<String>()
            })
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
        };
        let author = clean(c.author, 64);
        let email = clean(c.email, palabre_api::MAX_EMAIL_BYTES).filter(|e| e.contains('@'));
        let website =
            clean(c.website, 300).filter(|w| w.starts_with("http://") || w.starts_with("https://"));
        let (body, html, status) = match CommentBody::parse(&c.body, MAX_IMPORTED_BODY) {
            Ok(body) => (body.as_str().to_owned(), render(&body), c.status),
            // Nothing left to show: kept only as a placeholder if it holds replies.
            Err(_) => (String::new(), String::new(), CommentStatus::Deleted),
        };
        let identity = match (&email, &author) {
            (Some(e), _) => format!("email:{}", e.to_lowercase()),
            (None, Some(a)) => format!("name:{a}"),
            (None, None) => format!("import:{}:{}", self.source, c.external_id),
        };
        let reader_hash = c.reader_hash.unwrap_or_else(|| {
            c.ip.as_deref()
                .and_then(|ip| ip.trim().parse().ok())
                .map(|ip| keys.reader_hash(ip))
                .unwrap_or_else(|| "imported".to_owned())
        });
        let record = ImportedComment {
            thread_id: thread.0,
            wanted_id: c.wanted_id,
            external_id: c.external_id,
            external_parent: c.external_parent,
            status,
            spam: c.spam,
            avatar: c.avatar.unwrap_or_else(|| keys.avatar_seed(&identity)),
            author,
            email,
            website,
            body,
            html,
            created: c.created,
            edited: c.edited,
            likes: c.likes,
            dislikes: c.dislikes,
            // Nobody holds a token for an imported comment.
            edit_token_hash: c
                .edit_token_hash
                .unwrap_or_else(|| crypto::new_edit_token().1),
            reader_hash,
            notify: c.notify,
        };
        let counts = self.report.threads.entry(thread.1.to_owned()).or_default();
        match (record.status, record.spam) {
            (_, true) => counts.spam += 1,
            (CommentStatus::Published, _) => counts.published += 1,
            (CommentStatus::Pending, _) => counts.pending += 1,
            (CommentStatus::Deleted, _) => counts.deleted += 1,
        }
        let id = self.tx.comment(&self.source, &record).await?;
        for (voter, value) in &c.votes {
            self.tx.vote(id, voter, *value).await?;
        }
        Ok(())
    }

    /// Links replies to parents, then commits (or, dry run, rolls everything back).
    pub async fn finish(mut self) -> Result<Report, ImportError> {
        self.report.links = self.tx.link_parents(&self.source).await?;
        if !self.options.dry_run {
            self.tx.commit().await?;
        }
        Ok(self.report)
    }
}

/// The 1-based line of byte `offset` in `path` (read again, only on error).
pub fn line_of(path: &std::path::Path, offset: u64) -> Option<u64> {
    use std::io::Read;
    let file = std::fs::File::open(path).ok()?;
    let mut line = 1;
    let mut buf = [0u8; 64 * 1024];
    let mut left = offset;
    let mut reader = std::io::BufReader::new(file);
    while left > 0 {
        let n = reader.read(&mut buf).ok()?;
        if n == 0 {
            break;
        }
        let take = (n as u64).min(left) as usize;
        line += buf[..take].iter().filter(|b| **b == b'\n').count() as u64;
        left -= take as u64;
    }
    Some(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mappings_parse() {
        assert_eq!(
            Mapping::parse("https://old.example/=https://new.example/"),
            Some(Mapping {
                from: "https://old.example/".into(),
                to: "https://new.example/".into()
            })
        );
        assert_eq!(Mapping::parse("nothing"), None);
        assert_eq!(Mapping::parse("=x"), None);
    }
}

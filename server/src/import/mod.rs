//! Imports from Disqus, WordPress (WXR), Isso and our own export, and the export itself.
//!
//! Every source is read as a stream (bounded memory, whatever the file size) into one
//! transaction: a malformed or truncated file leaves the database as it was, and the error
//! names the line. Each imported item is remembered in a ledger by where it came from (the
//! origin its source names, and its id there), so re-running an import adds nothing twice while
//! another blog's comment with the same id is never taken for it: an entry is trusted only when
//! the comment it names is really there, in the same thread, with the same text. HTML from
//! elsewhere is converted to Markdown and rendered by the same code as a new comment; nothing
//! from the source reaches a page unsanitized.

pub mod disqus;
pub mod export;
pub mod html;
pub mod isso;
pub mod palabre;
pub mod wordpress;
pub(crate) mod xml;

use crate::crypto;
use crate::render::render;
use crate::services::Services;
use crate::store::{ImportTx, ImportedComment, LedgerEntry, LinkReport, StoreError};
use crate::store::{SiteName, ThreadRef};
use palabre_api::{CommentBody, CommentStatus, ThreadKey, Timestamp};
use sha2::{Digest, Sha256};
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
    /// Items imported by an earlier run (or earlier in this one), skipped; each is counted
    /// in its thread too.
    pub already_imported: u64,
    /// Items the format says are not comments (pingbacks, trackbacks); counted in their
    /// thread too, unless their page gives none.
    pub not_comments: u64,
    pub links: LinkReport,
    /// Items left out for an anomaly of their own, in file order (none with `strict`).
    pub skipped: Vec<Skipped>,
    /// Items whose id the ledger knew for a comment that is not this one (another thread or
    /// another text): imported all the same, each with what the ledger named.
    pub ledger_disagreed: Vec<String>,
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
    /// Skipped: already imported.
    pub already_imported: u64,
    /// Skipped: pingbacks and trackbacks.
    pub not_comments: u64,
    /// Imported although the ledger knew their id (see [`Report::ledger_disagreed`]).
    pub ledger_disagreed: u64,
}

impl Report {
    pub fn comments(&self) -> u64 {
        self.threads
            .values()
            .map(|t| t.published + t.pending + t.spam + t.deleted)
            .sum()
    }

    /// Counts a skipped item in its thread and in the totals, together.
    fn skip_in(&mut self, thread: &str, why: SkipWhy) {
        let t = self.threads.entry(thread.to_owned()).or_default();
        match why {
            SkipWhy::AlreadyImported => {
                t.already_imported += 1;
                self.already_imported += 1;
            }
            SkipWhy::NotAComment => {
                t.not_comments += 1;
                self.not_comments += 1;
            }
        }
    }
}

enum SkipWhy {
    AlreadyImported,
    NotAComment,
}

/// Where a comment came from, as the import ledger remembers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceId {
    /// Unique across every file of the format: the origin the source names (a WordPress
    /// blog's address and post, a Disqus forum, an Isso instance and thread, a Palabre site
    /// and thread) with the item's id there.
    pub key: String,
    /// The item's id alone, as ledgers held it before ids named their origin: looked up only
    /// when `key` is not there, and trusted only if the comment it names is this one.
    pub earlier: String,
}

/// What the ledger says of a comment met again.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Ledger {
    /// Nothing under its id: import it.
    New,
    /// Its comment is there: skip it.
    Imported,
    /// The id names another comment: import it, and say what the ledger named.
    Disagrees(String),
}

/// Whether `entry`, found under the id of the comment with `fingerprint`, `created` date and
/// `body` met in thread `thread_id`, names that very comment. With a fingerprint, the
/// source's own words decide (so a comment deleted or edited here since is still the one
/// imported, and a Markdown conversion that changed between releases changes nothing). An entry
/// from before fingerprints has the comment as stored: same date, and same text unless a
/// moderator deleted it here since.
fn ledger_verdict(
    entry: Option<&LedgerEntry>,
    thread_id: i64,
    fingerprint: &[u8; 32],
    created: Timestamp,
    body: &str,
) -> Ledger {
    let Some(e) = entry else {
        return Ledger::New;
    };
    let same = e.thread_id == thread_id
        && match &e.fingerprint {
            Some(f) => f[..] == fingerprint[..],
            None => e.created == created && (e.body == body || e.status == CommentStatus::Deleted),
        };
    if same {
        Ledger::Imported
    } else if e.thread_id != thread_id {
        Ledger::Disagrees(format!("comment {} in another thread", e.comment_id))
    } else {
        Ledger::Disagrees(format!(
            "comment {}, whose date or text differ",
            e.comment_id
        ))
    }
}

/// A comment as a source describes it.
#[derive(Debug, Clone)]
pub struct SourceComment {
    pub id: SourceId,
    /// The parent's [`SourceId::key`].
    pub external_parent: Option<String>,
    /// The source's date and raw text, hashed (see [`ImportedComment::fingerprint`]).
    pub fingerprint: [u8; 32],
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
    /// Our own export: who wrote it, as the exporting server knew.
    pub role: palabre_api::Role,
    /// Our own export: keep the id if free, and these exact values.
    pub wanted_id: Option<i64>,
    pub avatar: Option<String>,
    pub reader_hash: Option<String>,
    pub edit_token_hash: Option<Vec<u8>>,
    pub votes: Vec<(String, i64)>,
}

impl SourceComment {
    /// `raw` is the text as the file has it (HTML, Markdown); `body`, the Markdown made of it.
    pub fn new(id: SourceId, raw: &str, body: String, created: Timestamp) -> Self {
        let fingerprint = Sha256::new()
            .chain_update(created.as_millis().to_string())
            .chain_update([0])
            .chain_update(raw)
            .finalize()
            .into();
        Self {
            id,
            external_parent: None,
            fingerprint,
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
            role: palabre_api::Role::Guest,
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
        let thread = self.thread_ref(site, url)?;
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

    /// The thread a source URL (or key) goes to, in the site the import was given, else the
    /// one the source names, else the default one.
    fn thread_ref(&self, site: Option<&str>, url: &str) -> Result<ThreadRef, ImportError> {
        let site = match (&self.options.site, site) {
            (Some(given), _) => given.clone(),
            (None, Some(named)) => SiteName::parse(named)
                .map_err(|e| ImportError::malformed(None, format!("thread {url:?}: {e}")))?,
            (None, None) => SiteName::default_site(),
        };
        Ok(ThreadRef::new(site, self.thread_key(url)?))
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

    /// A pingback or trackback on the page at `url`: counted in that page's thread (which it
    /// does not create), or only in the total when the URL gives no thread.
    pub fn not_a_comment(&mut self, url: &str) {
        match self.thread_ref(None, url) {
            Ok(thread) => self
                .report
                .skip_in(&thread.to_string(), SkipWhy::NotAComment),
            Err(_) => self.report.not_comments += 1,
        }
    }

    /// What the ledger says of `c`, met in thread `thread_id`: under its id, else (moving the
    /// entry to its id when it names this very comment) under the id earlier releases gave it.
    async fn ledger(
        &mut self,
        thread_id: i64,
        c: &SourceComment,
        body: &str,
    ) -> Result<Ledger, ImportError> {
        let verdict = |entry: Option<&LedgerEntry>| {
            ledger_verdict(entry, thread_id, &c.fingerprint, c.created, body)
        };
        let entry = self.tx.ledger(&self.source, &c.id.key).await?;
        if entry.is_some() || c.id.earlier == c.id.key {
            return Ok(verdict(entry.as_ref()));
        }
        // Entries of earlier releases have no fingerprint; one with a fingerprint under that
        // id is a comment of this release's, from another source.
        let earlier = self.tx.ledger(&self.source, &c.id.earlier).await?;
        let earlier = earlier.filter(|e| e.fingerprint.is_none());
        let found = verdict(earlier.as_ref());
        if found == Ledger::Imported {
            self.tx
                .rekey(
                    &self.source,
                    &c.id.earlier,
                    &c.id.key,
                    c.external_parent.as_deref(),
                    &c.fingerprint,
                )
                .await?;
        }
        Ok(found)
    }

    /// Stores one comment of thread `thread` (from [`Importer::thread`]), unless it is there
    /// already.
    pub async fn comment(
        &mut self,
        thread: (i64, &str),
        c: SourceComment,
    ) -> Result<(), ImportError> {
        let parsed = CommentBody::parse(&c.body, MAX_IMPORTED_BODY).ok();
        let body = parsed.as_ref().map_or("", CommentBody::as_str);
        match self.ledger(thread.0, &c, body).await? {
            Ledger::Imported => {
                self.report.skip_in(thread.1, SkipWhy::AlreadyImported);
                return Ok(());
            }
            Ledger::Disagrees(named) => {
                self.report.ledger_disagreed.push(format!(
                    "{}: the ledger had {} for {named}; imported",
                    thread.1, c.id.key
                ));
                self.report
                    .threads
                    .entry(thread.1.to_owned())
                    .or_default()
                    .ledger_disagreed += 1;
            }
            Ledger::New => {}
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
        let (body, html, status) = match &parsed {
            Some(body) => (body.as_str().to_owned(), render(body), c.status),
            // Nothing left to show: kept only as a placeholder if it holds replies.
            None => (String::new(), String::new(), CommentStatus::Deleted),
        };
        let identity = match (&email, &author) {
            (Some(e), _) => format!("email:{}", e.to_lowercase()),
            (None, Some(a)) => format!("name:{a}"),
            (None, None) => format!("import:{}:{}", self.source, c.id.key),
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
            external_id: c.id.key,
            external_parent: c.external_parent,
            fingerprint: c.fingerprint,
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
            role: c.role,
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

    fn met(text: &str, at: i64) -> SourceComment {
        let id = SourceId {
            key: "wp:https://blog.example/?p=1#comment-11".into(),
            earlier: "wp:11".into(),
        };
        SourceComment::new(id, text, text.into(), Timestamp::from_millis(at))
    }

    fn entry(c: &SourceComment, thread_id: i64, fingerprint: bool) -> LedgerEntry {
        LedgerEntry {
            comment_id: 42,
            thread_id,
            created: c.created,
            status: CommentStatus::Published,
            body: c.body.clone(),
            fingerprint: fingerprint.then(|| c.fingerprint.to_vec()),
        }
    }

    fn verdict(e: &LedgerEntry, thread_id: i64, c: &SourceComment) -> Ledger {
        ledger_verdict(Some(e), thread_id, &c.fingerprint, c.created, &c.body)
    }

    #[test]
    fn an_id_the_ledger_lacks_is_new() {
        let c = met("Hello", 1);
        assert_eq!(
            ledger_verdict(None, 1, &c.fingerprint, c.created, &c.body),
            Ledger::New
        );
    }

    #[test]
    fn an_entry_is_trusted_only_for_the_same_thread_and_source_text() {
        let c = met("Hello", 1);
        let e = entry(&c, 7, true);
        assert_eq!(verdict(&e, 7, &c), Ledger::Imported);
        assert_eq!(
            verdict(&e, 8, &c),
            Ledger::Disagrees("comment 42 in another thread".into())
        );
        let other_text = met("Bonjour", 1);
        assert!(matches!(verdict(&e, 7, &other_text), Ledger::Disagrees(_)));
        let other_date = met("Hello", 2);
        assert!(matches!(verdict(&e, 7, &other_date), Ledger::Disagrees(_)));
    }

    #[test]
    fn the_source_text_decides_not_what_became_of_it_here() {
        let c = met("Hello", 1);
        // Deleted by a moderator since, or rendered otherwise by a later release.
        let mut e = entry(&c, 7, true);
        e.body = String::new();
        e.status = CommentStatus::Deleted;
        assert_eq!(verdict(&e, 7, &c), Ledger::Imported);
        e.body = "Hello, converted otherwise".into();
        assert_eq!(verdict(&e, 7, &c), Ledger::Imported);
    }

    #[test]
    fn an_entry_of_an_earlier_release_is_checked_against_the_stored_comment() {
        let c = met("Hello", 1);
        let e = entry(&c, 7, false);
        assert_eq!(verdict(&e, 7, &c), Ledger::Imported);
        assert!(matches!(verdict(&e, 8, &c), Ledger::Disagrees(_)));
        assert!(matches!(
            verdict(&e, 7, &met("Other", 1)),
            Ledger::Disagrees(_)
        ));
        assert!(matches!(
            verdict(&e, 7, &met("Hello", 5)),
            Ledger::Disagrees(_)
        ));
        // A moderator deleted it here since: still the same comment (its date says so).
        let deleted = LedgerEntry {
            body: String::new(),
            status: CommentStatus::Deleted,
            ..e.clone()
        };
        assert_eq!(verdict(&deleted, 7, &c), Ledger::Imported);
        assert!(matches!(
            verdict(&deleted, 7, &met("Hello", 5)),
            Ledger::Disagrees(_)
        ));
    }

    #[test]
    fn the_fingerprint_covers_the_date_and_the_raw_text() {
        let id = |n: &str| SourceId {
            key: n.into(),
            earlier: n.into(),
        };
        let at = Timestamp::from_millis(5);
        let a = SourceComment::new(id("a"), "<p>x</p>", "x".into(), at);
        let b = SourceComment::new(id("b"), "<p>x</p>", "other markdown".into(), at);
        assert_eq!(a.fingerprint, b.fingerprint, "ids and conversions aside");
        let c = SourceComment::new(id("a"), "<p>y</p>", "x".into(), at);
        let d = SourceComment::new(id("a"), "<p>x</p>", "x".into(), Timestamp::from_millis(6));
        assert_ne!(a.fingerprint, c.fingerprint);
        assert_ne!(a.fingerprint, d.fingerprint);
    }
}

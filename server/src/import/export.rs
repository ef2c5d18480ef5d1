//! `palabre export`: everything (threads, comments with parents, statuses, timestamps, votes)
//! as JSON Lines, written thread by thread so memory stays bounded. The format is documented
//! in the README; `palabre import palabre` reads it back, and an export of that import is
//! byte-identical to the original.

use crate::services::Services;
use crate::store::{SiteName, StoreError};
use palabre_api::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;

pub const FORMAT: &str = "palabre-export";
pub const VERSION: u32 = 1;

#[derive(Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Header {
    pub format: String,
    pub version: u32,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ThreadLine {
    /// The site it belongs to; absent for the default site (and in exports made before
    /// sites existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<String>,
    pub key: String,
    pub title: Option<String>,
    pub locked: bool,
    pub hidden: bool,
    pub created: Timestamp,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CommentLine {
    pub id: i64,
    pub parent: Option<i64>,
    /// published, pending or deleted.
    pub status: String,
    pub spam: bool,
    pub author: Option<String>,
    pub email: Option<String>,
    pub website: Option<String>,
    /// Markdown, as written.
    pub body: String,
    pub created: Timestamp,
    pub edited: Option<Timestamp>,
    pub likes: u32,
    pub dislikes: u32,
    pub notify: bool,
    /// Keyed hashes: meaningful with the same server secret.
    pub avatar: String,
    pub reader: String,
    /// Hex SHA-256 of the edit token.
    pub edit_token_hash: String,
    /// Voter (keyed hash) -> 1 or -1.
    pub votes: BTreeMap<String, i64>,
    /// Who wrote it, as proven to the server: verified, member or author; absent for a guest.
    #[serde(default, skip_serializing_if = "palabre_api::Role::is_guest")]
    pub role: palabre_api::Role,
}

/// One line of the file.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Line {
    Thread(ThreadLine),
    Comment(Box<CommentLine>),
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("writing the export: {0}")]
    Io(#[from] std::io::Error),
    #[error("reading the database")]
    Store(#[from] StoreError),
}

/// Writes the whole database, or one site's threads, to `out`; returns (threads, comments).
pub async fn export(
    services: &Services,
    site: Option<&SiteName>,
    out: &mut impl Write,
) -> Result<(u64, u64), ExportError> {
    let write = |out: &mut dyn Write, value: &dyn erased::Json| -> std::io::Result<()> {
        out.write_all(value.json().as_bytes())?;
        out.write_all(b"\n")
    };
    write(
        out,
        &Header {
            format: FORMAT.into(),
            version: VERSION,
        },
    )?;
    let (mut threads, mut comments) = (0, 0);
    for t in services.store.export_threads(site).await? {
        let thread = t.thread()?;
        write(
            out,
            &Line::Thread(ThreadLine {
                site: (t.site.as_str() != SiteName::DEFAULT).then(|| t.site.to_string()),
                key: t.key,
                title: t.title,
                locked: t.locked,
                hidden: t.hidden,
                created: t.created,
            }),
        )?;
        threads += 1;
        let mut votes: BTreeMap<i64, BTreeMap<String, i64>> = BTreeMap::new();
        for (id, voter, value) in services.store.export_votes(&thread).await? {
            votes.entry(id).or_default().insert(voter, value);
        }
        for c in services.store.export_comments(&thread).await? {
            write(
                out,
                &Line::Comment(Box::new(CommentLine {
                    id: c.id,
                    parent: c.parent_id,
                    status: c.status.as_str().to_owned(),
                    spam: c.spam,
                    author: c.author,
                    email: c.email,
                    website: c.website,
                    body: c.body,
                    created: c.created,
                    edited: c.edited,
                    likes: c.likes,
                    dislikes: c.dislikes,
                    notify: c.notify,
                    avatar: c.avatar,
                    reader: c.reader_hash,
                    edit_token_hash: hex(&c.edit_token_hash),
                    votes: votes.remove(&c.id).unwrap_or_default(),
                    role: c.role,
                })),
            )?;
            comments += 1;
        }
    }
    out.flush()?;
    Ok((threads, comments))
}

/// Serialisation behind a trait object, so one closure writes every line type.
mod erased {
    pub trait Json {
        fn json(&self) -> String;
    }
    impl<T: serde::Serialize> Json for T {
        fn json(&self) -> String {
            serde_json::to_string(self).expect("export lines always serialise")
        }
    }
}

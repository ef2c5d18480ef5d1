//! `palabre import palabre FILE`: our own export (see [`super::export`]), line by line.

use super::export::{CommentLine, FORMAT, Header, Line, VERSION};
use super::{ImportError, Importer, SourceComment, SourceId};
use palabre_api::CommentStatus;
use std::io::BufRead;

pub async fn import<R: BufRead>(input: R, importer: &mut Importer<'_>) -> Result<(), ImportError> {
    let mut offset = 0u64;
    // The thread comments go to, and where the file says they come from (its site and key).
    let mut thread: Option<((i64, String), String)> = None;
    let mut lines = input.lines();
    let bad = |offset: u64, what: String| ImportError::malformed(Some(offset), what);
    let first = lines
        .next()
        .transpose()?
        .ok_or_else(|| bad(0, "the file is empty; expected a Palabre export".into()))?;
    let header: Header = serde_json::from_str(&first).map_err(|_| {
        bad(
            0,
            "expected a Palabre export header {\"format\":\"palabre-export\",...}".into(),
        )
    })?;
    if header.format != FORMAT || header.version != VERSION {
        return Err(bad(
            0,
            format!(
                "unsupported export: {} version {}",
                header.format, header.version
            ),
        ));
    }
    offset += first.len() as u64 + 1;
    for line in lines {
        let line = line?;
        let here = offset;
        offset += line.len() as u64 + 1;
        if line.trim().is_empty() {
            continue;
        }
        let parsed: Line = serde_json::from_str(&line)
            .map_err(|e| bad(here, format!("expected a thread or comment line: {e}")))?;
        match parsed {
            Line::Thread(t) => {
                let to = importer
                    .thread_of_site(
                        t.site.as_deref(),
                        &t.key,
                        t.title.as_deref(),
                        t.created,
                        t.locked,
                        t.hidden,
                    )
                    .await?;
                let from = format!("{}:{}", t.site.as_deref().unwrap_or("default"), t.key);
                thread = Some((to, from));
            }
            Line::Comment(c) => {
                let Some(((id, label), from)) = &thread else {
                    return Err(bad(here, "a comment before any thread line".into()));
                };
                let (id, label) = (*id, label.clone());
                let c = source_comment(from, *c).map_err(|m| bad(here, m))?;
                importer.comment((id, &label), c).await?;
            }
        }
    }
    Ok(())
}

/// `from`: the site and key of the comment's thread, as the file names them.
fn source_comment(from: &str, c: CommentLine) -> Result<SourceComment, String> {
    let status =
        CommentStatus::parse(&c.status).ok_or_else(|| format!("unknown status {:?}", c.status))?;
    let hash = (0..c.edit_token_hash.len())
        .step_by(2)
        .map(|i| {
            c.edit_token_hash
                .get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect::<Option<Vec<u8>>>()
        .filter(|h| h.len() == 32)
        .ok_or("edit_token_hash must be 64 hex digits")?;
    let source_id = |id: i64| format!("palabre:{from}#{id}");
    let id = SourceId {
        key: source_id(c.id),
        earlier: format!("palabre:{}", c.id),
    };
    let mut s = SourceComment::new(id, &c.body, c.body.clone(), c.created);
    s.wanted_id = Some(c.id);
    s.external_parent = c.parent.map(source_id);
    s.status = status;
    s.spam = c.spam;
    s.author = c.author;
    s.email = c.email;
    s.website = c.website;
    s.edited = c.edited;
    s.likes = c.likes;
    s.dislikes = c.dislikes;
    s.notify = c.notify;
    s.role = c.role;
    s.avatar = Some(c.avatar);
    s.reader_hash = Some(c.reader);
    s.edit_token_hash = Some(hash);
    s.votes = c
        .votes
        .into_iter()
        .filter(|(_, v)| *v == 1 || *v == -1)
        .collect();
    Ok(s)
}

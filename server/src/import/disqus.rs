//! Disqus export (XML): `<thread dsq:id>` elements (link, title) first, then `<post>`s that
//! point at their thread and parent by `dsq:id`. Messages are HTML.

use super::xml::{Step, XmlStream};
use super::{ImportError, Importer, SourceComment, SourceId, html};
use palabre_api::{CommentStatus, Timestamp};
use std::collections::HashMap;
use std::io::BufRead;

#[derive(Default)]
struct Thread {
    /// The forum's short name: post ids are Disqus's, but the ledger keys them by forum.
    forum: String,
    link: String,
    title: Option<String>,
    created: Option<Timestamp>,
}

#[derive(Default)]
struct Post {
    id: String,
    thread: Option<String>,
    parent: Option<String>,
    message: String,
    created: Option<String>,
    deleted: bool,
    spam: bool,
    name: Option<String>,
    email: Option<String>,
    ip: Option<String>,
}

fn dsq_id(attrs: &[(String, String)]) -> Option<String> {
    attrs
        .iter()
        .find(|(k, _)| k == "dsq:id" || k.ends_with(":id"))
        .map(|(_, v)| v.clone())
}

pub async fn import<R: BufRead>(input: R, importer: &mut Importer<'_>) -> Result<(), ImportError> {
    let mut xml = XmlStream::new(input);
    let mut threads: HashMap<String, Thread> = HashMap::new();
    let mut thread: Option<(String, Thread)> = None;
    let mut post: Option<Post> = None;
    let mut text = String::new();
    let mut saw_root = false;
    loop {
        let depth = xml.path.len();
        match xml.next()? {
            Step::End => break,
            Step::Open { name, attrs } => {
                text.clear();
                match (depth, name.as_str()) {
                    (0, "disqus") => saw_root = true,
                    (0, other) => {
                        return Err(ImportError::malformed(
                            Some(xml.offset()),
                            format!("expected a Disqus export (<disqus>), found <{other}>"),
                        ));
                    }
                    (1, "thread") => match dsq_id(&attrs).filter(|id| !id.is_empty()) {
                        Some(id) => thread = Some((id, Thread::default())),
                        // No post can name it: what names no thread is skipped below.
                        None => importer.skip(
                            Some(xml.offset()),
                            "a <thread> without dsq:id, which no post can name".into(),
                        )?,
                    },
                    (1, "post") => match dsq_id(&attrs).filter(|id| !id.is_empty()) {
                        Some(id) => {
                            post = Some(Post {
                                id,
                                ..Post::default()
                            })
                        }
                        None => {
                            importer.skip(Some(xml.offset()), "a <post> without dsq:id".into())?
                        }
                    },
                    (2, "thread") => {
                        if let Some(p) = post.as_mut() {
                            p.thread = dsq_id(&attrs);
                        }
                    }
                    (2, "parent") => {
                        if let Some(p) = post.as_mut() {
                            p.parent = dsq_id(&attrs);
                        }
                    }
                    _ => {}
                }
            }
            Step::Text(t) => text.push_str(&t),
            Step::Close { name } => {
                let value = std::mem::take(&mut text);
                let value = value.trim();
                // `depth` was measured before this close: the element sat at depth - 1.
                let parent = xml.path.last().map(String::as_str);
                match (parent, name.as_str()) {
                    (Some("thread"), field) if depth == 3 => {
                        if let Some((_, t)) = thread.as_mut() {
                            match field {
                                "forum" => t.forum = value.to_owned(),
                                "link" => t.link = value.to_owned(),
                                "title" => t.title = Some(value.to_owned()),
                                "createdAt" => t.created = Timestamp::parse_rfc3339(value),
                                _ => {}
                            }
                        }
                    }
                    (Some("disqus"), "thread") => {
                        if let Some((id, t)) = thread.take() {
                            threads.insert(id, t);
                        }
                    }
                    (Some("post"), field) => {
                        if let Some(p) = post.as_mut() {
                            match field {
                                "message" => p.message = value.to_owned(),
                                "createdAt" => p.created = Some(value.to_owned()),
                                "isDeleted" => p.deleted = value == "true",
                                "isSpam" => p.spam = value == "true",
                                "ipAddress" => p.ip = Some(value.to_owned()),
                                _ => {}
                            }
                        }
                    }
                    (Some("author"), field) if xml.path.len() == 3 => {
                        if let Some(p) = post.as_mut() {
                            match field {
                                "name" => p.name = Some(value.to_owned()),
                                "email" => p.email = Some(value.to_owned()),
                                _ => {}
                            }
                        }
                    }
                    (Some("disqus"), "post") => {
                        let Some(p) = post.take() else { continue };
                        let at = Some(xml.offset());
                        let stored = store_post(&xml, &threads, p, importer).await;
                        importer.skip_if_malformed(at, stored)?;
                    }
                    _ => {}
                }
            }
        }
    }
    if !saw_root {
        return Err(ImportError::malformed(
            Some(0),
            "expected a Disqus export (<disqus>), found nothing",
        ));
    }
    Ok(())
}

async fn store_post<R: BufRead>(
    xml: &XmlStream<R>,
    threads: &HashMap<String, Thread>,
    p: Post,
    importer: &mut Importer<'_>,
) -> Result<(), ImportError> {
    let at = Some(xml.offset());
    let thread_id = p
        .thread
        .ok_or_else(|| ImportError::malformed(at, format!("post {} names no <thread>", p.id)))?;
    let thread = threads.get(&thread_id).ok_or_else(|| {
        ImportError::malformed(
            at,
            format!(
                "post {} is in thread {thread_id}, which the file does not describe before it",
                p.id
            ),
        )
    })?;
    if thread.link.is_empty() {
        return Err(ImportError::malformed(
            at,
            format!(
                "post {} is in thread {thread_id}, which has no <link>",
                p.id
            ),
        ));
    }
    let created = p
        .created
        .as_deref()
        .and_then(Timestamp::parse_rfc3339)
        .ok_or_else(|| {
            ImportError::malformed(
                at,
                format!(
                    "post {}: <createdAt> must be a date like 2026-01-31T10:00:00Z",
                    p.id
                ),
            )
        })?;
    let thread_created = thread.created.unwrap_or(created);
    let key = importer
        .thread(
            &thread.link,
            thread.title.as_deref(),
            thread_created,
            false,
            false,
        )
        .await
        .map_err(|e| match e {
            ImportError::Malformed { message, .. } => {
                ImportError::malformed(at, format!("post {}: {message}", p.id))
            }
            other => other,
        })?;
    let source_id = |post: &str| format!("disqus:{}/{post}", thread.forum);
    let id = SourceId {
        key: source_id(&p.id),
        earlier: format!("disqus:{}", p.id),
    };
    let mut c = SourceComment::new(id, &p.message, html::to_markdown(&p.message), created);
    c.external_parent = p.parent.as_deref().map(source_id);
    c.author = p.name;
    c.email = p.email;
    c.ip = p.ip;
    c.spam = p.spam;
    c.status = if p.deleted {
        CommentStatus::Deleted
    } else if p.spam {
        CommentStatus::Pending
    } else {
        CommentStatus::Published
    };
    if p.deleted {
        c.body = String::new();
    }
    importer.comment((key.0, &key.1), c).await
}

//! WordPress export (WXR): `<item>`s (posts, with link and title) holding `<wp:comment>`s
//! with their id, parent id (0: none), status (1, 0, spam, trash) and GMT date.

use super::xml::{Step, XmlStream};
use super::{ImportError, Importer, SourceComment, SourceId, html};
use palabre_api::{CommentStatus, Timestamp};
use std::io::BufRead;

/// The blog the file is an export of, from the channel's header (which comes before the
/// items).
#[derive(Default)]
struct Blog {
    /// `<wp:base_blog_url>`: one blog of a multisite network, whose comment ids are its own.
    blog_url: String,
    /// `<wp:base_site_url>`.
    site_url: String,
    /// The channel's `<link>`.
    link: String,
}

impl Blog {
    fn address(&self) -> &str {
        [&self.blog_url, &self.site_url, &self.link]
            .into_iter()
            .find(|a| !a.is_empty())
            .map_or("", |a| a.trim_end_matches('/'))
    }
}

#[derive(Default)]
struct Item {
    link: String,
    post_id: String,
    title: Option<String>,
    date: Option<Timestamp>,
    thread: Option<(i64, String)>,
}

#[derive(Default)]
struct Comment {
    id: String,
    parent: String,
    author: Option<String>,
    email: Option<String>,
    url: Option<String>,
    ip: Option<String>,
    date_gmt: String,
    content: String,
    approved: String,
    kind: String,
}

/// "2026-01-31 10:00:00" (GMT) as a timestamp.
fn wp_date(s: &str) -> Option<Timestamp> {
    let s = s.trim();
    if s.len() != 19 || s.starts_with("0000") {
        return None;
    }
    Timestamp::parse_rfc3339(&format!("{}T{}Z", &s[..10], &s[11..]))
}

pub async fn import<R: BufRead>(input: R, importer: &mut Importer<'_>) -> Result<(), ImportError> {
    let mut xml = XmlStream::new(input);
    let mut blog = Blog::default();
    let mut item: Option<Item> = None;
    let mut comment: Option<Comment> = None;
    let mut text = String::new();
    let mut saw_rss = false;
    loop {
        let depth = xml.path.len();
        match xml.next()? {
            Step::End => break,
            Step::Open { name, .. } => {
                text.clear();
                match (depth, name.as_str()) {
                    (0, "rss") => saw_rss = true,
                    (0, other) => {
                        return Err(ImportError::malformed(
                            Some(xml.offset()),
                            format!("expected a WordPress export (<rss>), found <{other}>"),
                        ));
                    }
                    (_, "item") => item = Some(Item::default()),
                    (_, "wp:comment") if item.is_some() => comment = Some(Comment::default()),
                    _ => {}
                }
            }
            Step::Text(t) => text.push_str(&t),
            Step::Close { name } => {
                let value = std::mem::take(&mut text);
                let parent = xml.path.last().map(String::as_str);
                match (parent, name.as_str()) {
                    (Some("wp:comment"), field) => {
                        if let Some(c) = comment.as_mut() {
                            let v = value.trim().to_owned();
                            match field {
                                "wp:comment_id" => c.id = v,
                                "wp:comment_parent" => c.parent = v,
                                "wp:comment_author" => c.author = Some(v),
                                "wp:comment_author_email" => c.email = Some(v),
                                "wp:comment_author_url" => c.url = Some(v),
                                "wp:comment_author_IP" => c.ip = Some(v),
                                "wp:comment_date_gmt" => c.date_gmt = v,
                                // Kept as written: WordPress stores line breaks as such.
                                "wp:comment_content" => c.content = value,
                                "wp:comment_approved" => c.approved = v,
                                "wp:comment_type" => c.kind = v,
                                _ => {}
                            }
                        }
                    }
                    (Some("item"), "wp:comment") => {
                        let (Some(c), Some(it)) = (comment.take(), item.as_mut()) else {
                            continue;
                        };
                        let at = Some(xml.offset());
                        let stored = store(&xml, &blog, it, c, importer).await;
                        importer.skip_if_malformed(at, stored)?;
                    }
                    (Some("item"), field) => {
                        if let Some(it) = item.as_mut() {
                            match field {
                                "link" => it.link = value.trim().to_owned(),
                                "wp:post_id" => it.post_id = value.trim().to_owned(),
                                "title" => it.title = Some(value.trim().to_owned()),
                                "wp:post_date_gmt" => it.date = wp_date(&value),
                                _ => {}
                            }
                        }
                    }
                    (
                        Some("channel"),
                        field @ ("wp:base_blog_url" | "wp:base_site_url" | "link"),
                    ) => {
                        let value = value.trim().to_owned();
                        match field {
                            "wp:base_blog_url" => blog.blog_url = value,
                            "wp:base_site_url" => blog.site_url = value,
                            _ => blog.link = value,
                        }
                    }
                    (_, "item") => item = None,
                    _ => {}
                }
            }
        }
    }
    if !saw_rss {
        return Err(ImportError::malformed(
            Some(0),
            "expected a WordPress export (<rss>), found nothing",
        ));
    }
    Ok(())
}

/// Where a comment came from: the blog, the post (its id, else its link: comment ids are the
/// blog's, but files made by hand repeat them across posts) and the comment's id.
fn source_id(blog: &Blog, item: &Item, comment: &str) -> String {
    if item.post_id.is_empty() {
        format!("wp:{}#comment-{comment}", item.link)
    } else {
        format!(
            "wp:{}/?p={}#comment-{comment}",
            blog.address(),
            item.post_id
        )
    }
}

async fn store<R: BufRead>(
    xml: &XmlStream<R>,
    blog: &Blog,
    item: &mut Item,
    c: Comment,
    importer: &mut Importer<'_>,
) -> Result<(), ImportError> {
    let at = Some(xml.offset());
    if !matches!(c.kind.as_str(), "" | "comment") {
        importer.not_a_comment(&item.link);
        return Ok(());
    }
    if c.id.is_empty() {
        return Err(ImportError::malformed(
            at,
            "a <wp:comment> without <wp:comment_id>",
        ));
    }
    let created = wp_date(&c.date_gmt).ok_or_else(|| {
        ImportError::malformed(
            at,
            format!(
                "comment {}: <wp:comment_date_gmt> must look like 2026-01-31 10:00:00",
                c.id
            ),
        )
    })?;
    let thread = match &item.thread {
        Some(t) => t.clone(),
        None => {
            if item.link.is_empty() {
                return Err(ImportError::malformed(
                    at,
                    format!(
                        "comment {} belongs to an <item> with no <link> before it",
                        c.id
                    ),
                ));
            }
            let t = importer
                .thread(
                    &item.link,
                    item.title.as_deref(),
                    item.date.unwrap_or(created),
                    false,
                    false,
                )
                .await
                .map_err(|e| e.at(at))?;
            item.thread = Some(t.clone());
            t
        }
    };
    let id = SourceId {
        key: source_id(blog, item, &c.id),
        earlier: format!("wp:{}", c.id),
    };
    let mut s = SourceComment::new(id, &c.content, html::to_markdown(&c.content), created);
    s.external_parent =
        (!matches!(c.parent.as_str(), "" | "0")).then(|| source_id(blog, item, &c.parent));
    s.author = c.author;
    s.email = c.email;
    s.website = c.url;
    s.ip = c.ip;
    (s.status, s.spam) = match c.approved.as_str() {
        "1" | "approve" => (CommentStatus::Published, false),
        "spam" => (CommentStatus::Pending, true),
        "trash" => (CommentStatus::Deleted, false),
        _ => (CommentStatus::Pending, false),
    };
    if s.status == CommentStatus::Deleted {
        s.body = String::new();
    }
    importer.comment((thread.0, &thread.1), s).await
}

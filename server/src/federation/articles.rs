//! The blog's articles on the fediverse. Each site's feed (RSS or Atom, `feed_url`) is read
//! every `feed_interval` with a conditional request; each new entry is announced to the
//! followers as `Create{Article}` (title, link, and the entry's summary as content, never as
//! a content warning), keyed to the thread the widget uses for that page. Every thread is also
//! an `Article` object at a stable id, whose `replies` are its published comments.

use super::Federation;
use crate::config::Site;
use crate::import::xml::{Step, XmlStream};
use crate::store::federation::Article;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use palabre_api::Timestamp;
use serde_json::{Value, json};
use std::sync::Arc;

pub const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

/// The longest summary we send, in characters.
const SUMMARY_CHARS: usize = 500;

/// One entry of a feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedEntry {
    pub url: String,
    pub title: String,
    /// Plain text.
    pub summary: String,
    pub published: Option<Timestamp>,
}

/// The entries of an RSS 2.0 or Atom feed, in the feed's order. Entries without a link are
/// left out.
pub fn parse_feed(xml: &[u8]) -> Result<Vec<FeedEntry>, String> {
    let mut stream = XmlStream::new(xml);
    let mut entries = Vec::new();
    let mut current: Option<(FeedEntry, String)> = None; // the entry, and its raw date
    let mut text = String::new();
    loop {
        match stream.next().map_err(|e| e.to_string())? {
            Step::End => break,
            Step::Open { name, attrs } => {
                let local = name.rsplit(':').next().unwrap_or(&name).to_owned();
                text.clear();
                match local.as_str() {
                    "item" | "entry" => {
                        current = Some((
                            FeedEntry {
                                url: String::new(),
                                title: String::new(),
                                summary: String::new(),
                                published: None,
                            },
                            String::new(),
                        ))
                    }
                    // Atom: <link rel="alternate" href="…"/> (rel defaults to alternate).
                    "link" => {
                        if let Some((entry, _)) = current.as_mut() {
                            let attr = |k: &str| {
                                attrs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
                            };
                            if let Some(href) = attr("href")
                                && attr("rel").is_none_or(|r| r == "alternate")
                                && entry.url.is_empty()
                            {
                                entry.url = href;
                            }
                        }
                    }
                    _ => {}
                }
            }
            Step::Text(t) => text.push_str(&t),
            Step::Close { name } => {
                let local = name.rsplit(':').next().unwrap_or(&name);
                let in_entry = stream.path.iter().any(|p| {
                    let l = p.rsplit(':').next().unwrap_or(p);
                    l == "item" || l == "entry"
                });
                if let Some((entry, date)) = current.as_mut() {
                    let value = text.trim();
                    match local {
                        "title" if in_entry => entry.title = value.to_owned(),
                        "link" if in_entry && entry.url.is_empty() && !value.is_empty() => {
                            entry.url = value.to_owned()
                        }
                        "description" | "summary" if in_entry => entry.summary = plain_text(value),
                        "content" | "encoded" if in_entry && entry.summary.is_empty() => {
                            entry.summary = plain_text(value)
                        }
                        "pubDate" | "published" if in_entry => *date = value.to_owned(),
                        "updated" if in_entry && date.is_empty() => *date = value.to_owned(),
                        "item" | "entry" => {
                            if let Some((mut entry, date)) = current.take() {
                                entry.published = parse_date(&date);
                                if !entry.url.is_empty() {
                                    entries.push(entry);
                                }
                            }
                        }
                        _ => {}
                    }
                }
                text.clear();
            }
        }
    }
    Ok(entries)
}

/// HTML (or text) to plain text, cut at [`SUMMARY_CHARS`] on a word.
fn plain_text(html: &str) -> String {
    // Markup to text (what it keeps of emphasis reads as Markdown); it is escaped again
    // wherever it is shown.
    let text = crate::import::html::to_markdown(html);
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut out = String::new();
    for w in words {
        if out.chars().count() + w.chars().count() + 1 > SUMMARY_CHARS {
            out.push('…');
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    out
}

/// RFC 2822 (RSS) or RFC 3339 (Atom) dates.
fn parse_date(s: &str) -> Option<Timestamp> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(t) = httpdate::parse_http_date(s) {
        return Some(system_time(t));
    }
    humantime::parse_rfc3339_weak(s)
        .ok()
        .or_else(|| humantime::parse_rfc3339_weak(&s.replace('T', " ")[..s.len().min(19)]).ok())
        .map(system_time)
}

fn system_time(t: std::time::SystemTime) -> Timestamp {
    Timestamp::from_millis(
        t.duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64),
    )
}

pub(super) fn rfc3339(t: Timestamp) -> String {
    let secs = t.as_millis().max(0) as u64 / 1000;
    humantime::format_rfc3339_seconds(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs))
        .to_string()
}

/// The stable id of a thread's `Article`: `{actor}/articles/{base64url of the key}`.
pub fn article_url(actor: &str, thread_key: &str) -> String {
    format!(
        "{actor}/articles/{}",
        URL_SAFE_NO_PAD.encode(thread_key.as_bytes())
    )
}

impl Federation {
    /// The stable id of a thread's `Article`.
    pub fn article_id(&self, site: &Site, thread_key: &str) -> Option<String> {
        Some(article_url(&self.actor_id(site)?, thread_key))
    }

    /// The thread key an article id names.
    pub fn thread_key_of_article(&self, site: &Site, id: &str) -> Option<String> {
        let prefix = format!("{}/articles/", self.actor_id(site)?);
        let encoded = id.strip_prefix(&prefix)?;
        let key = String::from_utf8(URL_SAFE_NO_PAD.decode(encoded).ok()?).ok()?;
        palabre_api::ThreadKey::parse(&key)
            .ok()
            .map(|k| k.as_str().to_owned())
    }

    /// The page a thread is on: the feed's link, else the site's first origin and the key.
    pub(super) async fn page_of_thread(
        &self,
        site: &Site,
        key: &str,
    ) -> anyhow::Result<(Option<Article>, String)> {
        let article = self.store.article(&site.name, key).await?;
        let url = match &article {
            Some(a) => a.url.clone(),
            None => format!(
                "{}{}",
                site.origins.first().map_or("", String::as_str),
                if key.starts_with('/') {
                    key.to_owned()
                } else {
                    format!("/{key}")
                }
            ),
        };
        Ok((article, url))
    }

    /// A thread as an `Article`.
    pub async fn article_document(&self, site: &Site, key: &str) -> anyhow::Result<Value> {
        let (article, url) = self.page_of_thread(site, key).await?;
        let thread = palabre_api::ThreadKey::parse(key)
            .ok()
            .map(|k| crate::store::ThreadRef::new(site.name.clone(), k));
        let stored_title = match &thread {
            Some(t) => self.store.thread(t).await?.and_then(|t| t.title),
            None => None,
        };
        let title = article
            .as_ref()
            .map(|a| a.title.clone())
            .or(stored_title)
            .unwrap_or_else(|| url.clone());
        let summary = article
            .as_ref()
            .map(|a| a.summary.clone())
            .unwrap_or_default();
        let actor = self
            .actor_id(site)
            .expect("a site with an account has an actor");
        let id = self
            .article_id(site, key)
            .expect("a site with an account has an actor");
        let content = maud::html! {
            p { strong { (title) } }
            @if !summary.is_empty() { p { (summary) } }
            p { a href=(url) { (url) } }
        }
        .into_string();
        let mut doc = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": id,
            "type": "Article",
            "attributedTo": actor,
            "name": title,
            "content": content,
            "url": url,
            "to": [PUBLIC],
            "cc": [format!("{actor}/followers")],
            "replies": format!("{id}/replies"),
        });
        if let Some(a) = &article {
            doc["published"] = Value::String(rfc3339(a.published));
        }
        Ok(doc)
    }

    /// Reads one site's feed; announces its new entries (none at the first reading).
    pub async fn read_feed(&self, site: &Site) -> anyhow::Result<usize> {
        let Some(feed_url) = site.fediverse.as_ref().and_then(|f| f.feed_url.clone()) else {
            return Ok(0);
        };
        let previous = self.store.feed_state(&site.name).await?;
        let first_reading = previous.is_none();
        let state = previous.unwrap_or_default();
        let Some((body, next)) = self.fetcher.get_feed(&feed_url, &state).await? else {
            self.store
                .set_feed_state(&site.name, &state, crate::clock::now())
                .await?;
            return Ok(0); // 304: nothing new
        };
        let entries = parse_feed(&body).map_err(|e| anyhow::anyhow!("the feed: {e}"))?;
        let mut announced = 0;
        // Oldest first, so followers see them in order.
        for entry in entries.into_iter().rev() {
            if !site
                .origins
                .iter()
                .any(|o| super::inbox::same_origin(o, &entry.url))
            {
                continue; // another site's page: not ours to announce
            }
            let key = palabre_api::page_thread_key(&entry.url);
            if palabre_api::ThreadKey::parse(&key).is_err() {
                continue;
            }
            let article = Article {
                thread_key: key.clone(),
                url: entry.url.clone(),
                title: if entry.title.is_empty() {
                    entry.url.clone()
                } else {
                    entry.title.clone()
                },
                summary: entry.summary.clone(),
                published: entry.published.unwrap_or_else(crate::clock::now),
                announced: !first_reading,
            };
            if !self.store.add_article(&site.name, &article).await? || first_reading {
                continue;
            }
            self.announce(site, &key).await?;
            announced += 1;
        }
        self.store
            .set_feed_state(&site.name, &next, crate::clock::now())
            .await?;
        Ok(announced)
    }

    /// Sends `Create{Article}` of a thread to every follower (one delivery per shared inbox).
    async fn announce(&self, site: &Site, key: &str) -> anyhow::Result<()> {
        let article = self.article_document(site, key).await?;
        let actor = self
            .actor_id(site)
            .expect("a site with an account has an actor");
        let id = article["id"].as_str().unwrap_or_default().to_owned();
        let create = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{id}#create"),
            "type": "Create",
            "actor": actor,
            "published": article.get("published").cloned().unwrap_or(Value::Null),
            "to": [PUBLIC],
            "cc": [format!("{actor}/followers")],
            "object": article,
        });
        let inboxes = self
            .store
            .followers(&site.name)
            .await?
            .into_iter()
            .map(|f| f.shared_inbox.unwrap_or(f.inbox));
        self.deliver(&site.name, &create, inboxes).await?;
        tracing::info!(site = %site.name, "fediverse: an article announced");
        Ok(())
    }
}

/// Reads every site's feed every `feed_interval` (each replica does; the store makes sure each
/// entry is announced once).
pub fn spawn_feed_reader(fed: Arc<Federation>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let every = fed.settings.fediverse.feed_interval;
        loop {
            for site in fed
                .settings
                .sites
                .iter()
                .filter(|s| s.fediverse.as_ref().is_some_and(|f| f.feed_url.is_some()))
            {
                if let Err(e) = fed.read_feed(site).await {
                    tracing::warn!(site = %site.name, error = %format!("{e:#}"), "fediverse: reading the feed failed");
                }
            }
            tokio::time::sleep(every).await;
        }
    })
}

/// The `<link>` a blog's template carries so that pasting the article's URL into Mastodon's
/// search finds it.
pub fn link_tag(article_id: &str) -> String {
    format!(
        "<link rel=\"alternate\" type=\"application/activity+json\" href=\"{}\">",
        maud::html! { (article_id) }.into_string()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rss_and_atom_entries_are_read() {
        let rss = br#"<?xml version="1.0"?><rss version="2.0"><channel><title>Blog</title>
            <link>https://blog.example/</link>
            <item><title>Second &amp; last</title><link>https://blog.example/2/</link>
              <description>&lt;p&gt;Some &lt;b&gt;bold&lt;/b&gt; words&lt;/p&gt;</description>
              <pubDate>Tue, 01 Dec 2026 10:00:00 GMT</pubDate></item>
            <item><title>First</title><link>https://blog.example/1/?utm_source=rss</link></item>
            <item><title>No link</title></item>
            </channel></rss>"#;
        let entries = parse_feed(rss).unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].title, "Second & last");
        assert_eq!(entries[0].url, "https://blog.example/2/");
        assert_eq!(entries[0].summary, "Some **bold** words");
        assert_eq!(
            entries[0].published.map(|t| t.as_millis()),
            Some(1_796_119_200_000)
        );
        assert_eq!(palabre_api::page_thread_key(&entries[1].url), "/1/");

        let atom = br#"<feed xmlns="http://www.w3.org/2005/Atom"><title>Blog</title>
            <link href="https://blog.example/"/>
            <entry><title type="html">A &lt;i&gt;post&lt;/i&gt;</title>
              <link rel="replies" href="https://blog.example/a/#comments"/>
              <link rel="alternate" type="text/html" href="https://blog.example/a/"/>
              <id>tag:blog.example,2026:a</id><published>2026-12-01T10:00:00Z</published>
              <summary type="html">&lt;p&gt;Short.&lt;/p&gt;</summary></entry></feed>"#;
        let entries = parse_feed(atom).unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].url, "https://blog.example/a/");
        assert_eq!(entries[0].summary, "Short.");
        assert_eq!(
            entries[0].published.map(|t| t.as_millis()),
            Some(1_796_119_200_000)
        );
        assert!(parse_feed(b"<rss><channel><item>").is_err());
    }

    #[test]
    fn summaries_are_plain_text_cut_on_a_word() {
        let long = format!("<p>{}</p>", "word ".repeat(300));
        let s = plain_text(&long);
        assert!(
            s.chars().count() <= SUMMARY_CHARS + 1 && s.ends_with('…'),
            "{s}"
        );
        // Markup goes; escaped text comes back as the characters it stands for.
        assert_eq!(plain_text("<p>a &lt;b&gt; <em>c</em></p>"), "a <b> *c*");
    }

    #[test]
    fn the_link_tag_escapes_its_address() {
        assert_eq!(
            link_tag("https://c.example/ap/blog/articles/L2Ev\"x"),
            "<link rel=\"alternate\" type=\"application/activity+json\" href=\"https://c.example/ap/blog/articles/L2Ev&quot;x\">"
        );
    }
}

//! `/api/v1/feed`: Atom feeds of recent published comments, for one thread
//! (`?thread=KEY`) or the whole site. Content is the sanitized HTML every reader sees,
//! escaped once more as Atom `type="html"` text; hidden threads never appear. Feed readers
//! send no `Origin`: with several sites, `?site=NAME` says whose (else the first site's).

use super::extract::{AcceptEncoding, Negotiated, site_of};
use crate::error::{Error, Result};
use crate::http::encoding::Encoded;
use crate::http::state::AppState;
use crate::store::{CommentRecord, SiteName, ThreadRef};
use crate::words::{Say, fill, say};
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use palabre_api::i18n::Texts;
use palabre_api::{ErrorCode, ThreadKey, ValidationError};
use serde::Deserialize;

/// Entries per feed.
const ENTRIES: u32 = 50;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/feed", get(feed))
}

#[derive(Deserialize)]
struct FeedParams {
    thread: Option<String>,
    site: Option<String>,
}

/// Text for XML content and attributes.
fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 forbids.
            c if c.is_control() && !matches!(c, '\n' | '\t' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

async fn feed(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    AcceptEncoding(accept): AcceptEncoding,
    params: std::result::Result<Query<FeedParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response> {
    if !state.services.settings.feeds {
        return Err(Error::Refused(ErrorCode::NotFound));
    }
    let Query(params) = params.map_err(|_| Error::Refused(ErrorCode::InvalidParameter))?;
    let settings = &state.services.settings;
    let site = match params.site.as_deref() {
        None | Some("") => site_of(&headers, settings)?,
        Some(name) => {
            let site = SiteName::parse(name)
                .map_err(|_| ValidationError::new(ErrorCode::InvalidParameter, "site"))?;
            // Well formed, but no blog of this server: no such feed.
            if settings.site(&site).is_none() {
                return Err(Error::Refused(ErrorCode::NotFound));
            }
            site
        }
    };
    let key = match params.thread.as_deref() {
        None | Some("") => None,
        Some(k) => Some(ThreadKey::parse(k)?),
    };
    let comments = state
        .services
        .store
        .recent_comments(&site, key.as_ref(), ENTRIES)
        .await?;
    let thread = match &key {
        Some(k) => state
            .services
            .store
            .thread(&ThreadRef::new(site.clone(), k.clone()))
            .await?
            .filter(|t| !t.hidden),
        None => None,
    };
    let base = settings.base_url();
    let mut query = form_urlencoded::Serializer::new(String::new());
    if settings.sites.len() > 1 {
        query.append_pair("site", site.as_str());
    }
    if let Some(k) = &key {
        query.append_pair("thread", k.as_str());
    }
    let query = query.finish();
    let self_url = if query.is_empty() {
        format!("{base}/api/v1/feed")
    } else {
        format!("{base}/api/v1/feed?{query}")
    };
    let w = say(state.services.settings.language);
    let title = match (&key, &thread) {
        (Some(_), Some(t)) => fill(
            w.get(Say::FeedCommentsOn),
            &[("title", t.title.as_deref().unwrap_or(&t.key))],
        ),
        (Some(k), None) => fill(w.get(Say::FeedCommentsOn), &[("title", k.as_str())]),
        (None, _) => w.get(Say::FeedRecent).to_owned(),
    };
    let updated = comments
        .iter()
        .map(|c| c.edited.unwrap_or(c.created))
        .max()
        .unwrap_or_else(|| palabre_api::Timestamp::from_millis(0));
    let mut xml = String::with_capacity(4096 + comments.len() * 1024);
    xml.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"");
    xml.push_str(w.lang().tag());
    xml.push_str("\">\n");
    xml.push_str(&format!("<id>{}</id>\n", xml_escape(&self_url)));
    xml.push_str(&format!("<title>{}</title>\n", xml_escape(&title)));
    xml.push_str(&format!("<updated>{}</updated>\n", updated.to_rfc3339()));
    xml.push_str(&format!(
        "<link rel=\"self\" href=\"{}\"/>\n",
        xml_escape(&self_url)
    ));
    if let Some(url) = key
        .as_ref()
        .and_then(|k| settings.article_url(&site, k.as_str()))
    {
        xml.push_str(&format!(
            "<link rel=\"alternate\" href=\"{}\"/>\n",
            xml_escape(&url)
        ));
    }
    xml.push_str("<generator>Palabre</generator>\n");
    for c in &comments {
        entry(&state, w, &base, c, &mut xml);
    }
    xml.push_str("</feed>\n");
    let mut response = Negotiated {
        content_type: "application/atom+xml; charset=utf-8",
        body: Encoded::compress(xml.into()),
        accept,
    }
    .into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=60"),
    );
    Ok(response)
}

fn entry(state: &AppState, w: Texts<Say>, base: &str, c: &CommentRecord, xml: &mut String) {
    let name = c.author.as_deref().unwrap_or(w.get(Say::Anonymous));
    // Who the server says wrote it, as the widget marks it: "Claire Dubois (Author)".
    let author = match palabre_api::i18n::Words::builtin(w.lang()).role_mark(c.role) {
        Some(mark) => format!("{name} ({mark})"),
        None => name.to_owned(),
    };
    let author = author.as_str();
    xml.push_str("<entry>\n");
    xml.push_str(&format!("<id>{base}/api/v1/comments/{}</id>\n", c.id));
    xml.push_str(&format!(
        "<title>{}</title>\n",
        xml_escape(&fill(
            w.get(Say::FeedEntryTitle),
            &[("author", author), ("thread", &c.thread_key)]
        ))
    ));
    xml.push_str(&format!(
        "<published>{}</published>\n",
        c.created.to_rfc3339()
    ));
    xml.push_str(&format!(
        "<updated>{}</updated>\n",
        c.edited.unwrap_or(c.created).to_rfc3339()
    ));
    xml.push_str(&format!(
        "<author><name>{}</name></author>\n",
        xml_escape(author)
    ));
    if let Some(url) = state.services.settings.article_url(&c.site, &c.thread_key) {
        // No fragment: the comment lives in the widget's shadow root, out of anchors' reach.
        xml.push_str(&format!(
            "<link rel=\"alternate\" href=\"{}\"/>\n",
            xml_escape(&url)
        ));
    }
    xml.push_str(&format!(
        "<content type=\"html\">{}</content>\n",
        xml_escape(&c.html)
    ));
    xml.push_str("</entry>\n");
}

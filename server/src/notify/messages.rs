//! What each event tells whom: the admins of new and held comments (with signed approve and
//! delete links), the author of a comment of its replies (with a signed unsubscribe link), a
//! webhook of new comments. Email bodies are plain text built here; no comment HTML ever goes
//! into an email.

use super::links::{LinkAction, action_link, unsubscribe_link};
use crate::outbox::Email;
use crate::services::Services;
use crate::store::CommentRecord;
use palabre_api::CommentStatus;
use serde_json::json;

fn where_(c: &CommentRecord, title: Option<&str>) -> String {
    match title {
        Some(t) => format!("{t} ({})", c.thread_key),
        None => c.thread_key.clone(),
    }
}

/// A new comment was stored (published or held).
pub async fn comment_created(services: &Services, c: &CommentRecord) {
    let n = &services.notifier;
    if !n.enabled() {
        return;
    }
    let title = match palabre_api::ThreadKey::parse(&c.thread_key) {
        Ok(key) => services
            .store
            .thread(&key)
            .await
            .ok()
            .flatten()
            .and_then(|t| t.title),
        Err(_) => None,
    };
    let held = c.status == CommentStatus::Pending;
    if services.settings.notify.smtp.is_some() {
        let place = where_(c, title.as_deref());
        let author = c.author.as_deref().unwrap_or("Anonymous");
        let email = c.email.as_deref().unwrap_or("no email");
        let mut body = format!(
            "{} comment by {author} <{email}> on {place}:\n\n{}\n\n",
            if held { "A held" } else { "A new" },
            plain(&c.body)
        );
        if held {
            body.push_str(&format!(
                "Approve: {}\n",
                action_link(
                    &services.keys,
                    &services.settings,
                    c.id,
                    LinkAction::Approve
                )
            ));
        }
        body.push_str(&format!(
            "Delete: {}\n",
            action_link(&services.keys, &services.settings, c.id, LinkAction::Delete)
        ));
        if let Some(url) = services.settings.article_url(&c.thread_key) {
            body.push_str(&format!("Article: {url}\n"));
        }
        body.push_str(&format!(
            "\nAll comments: {}/admin/queue\n",
            services.settings.base_url()
        ));
        let subject = if held {
            format!("Comment awaiting moderation on {place}")
        } else {
            format!("New comment on {place}")
        };
        for to in &services.settings.notify.admin_emails {
            n.email(Email {
                to: to.clone(),
                subject: subject.clone(),
                body: body.clone(),
                unsubscribe: None,
            });
        }
    }
    if services.settings.notify.webhook.is_some() {
        let payload = json!({
            "event": "comment.created",
            "thread": { "key": c.thread_key, "title": title },
            "comment": palabre_api::Comment::from(c.clone()),
        });
        n.webhook(payload.to_string());
    }
    if !held {
        comment_published(services, c).await;
    }
}

/// A comment became visible (posted unmoderated, or approved): tell the author of the
/// comment it replies to, if they asked for it.
pub async fn comment_published(services: &Services, c: &CommentRecord) {
    if services.settings.notify.smtp.is_none() {
        return;
    }
    let Some(parent_id) = c.parent_id else { return };
    let Ok(Some(parent)) = services.store.comment(parent_id).await else {
        return;
    };
    let Some(to) = parent.email.as_deref().filter(|_| parent.notify) else {
        return;
    };
    let same_person = c
        .email
        .as_deref()
        .is_some_and(|e| e.eq_ignore_ascii_case(to));
    if same_person || parent.status != CommentStatus::Published {
        return;
    }
    let author = c.author.as_deref().unwrap_or("Someone");
    let unsubscribe = unsubscribe_link(&services.keys, &services.settings, parent.id);
    let thread_link = services
        .settings
        .article_url(&c.thread_key)
        .map(|url| format!("\nRead the thread: {url}\n"))
        .unwrap_or_default();
    services.notifier.email(Email {
        to: to.to_owned(),
        subject: format!("{author} replied to your comment"),
        body: format!(
            "{author} replied to your comment on {}:\n\n{}\n{thread_link}\nYou get this email because you asked to be told of replies.\nStop: {unsubscribe}\n",
            c.thread_key,
            plain(&c.body),
        ),
        unsubscribe: Some(unsubscribe),
    });
}

/// Comment text for a plain-text email: the Markdown source, without control characters
/// (other than line breaks), cut to a sane length.
fn plain(text: &str) -> String {
    let cleaned: String = text
        .chars()
        .filter(|c| *c == '\n' || !c.is_control())
        .take(4000)
        .collect();
    cleaned
        .lines()
        .map(|l| format!("> {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_text_is_quoted_plain_text() {
        assert_eq!(plain("hi\u{7}\nthere"), "> hi\n> there");
    }
}

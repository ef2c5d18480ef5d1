//! What each event tells whom: the admins of new and held comments (with signed approve and
//! delete links), the author of a comment of its replies (with a signed unsubscribe link), a
//! webhook of new comments. Email bodies are plain text built here; no comment HTML ever goes
//! into an email. Emails speak the server's `language` setting; a reply notification, the
//! language its reader read the widget in, when the widget said.

use super::links::{LinkAction, action_link, unsubscribe_link};
use crate::outbox::Email;
use crate::services::Services;
use crate::store::CommentRecord;
use crate::words::{Say, fill, say};
use palabre_api::CommentStatus;
use serde_json::json;

fn where_(c: &CommentRecord, title: Option<&str>) -> String {
    match title {
        Some(t) => format!("{t} ({})", c.thread_label()),
        None => c.thread_label(),
    }
}

/// A new comment was stored (published or held).
pub async fn comment_created(services: &Services, c: &CommentRecord) {
    let n = &services.notifier;
    if !n.enabled() {
        return;
    }
    let title = match c.thread() {
        Ok(thread) => services
            .store
            .thread(&thread)
            .await
            .ok()
            .flatten()
            .and_then(|t| t.title),
        Err(_) => None,
    };
    let held = c.status == CommentStatus::Pending;
    if services.settings.notify.smtp.is_some() {
        let w = say(services.settings.language);
        let place = where_(c, title.as_deref());
        let author = c.author.as_deref().unwrap_or(w.get(Say::Anonymous));
        let email = c.email.as_deref().unwrap_or(w.get(Say::MailNoEmail));
        let intro = w.get(if held {
            Say::MailHeldIntro
        } else {
            Say::MailNewIntro
        });
        let values = [("author", author), ("email", email), ("place", &place)];
        let mut body = format!("{}\n\n{}\n\n", fill(intro, &values), plain(&c.body));
        if held {
            body.push_str(&format!(
                "{} {}\n",
                w.get(Say::MailApprove),
                action_link(
                    &services.keys,
                    &services.settings,
                    c.id,
                    LinkAction::Approve
                )
            ));
        }
        body.push_str(&format!(
            "{} {}\n",
            w.get(Say::MailDelete),
            action_link(&services.keys, &services.settings, c.id, LinkAction::Delete)
        ));
        if let Some(url) = services.settings.article_url(&c.site, &c.thread_key) {
            body.push_str(&format!("{} {url}\n", w.get(Say::MailArticle)));
        }
        // With several blogs, the queue of this one.
        let site_filter = if services.settings.sites.len() > 1 {
            format!("?site={}", c.site)
        } else {
            String::new()
        };
        body.push_str(&format!(
            "\n{} {}/admin/queue{site_filter}\n",
            w.get(Say::MailAllComments),
            services.settings.base_url()
        ));
        let subject = fill(
            w.get(if held {
                Say::MailHeldSubject
            } else {
                Say::MailNewSubject
            }),
            &values,
        );
        for to in services.settings.admin_emails_of(&c.site) {
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
            "site": c.site.as_str(),
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
    // Only to an address its owner proved for this comment (signed in, or the code its post
    // sent was typed: double opt-in). A typed address may be anyone's.
    let proven = match parent.identity_id {
        Some(id) => matches!(
            services.store.identity(id).await,
            Ok(Some(i)) if i.email.as_deref().is_some_and(|e| e.eq_ignore_ascii_case(to))
        ),
        None => false,
    };
    if !proven {
        return;
    }
    // In the language the parent's author read the widget in, else the server's.
    let w = say(parent.notify_lang.unwrap_or(services.settings.language));
    let author = c.author.as_deref().unwrap_or(w.get(Say::MailSomeone));
    let unsubscribe = unsubscribe_link(&services.keys, &services.settings, parent.id);
    let thread_link = services
        .settings
        .article_url(&c.site, &c.thread_key)
        .map(|url| format!("\n{} {url}\n", w.get(Say::MailReadThread)))
        .unwrap_or_default();
    let thread = c.thread_label();
    let values = [("author", author), ("thread", thread.as_str())];
    services.notifier.email(Email {
        to: to.to_owned(),
        subject: fill(w.get(Say::MailReplySubject), &values),
        body: format!(
            "{}\n\n{}\n{thread_link}\n{}\n{} {unsubscribe}\n",
            fill(w.get(Say::MailReplyIntro), &values),
            plain(&c.body),
            w.get(Say::MailWhy),
            w.get(Say::MailStop),
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

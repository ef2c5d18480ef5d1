//! Notifications: email to the admins for new and held comments (with signed, expiring
//! approve/delete links), email to commenters who asked for replies (with a signed unsubscribe
//! link), and a signed webhook for new comments.
//!
//! Nothing here can block or fail a reader's post: jobs go into a bounded queue (full: the
//! job is dropped and logged), a background task sends them and retries failures.
//! Email bodies are plain text built here; no comment HTML ever goes into an email.

use crate::comments::now;
use crate::config::{NotifySettings, SmtpSettings, SmtpTls};
use crate::state::AppState;
use crate::store::CommentRecord;
use anyhow::Context;
use hmac::{Hmac, Mac};
use lettre::message::Mailbox;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use palabre_api::CommentStatus;
use secrecy::ExposeSecret;
use serde_json::json;
use sha2::Sha256;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Semaphore, mpsc};

#[derive(Debug, Clone)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub body: String,
    /// RFC 8058 one-click unsubscribe URL.
    pub unsubscribe: Option<String>,
}

#[derive(Debug, Clone)]
enum Job {
    Email(Email),
    Webhook { body: String },
}

/// The sending side of the queue; cheap to clone.
#[derive(Clone)]
pub struct Notifier {
    tx: Option<mpsc::Sender<Job>>,
    /// Notifications given up after every retry (the metrics).
    failed: Arc<std::sync::atomic::AtomicU64>,
}

struct Worker {
    smtp: Option<(AsyncSmtpTransport<Tokio1Executor>, Mailbox)>,
    webhook: Option<(String, Option<Vec<u8>>, reqwest::Client)>,
    retry_delays: Vec<Duration>,
    failed: Arc<std::sync::atomic::AtomicU64>,
}

/// Sends at most this many notifications at a time.
const PARALLEL: usize = 4;

impl Notifier {
    pub fn disabled() -> Self {
        Self {
            tx: None,
            failed: Arc::default(),
        }
    }

    /// Notifications waiting to be sent.
    pub fn queued(&self) -> u64 {
        self.tx
            .as_ref()
            .map_or(0, |tx| (tx.max_capacity() - tx.capacity()) as u64)
    }

    /// Notifications given up after every retry, since start.
    pub fn failed(&self) -> u64 {
        self.failed.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Starts the background sender (inside a Tokio runtime), or a disabled notifier when
    /// neither SMTP nor a webhook is configured.
    pub fn start(settings: &NotifySettings) -> anyhow::Result<Self> {
        if settings.smtp.is_none() && settings.webhook.is_none() {
            return Ok(Self::disabled());
        }
        let smtp = settings.smtp.as_ref().map(transport).transpose()?;
        let webhook = match &settings.webhook {
            Some(w) => Some((
                w.url.clone(),
                w.secret
                    .as_ref()
                    .map(|s| s.expose_secret().as_bytes().to_vec()),
                reqwest::Client::builder()
                    .timeout(Duration::from_secs(10))
                    .redirect(reqwest::redirect::Policy::none())
                    .build()
                    .context("building the webhook client")?,
            )),
            None => None,
        };
        let failed = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let worker = Arc::new(Worker {
            smtp,
            webhook,
            retry_delays: settings.retry_delays.clone(),
            failed: Arc::clone(&failed),
        });
        let (tx, mut rx) = mpsc::channel::<Job>(settings.queue_capacity.max(1));
        tokio::spawn(async move {
            let slots = Arc::new(Semaphore::new(PARALLEL));
            while let Some(job) = rx.recv().await {
                let Ok(permit) = slots.clone().acquire_owned().await else {
                    break;
                };
                let worker = worker.clone();
                tokio::spawn(async move {
                    worker.deliver(job).await;
                    drop(permit);
                });
            }
        });
        Ok(Self {
            tx: Some(tx),
            failed,
        })
    }

    fn enqueue(&self, job: Job) {
        let Some(tx) = &self.tx else { return };
        if let Err(e) = tx.try_send(job) {
            tracing::warn!(error = %e, "notification queue full or closed: notification dropped");
        }
    }

    pub fn email(&self, email: Email) {
        self.enqueue(Job::Email(email));
    }
}

fn transport(s: &SmtpSettings) -> anyhow::Result<(AsyncSmtpTransport<Tokio1Executor>, Mailbox)> {
    let builder = match s.tls {
        SmtpTls::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&s.host)?,
        SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&s.host)?,
        SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&s.host),
    };
    let mut builder = builder.port(s.port).timeout(Some(Duration::from_secs(20)));
    if let Some(user) = &s.username {
        let password = s
            .password
            .as_ref()
            .map(|p| p.expose_secret().to_owned())
            .unwrap_or_default();
        builder = builder.credentials(Credentials::new(user.clone(), password));
    }
    let from = s.from.parse().context("SMTP sender")?;
    Ok((builder.build(), from))
}

impl Worker {
    async fn deliver(&self, job: Job) {
        let attempts = self.retry_delays.len() + 1;
        for attempt in 0..attempts {
            let result = match &job {
                Job::Email(email) => self.send_email(email).await,
                Job::Webhook { body } => self.post_webhook(body).await,
            };
            match result {
                Ok(()) => return,
                Err(e) => {
                    let kind = match &job {
                        Job::Email(_) => "email",
                        Job::Webhook { .. } => "webhook",
                    };
                    tracing::warn!(error = %format!("{e:#}"), attempt = attempt + 1, attempts, kind, "notification failed");
                    if let Some(wait) = self.retry_delays.get(attempt) {
                        tokio::time::sleep(*wait).await;
                    }
                }
            }
        }
        self.failed
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        tracing::error!("notification given up after every retry");
    }

    async fn send_email(&self, email: &Email) -> anyhow::Result<()> {
        let Some((transport, from)) = &self.smtp else {
            return Ok(());
        };
        let mut builder = Message::builder()
            .from(from.clone())
            .to(email.to.parse().context("recipient")?)
            .subject(one_line(&email.subject))
            .header(ContentType::TEXT_PLAIN);
        if let Some(url) = &email.unsubscribe {
            builder = builder
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe"),
                    format!("<{url}>"),
                ))
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                    "List-Unsubscribe=One-Click".to_owned(),
                ));
        }
        let message = builder
            .body(email.body.clone())
            .context("building the email")?;
        transport.send(message).await.context("sending the email")?;
        Ok(())
    }

    async fn post_webhook(&self, body: &str) -> anyhow::Result<()> {
        let Some((url, secret, client)) = &self.webhook else {
            return Ok(());
        };
        let mut request = client
            .post(url)
            .header("content-type", "application/json")
            .header("x-palabre-event", "comment.created")
            .body(body.to_owned());
        if let Some(key) = secret {
            request = request.header(
                "x-palabre-signature",
                webhook_signature(key, body.as_bytes()),
            );
        }
        let response = request.send().await.context("calling the webhook")?;
        anyhow::ensure!(
            response.status().is_success(),
            "webhook answered {}",
            response.status()
        );
        Ok(())
    }
}

/// `sha256=<hex HMAC-SHA256 of the body>`, as GitHub's webhooks do.
pub fn webhook_signature(key: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(body);
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256={hex}")
}

/// Headers must be one line; control characters go.
fn one_line(s: &str) -> String {
    let line: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    line.chars().take(150).collect()
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

/// What an email link may do to a comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkAction {
    Approve,
    Delete,
}

impl LinkAction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Delete => "delete",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Approve, Self::Delete]
            .into_iter()
            .find(|a| a.as_str() == s)
    }
}

fn link_payload(id: i64, action: LinkAction, expires: i64) -> String {
    format!("{id}|{}|{expires}", action.as_str())
}

/// A signed, expiring link that performs `action` on comment `id` (after one confirmation).
pub fn action_link(state: &AppState, id: i64, action: LinkAction) -> String {
    let lifetime =
        i64::try_from(state.settings.notify.link_lifetime.as_millis()).unwrap_or(i64::MAX);
    let expires = now().as_millis().saturating_add(lifetime);
    let sig = state
        .keys
        .sign("email-action", &link_payload(id, action, expires));
    format!(
        "{}/admin/email-action?id={id}&action={}&expires={expires}&sig={sig}",
        state.settings.base_url(),
        action.as_str()
    )
}

/// Whether an email link's parameters are authentic and unexpired.
pub fn action_link_valid(
    state: &AppState,
    id: i64,
    action: LinkAction,
    expires: i64,
    sig: &str,
) -> bool {
    now().as_millis() < expires
        && state
            .keys
            .verify("email-action", &link_payload(id, action, expires), sig)
}

pub fn unsubscribe_link(state: &AppState, comment_id: i64) -> String {
    let sig = state.keys.sign("unsubscribe", &comment_id.to_string());
    format!(
        "{}/unsubscribe?id={comment_id}&sig={sig}",
        state.settings.base_url()
    )
}

pub fn unsubscribe_valid(state: &AppState, comment_id: i64, sig: &str) -> bool {
    state
        .keys
        .verify("unsubscribe", &comment_id.to_string(), sig)
}

fn where_(c: &CommentRecord, title: Option<&str>) -> String {
    match title {
        Some(t) => format!("{t} ({})", c.thread_key),
        None => c.thread_key.clone(),
    }
}

/// A new comment was stored (published or held).
pub async fn comment_created(state: &AppState, c: &CommentRecord) {
    let n = &state.notifier;
    if n.tx.is_none() {
        return;
    }
    let title = match palabre_api::ThreadKey::parse(&c.thread_key) {
        Ok(key) => state
            .store
            .thread(&key)
            .await
            .ok()
            .flatten()
            .and_then(|t| t.title),
        Err(_) => None,
    };
    let held = c.status == CommentStatus::Pending;
    if state.settings.notify.smtp.is_some() {
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
                action_link(state, c.id, LinkAction::Approve)
            ));
        }
        body.push_str(&format!(
            "Delete: {}\n",
            action_link(state, c.id, LinkAction::Delete)
        ));
        if let Some(url) = state.settings.article_url(&c.thread_key) {
            body.push_str(&format!("Article: {url}\n"));
        }
        body.push_str(&format!(
            "\nAll comments: {}/admin/queue\n",
            state.settings.base_url()
        ));
        let subject = if held {
            format!("Comment awaiting moderation on {place}")
        } else {
            format!("New comment on {place}")
        };
        for to in &state.settings.notify.admin_emails {
            n.email(Email {
                to: to.clone(),
                subject: subject.clone(),
                body: body.clone(),
                unsubscribe: None,
            });
        }
    }
    if state.settings.notify.webhook.is_some() {
        let payload = json!({
            "event": "comment.created",
            "thread": { "key": c.thread_key, "title": title },
            "comment": crate::comments::public(c.clone()),
        });
        n.enqueue(Job::Webhook {
            body: payload.to_string(),
        });
    }
    if !held {
        comment_published(state, c).await;
    }
}

/// A comment became visible (posted unmoderated, or approved): tell the author of the
/// comment it replies to, if they asked for it.
pub async fn comment_published(state: &AppState, c: &CommentRecord) {
    if state.settings.notify.smtp.is_none() {
        return;
    }
    let Some(parent_id) = c.parent_id else { return };
    let Ok(Some(parent)) = state.store.comment(parent_id).await else {
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
    let unsubscribe = unsubscribe_link(state, parent.id);
    let thread_link = state
        .settings
        .article_url(&c.thread_key)
        .map(|url| format!("\nRead the thread: {url}\n"))
        .unwrap_or_default();
    state.notifier.email(Email {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_signature_is_the_hex_hmac_of_the_body() {
        // RFC 4231 test case 2.
        assert_eq!(
            webhook_signature(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn email_text_is_quoted_plain_text() {
        assert_eq!(plain("hi\u{7}\nthere"), "> hi\n> there");
        assert_eq!(one_line("a\r\nBcc: x@y"), "a  Bcc: x@y");
    }
}

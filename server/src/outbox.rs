//! The outbox: notifications waiting to be sent, and the SMTP and webhook transports that
//! send them. Nothing here can block or fail a reader's post: jobs go into a bounded queue
//! (full: the job is dropped and logged), a background task sends them and retries failures.

use crate::config::{NotifySettings, SmtpSettings, SmtpTls};
use anyhow::Context;
use hmac::{Hmac, Mac};
use lettre::message::Mailbox;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;
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

    /// POSTs `body` to the configured webhook.
    pub fn webhook(&self, body: String) {
        self.enqueue(Job::Webhook { body });
    }

    /// Whether anything is sent at all (an SMTP server or a webhook is configured).
    pub fn enabled(&self) -> bool {
        self.tx.is_some()
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
    fn headers_are_one_line() {
        assert_eq!(one_line("a\r\nBcc: x@y"), "a  Bcc: x@y");
    }
}

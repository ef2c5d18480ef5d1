//! Compressed forms of what the server sends, and which one a client gets.
//!
//! Responses readers fetch often (thread pages, first paints, counts) are compressed once, when
//! they are built, and kept compressed in the response cache beside the raw bytes; the widget's
//! files once per start at the best ratio. Never compressed: a response that carries a secret
//! next to text a reader controls (a posted comment's edit token, the admin pages' CSRF
//! token), which compression would let an observer guess byte by byte (BREACH).

use axum::body::Bytes;
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// Below this, compression saves less than the headers it adds.
pub const MIN_COMPRESSED: usize = 512;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Brotli,
    Gzip,
    Identity,
}

impl Encoding {
    pub fn header(self) -> Option<&'static str> {
        match self {
            Self::Brotli => Some("br"),
            Self::Gzip => Some("gzip"),
            Self::Identity => None,
        }
    }

    /// The best encoding the client accepts (`Accept-Encoding`), ignoring explicit refusals.
    pub fn negotiate(accept: &str) -> Self {
        let accepts = |name: &str| {
            accept.split(',').any(|part| {
                let mut it = part.split(';');
                let coding = it.next().unwrap_or_default().trim();
                let refused = it.any(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .and_then(|q| q.trim().parse::<f32>().ok())
                        == Some(0.0)
                });
                coding.eq_ignore_ascii_case(name) && !refused
            })
        };
        if accepts("br") {
            Self::Brotli
        } else if accepts("gzip") {
            Self::Gzip
        } else {
            Self::Identity
        }
    }
}

/// How hard to compress.
#[derive(Debug, Clone, Copy)]
pub enum Effort {
    /// On the request path: brotli 5 and gzip 6 take about 2.5 ms together for a 130 KB thread
    /// page on this project's machines, and give within 20 % of the best ratio (brotli 11
    /// takes 80 ms).
    Fast,
    /// Once per start, off the request path (the widget's files).
    Best,
}

pub fn gzip(raw: &[u8], effort: Effort) -> Option<Bytes> {
    let level = match effort {
        Effort::Fast => 6,
        Effort::Best => 9,
    };
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(level));
    gz.write_all(raw).ok()?;
    gz.finish().ok().map(Bytes::from)
}

pub fn brotli(raw: &[u8], effort: Effort) -> Option<Bytes> {
    let quality = match effort {
        Effort::Fast => 5,
        Effort::Best => 11,
    };
    let mut out = Vec::new();
    {
        let mut w = brotli::CompressorWriter::new(&mut out, 64 * 1024, quality, 22);
        w.write_all(raw).ok()?;
    }
    Some(out.into())
}

/// A body with its compressed forms, those that are smaller than it. Clones share the forms,
/// so a brotli form made better later ([`Upgrades`]) reaches every copy.
#[derive(Debug, Clone)]
pub struct Encoded(Arc<Forms>);

#[derive(Debug)]
struct Forms {
    raw: Bytes,
    gzip: Option<Bytes>,
    brotli: Option<Bytes>,
    /// Brotli at its best ratio, once an upgrade made it.
    best: OnceLock<Bytes>,
}

impl PartialEq for Encoded {
    fn eq(&self, other: &Self) -> bool {
        self.0.raw == other.0.raw
    }
}

impl Encoded {
    /// Compresses `raw` (quickly) unless it is too small to gain from it.
    pub fn compress(raw: Bytes) -> Self {
        if raw.len() < MIN_COMPRESSED {
            return Self::identity(raw);
        }
        let smaller = |c: Option<Bytes>| c.filter(|c| c.len() < raw.len());
        Self(Arc::new(Forms {
            gzip: smaller(gzip(&raw, Effort::Fast)),
            brotli: smaller(brotli(&raw, Effort::Fast)),
            raw,
            best: OnceLock::new(),
        }))
    }

    /// Sent as it is, whatever the client accepts.
    pub fn identity(raw: Bytes) -> Self {
        Self(Arc::new(Forms {
            raw,
            gzip: None,
            brotli: None,
            best: OnceLock::new(),
        }))
    }

    pub fn raw(&self) -> &Bytes {
        &self.0.raw
    }

    /// The body for a client that prefers `encoding`, and the encoding it is in.
    pub fn body(&self, encoding: Encoding) -> (Bytes, Encoding) {
        let forms = &self.0;
        let compressed = match encoding {
            Encoding::Brotli => forms.best.get().or(forms.brotli.as_ref()),
            Encoding::Gzip => forms.gzip.as_ref(),
            Encoding::Identity => None,
        };
        match compressed {
            Some(bytes) => (bytes.clone(), encoding),
            None => (forms.raw.clone(), Encoding::Identity),
        }
    }

    /// Bytes held, all forms together, counting the better brotli form before it exists (the
    /// response cache's budget is taken once, when an entry enters).
    pub fn size(&self) -> usize {
        let forms = &self.0;
        let brotli = forms.brotli.as_ref().map_or(0, Bytes::len);
        forms.raw.len() + forms.gzip.as_ref().map_or(0, Bytes::len) + 2 * brotli
    }

    /// Makes the best brotli form now (what [`Upgrades`] does in the background).
    fn upgrade(&self) {
        let forms = &self.0;
        if forms.brotli.is_none() || forms.best.get().is_some() {
            return;
        }
        if let Some(best) = brotli(&forms.raw, Effort::Best)
            && forms
                .brotli
                .as_ref()
                .is_some_and(|fast| best.len() < fast.len())
        {
            let _ = forms.best.set(best);
        }
    }
}

/// How long a cached body must have stayed cached before it is upgraded: one replaced within
/// a second (a thread being written to) would waste the work.
pub const UPGRADE_AFTER: Duration = Duration::from_secs(1);

/// Upgrades to the best brotli ratio, one body at a time, in the background: about 20 % fewer
/// bytes than [`Effort::Fast`] for 60 times the work (a 110 KB thread page: 13.7 KB in 1.7 ms,
/// 11.8 KB in 140 ms). Only bodies still held when their turn comes are upgraded; when the
/// queue is full, bodies stay as they are.
pub struct Upgrades {
    tx: mpsc::Sender<Queued>,
    rx: Mutex<Option<mpsc::Receiver<Queued>>>,
}

/// When a body was queued, and the body if it is still held then.
type Queued = (Instant, Weak<Forms>);

impl Default for Upgrades {
    fn default() -> Self {
        let (tx, rx) = mpsc::channel(256);
        Self {
            tx,
            rx: Mutex::new(Some(rx)),
        }
    }
}

impl Upgrades {
    pub fn schedule(&self, body: &Encoded) {
        if body.0.brotli.is_some() {
            let _ = self.tx.try_send((Instant::now(), Arc::downgrade(&body.0)));
        }
    }

    /// Starts the one worker (once; later calls do nothing).
    pub fn spawn_worker(&self) {
        let Some(mut rx) = self.rx.lock().unwrap_or_else(|e| e.into_inner()).take() else {
            return;
        };
        tokio::spawn(async move {
            while let Some((queued, forms)) = rx.recv().await {
                tokio::time::sleep_until((queued + UPGRADE_AFTER).into()).await;
                // Dropped by the cache (and answered) meanwhile: nothing to do.
                let Some(forms) = forms.upgrade() else {
                    continue;
                };
                let body = Encoded(forms);
                if tokio::task::spawn_blocking(move || body.upgrade())
                    .await
                    .is_err()
                {
                    tracing::warn!("compressing a cached response failed");
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn negotiation() {
        assert_eq!(
            Encoding::negotiate("gzip, deflate, br, zstd"),
            Encoding::Brotli
        );
        assert_eq!(Encoding::negotiate("gzip"), Encoding::Gzip);
        assert_eq!(Encoding::negotiate("br;q=0, gzip;q=0.8"), Encoding::Gzip);
        assert_eq!(Encoding::negotiate(""), Encoding::Identity);
        assert_eq!(Encoding::negotiate("identity"), Encoding::Identity);
    }

    /// A thread page's worth of JSON, varied enough for the brotli levels to differ.
    fn page() -> Bytes {
        let words = [
            "bread", "rise", "cold", "oven", "crust", "flour", "salt", "water",
        ];
        let mut seed = 7u32;
        let mut json = String::from("[");
        for id in 0..200 {
            let mut text = String::new();
            for _ in 0..12 {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                text.push_str(words[(seed >> 16) as usize % words.len()]);
                text.push(' ');
            }
            json.push_str(&format!(
                r#"{{"id":{id},"author":"Reader {}","html":"<p>{text}</p>","likes":{}}},"#,
                seed % 97,
                seed % 5
            ));
        }
        json.push(']');
        Bytes::from(json)
    }

    #[test]
    fn each_form_decodes_to_the_raw_bytes() {
        let encoded = Encoded::compress(page());
        let (br, enc) = encoded.body(Encoding::Brotli);
        assert_eq!(enc, Encoding::Brotli);
        assert!(br.len() < page().len() / 5, "{} bytes", br.len());
        assert_eq!(decoded(&br), page());

        let (gz, enc) = encoded.body(Encoding::Gzip);
        assert_eq!(enc, Encoding::Gzip);
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, page());

        assert_eq!(
            encoded.body(Encoding::Identity),
            (page(), Encoding::Identity)
        );
        assert_eq!(encoded.size(), page().len() + 2 * br.len() + gz.len());
    }

    fn decoded(br: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        brotli::Decompressor::new(br, 4096)
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    #[tokio::test]
    async fn a_body_still_held_gets_the_better_form_and_every_copy_sees_it() {
        let upgrades = Upgrades::default();
        upgrades.spawn_worker();
        let held = Encoded::compress(page());
        let copy = held.clone();
        let (fast, _) = held.body(Encoding::Brotli);
        upgrades.schedule(&held);
        let dropped = Encoded::compress(page());
        upgrades.schedule(&dropped);
        drop(dropped);
        for _ in 0..250 {
            tokio::time::sleep(Duration::from_millis(20)).await;
            if copy.body(Encoding::Brotli).0 != fast {
                break;
            }
        }
        let (best, encoding) = copy.body(Encoding::Brotli);
        assert_eq!(encoding, Encoding::Brotli);
        assert!(best.len() < fast.len(), "{} vs {}", best.len(), fast.len());
        assert_eq!(decoded(&best), page());
    }

    #[test]
    fn small_bodies_go_as_they_are() {
        let small = Bytes::from_static(br#"{"counts":{}}"#);
        let encoded = Encoded::compress(small.clone());
        assert_eq!(
            encoded.body(Encoding::Brotli),
            (small.clone(), Encoding::Identity)
        );
        assert_eq!(encoded.size(), small.len());
    }
}

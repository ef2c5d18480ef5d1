//! The widget's bundle (built by `scripts/build-widget`, never committed), loaded once at start
//! from `--widget-dir`. The glue, the wasm, the stylesheet (which the loader needs for the
//! first paint; the wasm has its own copy compiled in) and the count badges' script are served
//! under content-hashed names, so they can be cached forever; only the small loader keeps a
//! stable name, and it is rewritten to point at the current hashes. A new release therefore
//! can't be mixed with a cached old one.

use crate::http::encoding::{self, Effort, Encoding};
use anyhow::{Context, bail};
use axum::body::Bytes;
use sha2::{Digest, Sha256};
use std::path::Path;
use std::sync::{Arc, OnceLock};

pub const LOADER: &str = "palabre.js";
const GLUE: &str = "palabre-widget.js";
const WASM: &str = "palabre-widget_bg.wasm";
const CSS: &str = "palabre.css";
const COUNT: &str = "palabre-count.js";

/// One file as served: its bytes, content type, ETag, and compressed forms once computed.
#[derive(Debug)]
pub struct Asset {
    pub content_type: &'static str,
    pub etag: String,
    pub immutable: bool,
    /// `Bytes`, so answering a request shares the bytes instead of copying them.
    pub raw: Bytes,
    gzip: OnceLock<Bytes>,
    brotli: OnceLock<Bytes>,
}

impl Asset {
    fn new(content_type: &'static str, raw: Vec<u8>, immutable: bool) -> Self {
        let raw = Bytes::from(raw);
        let hash = Sha256::digest(&raw);
        Self {
            content_type,
            etag: format!("\"{}\"", &hex(&hash)[..16]),
            immutable,
            raw,
            gzip: OnceLock::new(),
            brotli: OnceLock::new(),
        }
    }

    /// The body for `encoding`, falling back to the raw bytes while a compressed form is not
    /// computed yet (compression runs in the background after start).
    pub fn body(&self, encoding: Encoding) -> (Bytes, Encoding) {
        let ready = match encoding {
            Encoding::Brotli => self.brotli.get(),
            Encoding::Gzip => self.gzip.get(),
            Encoding::Identity => None,
        };
        match ready {
            Some(bytes) => (bytes.clone(), encoding),
            None => (self.raw.clone(), Encoding::Identity),
        }
    }

    fn compress(&self) {
        if let Some(gz) = encoding::gzip(&self.raw, Effort::Best) {
            let _ = self.gzip.set(gz);
        }
        if let Some(br) = encoding::brotli(&self.raw, Effort::Best) {
            let _ = self.brotli.set(br);
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The bundle, by the names it is served under.
#[derive(Debug)]
pub struct WidgetBundle {
    pub loader: Asset,
    pub glue_name: String,
    pub glue: Asset,
    pub wasm_name: String,
    pub wasm: Asset,
    /// The stylesheet: the first paint's (the loader asks for it by its hashed name) and the
    /// widget's (the bundle's wasm has none of its own: it adopts the first paint's, or
    /// without one asks for `palabre.css`, revalidated like the loader).
    pub css_name: String,
    pub css: Asset,
    pub css_plain: Asset,
    /// Count badges' script, which the loader imports on pages that have badges.
    pub count_name: String,
    pub count: Asset,
}

impl WidgetBundle {
    pub fn load(dir: &Path) -> anyhow::Result<Self> {
        let read = |name: &str| {
            std::fs::read(dir.join(name)).with_context(|| {
                format!(
                    "reading the widget bundle: {} is missing (build it with scripts/build-widget)",
                    dir.join(name).display()
                )
            })
        };
        let glue = Asset::new("text/javascript; charset=utf-8", read(GLUE)?, true);
        let wasm = Asset::new("application/wasm", read(WASM)?, true);
        let count = Asset::new("text/javascript; charset=utf-8", read(COUNT)?, true);
        let tag = |a: &Asset| a.etag.trim_matches('"')[..10].to_owned();
        let glue_name = format!("palabre-widget.{}.js", tag(&glue));
        let wasm_name = format!("palabre-widget_bg.{}.wasm", tag(&wasm));
        let count_name = format!("palabre-count.{}.js", tag(&count));
        let css_raw = read(CSS)?;
        let css_plain = Asset::new("text/css; charset=utf-8", css_raw.clone(), false);
        let css = Asset::new("text/css; charset=utf-8", css_raw, true);
        let css_name = format!("palabre.{}.css", tag(&css));
        let loader = String::from_utf8(read(LOADER)?).context("the loader is not UTF-8")?;
        let quoted = |name: &str| format!("'{name}'");
        if ![GLUE, WASM, COUNT, CSS]
            .iter()
            .all(|n| loader.contains(&quoted(n)))
        {
            bail!(
                "the loader in {} does not name '{GLUE}', '{WASM}', '{COUNT}' and '{CSS}'",
                dir.display()
            );
        }
        let loader = loader
            .replace(&quoted(GLUE), &quoted(&glue_name))
            .replace(&quoted(WASM), &quoted(&wasm_name))
            .replace(&quoted(COUNT), &quoted(&count_name))
            .replace(&quoted(CSS), &quoted(&css_name));
        Ok(Self {
            loader: Asset::new("text/javascript; charset=utf-8", loader.into_bytes(), false),
            glue_name,
            glue,
            wasm_name,
            wasm,
            css_name,
            css,
            css_plain,
            count_name,
            count,
        })
    }

    pub fn get(&self, name: &str) -> Option<&Asset> {
        if name == LOADER {
            Some(&self.loader)
        } else if name == self.glue_name {
            Some(&self.glue)
        } else if name == self.wasm_name {
            Some(&self.wasm)
        } else if name == self.count_name {
            Some(&self.count)
        } else if name == self.css_name {
            Some(&self.css)
        } else if name == CSS {
            Some(&self.css_plain)
        } else {
            None
        }
    }

    /// Computes the compressed forms in the background; until done, files go out uncompressed.
    pub fn compress_in_background(self: &Arc<Self>) {
        let bundle = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            for asset in [
                &bundle.loader,
                &bundle.glue,
                &bundle.wasm,
                &bundle.count,
                &bundle.css,
                &bundle.css_plain,
            ] {
                asset.compress();
            }
            tracing::debug!("widget bundle compressed");
        });
    }
}

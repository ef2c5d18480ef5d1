//! The widget's bundle (built by `scripts/build-widget`, never committed), loaded once at start
//! from `--widget-dir`. The glue, the wasm, the stylesheet (which the loader needs for the
//! first paint; the wasm has its own copy compiled in) and the count badges' script are served
//! under content-hashed names, so they can be cached forever; only the small loader keeps a
//! stable name, and it is rewritten to point at the current hashes. A new release therefore
//! can't be mixed with a cached old one. So are the chunks fetched on intent (`split_*.wasm`,
//! `chunk_*.wasm`) and their loader (`__wasm_split.js`, which the glue imports): each names
//! the others by their hashed names.

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
/// The chunks' loader of a bundle cut into chunks (see `src/chunk.rs`), which the glue imports.
const SPLIT: &str = "__wasm_split.js";

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
    /// The chunks fetched on intent (`split_<feature>.wasm`, `chunk_<n>.wasm`) and their
    /// loader, by hashed name.
    pub chunks: Vec<(String, Asset)>,
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
        let wasm = Asset::new("application/wasm", read(WASM)?, true);
        let count = Asset::new("text/javascript; charset=utf-8", read(COUNT)?, true);
        let tag = |a: &Asset| a.etag.trim_matches('"')[..10].to_owned();
        let (glue, chunks) = Self::chunks(dir, String::from_utf8(read(GLUE)?)?)?;
        let glue_name = format!("palabre-widget.{}.js", tag(&glue));
        let chunks = chunks
            .into_iter()
            .map(|(name, asset)| {
                // The glue's name is known only now; the loader's name did not depend on it.
                let asset = match name.ends_with(".js") {
                    true => Asset::new(
                        asset.content_type,
                        String::from_utf8_lossy(&asset.raw)
                            .replace(&format!("\"./{GLUE}\""), &format!("\"./{glue_name}\""))
                            .into_bytes(),
                        true,
                    ),
                    false => asset,
                };
                (name, asset)
            })
            .collect();
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
            chunks,
        })
    }

    /// A bundle cut into chunks: the glue (naming the chunks' loader by its hashed name), and
    /// the chunks and their loader under hashed names, the loader naming the chunks by theirs.
    /// The loader imports the glue back: the caller puts the glue's final name in it. A bundle
    /// not cut is its glue alone.
    #[allow(clippy::type_complexity)]
    fn chunks(dir: &Path, glue: String) -> anyhow::Result<(Asset, Vec<(String, Asset)>)> {
        let js = "text/javascript; charset=utf-8";
        let quoted = |name: &str| format!("\"./{name}\"");
        if !glue.contains(&quoted(SPLIT)) {
            return Ok((Asset::new(js, glue.into_bytes(), true), Vec::new()));
        }
        let mut split = std::fs::read_to_string(dir.join(SPLIT))
            .with_context(|| format!("reading the widget bundle: {SPLIT} is missing"))?;
        let mut chunks = Vec::new();
        let mut names: Vec<String> = std::fs::read_dir(dir)?
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| {
                (n.starts_with("split_") || n.starts_with("chunk_")) && n.ends_with(".wasm")
            })
            .collect();
        names.sort();
        for name in names {
            if !split.contains(&quoted(&name)) {
                bail!("{SPLIT} in {} does not name {name}", dir.display());
            }
            let asset = Asset::new("application/wasm", std::fs::read(dir.join(&name))?, true);
            let hashed = format!(
                "{}.{}.wasm",
                name.trim_end_matches(".wasm"),
                &asset.etag.trim_matches('"')[..10]
            );
            split = split.replace(&quoted(&name), &quoted(&hashed));
            chunks.push((hashed, asset));
        }
        // Named before the glue's name (which it holds) is known: by what it and the glue
        // are made of, which decides that name too.
        let mut hasher = Sha256::new();
        hasher.update(split.as_bytes());
        hasher.update(glue.as_bytes());
        let split_name = format!("palabre-split.{}.js", &hex(&hasher.finalize())[..10]);
        let glue = glue.replace(&quoted(SPLIT), &quoted(&split_name));
        chunks.push((split_name, Asset::new(js, split.into_bytes(), true)));
        Ok((Asset::new(js, glue.into_bytes(), true), chunks))
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
            self.chunks.iter().find(|(n, _)| n == name).map(|(_, a)| a)
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
            ]
            .into_iter()
            .chain(bundle.chunks.iter().map(|(_, a)| a))
            {
                asset.compress();
            }
            tracing::debug!("widget bundle compressed");
        });
    }
}

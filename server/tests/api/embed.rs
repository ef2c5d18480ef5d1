//! `/embed/`: the widget's bundle, under content-hashed names behind the stable loader.

use crate::helpers::*;
use palabre_api::ErrorCode;
use std::io::Read;
use std::path::Path;
use std::time::Duration;

const LOADER: &str = "(function(){import(base+'palabre-count.js');import(base+'palabre-widget.js');f(base+'palabre-widget_bg.wasm');f(base+'palabre.css')})();\n";
const GLUE: &str = "export default function init() {}\n";
// "\0asm" and version 1: enough for a content type check.
const CSS: &str = ".palabre { color: CanvasText; }\n";
const COUNT: &str = "export default function (s) {}\n";
const WASM: &[u8] = b"\0asm\x01\0\0\0 padding so compression has something to do ..........";

fn write_bundle(dir: &Path, glue: &str) {
    std::fs::write(dir.join("palabre.js"), LOADER).unwrap();
    std::fs::write(dir.join("palabre-widget.js"), glue).unwrap();
    std::fs::write(dir.join("palabre-widget_bg.wasm"), WASM).unwrap();
    std::fs::write(dir.join("palabre.css"), CSS).unwrap();
    std::fs::write(dir.join("palabre-count.js"), COUNT).unwrap();
}

async fn app_with_bundle(glue: &str) -> (TestApp, tempfile::TempDir) {
    let bundle = tempfile::tempdir().unwrap();
    write_bundle(bundle.path(), glue);
    let dir = bundle.path().to_owned();
    (
        TestApp::spawn_with(|s| s.widget_dir = Some(dir)).await,
        bundle,
    )
}

/// The hashed file name the loader points at, by its start and end.
async fn hashed_name(app: &TestApp, prefix: &str, ext: &str) -> String {
    let loader = app.get("/embed/palabre.js").await.text().await.unwrap();
    let start = loader
        .find(prefix)
        .unwrap_or_else(|| panic!("{prefix} in {loader}"));
    let end = loader[start..].find(ext).unwrap() + start + ext.len();
    loader[start..end].to_owned()
}

/// The glue's, the wasm's and the stylesheet's hashed names.
async fn hashed_names(app: &TestApp) -> (String, String, String) {
    (
        hashed_name(app, "palabre-widget.", ".js").await,
        hashed_name(app, "palabre-widget_bg.", ".wasm").await,
        hashed_name(app, "palabre.", ".css").await,
    )
}

#[tokio::test]
async fn the_loader_points_at_content_hashed_files() {
    let (app, _bundle) = app_with_bundle(GLUE).await;
    let res = app.get("/embed/palabre.js").await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["content-type"],
        "text/javascript; charset=utf-8"
    );
    assert_eq!(res.headers()["access-control-allow-origin"], "*");
    assert_eq!(
        res.headers()["cache-control"],
        "public, max-age=0, must-revalidate"
    );
    let (glue, wasm, css) = hashed_names(&app).await;
    assert_ne!(glue, "palabre-widget.js");
    assert_ne!(css, "palabre.css");

    let res = app.get(&format!("/embed/{glue}")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(res.text().await.unwrap(), GLUE);
    let res = app.get(&format!("/embed/{wasm}")).await;
    assert_eq!(res.headers()["content-type"], "application/wasm");
    assert_eq!(res.bytes().await.unwrap().as_ref(), WASM);
    let res = app.get(&format!("/embed/{css}")).await;
    assert_eq!(res.headers()["content-type"], "text/css; charset=utf-8");
    assert_eq!(res.text().await.unwrap(), CSS);
    let count = hashed_name(&app, "palabre-count.", ".js").await;
    assert_ne!(count, "palabre-count.js");
    let res = app.get(&format!("/embed/{count}")).await;
    assert_eq!(
        res.headers()["content-type"],
        "text/javascript; charset=utf-8"
    );
    assert_eq!(res.text().await.unwrap(), COUNT);

    // The unhashed names are not served: a stale loader can't mix releases.
    let res = app.get("/embed/palabre-widget.js").await;
    expect_error(res, 404, ErrorCode::NotFound).await;
    // But the stylesheet, which the wasm asks for by its plain name when no first paint
    // brought it: revalidated, like the loader, so a new release's is taken at once.
    let res = app.get("/embed/palabre.css").await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["cache-control"],
        "public, max-age=0, must-revalidate"
    );
    assert!(res.headers().contains_key("etag"));
    assert_eq!(res.text().await.unwrap(), CSS);
}

#[tokio::test]
async fn a_new_release_gets_new_names() {
    let (one, _b1) = app_with_bundle(GLUE).await;
    let (two, _b2) = app_with_bundle("export default function init() { /* v2 */ }\n").await;
    let (glue1, wasm1, _) = hashed_names(&one).await;
    let (glue2, wasm2, _) = hashed_names(&two).await;
    assert_ne!(glue1, glue2);
    assert_eq!(wasm1, wasm2, "unchanged file, unchanged name");
}

#[tokio::test]
async fn etags_and_compression() {
    let (app, _bundle) = app_with_bundle(GLUE).await;
    let (_, wasm, _) = hashed_names(&app).await;
    let url = app.url(&format!("/embed/{wasm}"));
    let first = app.client.get(&url).send().await.unwrap();
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    let res = app
        .client
        .get(&url)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 304);
    assert!(res.bytes().await.unwrap().is_empty());

    // Compression runs in the background after start: wait for it.
    let mut encoded = None;
    for _ in 0..100 {
        let res = app
            .client
            .get(&url)
            .header("accept-encoding", "gzip, br")
            .send()
            .await
            .unwrap();
        if res.headers().get("content-encoding").is_some() {
            encoded = Some(res);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let res = encoded.expect("a compressed answer");
    assert_eq!(res.headers()["content-encoding"], "br");
    assert_eq!(res.headers()["vary"], "Accept-Encoding");
    let body = res.bytes().await.unwrap();
    let mut plain = Vec::new();
    brotli::Decompressor::new(body.as_ref(), 4096)
        .read_to_end(&mut plain)
        .unwrap();
    assert_eq!(plain, WASM);

    let res = app
        .client
        .get(&url)
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["content-encoding"], "gzip");
    let body = res.bytes().await.unwrap();
    let mut plain = Vec::new();
    flate2::read::GzDecoder::new(body.as_ref())
        .read_to_end(&mut plain)
        .unwrap();
    assert_eq!(plain, WASM);

    let res = app.client.get(&url).send().await.unwrap();
    assert!(
        res.headers().get("content-encoding").is_none(),
        "identity when not asked"
    );
}

#[tokio::test]
async fn without_a_bundle_embed_is_not_found_and_a_broken_bundle_fails_at_start() {
    let app = TestApp::spawn().await;
    let res = app.get("/embed/palabre.js").await;
    expect_error(res, 404, ErrorCode::NotFound).await;

    let empty = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut settings = test_settings(dir.path()).await;
    settings.widget_dir = Some(empty.path().to_owned());
    let err = palabre_server::startup::Application::build(settings)
        .await
        .err()
        .expect("refused");
    assert!(
        format!("{err:#}").contains("scripts/build-widget"),
        "{err:#}"
    );
}

#[tokio::test]
async fn a_bundle_without_its_stylesheet_is_refused_at_start() {
    // The bundle's wasm has no stylesheet of its own: without palabre.css the widget would
    // be unstyled on every blog.
    let bundle = tempfile::tempdir().unwrap();
    write_bundle(bundle.path(), GLUE);
    std::fs::remove_file(bundle.path().join("palabre.css")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut settings = test_settings(dir.path()).await;
    settings.widget_dir = Some(bundle.path().to_owned());
    let err = palabre_server::startup::Application::build(settings)
        .await
        .err()
        .expect("refused");
    let err = format!("{err:#}");
    assert!(
        err.contains("palabre.css is missing") && err.contains("scripts/build-widget"),
        "{err}"
    );
}

/// A bundle cut into chunks: the glue imports the chunks' loader, which imports the glue back
/// and fetches the chunks. Each is served under a hashed name, and each names the others by
/// theirs, so a release's chunks are never mixed with another's.
#[tokio::test]
async fn chunks_and_their_loader_are_served_under_hashed_names() {
    let bundle = tempfile::tempdir().unwrap();
    let glue = "import * as s from \"./__wasm_split.js\";\nexport default function init() {}\n";
    write_bundle(bundle.path(), glue);
    let split = "import{initSync as t}from\"./palabre-widget.js\";\
        fetch(new URL(\"./split_write.wasm\",import.meta.url));\
        fetch(new URL(\"./chunk_4.wasm\",import.meta.url));\n";
    std::fs::write(bundle.path().join("__wasm_split.js"), split).unwrap();
    std::fs::write(bundle.path().join("split_write.wasm"), WASM).unwrap();
    let mut other = WASM.to_vec();
    other.push(b'!');
    std::fs::write(bundle.path().join("chunk_4.wasm"), &other).unwrap();
    let dir = bundle.path().to_owned();
    let app = TestApp::spawn_with(|s| s.widget_dir = Some(dir)).await;

    let (glue_name, _, _) = hashed_names(&app).await;
    let glue = app
        .get(&format!("/embed/{glue_name}"))
        .await
        .text()
        .await
        .unwrap();
    let start = glue
        .find("palabre-split.")
        .expect("the glue names the loader's hashed name");
    let split_name = &glue[start..start + "palabre-split.0123456789.js".len()];
    assert!(!glue.contains("__wasm_split.js"), "{glue}");
    let res = app.get(&format!("/embed/{split_name}")).await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    let split = res.text().await.unwrap();
    assert!(split.contains(&format!("\"./{glue_name}\"")), "{split}");
    for chunk in ["split_write.", "chunk_4."] {
        let start = split
            .find(chunk)
            .unwrap_or_else(|| panic!("{chunk} in {split}"));
        let end = split[start..].find(".wasm").unwrap() + start + ".wasm".len();
        let name = &split[start..end];
        assert_eq!(name.len(), chunk.len() + "0123456789.wasm".len(), "{name}");
        let res = app.get(&format!("/embed/{name}")).await;
        assert_eq!(res.status(), 200, "{name}");
        assert_eq!(res.headers()["content-type"], "application/wasm");
    }
    for plain in ["__wasm_split.js", "split_write.wasm", "chunk_4.wasm"] {
        assert_eq!(
            app.get(&format!("/embed/{plain}")).await.status(),
            404,
            "{plain}"
        );
    }
}

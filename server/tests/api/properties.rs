//! Property tests of what takes outside input on the server: the Markdown renderer and its
//! sanitizer (never an active element or attribute out, whatever goes in), page cursors, and
//! each importer (never a panic on any file; a refused file changes nothing). A few hundred
//! cases here; `bench/fuzz` runs many more (PALABRE_FUZZ_CASES).

use crate::helpers::{TestApp, check_safe_html};
use palabre_api::{CommentBody, SortOrder};
use palabre_server::cli::ImportFormat;
use palabre_server::cli::import::import_file;
use palabre_server::import::Options;
use palabre_server::render::render;
use palabre_server::store::Cursor;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use std::path::Path;

fn cases(default: u32) -> u32 {
    std::env::var("PALABRE_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A fixed seed, so that the suite is the same run every time; `bench/fuzz` sets
/// PALABRE_FUZZ_SEED to a new one.
fn seed() -> proptest::test_runner::RngSeed {
    let seed = std::env::var("PALABRE_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_261_202);
    proptest::test_runner::RngSeed::Fixed(seed)
}

fn config(default: u32) -> Config {
    Config {
        cases: cases(default),
        failure_persistence: None,
        rng_seed: seed(),
        ..Config::default()
    }
}

/// What attacks on comment systems are made of, to be shuffled with Markdown and noise.
const HOSTILE: &[&str] = &[
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<iframe src=//evil.example>",
    "<a href=\"javascript:alert(1)\">x</a>",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](  javascript:alert(1))",
    "[x](java\tscript:alert(1))",
    "[x](data:text/html,<script>alert(1)</script>)",
    "[x](vbscript:msgbox(1))",
    "[x]: javascript:alert(1)\n\n[y][x]",
    "![i](https://tracker.example/p.gif)",
    "<style>*{display:none}</style>",
    "<a href=x onmouseover=alert(1)>",
    "<form action=//evil><input name=q>",
    "<object data=x>",
    "\"><script>",
    "' onfocus='alert(1)",
    "`<b>code</b>`",
    "**bold** _em_ ~~del~~",
    "> quote\n> more",
    "- a\n- b\n\n1. c",
    "```\n<script>\n```",
    "<https://ok.example/?a=1&b=2>",
    "&lt;script&gt;",
    "\n\n",
    "<",
    ">",
    "&",
];

fn hostile_markdown() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => prop::sample::select(HOSTILE).prop_map(str::to_owned),
        1 => any::<String>(),
    ];
    prop::collection::vec(piece, 1..10).prop_map(|v| v.concat())
}

#[test]
fn the_renderer_lets_no_active_element_or_attribute_out() {
    let mut runner = TestRunner::new(config(1024));
    runner
        .run(&hostile_markdown(), |input| {
            if let Ok(body) = CommentBody::parse(&input, 100_000) {
                let html = render(&body);
                check_safe_html(&html).map_err(TestCaseError::fail)?;
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn the_html_check_catches_what_it_must() {
    assert!(check_safe_html("<p>x</p>").is_ok());
    assert!(
        check_safe_html("<p><a href=\"https://a.example\" rel=\"nofollow ugc noopener\">a</a></p>")
            .is_ok()
    );
    assert!(check_safe_html("<script>").is_err());
    assert!(check_safe_html("<a href=\"javascript:x\">").is_err());
    assert!(check_safe_html("<p onclick=\"x\">").is_err());
    assert!(check_safe_html("<img src=\"x\">").is_err());
    assert!(check_safe_html("<p hidden>").is_err());
}

#[test]
fn cursors_decode_what_they_encode_and_nothing_else_panics() {
    let sort = prop_oneof![
        Just(SortOrder::Oldest),
        Just(SortOrder::Newest),
        Just(SortOrder::Top)
    ];
    let mut runner = TestRunner::new(config(1024));
    runner
        .run(
            &(
                sort,
                any::<i64>(),
                any::<i64>(),
                any::<i64>(),
                any::<String>(),
            ),
            |(sort, score, created, id, noise)| {
                let c = Cursor {
                    sort,
                    score,
                    created,
                    id,
                };
                prop_assert_eq!(Cursor::decode(&c.encode(), sort), Some(c));
                let _ = Cursor::decode(&noise, sort);
                let _ = Cursor::decode(&format!("{}{noise}", c.encode()), sort);
                Ok(())
            },
        )
        .unwrap();
}

/// A file changed the way files get damaged or forged: bytes cut, inserted, flipped.
#[derive(Debug, Clone)]
enum Damage {
    Cut { at: f64, len: usize },
    Insert { at: f64, text: String },
    Flip { at: f64, byte: u8 },
    Truncate { at: f64 },
}

fn damage() -> impl Strategy<Value = Damage> {
    let fragment = prop_oneof![
        prop::sample::select(
            &[
                "<",
                ">",
                "</post>",
                "<thread dsq:id=\"x\"/>",
                "]]>",
                "<![CDATA[",
                "&amp;",
                "&#0;",
                "\"",
                "\n",
                "{",
                "}",
                "\"comment\":",
                "null",
                "\u{0}"
            ][..]
        )
        .prop_map(str::to_owned),
        any::<String>(),
    ];
    prop_oneof![
        (0.0..1.0f64, 1..64usize).prop_map(|(at, len)| Damage::Cut { at, len }),
        (0.0..1.0f64, fragment).prop_map(|(at, text)| Damage::Insert { at, text }),
        (0.0..1.0f64, any::<u8>()).prop_map(|(at, byte)| Damage::Flip { at, byte }),
        (0.0..1.0f64).prop_map(|at| Damage::Truncate { at }),
    ]
}

fn apply(mut bytes: Vec<u8>, damage: &[Damage]) -> Vec<u8> {
    for d in damage {
        let len = bytes.len();
        let at = |f: f64| ((len as f64) * f) as usize;
        match d {
            Damage::Cut { at: f, len } => {
                let i = at(*f);
                let j = (i + len).min(bytes.len());
                bytes.drain(i..j);
            }
            Damage::Insert { at: f, text } => {
                let i = at(*f);
                bytes.splice(i..i, text.bytes());
            }
            Damage::Flip { at: f, byte } => {
                if let Some(b) = bytes.get_mut(at(*f)) {
                    *b ^= byte | 1;
                }
            }
            Damage::Truncate { at: f } => bytes.truncate(at(*f)),
        }
    }
    bytes
}

/// The bytes of an Isso database made from its schema and rows (as imports.rs does).
fn isso_database(dir: &Path, sql: &Path) -> Vec<u8> {
    let db = dir.join("isso.db");
    let status = std::process::Command::new("python3")
        .args(["-c", "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.executescript(open(sys.argv[2]).read()); c.commit()"])
        .arg(&db)
        .arg(sql)
        .status()
        .unwrap();
    assert!(status.success());
    std::fs::read(db).unwrap()
}

#[test]
fn importers_never_panic_and_a_refused_file_changes_nothing() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let app = rt.block_on(TestApp::spawn());
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let dir = tempfile::tempdir().unwrap();
    // Our own format, as the export writes it.
    let export = dir.path().join("export.jsonl");
    rt.block_on(async {
        import_file(
            &app.state.services,
            ImportFormat::Disqus,
            &fixtures.join("disqus.xml"),
            Options::default(),
            indicatif::ProgressBar::hidden(),
        )
        .await
        .unwrap();
        let mut out = Vec::new();
        palabre_server::import::export::export(&app.state.services, None, &mut out)
            .await
            .unwrap();
        std::fs::write(&export, out).unwrap();
    });
    let sources: Vec<(ImportFormat, Vec<u8>)> = vec![
        (
            ImportFormat::Disqus,
            std::fs::read(fixtures.join("disqus.xml")).unwrap(),
        ),
        (
            ImportFormat::Disqus,
            std::fs::read(fixtures.join("disqus-stray.xml")).unwrap(),
        ),
        (
            ImportFormat::Wordpress,
            std::fs::read(fixtures.join("wordpress.xml")).unwrap(),
        ),
        (
            ImportFormat::Wordpress,
            std::fs::read(fixtures.join("wordpress-plain.xml")).unwrap(),
        ),
        (ImportFormat::Palabre, std::fs::read(&export).unwrap()),
        // An Isso database is a SQLite file: damaged, it must be refused, never crash.
        (
            ImportFormat::Isso,
            isso_database(dir.path(), &fixtures.join("isso.sql")),
        ),
    ];
    let input = dir.path().join("input");
    let mut runner = TestRunner::new(config(96));
    let strategy = (
        0..sources.len(),
        prop::collection::vec(damage(), 1..4),
        any::<bool>(),
    );
    runner
        .run(&strategy, |(source, damage, strict)| {
            let (format, bytes) = &sources[source];
            std::fs::write(&input, apply(bytes.clone(), &damage)).unwrap();
            rt.block_on(async {
                let before = app.totals().await;
                let options = Options {
                    strict,
                    ..Options::default()
                };
                let result = import_file(
                    &app.state.services,
                    *format,
                    &input,
                    options,
                    indicatif::ProgressBar::hidden(),
                )
                .await;
                if result.is_err() {
                    let after = app.totals().await;
                    prop_assert_eq!(
                        (before.threads, before.comments, before.votes),
                        (after.threads, after.comments, after.votes),
                        "a refused import changed the database"
                    );
                }
                Ok(())
            })
        })
        .unwrap();
}

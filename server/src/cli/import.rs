//! `palabre import` and `palabre export` from the shell: a progress bar on a terminal, plain
//! log lines otherwise, and a per-thread summary.

use super::{DatabaseArgs, ImportArgs, ImportFormat};
use crate::import::{ImportError, Importer, Mapping, Options, Report};
use crate::services::Services;
use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::{BufReader, IsTerminal, Read};
use std::path::Path;

fn mappings(args: &ImportArgs) -> anyhow::Result<Vec<Mapping>> {
    let mut lines: Vec<String> = args.mappings.clone();
    if let Some(path) = &args.map_file {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the mapping file {}", path.display()))?;
        lines.extend(
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(str::to_owned),
        );
    }
    lines
        .iter()
        .map(|l| Mapping::parse(l).with_context(|| format!("mapping {l:?}: use OLD=NEW")))
        .collect()
}

/// Counts bytes as they are read, for the progress bar (or, off a terminal, a log line at
/// every tenth of the file).
struct Progress<R> {
    inner: R,
    bar: ProgressBar,
}

impl<R: Read> Read for Progress<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let before = self.bar.position();
        self.bar.inc(n as u64);
        if self.bar.is_hidden()
            && let Some(total) = self.bar.length().filter(|t| *t > 0)
        {
            let tenth = |p: u64| p * 10 / total;
            if tenth(before + n as u64) > tenth(before) {
                eprintln!("read {}% of the input", tenth(before + n as u64) * 10);
            }
        }
        Ok(n)
    }
}

pub async fn import(args: ImportArgs) -> anyhow::Result<()> {
    let options = Options {
        dry_run: args.dry_run,
        mappings: mappings(&args)?,
        strict: args.strict,
        site: args.site.clone(),
    };
    let services = args.db.clone().services().await?;
    let path = args.file.as_path();
    let size = std::fs::metadata(path)
        .with_context(|| format!("reading {}", path.display()))?
        .len();
    let bar = if std::io::stderr().is_terminal() {
        let bar = ProgressBar::new(size);
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {eta} left")
                .expect("a valid template"),
        );
        bar
    } else {
        eprintln!("importing {} ({size} bytes)", path.display());
        let bar = ProgressBar::hidden();
        bar.set_length(size);
        bar
    };
    let report = import_file(&services, args.format, path, options, bar).await?;
    print_report(&report, args.dry_run, path);
    Ok(())
}

/// Imports `path` (the command's work, without its printing); the error names the line.
pub async fn import_file(
    services: &Services,
    format: ImportFormat,
    path: &Path,
    options: Options,
    bar: ProgressBar,
) -> anyhow::Result<Report> {
    let source = match format {
        ImportFormat::Disqus => "disqus",
        ImportFormat::Wordpress => "wordpress",
        ImportFormat::Isso => "isso",
        ImportFormat::Palabre => "palabre",
    };
    let mut importer = Importer::begin(services, source, options).await?;
    let open = || -> anyhow::Result<_> {
        let file =
            std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
        Ok(BufReader::with_capacity(
            256 * 1024,
            Progress {
                inner: file,
                bar: bar.clone(),
            },
        ))
    };
    let result = match format {
        ImportFormat::Disqus => crate::import::disqus::import(open()?, &mut importer).await,
        ImportFormat::Wordpress => crate::import::wordpress::import(open()?, &mut importer).await,
        ImportFormat::Palabre => crate::import::palabre::import(open()?, &mut importer).await,
        ImportFormat::Isso => crate::import::isso::import(path, &mut importer).await,
    };
    bar.finish_and_clear();
    if let Err(e) = result {
        // Dropping the importer rolls its transaction back.
        bail!("{}; nothing was imported", describe(path, e));
    }
    importer
        .finish()
        .await
        .map_err(|e| anyhow::anyhow!("{}; nothing was imported", describe(path, e)))
}

fn describe(path: &Path, e: ImportError) -> String {
    match e {
        ImportError::Malformed {
            offset: Some(offset),
            message,
        } => match crate::import::line_of(path, offset) {
            Some(line) => format!("{}, line {line}: {message}", path.display()),
            None => format!("{}: {message}", path.display()),
        },
        ImportError::Malformed {
            offset: None,
            message,
        } => format!("{}: {message}", path.display()),
        other => format!("{}: {other:#}", path.display()),
    }
}

/// Skipped (or ledger-disagreeing) items listed one a line, at most this many (then how many more).
const LISTED: usize = 20;

fn print_report(report: &Report, dry_run: bool, path: &Path) {
    let verb = if dry_run { "would import" } else { "imported" };
    for (key, t) in &report.threads {
        let mut line = format!(
            "{key}: {} published, {} held, {} spam, {} deleted",
            t.published, t.pending, t.spam, t.deleted
        );
        let skipped = [
            (t.already_imported, "already imported"),
            (t.not_comments, "pingbacks and trackbacks"),
        ];
        let skipped: Vec<String> = skipped
            .iter()
            .filter(|(n, _)| *n > 0)
            .map(|(n, why)| format!("{n} {why}"))
            .collect();
        if !skipped.is_empty() {
            line.push_str(&format!("; skipped: {}", skipped.join(", ")));
        }
        if t.ledger_disagreed > 0 {
            line.push_str(&format!(
                "; {} whose id the ledger knew for another comment, imported",
                t.ledger_disagreed
            ));
        }
        println!("{line}");
    }
    println!(
        "{verb} {} comments in {} threads; replies linked: {}; replies whose parent is missing, kept at top level: {}; deleted comments with no replies, dropped: {}; already imported: {}; pingbacks and trackbacks skipped: {}{}",
        report.comments(),
        report.threads.len(),
        report.links.linked,
        report.links.orphans,
        report.links.dropped_placeholders,
        report.already_imported,
        report.not_comments,
        if dry_run {
            " (dry run: nothing changed)"
        } else {
            ""
        }
    );
    list(
        &format!(
            "imported {} items whose id the import ledger knew for a comment that is not theirs (another thread, another text):",
            report.ledger_disagreed.len()
        ),
        report.ledger_disagreed.iter().cloned(),
    );
    list(
        &format!(
            "skipped {} items, each for an anomaly of its own (--strict stops at the first instead):",
            report.skipped.len()
        ),
        report.skipped.iter().map(|s| {
            match s.offset.and_then(|o| crate::import::line_of(path, o)) {
                Some(line) => format!("line {line}: {}", s.reason),
                None => s.reason.clone(),
            }
        }),
    );
}

/// `title` then the items, one a line (the first [`LISTED`]); nothing if there are none.
fn list(title: &str, items: impl ExactSizeIterator<Item = String>) {
    let n = items.len();
    if n == 0 {
        return;
    }
    println!("{title}");
    for item in items.take(LISTED) {
        println!("  {item}");
    }
    if n > LISTED {
        println!("  … and {} more", n - LISTED);
    }
}

pub async fn export(
    file: &Path,
    site: Option<crate::store::SiteName>,
    db: DatabaseArgs,
) -> anyhow::Result<()> {
    let services = db.services().await?;
    let (threads, comments) = if file.as_os_str() == "-" {
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        crate::import::export::export(&services, site.as_ref(), &mut out).await?
    } else {
        // Written next to the target, then renamed: a failed export never leaves half a file.
        let tmp = file.with_extension("partial");
        let mut out = std::io::BufWriter::new(
            std::fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?,
        );
        let counts = crate::import::export::export(&services, site.as_ref(), &mut out).await?;
        drop(out);
        std::fs::rename(&tmp, file).with_context(|| format!("writing {}", file.display()))?;
        counts
    };
    eprintln!("exported {comments} comments in {threads} threads");
    Ok(())
}

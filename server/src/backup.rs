//! Backups of a SQLite database while the server keeps serving: `palabre backup FILE` once, or
//! `palabre serve --backup-dir DIR` on a schedule with rotation. Each is SQLite's
//! `VACUUM INTO` on a read connection: a consistent snapshot of one moment (never a copy of a
//! file being written), which takes no write lock, so posts go on meanwhile. It is written
//! under a temporary name and renamed when complete: a backup file is whole or absent.
//! PostgreSQL has `pg_dump` for this (README, "Backups").

use crate::config::BackupSchedule;
use crate::store::{Store, StoreError};
use palabre_api::Timestamp;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

/// Scheduled backups are `palabre-<UTC time>.db`: names sort as times do.
const PREFIX: &str = "palabre-";
const SUFFIX: &str = ".db";

/// Writes a snapshot of the database to `path` (replacing a file there); returns its size.
pub async fn backup_to(store: &dyn Store, path: &Path) -> Result<u64, BackupError> {
    let partial = PathBuf::from(format!("{}.partial", path.display()));
    match std::fs::remove_file(&partial) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(BackupError::Io(partial, e)),
    }
    store.backup_to(&partial).await?;
    let size = std::fs::metadata(&partial)
        .map_err(|e| BackupError::Io(partial.clone(), e))?
        .len();
    std::fs::rename(&partial, path).map_err(|e| BackupError::Io(path.to_owned(), e))?;
    Ok(size)
}

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("backing up the database")]
    Store(#[from] StoreError),
    #[error("writing {}", .0.display())]
    Io(PathBuf, #[source] std::io::Error),
}

/// The file a backup taken at `at` goes to.
pub fn scheduled_name(dir: &Path, at: Timestamp) -> PathBuf {
    dir.join(format!(
        "{PREFIX}{}{SUFFIX}",
        at.to_rfc3339().replace(':', "-")
    ))
}

/// Deletes the oldest scheduled backups in `dir` beyond `keep`; returns those deleted.
pub fn rotate(dir: &Path, keep: usize) -> std::io::Result<Vec<PathBuf>> {
    let mut backups: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(PREFIX) && n.ends_with(SUFFIX))
        })
        .collect();
    backups.sort();
    let excess = backups.len().saturating_sub(keep.max(1));
    let old: Vec<PathBuf> = backups.drain(..excess).collect();
    for path in &old {
        std::fs::remove_file(path)?;
    }
    Ok(old)
}

/// Takes a backup every `schedule.every` for as long as the server runs, logging each.
pub fn spawn(store: Arc<dyn Store>, schedule: BackupSchedule) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        tracing::info!(
            dir = %schedule.dir.display(),
            every = %humantime::format_duration(schedule.every),
            keep = schedule.keep,
            "backups scheduled"
        );
        let mut every = tokio::time::interval(schedule.every);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        every.tick().await; // the first tick is now: the first backup comes one period in
        loop {
            every.tick().await;
            let started = Instant::now();
            let path = scheduled_name(&schedule.dir, crate::clock::now());
            match backup_to(store.as_ref(), &path).await {
                Ok(bytes) => {
                    tracing::info!(file = %path.display(), bytes, ms = started.elapsed().as_millis() as u64, "backup written");
                    match rotate(&schedule.dir, schedule.keep) {
                        Ok(old) => {
                            for p in old {
                                tracing::info!(file = %p.display(), "old backup deleted");
                            }
                        }
                        Err(e) => tracing::error!(error = %e, "deleting old backups failed"),
                    }
                }
                Err(e) => {
                    let chain = format!("{:#}", anyhow::Error::from(e));
                    tracing::error!(error = %chain, file = %path.display(), "backup failed");
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_sort_as_times_and_rotation_keeps_the_newest() {
        let dir = tempfile::tempdir().unwrap();
        let times = [1_700_000_000_000, 1_700_000_000_500, 1_800_000_000_000];
        for t in times.iter().rev() {
            std::fs::write(scheduled_name(dir.path(), Timestamp::from_millis(*t)), b"x").unwrap();
        }
        std::fs::write(dir.path().join("notes.txt"), b"kept").unwrap();
        let deleted = rotate(dir.path(), 2).unwrap();
        assert_eq!(
            deleted,
            vec![scheduled_name(dir.path(), Timestamp::from_millis(times[0]))]
        );
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(left.len(), 3, "{left:?}");
        assert!(left.contains(&"notes.txt".to_owned()));
        assert!(!left.iter().any(|n| n.contains(':')), "{left:?}");
    }
}

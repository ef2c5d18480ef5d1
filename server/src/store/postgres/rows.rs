//! Rows into records. PostgreSQL has no unsigned integers: counts and depths are INTEGER
//! columns, read as `i32` and widened here.

use crate::store::{
    CommentRecord, SiteName, StoreError, ThreadRecord, lang_of, role_of, status_of,
};
use palabre_api::Timestamp;
use sqlx::Row;
use sqlx::postgres::PgRow;

/// A column that is never negative (a CHECK says so), as the record's unsigned type.
pub(super) fn unsigned(n: i32) -> u32 {
    u32::try_from(n).unwrap_or(0)
}

/// A record's unsigned count, for an INTEGER column.
pub(super) fn signed(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

pub(super) fn comment_from_row(row: &PgRow) -> Result<CommentRecord, StoreError> {
    let status = status_of(row.try_get("status")?)?;
    Ok(CommentRecord {
        id: row.try_get("id")?,
        site: SiteName::stored(row.try_get::<&str, _>("site")?),
        thread_key: row.try_get("thread_key")?,
        parent_id: row.try_get("parent_id")?,
        root_id: row.try_get("root_id")?,
        depth: unsigned(row.try_get("depth")?),
        status,
        author: row.try_get("author")?,
        email: row.try_get("email")?,
        website: row.try_get("website")?,
        avatar: row.try_get("avatar")?,
        body: row.try_get("body")?,
        html: row.try_get("html")?,
        created: Timestamp::from_millis(row.try_get("created_at")?),
        edited: row
            .try_get::<Option<i64>, _>("edited_at")?
            .map(Timestamp::from_millis),
        likes: unsigned(row.try_get("likes")?),
        dislikes: unsigned(row.try_get("dislikes")?),
        edit_token_hash: row.try_get("edit_token_hash")?,
        reader_hash: row.try_get("reader_hash")?,
        notify: row.try_get("notify")?,
        notify_lang: lang_of(row.try_get("notify_lang")?),
        spam: row.try_get("spam")?,
        identity_id: row.try_get("identity_id")?,
        role: role_of(row.try_get("role")?)?,
    })
}

pub(super) fn thread_from_row(row: &PgRow) -> Result<ThreadRecord, StoreError> {
    Ok(ThreadRecord {
        id: row.try_get("id")?,
        site: SiteName::stored(row.try_get::<&str, _>("site")?),
        key: row.try_get("key")?,
        title: row.try_get("title")?,
        locked: row.try_get("locked")?,
        hidden: row.try_get("hidden")?,
        count: row.try_get::<i64, _>("count")?.try_into().unwrap_or(0),
    })
}

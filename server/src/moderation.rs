//! What moderators can do, whoever asks (the admin pages, a signed link in an email): every
//! action is applied through here and written to the admin log (who, what, when).

use crate::clock::now;
use crate::error::{Error, Result};
use crate::identity::Caller;
use crate::render::render;
use crate::services::Services;
use crate::store::{
    AuditEntry, BlockKind, CommentChange, CommentFilter, CommentRecord, ListedStatus, ThreadRef,
};
use palabre_api::{
    Comment, CommentBody, CommentModeration, CommentStatus, ErrorCode, HeldComments, Moderated,
};

/// An action on one or several comments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommentAction {
    Approve,
    /// Refuse a held comment: it is removed.
    Reject,
    /// Keep it out of sight and out of the queue.
    Spam,
    Delete,
    BlockEmail,
    BlockReader,
}

impl CommentAction {
    pub const ALL: [Self; 6] = [
        Self::Approve,
        Self::Reject,
        Self::Spam,
        Self::Delete,
        Self::BlockEmail,
        Self::BlockReader,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Reject => "reject",
            Self::Spam => "spam",
            Self::Delete => "delete",
            Self::BlockEmail => "block_email",
            Self::BlockReader => "block_reader",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThreadAction {
    Lock,
    Unlock,
    Hide,
    Show,
}

impl ThreadAction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Lock => "lock",
            Self::Unlock => "unlock",
            Self::Hide => "hide",
            Self::Show => "show",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Lock, Self::Unlock, Self::Hide, Self::Show]
            .into_iter()
            .find(|a| a.as_str() == s)
    }
}

async fn log(services: &Services, actor: &str, action: &str, target: String, detail: String) {
    let entry = AuditEntry {
        at: now(),
        actor: actor.to_owned(),
        action: action.to_owned(),
        target,
        detail,
    };
    // The action is done; a failure to log it is reported, not turned into a failed action.
    if let Err(e) = services.store.log_action(&entry).await {
        tracing::error!(error = %e, action, "could not write the admin log");
    }
}

/// Applies `action` to each comment of `ids`; returns how many it changed. Comments that are
/// gone are skipped. A change of status or a deletion is done for all of them at once or not
/// at all (one transaction with its log entries); blocks are added one by one, and adding one
/// twice does nothing, so an interrupted block action completes when run again.
pub async fn apply(
    services: &Services,
    actor: &str,
    action: CommentAction,
    ids: &[i64],
) -> Result<usize> {
    let change = match action {
        CommentAction::Approve => CommentChange::Publish,
        CommentAction::Spam => CommentChange::MarkSpam,
        CommentAction::Reject | CommentAction::Delete => CommentChange::Delete,
        CommentAction::BlockEmail | CommentAction::BlockReader => {
            return block_each(services, actor, action, ids).await;
        }
    };
    let at = now();
    let applies = |c: &CommentRecord| match change {
        // Held, or flagged as spam; never a deleted one's placeholder.
        CommentChange::Publish => {
            c.status != CommentStatus::Deleted && (c.spam || c.status != CommentStatus::Published)
        }
        CommentChange::MarkSpam => !c.spam,
        CommentChange::Delete => true,
    };
    let decide = |c: &CommentRecord| {
        applies(c).then(|| AuditEntry {
            at,
            actor: actor.to_owned(),
            action: action.as_str().to_owned(),
            target: format!("comment {}", c.id),
            detail: format!("thread {}", c.thread_label()),
        })
    };
    let changed = services
        .store
        .moderate_comments(ids, change, &decide)
        .await?;
    if change == CommentChange::Publish {
        // Mailed once the approval is stored, never for one that was rolled back.
        for approved in &changed {
            crate::notify::comment_published(services, approved).await;
        }
    }
    Ok(changed.len())
}

async fn block_each(
    services: &Services,
    actor: &str,
    action: CommentAction,
    ids: &[i64],
) -> Result<usize> {
    let mut changed = 0;
    for &id in ids {
        let Some(comment) = services.store.comment(id).await? else {
            continue;
        };
        let block = match action {
            CommentAction::BlockEmail => comment
                .email
                .as_ref()
                .map(|email| (BlockKind::Email, email.to_lowercase())),
            _ => Some((BlockKind::Reader, comment.reader_hash.clone())),
        };
        let Some((kind, value)) = block else {
            continue;
        };
        services.store.add_block(kind, &value, now()).await?;
        changed += 1;
        log(
            services,
            actor,
            action.as_str(),
            format!("comment {id}"),
            format!("thread {}", comment.thread_label()),
        )
        .await;
    }
    Ok(changed)
}

/// A moderator's correction of a comment's text (same rules and rendering as readers').
pub async fn edit(services: &Services, actor: &str, id: i64, body: &str) -> Result<()> {
    let body = CommentBody::parse(body, services.settings.max_body_length as usize)?;
    let html = render(&body);
    services
        .store
        .update_comment_body(id, body.as_str(), &html, now())
        .await?
        .ok_or(Error::Refused(ErrorCode::CommentNotFound))?;
    log(
        services,
        actor,
        "edit",
        format!("comment {id}"),
        String::new(),
    )
    .await;
    Ok(())
}

/// Returns false if the thread does not exist.
pub async fn thread(
    services: &Services,
    actor: &str,
    thread: &ThreadRef,
    action: ThreadAction,
) -> Result<bool> {
    let store = &services.store;
    let done = match action {
        ThreadAction::Lock => store.set_thread_locked(thread, true).await?,
        ThreadAction::Unlock => store.set_thread_locked(thread, false).await?,
        ThreadAction::Hide => store.set_thread_hidden(thread, true).await?,
        ThreadAction::Show => store.set_thread_hidden(thread, false).await?,
    };
    if done {
        log(
            services,
            actor,
            action.as_str(),
            format!("thread {thread}"),
            String::new(),
        )
        .await;
    }
    Ok(done)
}

/// The admin an author's session (signed in inside the widget) belongs to: the actor the log
/// names, as `/admin` does. Anyone else may not moderate.
fn moderator(caller: &Caller) -> Result<&str> {
    if !caller.is_author() {
        return Err(Error::Refused(ErrorCode::ModeratorOnly));
    }
    Ok(&caller.identity.subject)
}

/// The most held comments of one thread shown in the widget at once.
const HELD_IN_PLACE_LIMIT: u32 = 100;

/// The thread's comments awaiting moderation, for its site's author, oldest first.
pub async fn held_in_thread(
    services: &Services,
    thread: &ThreadRef,
    caller: &Caller,
) -> Result<HeldComments> {
    if caller.identity.site != thread.site {
        return Err(Error::Refused(ErrorCode::ModeratorOnly));
    }
    moderator(caller)?;
    let held = services
        .store
        .list_comments(&CommentFilter {
            site: Some(thread.site.clone()),
            thread: Some(thread.key.as_str().to_owned()),
            status: Some(ListedStatus::Pending),
            oldest_first: true,
            limit: HELD_IN_PLACE_LIMIT,
            ..CommentFilter::default()
        })
        .await?;
    Ok(HeldComments {
        comments: held.into_iter().map(Comment::from).collect(),
    })
}

/// One action on one comment of the caller's site, from inside the widget: the same as
/// [`apply`] from `/admin`. Answers the comment as readers now see it.
pub async fn apply_in_place(
    services: &Services,
    caller: &Caller,
    id: i64,
    action: CommentModeration,
) -> Result<Moderated> {
    let actor = moderator(caller)?;
    let of_site = |c: &CommentRecord| c.site == caller.identity.site;
    if !services
        .store
        .comment(id)
        .await?
        .is_some_and(|c| of_site(&c))
    {
        return Err(Error::Refused(ErrorCode::CommentNotFound));
    }
    let action = match action {
        CommentModeration::Approve => CommentAction::Approve,
        CommentModeration::Reject => CommentAction::Reject,
        CommentModeration::Spam => CommentAction::Spam,
        CommentModeration::Delete => CommentAction::Delete,
        CommentModeration::BlockEmail => CommentAction::BlockEmail,
        CommentModeration::BlockReader => CommentAction::BlockReader,
    };
    let changed = apply(services, actor, action, &[id]).await?;
    let comment = services
        .store
        .comment(id)
        .await?
        .filter(|c| {
            !c.spam && (c.status == CommentStatus::Published || c.status == CommentStatus::Deleted)
        })
        .map(Comment::from);
    Ok(Moderated {
        changed: changed as u64,
        comment,
    })
}

/// Locks or reopens a thread of the caller's site from inside the widget.
pub async fn lock_in_place(
    services: &Services,
    caller: &Caller,
    thread: &ThreadRef,
    locked: bool,
) -> Result<()> {
    let actor = moderator(caller)?;
    if caller.identity.site != thread.site {
        return Err(Error::Refused(ErrorCode::ModeratorOnly));
    }
    let action = if locked {
        ThreadAction::Lock
    } else {
        ThreadAction::Unlock
    };
    if !self::thread(services, actor, thread, action).await? {
        return Err(Error::Refused(ErrorCode::NotFound));
    }
    Ok(())
}

/// The longest reader hash a block takes (ours are 32 hex digits; imports may carry others).
const MAX_BLOCKED_READER_BYTES: usize = 254;

pub async fn block(services: &Services, actor: &str, kind: BlockKind, value: &str) -> Result<()> {
    let value = match kind {
        BlockKind::Email => match palabre_api::Email::parse(value) {
            Ok(Some(email)) => email.normalized(),
            _ => return Err(Error::Refused(ErrorCode::InvalidField)),
        },
        // A reader hash, as the admin pages show it.
        BlockKind::Reader => value.trim().to_owned(),
    };
    if value.is_empty() || value.len() > MAX_BLOCKED_READER_BYTES {
        return Err(Error::Refused(ErrorCode::InvalidField));
    }
    services.store.add_block(kind, &value, now()).await?;
    log(
        services,
        actor,
        "block",
        format!("{} {value}", kind.as_str()),
        String::new(),
    )
    .await;
    Ok(())
}

pub async fn unblock(
    services: &Services,
    actor: &str,
    kind: BlockKind,
    value: &str,
) -> Result<bool> {
    let done = services.store.remove_block(kind, value).await?;
    if done {
        log(
            services,
            actor,
            "unblock",
            format!("{} {value}", kind.as_str()),
            String::new(),
        )
        .await;
    }
    Ok(done)
}

/// Records something an admin did that changes no comment (sign-in, sign-out, failures).
pub async fn record(services: &Services, actor: &str, action: &str, detail: String) {
    log(services, actor, action, String::new(), detail).await;
}

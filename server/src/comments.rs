//! What readers can do with comments: the rules between the HTTP edge (which parses input)
//! and the store (which persists it). Authorization, depth clamping, rendering, moderation.

use crate::clock::now;
use crate::crypto;
use crate::error::{Error, Result};
use crate::render::render;
use crate::services::Services;
use crate::spam;
use crate::store::CommentRecord;
use crate::store::{
    Cursor, Deletion, NewCommentRecord, PageQuery, ParentPosition, SiteName, StoreError, ThreadRef,
};
use palabre_api::i18n::{Lang, Words};
use palabre_api::{
    Comment, CommentBody, CommentRules, CommentStatus, CountsResponse, CreatedComment,
    DeleteResult, ErrorCode, ModerationMode, NewComment, PreviewResponse, ServerConfig, SortOrder,
    Thread, ThreadKey, ThreadPage, ValidationError, VoteCounts, VoteValue,
};
use std::collections::BTreeMap;
use std::net::IpAddr;

use palabre_api::MAX_PAGE_SIZE;

/// What the widget of this site is told of the rules.
pub fn server_config(services: &Services, site: &SiteName) -> ServerConfig {
    let s = &services.settings;
    ServerConfig {
        require_author: s.require_author,
        require_email: s.require_email,
        edit_window_secs: s.edit_window.as_secs(),
        max_body_length: s.max_body_length,
        max_depth: s.max_depth,
        moderation: s.moderation_of(site),
        max_page_size: MAX_PAGE_SIZE,
        feeds: s.feeds,
        site: (s.sites.len() > 1).then(|| site.to_string()),
    }
}

fn rules(services: &Services, site: &SiteName) -> CommentRules {
    CommentRules::from(&server_config(services, site))
}

pub async fn thread_page(
    services: &Services,
    thread: ThreadRef,
    sort: SortOrder,
    limit: u32,
    cursor: Option<Cursor>,
) -> Result<ThreadPage> {
    let query = PageQuery {
        thread,
        sort,
        limit,
        after: cursor,
    };
    let page = services.store.thread_page(&query).await?;
    // A hidden thread reads as an empty, closed one.
    let exists = page.is_some();
    let Some(page) = page.filter(|p| !p.thread.hidden) else {
        let locked = exists;
        return Ok(ThreadPage {
            thread: Thread {
                key: query.thread.key.into_string(),
                title: None,
                count: 0,
                locked,
            },
            comments: Vec::new(),
            next_cursor: None,
        });
    };
    let comments = page.comments.into_iter().map(Comment::from).collect();
    Ok(ThreadPage {
        thread: Thread {
            key: page.thread.key,
            title: page.thread.title,
            count: page.thread.count,
            locked: page.thread.locked,
        },
        comments: palabre_api::tree::display_order(comments),
        next_cursor: page.next.map(|c| c.encode()),
    })
}

/// Where a reply to `parent_id` goes: the parent itself, or its deepest ancestor that still
/// leaves room under the depth cap (`None`: top level).
async fn place_reply(
    services: &Services,
    thread: &ThreadRef,
    parent_id: i64,
) -> Result<Option<ParentPosition>> {
    let not_found = ValidationError::new(ErrorCode::ParentNotFound, "parent");
    let parent = match services.store.comment(parent_id).await? {
        Some(p)
            if p.site == thread.site
                && p.thread_key == thread.key.as_str()
                && p.status == CommentStatus::Published =>
        {
            p
        }
        _ => return Err(not_found.into()),
    };
    let max_depth = services.settings.max_depth;
    let mut candidate = parent;
    while candidate.depth + 1 > max_depth {
        let Some(up) = candidate.parent_id else {
            return Ok(None);
        };
        candidate = services.store.comment(up).await?.ok_or(not_found)?;
    }
    Ok(Some(ParentPosition {
        id: candidate.id,
        root_id: candidate.root_id,
        depth: candidate.depth,
    }))
}

async fn initial_status(
    services: &Services,
    site: &SiteName,
    email: Option<&str>,
    suspicious: bool,
) -> Result<CommentStatus> {
    if suspicious {
        return Ok(CommentStatus::Pending);
    }
    Ok(match services.settings.moderation_of(site) {
        ModerationMode::None => CommentStatus::Published,
        ModerationMode::All => CommentStatus::Pending,
        ModerationMode::First => match email {
            Some(e) if services.store.published_by_email(site, e).await? > 0 => {
                CommentStatus::Published
            }
            _ => CommentStatus::Pending,
        },
    })
}

/// Posts `input` on a thread of `site`.
pub async fn create(
    services: &Services,
    site: &SiteName,
    input: NewComment,
    client: IpAddr,
) -> Result<CreatedComment> {
    if input
        .homepage
        .as_deref()
        .is_some_and(|h| !h.trim().is_empty())
    {
        return Ok(decoy(services, &input));
    }
    if let Some(first) = posted_before(services, site, &input).await? {
        return Ok(first);
    }
    let valid = input.validate(&rules(services, site))?;
    let thread = ThreadRef::new(site.clone(), valid.thread);
    let reader_hash = services.keys.reader_hash(client);
    let email_str = valid.email.as_ref().map(|e| e.as_str());
    let gate = services
        .store
        .post_gate(&thread, email_str, &reader_hash)
        .await?;
    if gate.thread_closed {
        return Err(Error::Refused(ErrorCode::ThreadLocked));
    }
    let parent = match valid.parent {
        Some(id) => place_reply(services, &thread, id).await?,
        None => None,
    };
    if gate.blocked {
        return Err(Error::Refused(ErrorCode::Blocked));
    }
    let html = render(&valid.body);
    let spam_rules = &services.settings.spam;
    if spam::count_links(&html) > spam_rules.max_links as usize {
        return Err(ValidationError::new(ErrorCode::TooManyLinks, "body").into());
    }
    let suspicious = spam::has_blocked_word(
        &spam_rules.blocked_words,
        &[
            valid.body.as_str(),
            valid.author.as_ref().map_or("", |a| a.as_str()),
            valid.website.as_ref().map_or("", |w| w.as_str()),
            email_str.unwrap_or(""),
        ],
    );
    // Last, once everything else about the post is valid.
    let challenge = spam::check(services, input.pow.as_ref(), &reader_hash)?;
    let identity = match (&valid.email, &valid.author) {
        (Some(email), _) => format!("email:{}", email.normalized()),
        (None, Some(author)) => format!("name:{author}"),
        (None, None) => format!("reader:{reader_hash}"),
    };
    let email = valid.email.map(|e| e.into_string());
    let status = initial_status(services, site, email.as_deref(), suspicious).await?;
    let (edit_token, edit_token_hash) = services.keys.edit_token(&challenge.nonce);
    let record = NewCommentRecord {
        html,
        thread,
        title: valid.title.map(|t| t.into_string()),
        parent,
        status,
        author: valid.author.map(|a| a.into_string()),
        email,
        website: valid.website.map(|w| w.into_string()),
        avatar: services.keys.avatar_seed(&identity),
        body: valid.body.into_string(),
        created: now(),
        edit_token_hash,
        reader_hash,
        notify: valid.notify,
        notify_lang: valid.notify_lang,
        challenge: Some(challenge),
    };
    let stored = services
        .store
        .insert_comment(record)
        .await
        .map_err(|e| match e {
            // The parent was deleted between the check and the insert.
            StoreError::ForeignKey => {
                Error::Invalid(ValidationError::new(ErrorCode::ParentNotFound, "parent"))
            }
            StoreError::ChallengeSpent => Error::Refused(ErrorCode::ChallengeInvalid),
            other => other.into(),
        });
    let stored = match stored {
        // Sent again while the first was being written: the first answer, now it is there.
        Err(Error::Refused(ErrorCode::ChallengeInvalid)) => {
            return posted_before(services, site, &input)
                .await?
                .ok_or(Error::Refused(ErrorCode::ChallengeInvalid));
        }
        other => other?,
    };
    crate::notify::comment_created(services, &stored).await;
    Ok(CreatedComment {
        comment: Comment::from(stored),
        edit_token,
    })
}

/// The first answer to a post sent again (its answer was lost to a dropped connection or a
/// proxy's timeout, and the widget retried): the comment its challenge already made, with its
/// edit token, and nothing stored anew. Only for the reader the challenge was issued to, on
/// the same thread and under the same parent; the challenge may have expired since.
async fn posted_before(
    services: &Services,
    site: &SiteName,
    input: &NewComment,
) -> Result<Option<CreatedComment>> {
    let Some((pow, key)) = input
        .pow
        .as_ref()
        .and_then(|p| Some((p, spam::nonce_of(p)?)))
    else {
        return Ok(None);
    };
    let Some(first) = services.store.comment_by_post_key(key).await? else {
        return Ok(None);
    };
    // Signed for the reader who posted first: the retry may come from another network (a
    // phone that left the Wi-Fi as the connection dropped).
    let same_post = &first.site == site
        && ThreadKey::parse(&input.thread).is_ok_and(|k| k.as_str() == first.thread_key)
        && first.parent_id == input.parent
        && spam::solved_by(services, pow, &first.reader_hash);
    let (edit_token, hash) = services.keys.edit_token(key);
    if !same_post || hash != first.edit_token_hash {
        // Another post with a spent challenge: refused as a replay, as it always was.
        return Err(Error::Refused(ErrorCode::ChallengeInvalid));
    }
    Ok(Some(CreatedComment {
        comment: Comment::from(first),
        edit_token,
    }))
}

/// The answer a bot gets when it fills the honeypot: shaped like success, stored nowhere.
fn decoy(services: &Services, input: &NewComment) -> CreatedComment {
    tracing::info!("honeypot filled: post dropped");
    let body = CommentBody::parse(&input.body, usize::MAX).ok();
    CreatedComment {
        comment: Comment {
            id: i64::from(u32::from_le_bytes(crypto::random_bytes::<4>()) >> 1),
            parent: input.parent,
            author: input.author.clone(),
            website: None,
            avatar: services.keys.avatar_seed("decoy"),
            html: body.as_ref().map(render).unwrap_or_default(),
            created: now(),
            edited: None,
            likes: 0,
            dislikes: 0,
            status: CommentStatus::Published,
        },
        edit_token: crypto::new_edit_token().0,
    }
}

/// A comment of this site (another site's is not found: ids are server-wide).
async fn of_site(services: &Services, site: &SiteName, id: i64) -> Result<CommentRecord> {
    services
        .store
        .comment(id)
        .await?
        .filter(|c| &c.site == site)
        .ok_or(Error::Refused(ErrorCode::CommentNotFound))
}

/// One comment: published ones for anyone, a pending one only for its author (by edit
/// token), so a reader sees their own comment "awaiting moderation" after a reload.
pub async fn one(
    services: &Services,
    site: &SiteName,
    id: i64,
    token: Option<&str>,
) -> Result<Comment> {
    let comment = of_site(services, site, id).await?;
    let hidden = services
        .store
        .thread(&comment.thread()?)
        .await?
        .is_none_or(|t| t.hidden);
    let is_author = token.is_some_and(|t| crypto::edit_token_matches(t, &comment.edit_token_hash));
    let visible = match comment.status {
        _ if comment.spam => is_author,
        CommentStatus::Pending => is_author,
        CommentStatus::Published | CommentStatus::Deleted => !hidden || is_author,
    };
    if !visible {
        return Err(Error::Refused(ErrorCode::CommentNotFound));
    }
    Ok(comment.into())
}

/// Loads a comment and checks that `token` proves authorship within the edit window.
async fn authorize(
    services: &Services,
    site: &SiteName,
    id: i64,
    token: &str,
) -> Result<CommentRecord> {
    let comment = of_site(services, site, id).await?;
    if !crypto::edit_token_matches(token, &comment.edit_token_hash) {
        return Err(Error::Refused(ErrorCode::TokenInvalid));
    }
    if comment.status == CommentStatus::Deleted {
        return Err(Error::Refused(ErrorCode::CommentDeleted));
    }
    let window_ms = i64::try_from(services.settings.edit_window.as_millis()).unwrap_or(i64::MAX);
    if now().as_millis() >= comment.created.as_millis().saturating_add(window_ms) {
        return Err(Error::Refused(ErrorCode::EditWindowClosed));
    }
    Ok(comment)
}

pub async fn edit(
    services: &Services,
    site: &SiteName,
    id: i64,
    token: &str,
    body: &str,
) -> Result<Comment> {
    let body = CommentBody::parse(body, services.settings.max_body_length as usize)?;
    authorize(services, site, id, token).await?;
    let html = render(&body);
    let updated = services
        .store
        .update_comment_body(id, body.as_str(), &html, now())
        .await?
        .ok_or(Error::Refused(ErrorCode::CommentNotFound))?;
    Ok(updated.into())
}

pub async fn delete(
    services: &Services,
    site: &SiteName,
    id: i64,
    token: &str,
) -> Result<DeleteResult> {
    authorize(services, site, id, token).await?;
    match services.store.delete_comment(id).await? {
        None => Err(Error::Refused(ErrorCode::CommentNotFound)),
        Some(Deletion::Removed) => Ok(DeleteResult { placeholder: None }),
        Some(Deletion::Placeholder(c)) => Ok(DeleteResult {
            placeholder: Some(Comment::from(*c)),
        }),
    }
}

pub async fn vote(
    services: &Services,
    site: &SiteName,
    id: i64,
    client: IpAddr,
    value: VoteValue,
) -> Result<VoteCounts> {
    let comment = of_site(services, site, id).await?;
    match comment.status {
        CommentStatus::Published => {}
        CommentStatus::Deleted => return Err(Error::Refused(ErrorCode::CommentDeleted)),
        CommentStatus::Pending => return Err(Error::Refused(ErrorCode::CommentNotFound)),
    }
    let voter = services.keys.reader_hash(client);
    let (likes, dislikes) = services
        .store
        .vote(id, &voter, value)
        .await
        .map_err(|e| match e {
            StoreError::ForeignKey => Error::Refused(ErrorCode::CommentNotFound),
            other => other.into(),
        })?;
    Ok(VoteCounts {
        likes,
        dislikes,
        value: value.as_i64(),
    })
}

/// Each thread's count; worded in `lang` too when given (count badges: the server words them,
/// so a page of badges needs none of the widget's code).
pub async fn counts(
    services: &Services,
    site: &SiteName,
    keys: &[ThreadKey],
    lang: Option<Lang>,
) -> Result<CountsResponse> {
    let found = services.store.threads(site, keys).await?;
    let counts: BTreeMap<String, u64> = keys
        .iter()
        .map(|k| {
            (
                k.as_str().to_owned(),
                found.get(k.as_str()).map_or(0, |t| t.count),
            )
        })
        .collect();
    let labels = lang.map(|lang| {
        counts
            .iter()
            .map(|(k, n)| (k.clone(), Words::builtin(lang).comment_count(*n)))
            .collect()
    });
    Ok(CountsResponse { counts, labels })
}

pub fn preview(services: &Services, body: &str) -> Result<PreviewResponse> {
    let body = CommentBody::parse(body, services.settings.max_body_length as usize)?;
    Ok(PreviewResponse {
        html: render(&body),
    })
}

//! What readers can do with comments: the rules between the HTTP edge (which parses input)
//! and the store (which persists it). Authorization, depth clamping, rendering, moderation.

use crate::clock::now;
use crate::crypto;
use crate::error::{Error, Result};
use crate::identity::{self, Caller};
use crate::render::render;
use crate::services::Services;
use crate::spam;
use crate::store::{CommentFilter, CommentRecord};
use crate::store::{
    Cursor, Deletion, NewCommentRecord, PageQuery, ParentPosition, SiteName, StoreError, ThreadRef,
};
use palabre_api::i18n::{Lang, Words};
use palabre_api::{
    Comment, CommentBody, CommentRules, CommentStatus, CountsResponse, CreatedComment,
    DeleteResult, ErrorCode, ModerationMode, MyComment, MyComments, NewComment, PreviewResponse,
    Role, ServerConfig, SortOrder, Thread, ThreadKey, ThreadPage, ValidationError, VoteCounts,
    VoteValue,
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
        sign_in: [
            (
                identity::email_offered(services),
                palabre_api::SIGN_IN_EMAIL,
            ),
            (s.sso_of(site).is_some(), palabre_api::SIGN_IN_SSO),
        ]
        .into_iter()
        .filter(|(on, _)| *on)
        .map(|(_, name)| name.to_owned())
        .collect(),
        members_only: s.sso_required_of(site),
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
    caller: Option<&Caller>,
    suspicious: bool,
) -> Result<CommentStatus> {
    if caller.is_some_and(Caller::is_author) {
        return Ok(CommentStatus::Published);
    }
    if suspicious {
        return Ok(CommentStatus::Pending);
    }
    Ok(match services.settings.moderation_of(site) {
        ModerationMode::None => CommentStatus::Published,
        ModerationMode::All => CommentStatus::Pending,
        // Trust follows a proven identity, never a typed email.
        ModerationMode::First => match caller {
            Some(c) if services.store.published_by_identity(c.identity.id).await? > 0 => {
                CommentStatus::Published
            }
            _ => CommentStatus::Pending,
        },
    })
}

/// The name and email a post goes out under: a guest's as typed (a name not reserved by
/// someone else); a verified reader's proven email, with the name they type (which becomes
/// theirs); a member's and the author's as their identity says.
async fn speaker(
    services: &Services,
    site: &SiteName,
    caller: Option<&Caller>,
    typed_name: Option<String>,
    typed_email: Option<String>,
) -> Result<(Option<String>, Option<String>)> {
    let store = &*services.store;
    let configured = services
        .settings
        .admin_password_hash
        .as_ref()
        .map(|_| crate::identity::passwords::CONFIGURED_ADMIN);
    let Some(c) = caller else {
        if let Some(name) = &typed_name {
            identity::check_name(store, configured, site, name, None).await?;
        }
        return Ok((typed_name, typed_email));
    };
    let id = &c.identity;
    match id.role {
        Role::Verified => {
            let name = match typed_name {
                Some(name) => {
                    identity::check_name(store, configured, site, &name, caller).await?;
                    if id.name.as_deref() != Some(name.as_str()) {
                        let key = identity::name_key(&name);
                        if !key.is_empty() {
                            store.set_identity_name(id.id, &name, &key).await?;
                        }
                    }
                    Some(name)
                }
                None => id.name.clone(),
            };
            Ok((name, id.email.clone()))
        }
        Role::Member => {
            if let Some(name) = &id.name {
                identity::check_name(store, configured, site, name, caller).await?;
            }
            Ok((id.name.clone(), id.email.clone()))
        }
        Role::Author | Role::Guest | Role::Fediverse => Ok((id.name.clone(), None)),
    }
}

/// Posts `input` on a thread of `site`.
pub async fn create(
    services: &Services,
    site: &SiteName,
    input: NewComment,
    client: IpAddr,
    caller: Option<&Caller>,
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
    let member = caller.is_some_and(|c| matches!(c.identity.role, Role::Member | Role::Author));
    if services.settings.sso_required_of(site) && !member {
        return Err(Error::Refused(ErrorCode::SignInRequired));
    }
    let mut rules = rules(services, site);
    if caller.is_some() {
        // Their identity gives the name and email.
        rules.require_author = false;
        rules.require_email = false;
    }
    let valid = input.validate(&rules)?;
    // Replies may be asked for at the address the post goes out under, typed or proven.
    let wants_replies = input.notify.unwrap_or(false);
    let (author, email) = speaker(
        services,
        site,
        caller,
        valid.author.map(|a| a.into_string()),
        valid.email.as_ref().map(|e| e.as_str().to_owned()),
    )
    .await?;
    let notify = wants_replies && email.is_some();
    let notify_lang = input
        .lang
        .as_deref()
        .and_then(Lang::from_tag)
        .filter(|_| notify);
    let thread = ThreadRef::new(site.clone(), valid.thread);
    let reader_hash = services.keys.reader_hash(client);
    let email_str = email.as_deref();
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
            author.as_deref().unwrap_or(""),
            valid.website.as_ref().map_or("", |w| w.as_str()),
            email_str.unwrap_or(""),
        ],
    );
    // Last, once everything else about the post is valid.
    let challenge = spam::check(services, input.pow.as_ref(), &reader_hash)?;
    let avatar_of = match (&email, &author) {
        (Some(email), _) => format!("email:{}", email.to_lowercase()),
        (None, Some(author)) => format!("name:{author}"),
        (None, None) => format!("reader:{reader_hash}"),
    };
    let status = initial_status(services, site, caller, suspicious).await?;
    // Reply notifications go to proven addresses only: an unproven one is sent a code first
    // (double opt-in), and nothing else until the code is typed.
    let code_sent = match (&email, notify, caller) {
        (Some(address), true, None) if identity::email_offered(services) => {
            match palabre_api::Email::parse(address).ok().flatten() {
                Some(to) => {
                    let lang = notify_lang.unwrap_or(services.settings.language);
                    identity::send_code(
                        &*services.store,
                        &services.keys,
                        &services.notifier,
                        &identity::CodePlace {
                            label: &services.settings.site_label(site),
                            base_url: &services.settings.base_url(),
                        },
                        site,
                        &to,
                        lang,
                    )
                    .await
                    .is_ok()
                }
                None => false,
            }
        }
        _ => false,
    };
    let (edit_token, edit_token_hash) = services.keys.edit_token(&challenge.nonce);
    let record = NewCommentRecord {
        html,
        thread,
        title: valid.title.map(|t| t.into_string()),
        parent,
        status,
        author,
        email,
        website: valid.website.map(|w| w.into_string()),
        avatar: services.keys.avatar_seed(&avatar_of),
        body: valid.body.into_string(),
        created: now(),
        edit_token_hash,
        reader_hash,
        notify,
        notify_lang,
        challenge: Some(challenge),
        identity_id: caller.map(|c| c.identity.id),
        role: caller.map_or(Role::Guest, |c| c.identity.role),
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
        code_sent,
    })
}

/// A reply that came from the fediverse, read and placed by `crate::federation`.
#[derive(Debug, Clone)]
pub struct RemoteReply {
    pub thread: ThreadRef,
    /// The comment it answers, in this thread.
    pub parent: Option<i64>,
    /// The actor's display name (or handle).
    pub author: String,
    /// Their profile page, linked from the name.
    pub profile_url: Option<String>,
    /// The actor's id: what blocks and trust are keyed by.
    pub actor: String,
    /// The object's content, reduced to Markdown from the HTML the remote server sent.
    pub markdown: String,
    pub published: palabre_api::Timestamp,
    /// Whether the actor has had a comment published here before (trust in `first` mode).
    pub trusted: bool,
}

/// Stores a fediverse reply as a comment, through the site's rules as any post: a closed
/// thread, blocks (keyed by the actor), blocked words and the link limit, then moderation
/// (in `first` mode, an actor's first comment waits). Its Markdown is rendered by our own
/// renderer and sanitizer: nothing the remote server allowed survives unless our rules allow
/// it.
pub async fn from_fediverse(services: &Services, reply: RemoteReply) -> Result<CommentRecord> {
    let reader_hash = services.keys.actor_hash(&reply.actor);
    let gate = services
        .store
        .post_gate(&reply.thread, None, &reader_hash)
        .await?;
    if gate.thread_closed {
        return Err(Error::Refused(ErrorCode::ThreadLocked));
    }
    if gate.blocked {
        return Err(Error::Refused(ErrorCode::Blocked));
    }
    let parent = match reply.parent {
        Some(id) => place_reply(services, &reply.thread, id).await?,
        None => None,
    };
    let body = CommentBody::parse(
        reply.markdown.trim(),
        services.settings.max_body_length as usize,
    )?;
    let html = render(&body);
    let spam_rules = &services.settings.spam;
    if spam::count_links(&html) > spam_rules.max_links as usize {
        return Err(ValidationError::new(ErrorCode::TooManyLinks, "body").into());
    }
    let suspicious = spam::has_blocked_word(
        &spam_rules.blocked_words,
        &[
            body.as_str(),
            &reply.author,
            reply.profile_url.as_deref().unwrap_or(""),
        ],
    );
    let status = match (
        suspicious,
        services.settings.moderation_of(&reply.thread.site),
    ) {
        (true, _) | (false, ModerationMode::All) => CommentStatus::Pending,
        (false, ModerationMode::None) => CommentStatus::Published,
        (false, ModerationMode::First) if reply.trusted => CommentStatus::Published,
        (false, ModerationMode::First) => CommentStatus::Pending,
    };
    // A remote display name is shortened, not refused: the reader chose it elsewhere.
    let author: String = reply
        .author
        .chars()
        .take(palabre_api::MAX_AUTHOR_GRAPHEMES)
        .collect();
    let author = palabre_api::AuthorName::parse(&author)
        .ok()
        .flatten()
        .map(|a| a.into_string());
    let record = NewCommentRecord {
        html,
        thread: reply.thread,
        title: None,
        parent,
        status,
        author,
        email: None,
        website: reply.profile_url,
        avatar: services.keys.avatar_seed(&format!("actor:{}", reply.actor)),
        body: body.into_string(),
        created: reply.published,
        edit_token_hash: crypto::new_edit_token().1,
        reader_hash,
        notify: false,
        notify_lang: None,
        challenge: None,
        identity_id: None,
        role: Role::Fediverse,
    };
    let stored = services
        .store
        .insert_comment(record)
        .await
        .map_err(|e| match e {
            StoreError::ForeignKey => {
                Error::Invalid(ValidationError::new(ErrorCode::ParentNotFound, "parent"))
            }
            other => other.into(),
        })?;
    crate::notify::comment_created(services, &stored).await;
    Ok(stored)
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
        code_sent: false,
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
            role: Role::Guest,
        },
        edit_token: crypto::new_edit_token().0,
        code_sent: false,
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
    caller: Option<&Caller>,
) -> Result<Comment> {
    let comment = of_site(services, site, id).await?;
    let hidden = services
        .store
        .thread(&comment.thread()?)
        .await?
        .is_none_or(|t| t.hidden);
    let is_author = owns(&comment, token, caller);
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

/// The most of a signed-in reader's comments one thread lists for them.
const MY_COMMENTS_LIMIT: u32 = 200;

/// The caller's comments in one thread that they may still edit, or that await moderation:
/// what the widget needs, on any device where they signed in, to offer Edit and Delete and to
/// show them their held comments.
pub async fn mine(services: &Services, thread: &ThreadRef, caller: &Caller) -> Result<MyComments> {
    let listed = services
        .store
        .list_comments(&CommentFilter {
            site: Some(thread.site.clone()),
            thread: Some(thread.key.as_str().to_owned()),
            identity: Some(caller.identity.id),
            oldest_first: true,
            limit: MY_COMMENTS_LIMIT,
            ..CommentFilter::default()
        })
        .await?;
    let window_ms = i64::try_from(services.settings.edit_window.as_millis()).unwrap_or(i64::MAX);
    let now_ms = now().as_millis();
    let comments = listed
        .into_iter()
        .filter(|c| !c.spam && c.status != CommentStatus::Deleted)
        .filter(|c| {
            c.status == CommentStatus::Pending
                || now_ms < c.created.as_millis().saturating_add(window_ms)
        })
        .map(|c| MyComment {
            body: c.body.clone(),
            comment: c.into(),
        })
        .collect();
    Ok(MyComments { comments })
}

/// Whether the edit token, or the caller's identity (from any device), proves the comment is
/// theirs.
fn owns(comment: &CommentRecord, token: Option<&str>, caller: Option<&Caller>) -> bool {
    token.is_some_and(|t| crypto::edit_token_matches(t, &comment.edit_token_hash))
        || caller.is_some_and(|c| comment.identity_id == Some(c.identity.id))
}

/// Loads a comment and checks that its edit token or its author's session proves
/// authorship, within the edit window.
async fn authorize(
    services: &Services,
    site: &SiteName,
    id: i64,
    proof: Proof<'_>,
) -> Result<CommentRecord> {
    let comment = of_site(services, site, id).await?;
    if proof.token.is_none() && proof.caller.is_none() {
        return Err(Error::Refused(ErrorCode::TokenMissing));
    }
    if !owns(&comment, proof.token, proof.caller) {
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

/// What proves a comment is the caller's: its edit token, or the session of its identity.
#[derive(Debug, Clone, Copy, Default)]
pub struct Proof<'a> {
    pub token: Option<&'a str>,
    pub caller: Option<&'a Caller>,
}

pub async fn edit(
    services: &Services,
    site: &SiteName,
    id: i64,
    proof: Proof<'_>,
    body: &str,
) -> Result<Comment> {
    let body = CommentBody::parse(body, services.settings.max_body_length as usize)?;
    authorize(services, site, id, proof).await?;
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
    proof: Proof<'_>,
) -> Result<DeleteResult> {
    authorize(services, site, id, proof).await?;
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

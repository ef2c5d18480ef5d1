//! The admin pages' HTML (maud escapes every interpolated value). Plain forms, no script:
//! they work by keyboard and on a phone, and under a strict Content-Security-Policy. They
//! speak the language of the request they answer ([`in_the_visitors_language`]).

use crate::http::state::AppState;
use crate::moderation::CommentAction;
use crate::store::{
    AuditEntry, Block, BlockKind, CommentRecord, ListedStatus, SiteName, ThreadSummary,
    thread_label,
};
use crate::words::{Say, fill, negotiate, say};
use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;
use maud::{DOCTYPE, Markup, PreEscaped, html};
use palabre_api::i18n::{Lang, Texts};

tokio::task_local! {
    /// The language of the request being answered.
    static LANG: Lang;
}

/// Answers a request in the first language of its `Accept-Language` that Palabre speaks,
/// else in the server's `language`.
pub async fn in_the_visitors_language(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let accept = req
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let lang = negotiate(accept, state.services.settings.language);
    LANG.scope(lang, next.run(req)).await
}

/// The words of the request being answered.
pub fn words() -> Texts<Say> {
    say(LANG.try_with(|l| *l).unwrap_or(Lang::En))
}

/// One word of the request being answered.
pub fn t(key: Say) -> &'static str {
    words().get(key)
}

/// " · Author": who the server says wrote it, as the widget marks it (nothing for a guest).
fn role_mark(c: &CommentRecord) -> Markup {
    let words = palabre_api::i18n::Words::builtin(words().lang());
    html! {
        @if let Some(mark) = words.role_mark(c.role) {
            " · " span.role data-role=(c.role.as_str()) { (mark) }
        }
    }
}

/// What every signed-in page knows.
pub struct Chrome<'a> {
    pub admin: &'a str,
    pub csrf: &'a str,
    pub pending: u64,
    pub notice: Option<String>,
}

pub fn layout(title: &str, chrome: Option<&Chrome>, content: Markup) -> Markup {
    let lang = words().lang();
    html! {
        (DOCTYPE)
        html lang=(lang.tag()) dir=(lang.dir()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="robots" content="noindex";
                title { (title) " · " (t(Say::Admin)) }
                link rel="stylesheet" href="/admin/admin.css";
            }
            body {
                a.skip href="#main" { (t(Say::SkipToContent)) }
                @if let Some(c) = chrome {
                    header.top {
                        nav aria-label=(t(Say::AdminNav)) {
                            a href="/admin/queue" { (t(Say::NavQueue)) @if c.pending > 0 { " " span.badge { (c.pending) } } }
                            a href="/admin/comments" { (t(Say::NavComments)) }
                            a href="/admin/threads" { (t(Say::NavThreads)) }
                            a href="/admin/blocks" { (t(Say::NavBlocks)) }
                            a href="/admin/readers" { (t(Say::NavReaders)) }
                            a href="/admin/log" { (t(Say::NavLog)) }
                            a href="/admin/account" { (t(Say::NavAccount)) }
                        }
                        form method="post" action="/admin/logout" {
                            input type="hidden" name="csrf" value=(c.csrf);
                            button type="submit" { (fill(t(Say::SignOut), &[("name", c.admin)])) }
                        }
                    }
                }
                main #main {
                    h1 { (title) }
                    @if let Some(n) = chrome.and_then(|c| c.notice.as_deref()) {
                        p.notice role="status" { (n) }
                    }
                    (content)
                }
            }
        }
    }
}

pub fn login(token: &str, error: Option<&str>) -> Markup {
    layout(
        t(Say::SignIn),
        None,
        html! {
            @if let Some(e) = error { p.error role="alert" { (e) } }
            form.login method="post" action="/admin/login" {
                input type="hidden" name="login_token" value=(token);
                label { (t(Say::Name)) input name="name" value="admin" autocomplete="username" required; }
                label { (t(Say::Password)) input type="password" name="password" autocomplete="current-password" required autofocus; }
                button type="submit" { (t(Say::SignIn)) }
            }
            // Shown by the script where the browser runs passkeys.
            button #passkey type="button" hidden data-failed=(t(Say::PasskeyFailed)) { (t(Say::SignInPasskey)) }
            p #passkey-error .error role="alert" hidden {}
            script src="/admin/passkey.js" {}
        },
    )
}

pub fn message(title: &str, text: &str) -> Markup {
    layout(
        title,
        None,
        html! { p { (text) } p { a href="/admin" { (t(Say::BackToAdmin)) } } },
    )
}

/// The confirmation step of a signed email link: `question` ("Approve this comment?") and
/// the button's `verb`.
pub fn confirm_link(
    c: &CommentRecord,
    question: &str,
    verb: &str,
    action: &str,
    expires: i64,
    sig: &str,
) -> Markup {
    layout(
        question,
        None,
        html! {
            p { (t(Say::By)) " " strong dir="auto" { (c.author.as_deref().unwrap_or(t(Say::Anonymous))) } (role_mark(c)) " " (t(Say::OnThread)) " " code { (c.thread_key) } " · " (status_label(c)) }
            div.body { (PreEscaped(&c.html)) }
            form method="post" action="/admin/email-action" {
                input type="hidden" name="id" value=(c.id);
                input type="hidden" name="action" value=(action);
                input type="hidden" name="expires" value=(expires);
                input type="hidden" name="sig" value=(sig);
                button type="submit" { (verb) }
            }
        },
    )
}

fn status_name(s: ListedStatus) -> &'static str {
    t(match s {
        ListedStatus::Published => Say::StatusPublished,
        ListedStatus::Pending => Say::StatusPending,
        ListedStatus::Deleted => Say::StatusDeleted,
        ListedStatus::Spam => Say::StatusSpam,
    })
}

fn status_label(c: &CommentRecord) -> &'static str {
    status_name(ListedStatus::of(c))
}

/// Whether a row offers `a` (the bulk buttons offer everything; inapplicable ones do nothing).
fn applies(a: CommentAction, c: &CommentRecord) -> bool {
    let status = ListedStatus::of(c);
    match a {
        CommentAction::Approve => matches!(status, ListedStatus::Pending | ListedStatus::Spam),
        CommentAction::Reject => status == ListedStatus::Pending,
        CommentAction::Spam => matches!(status, ListedStatus::Pending | ListedStatus::Published),
        CommentAction::Delete => status != ListedStatus::Pending,
        CommentAction::BlockEmail => c.email.is_some(),
        CommentAction::BlockReader => true,
    }
}

fn action_label(a: CommentAction) -> &'static str {
    t(match a {
        CommentAction::Approve => Say::Approve,
        CommentAction::Reject => Say::Reject,
        CommentAction::Spam => Say::MarkSpam,
        CommentAction::Delete => Say::Delete,
        CommentAction::BlockEmail => Say::BlockEmail,
        CommentAction::BlockReader => Say::BlockReader,
    })
}

/// A list of comments inside one bulk-action form. `back` is where the form returns to.
pub fn comment_list(
    comments: &[CommentRecord],
    csrf: &str,
    back: &str,
    actions: &[CommentAction],
) -> Markup {
    html! {
        @if comments.is_empty() {
            p.empty { (t(Say::NothingHere)) }
        } @else {
            form.bulk method="post" action="/admin/comments/action" {
                input type="hidden" name="csrf" value=(csrf);
                input type="hidden" name="back" value=(back);
                fieldset.bulk-actions {
                    legend { (t(Say::WithSelected)) }
                    @for a in actions {
                        button type="submit" name="action" value=(a.as_str()) { (action_label(*a)) }
                    }
                }
                ol.comments {
                    @for c in comments {
                        li.comment id={ "c" (c.id) } {
                            div.select {
                                input type="checkbox" name="id" value=(c.id) id={ "sel" (c.id) };
                                label for={ "sel" (c.id) } {
                                    span.visually-hidden { (fill(t(Say::SelectComment), &[("id", &c.id.to_string())])) }
                                }
                            }
                            div.meta {
                                strong dir="auto" { (c.author.as_deref().unwrap_or(t(Say::Anonymous))) }
                                (role_mark(c))
                                @if let Some(e) = &c.email { " · " span.email { (e) } }
                                " · " span.status { (status_label(c)) }
                                " · " time { (c.created.to_rfc3339()) }
                                br;
                                (t(Say::OnThread)) " " a href={ "/admin/comments?thread=" (urlencode(&c.thread_key)) "&site=" (c.site) } { (c.thread_label()) }
                                @if let Some(p) = c.parent_id { " · " (fill(t(Say::ReplyTo), &[("id", &p.to_string())])) }
                                " · " (t(Say::Reader)) " " code { (c.reader_hash.get(..8).unwrap_or(&c.reader_hash)) }
                            }
                            div.body dir="auto" { (PreEscaped(&c.html)) }
                            div.row-actions {
                                @for a in actions.iter().filter(|a| applies(**a, c)) {
                                    button type="submit" name="one" value={ (a.as_str()) ":" (c.id) } aria-label=(fill(t(Say::ActionOnComment), &[("action", action_label(*a)), ("id", &c.id.to_string())])) { (action_label(*a)) }
                                }
                                a href={ "/admin/comments/" (c.id) "/edit" } { (t(Say::Edit)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

pub struct ListFilters<'a> {
    /// The sites to choose from; none with a single site.
    pub sites: &'a [SiteName],
    pub site: Option<&'a SiteName>,
    pub thread: &'a str,
    pub status: &'a str,
    pub author: &'a str,
    pub text: &'a str,
}

pub fn filters(f: &ListFilters) -> Markup {
    html! {
        form.filters method="get" action="/admin/comments" {
            (site_select(f.sites, f.site))
            label { (t(Say::Thread)) input name="thread" value=(f.thread); }
            label { (t(Say::Status))
                select name="status" {
                    option value="" selected[f.status.is_empty()] { (t(Say::Any)) }
                    @for s in ListedStatus::ALL {
                        option value=(s.as_str()) selected[f.status == s.as_str()] { (status_name(s)) }
                    }
                }
            }
            label { (t(Say::AuthorOrEmail)) input name="author" value=(f.author); }
            label { (t(Say::Text)) input type="search" name="q" value=(f.text); }
            button type="submit" { (t(Say::Filter)) }
        }
    }
}

/// A `site` select, "every site" first; nothing when there is one site.
fn site_select(sites: &[SiteName], chosen: Option<&SiteName>) -> Markup {
    html! {
        @if !sites.is_empty() {
            label { (t(Say::Site))
                select name="site" {
                    option value="" selected[chosen.is_none()] { (t(Say::EverySite)) }
                    @for s in sites {
                        option value=(s) selected[chosen == Some(s)] { (s) }
                    }
                }
            }
        }
    }
}

/// A form choosing the site a list shows (the queue, the threads); nothing with one site.
pub fn site_filter(action: &str, sites: &[SiteName], chosen: Option<&SiteName>) -> Markup {
    html! {
        @if !sites.is_empty() {
            form.filters method="get" action=(action) {
                (site_select(sites, chosen))
                button type="submit" { (t(Say::Filter)) }
            }
        }
    }
}

pub fn pager(base: &str, page: u32, has_more: bool) -> Markup {
    html! {
        nav.pager aria-label=(t(Say::Pages)) {
            @if page > 1 { a href={ (base) "page=" (page - 1) } rel="prev" { (t(Say::Newer)) } }
            @if has_more { a href={ (base) "page=" (page + 1) } rel="next" { (t(Say::Older)) } }
        }
    }
}

pub fn edit_form(c: &CommentRecord, csrf: &str, error: Option<&str>) -> Markup {
    html! {
        @if let Some(e) = error { p.error role="alert" { (e) } }
        form method="post" action={ "/admin/comments/" (c.id) "/edit" } {
            input type="hidden" name="csrf" value=(csrf);
            label { (t(Say::TextMarkdown)) textarea name="body" rows="10" dir="auto" { (c.body) } }
            button type="submit" { (t(Say::Save)) }
            " " a href="/admin/comments" { (t(Say::Cancel)) }
        }
    }
}

pub fn threads(list: &[ThreadSummary], csrf: &str) -> Markup {
    let w = words();
    html! {
        @if list.is_empty() { p.empty { (t(Say::NoThreads)) } }
        ol.threads {
            @for t in list {
                li {
                    div.meta {
                        a href={ "/admin/comments?thread=" (urlencode(&t.key)) "&site=" (t.site) } { (t.title.as_deref().unwrap_or(&t.key)) }
                        " · " (w.plural(Say::PublishedCount, t.published)) " · " (w.plural(Say::HeldCount, t.pending))
                        @if t.locked { " · " strong { (w.get(Say::Locked)) } }
                        @if t.hidden { " · " strong { (w.get(Say::Hidden)) } }
                        br; code { (thread_label(&t.site, &t.key)) }
                    }
                    form method="post" action="/admin/threads/action" {
                        input type="hidden" name="csrf" value=(csrf);
                        input type="hidden" name="site" value=(t.site);
                        input type="hidden" name="key" value=(t.key);
                        @if t.locked {
                            button type="submit" name="action" value="unlock" { (w.get(Say::Unlock)) }
                        } @else {
                            button type="submit" name="action" value="lock" { (w.get(Say::Lock)) }
                        }
                        @if t.hidden {
                            button type="submit" name="action" value="show" { (w.get(Say::Show)) }
                        } @else {
                            button type="submit" name="action" value="hide" { (w.get(Say::Hide)) }
                        }
                    }
                }
            }
        }
    }
}

pub fn blocks(list: &[Block], csrf: &str) -> Markup {
    html! {
        form.add-block method="post" action="/admin/blocks" {
            input type="hidden" name="csrf" value=(csrf);
            label { (t(Say::Kind))
                select name="kind" {
                    option value="email" { (t(Say::Email)) }
                    option value="reader" { (t(Say::ReaderHash)) }
                }
            }
            label { (t(Say::Value)) input name="value" required; }
            button type="submit" { (t(Say::Block)) }
        }
        @if list.is_empty() { p.empty { (t(Say::NobodyBlocked)) } }
        ul.blocks {
            @for b in list {
                li {
                    (t(match b.kind { BlockKind::Email => Say::KindEmail, BlockKind::Reader => Say::KindReader })) " " code { (b.value) } " · " (t(Say::Since)) " " time { (b.created.to_rfc3339()) }
                    form method="post" action="/admin/blocks/remove" {
                        input type="hidden" name="csrf" value=(csrf);
                        input type="hidden" name="kind" value=(b.kind.as_str());
                        input type="hidden" name="value" value=(b.value);
                        button type="submit" { (t(Say::Unblock)) }
                    }
                }
            }
        }
    }
}

pub fn account(shown: &str, csrf: &str) -> Markup {
    html! {
        form method="post" action="/admin/account" {
            input type="hidden" name="csrf" value=(csrf);
            label { (t(Say::DisplayNameLabel))
                input name="display_name" value=(shown) maxlength="100" autocomplete="name"
                    aria-describedby="display-name-help";
            }
            p.hint id="display-name-help" { (t(Say::DisplayNameHelp)) }
            button type="submit" { (t(Say::Save)) }
        }
    }
}

pub fn readers(csrf: &str, sites: &[SiteName]) -> Markup {
    html! {
        p { (t(Say::ReadersIntro)) }
        form method="post" action="/admin/readers/export" {
            input type="hidden" name="csrf" value=(csrf);
            label { (t(Say::Email)) input type="email" name="email" required autocomplete="off"; }
            (site_select(sites, None))
            button type="submit" { (t(Say::DownloadData)) }
        }
        form method="post" action="/admin/readers/delete" {
            input type="hidden" name="csrf" value=(csrf);
            label { (t(Say::Email)) input type="email" name="email" required autocomplete="off"; }
            (site_select(sites, None))
            fieldset {
                legend { (t(Say::RepliesLegend)) }
                label { input type="radio" name="mode" value="placeholder" checked; " " (t(Say::RepliesStay)) }
                label { input type="radio" name="mode" value="remove"; " " (t(Say::RepliesRemoved)) }
            }
            button type="submit" { (t(Say::EraseComments)) }
        }
        form method="post" action="/admin/readers/sign-out" {
            input type="hidden" name="csrf" value=(csrf);
            label { (t(Say::Email)) input type="email" name="email" required autocomplete="off"; }
            (site_select(sites, None))
            button type="submit" { (t(Say::SignOutReader)) }
        }
    }
}

pub fn log(entries: &[AuditEntry]) -> Markup {
    html! {
        @if entries.is_empty() { p.empty { (t(Say::NothingLogged)) } }
        ol.log {
            @for e in entries {
                li {
                    time { (e.at.to_rfc3339()) } " · " strong { (e.actor) } " · " (e.action)
                    @if !e.target.is_empty() { " · " (e.target) }
                    @if !e.detail.is_empty() { " · " span.detail { (e.detail) } }
                }
            }
        }
    }
}

pub fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

pub const STYLESHEET: &str = r#"
:root { color-scheme: light dark; --fg: #1d1d1f; --bg: #fff; --muted: #5a5a60; --line: #d4d4d8; --accent: #0b57d0; }
@media (prefers-color-scheme: dark) { :root { --fg: #ececf1; --bg: #17171a; --muted: #a8a8b3; --line: #3a3a40; --accent: #8ab4f8; } }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, sans-serif; color: var(--fg); background: var(--bg); }
main { max-width: 60rem; margin: 0 auto; padding: 1rem; }
a { color: var(--accent); }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.skip { position: absolute; inset-inline-start: -999px; } .skip:focus { inset-inline-start: 1rem; top: 1rem; background: var(--bg); padding: .5rem; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
header.top { display: flex; flex-wrap: wrap; gap: .5rem 1rem; justify-content: space-between; align-items: center; padding: .5rem 1rem; border-bottom: 1px solid var(--line); }
header.top nav { display: flex; flex-wrap: wrap; gap: .25rem 1rem; }
.badge { background: var(--accent); color: var(--bg); border-radius: 1rem; padding: 0 .5rem; font-size: .85em; }
button, input, select, textarea { font: inherit; color: inherit; }
button { min-height: 44px; padding: .4rem .9rem; border: 1px solid var(--line); border-radius: .4rem; background: transparent; cursor: pointer; }
input, select, textarea { min-height: 44px; padding: .4rem; border: 1px solid var(--line); border-radius: .4rem; background: var(--bg); width: 100%; }
input[type=checkbox], input[type=radio] { width: 1.5rem; height: 1.5rem; min-height: 0; vertical-align: middle; }
label { display: block; margin: .5rem 0; }
form.filters, form.add-block { display: grid; gap: .5rem; grid-template-columns: repeat(auto-fit, minmax(11rem, 1fr)); align-items: end; }
ol.comments, ol.threads, ul.blocks, ol.log { list-style: none; padding: 0; }
li.comment, ol.threads li, ul.blocks li { display: grid; grid-template-columns: 2rem 1fr; gap: .25rem .75rem; padding: .75rem 0; border-bottom: 1px solid var(--line); }
ol.threads li, ul.blocks li { grid-template-columns: 1fr; }
li.comment .meta, li.comment .body, li.comment .row-actions { grid-column: 2; }
.meta { color: var(--muted); font-size: .9rem; overflow-wrap: anywhere; }
.row-actions, .bulk-actions { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; }
fieldset { border: 1px solid var(--line); border-radius: .4rem; }
.notice { border-inline-start: 4px solid var(--accent); padding: .5rem 1rem; }
.error { border-inline-start: 4px solid #c5221f; padding: .5rem 1rem; }
.pager { display: flex; gap: 1rem; margin: 1rem 0; }
form.login { max-width: 22rem; }
"#;

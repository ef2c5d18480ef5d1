//! The admin pages' HTML (maud escapes every interpolated value). Plain forms, no script:
//! they work by keyboard and on a phone, and under a strict Content-Security-Policy.

use crate::moderation::CommentAction;
use crate::store::{AuditEntry, Block, CommentRecord, ListedStatus, ThreadSummary};
use maud::{DOCTYPE, Markup, PreEscaped, html};

/// What every signed-in page knows.
pub struct Chrome<'a> {
    pub admin: &'a str,
    pub csrf: &'a str,
    pub pending: u64,
    pub notice: Option<String>,
}

pub fn layout(title: &str, chrome: Option<&Chrome>, content: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="robots" content="noindex";
                title { (title) " · Palabre admin" }
                link rel="stylesheet" href="/admin/admin.css";
            }
            body {
                a.skip href="#main" { "Skip to content" }
                @if let Some(c) = chrome {
                    header.top {
                        nav aria-label="Admin" {
                            a href="/admin/queue" { "Queue" @if c.pending > 0 { " " span.badge { (c.pending) } } }
                            a href="/admin/comments" { "Comments" }
                            a href="/admin/threads" { "Threads" }
                            a href="/admin/blocks" { "Blocks" }
                            a href="/admin/readers" { "Readers" }
                            a href="/admin/log" { "Log" }
                        }
                        form method="post" action="/admin/logout" {
                            input type="hidden" name="csrf" value=(c.csrf);
                            button type="submit" { "Sign out " (c.admin) }
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
        "Sign in",
        None,
        html! {
            @if let Some(e) = error { p.error role="alert" { (e) } }
            form.login method="post" action="/admin/login" {
                input type="hidden" name="login_token" value=(token);
                label { "Name" input name="name" value="admin" autocomplete="username" required; }
                label { "Password" input type="password" name="password" autocomplete="current-password" required autofocus; }
                button type="submit" { "Sign in" }
            }
        },
    )
}

pub fn message(title: &str, text: &str) -> Markup {
    layout(
        title,
        None,
        html! { p { (text) } p { a href="/admin" { "Back to the admin pages" } } },
    )
}

/// The confirmation step of a signed email link.
pub fn confirm_link(
    c: &CommentRecord,
    verb: &str,
    action: &str,
    expires: i64,
    sig: &str,
) -> Markup {
    layout(
        &format!("{} this comment?", capitalized(verb)),
        None,
        html! {
            p { "By " strong { (c.author.as_deref().unwrap_or("Anonymous")) } " on " code { (c.thread_key) } " · " (ListedStatus::of(c).as_str()) }
            div.body { (PreEscaped(&c.html)) }
            form method="post" action="/admin/email-action" {
                input type="hidden" name="id" value=(c.id);
                input type="hidden" name="action" value=(action);
                input type="hidden" name="expires" value=(expires);
                input type="hidden" name="sig" value=(sig);
                button type="submit" { (capitalized(verb)) }
            }
        },
    )
}

fn capitalized(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn status_label(c: &CommentRecord) -> &'static str {
    ListedStatus::of(c).as_str()
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
    match a {
        CommentAction::Approve => "Approve",
        CommentAction::Reject => "Reject",
        CommentAction::Spam => "Mark spam",
        CommentAction::Delete => "Delete",
        CommentAction::BlockEmail => "Block email",
        CommentAction::BlockReader => "Block reader",
    }
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
            p.empty { "Nothing here." }
        } @else {
            form.bulk method="post" action="/admin/comments/action" {
                input type="hidden" name="csrf" value=(csrf);
                input type="hidden" name="back" value=(back);
                fieldset.bulk-actions {
                    legend { "With the selected comments" }
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
                                    span.visually-hidden { "Select comment " (c.id) }
                                }
                            }
                            div.meta {
                                strong { (c.author.as_deref().unwrap_or("Anonymous")) }
                                @if let Some(e) = &c.email { " · " span.email { (e) } }
                                " · " span.status { (status_label(c)) }
                                " · " time { (c.created.to_rfc3339()) }
                                br;
                                "on " a href={ "/admin/comments?thread=" (urlencode(&c.thread_key)) } { (c.thread_key) }
                                @if let Some(p) = c.parent_id { " · reply to #" (p) }
                                " · reader " code { (c.reader_hash.get(..8).unwrap_or(&c.reader_hash)) }
                            }
                            div.body { (PreEscaped(&c.html)) }
                            div.row-actions {
                                @for a in actions.iter().filter(|a| applies(**a, c)) {
                                    button type="submit" name="one" value={ (a.as_str()) ":" (c.id) } aria-label={ (action_label(*a)) " comment " (c.id) } { (action_label(*a)) }
                                }
                                a href={ "/admin/comments/" (c.id) "/edit" } { "Edit" }
                            }
                        }
                    }
                }
            }
        }
    }
}

pub struct ListFilters<'a> {
    pub thread: &'a str,
    pub status: &'a str,
    pub author: &'a str,
    pub text: &'a str,
}

pub fn filters(f: &ListFilters) -> Markup {
    html! {
        form.filters method="get" action="/admin/comments" {
            label { "Thread" input name="thread" value=(f.thread); }
            label { "Status"
                select name="status" {
                    option value="" selected[f.status.is_empty()] { "Any" }
                    @for s in ListedStatus::ALL {
                        option value=(s.as_str()) selected[f.status == s.as_str()] { (s.as_str()) }
                    }
                }
            }
            label { "Author or email" input name="author" value=(f.author); }
            label { "Text" input type="search" name="q" value=(f.text); }
            button type="submit" { "Filter" }
        }
    }
}

pub fn pager(base: &str, page: u32, has_more: bool) -> Markup {
    html! {
        nav.pager aria-label="Pages" {
            @if page > 1 { a href={ (base) "page=" (page - 1) } rel="prev" { "Newer" } }
            @if has_more { a href={ (base) "page=" (page + 1) } rel="next" { "Older" } }
        }
    }
}

pub fn edit_form(c: &CommentRecord, csrf: &str, error: Option<&str>) -> Markup {
    html! {
        @if let Some(e) = error { p.error role="alert" { (e) } }
        form method="post" action={ "/admin/comments/" (c.id) "/edit" } {
            input type="hidden" name="csrf" value=(csrf);
            label { "Text (Markdown)" textarea name="body" rows="10" { (c.body) } }
            button type="submit" { "Save" }
            " " a href="/admin/comments" { "Cancel" }
        }
    }
}

pub fn threads(list: &[ThreadSummary], csrf: &str) -> Markup {
    html! {
        @if list.is_empty() { p.empty { "No threads yet." } }
        ol.threads {
            @for t in list {
                li {
                    div.meta {
                        a href={ "/admin/comments?thread=" (urlencode(&t.key)) } { (t.title.as_deref().unwrap_or(&t.key)) }
                        " · " (t.published) " published · " (t.pending) " held"
                        @if t.locked { " · " strong { "locked" } }
                        @if t.hidden { " · " strong { "hidden" } }
                        br; code { (t.key) }
                    }
                    form method="post" action="/admin/threads/action" {
                        input type="hidden" name="csrf" value=(csrf);
                        input type="hidden" name="key" value=(t.key);
                        @if t.locked {
                            button type="submit" name="action" value="unlock" { "Unlock" }
                        } @else {
                            button type="submit" name="action" value="lock" { "Lock" }
                        }
                        @if t.hidden {
                            button type="submit" name="action" value="show" { "Show" }
                        } @else {
                            button type="submit" name="action" value="hide" { "Hide" }
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
            label { "Kind"
                select name="kind" {
                    option value="email" { "Email" }
                    option value="reader" { "Reader hash" }
                }
            }
            label { "Value" input name="value" required; }
            button type="submit" { "Block" }
        }
        @if list.is_empty() { p.empty { "Nobody is blocked." } }
        ul.blocks {
            @for b in list {
                li {
                    (b.kind.as_str()) " " code { (b.value) } " · since " time { (b.created.to_rfc3339()) }
                    form method="post" action="/admin/blocks/remove" {
                        input type="hidden" name="csrf" value=(csrf);
                        input type="hidden" name="kind" value=(b.kind.as_str());
                        input type="hidden" name="value" value=(b.value);
                        button type="submit" { "Unblock" }
                    }
                }
            }
        }
    }
}

pub fn readers(csrf: &str) -> Markup {
    html! {
        p { "A reader may ask for everything stored about them, or for its erasure. Both act on every comment that carries their email address." }
        form method="post" action="/admin/readers/export" {
            input type="hidden" name="csrf" value=(csrf);
            label { "Email" input type="email" name="email" required autocomplete="off"; }
            button type="submit" { "Download their data (JSON)" }
        }
        form method="post" action="/admin/readers/delete" {
            input type="hidden" name="csrf" value=(csrf);
            label { "Email" input type="email" name="email" required autocomplete="off"; }
            fieldset {
                legend { "Their comments' replies" }
                label { input type="radio" name="mode" value="placeholder" checked; " stay, under an empty placeholder" }
                label { input type="radio" name="mode" value="remove"; " are removed too" }
            }
            button type="submit" { "Erase their comments" }
        }
    }
}

pub fn log(entries: &[AuditEntry]) -> Markup {
    html! {
        @if entries.is_empty() { p.empty { "Nothing logged yet." } }
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
.skip { position: absolute; left: -999px; } .skip:focus { left: 1rem; top: 1rem; background: var(--bg); padding: .5rem; }
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
.notice { border-left: 4px solid var(--accent); padding: .5rem 1rem; }
.error { border-left: 4px solid #c5221f; padding: .5rem 1rem; }
.pager { display: flex; gap: 1rem; margin: 1rem 0; }
form.login { max-width: 22rem; }
"#;

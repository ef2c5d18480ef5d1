//! The start of a thread's first page as the widget draws it, in HTML: the loader shows it in
//! the widget's shadow root before the widget's code has arrived, and the widget replaces it
//! with its own drawing of the whole page (see `palabre_api::first_paint`). It holds the first
//! [`FIRST_PAINT_ROOTS`] top-level comments with their replies. The markup mirrors the widget's
//! components (`src/components/`) element for element, minus what only the widget can know or
//! do: the form, the reader's own comments and votes, the feed link. After the section, a line
//! the loader reveals if the widget's files fail to load. The end-to-end test
//! `first-paint.test.mjs` compares the two, so a change to one that misses the other fails.
//!
//! maud escapes every value; the only HTML passed through is the comment bodies, which the
//! server sanitised when they were written (the same HTML the widget puts in `innerHTML`).

use maud::{Markup, PreEscaped, html};
use palabre_api::first_paint::{
    FIRST_PAINT_ROOTS, FirstPaint, collapsible, comment_class, has_actions, notes_pending,
    offers_reply, replies_flat,
};
use palabre_api::i18n::{Msg, Words};
use palabre_api::identicon::identicon;
use palabre_api::tree::{Node, build_tree};
use palabre_api::{Comment, SortOrder, ThreadPage};

use crate::words::{Say, say};

/// The first page of `page`'s thread, drawn for `paint` at `now_ms` (relative times). The
/// loader shows only a body that starts as this one does (`<div class="palabre-root"
/// data-first-paint=`), never, say, a proxy's error page.
pub fn render(paint: &FirstPaint, page: ThreadPage, now_ms: i64) -> Markup {
    let lang = paint.lang;
    let words = Words::builtin(lang);
    let t = |msg| words.get(msg);
    let locked = page.thread.locked;
    let empty = page.comments.is_empty();
    let mut roots = build_tree(page.comments);
    let cut = roots.len() > FIRST_PAINT_ROOTS;
    roots.truncate(FIRST_PAINT_ROOTS);
    // Below the first few, the widget's drawing brings the rest of the page and this button.
    let more = page.next_cursor.is_some() && !cut;
    let draw = Draw {
        paint,
        words,
        locked,
        now_ms,
    };
    let option = |sort: SortOrder, msg: Msg| {
        html! { option value=(sort.as_str()) selected[paint.sort == sort] { (t(msg)) } }
    };
    html! {
        div class="palabre-root" data-first-paint=(paint.signature()) {
            section class="palabre" lang=(lang.tag()) dir=(lang.dir()) aria-label=(t(Msg::Comments)) {
                header class="thread-header" {
                    h2 class="count" { (words.comment_count(page.thread.count)) }
                    label class="sort" {
                        span { (t(Msg::SortLabel)) }
                        select {
                            (option(SortOrder::Oldest, Msg::SortOldest))
                            (option(SortOrder::Newest, Msg::SortNewest))
                            (option(SortOrder::Top, Msg::SortTop))
                        }
                    }
                }
                @if empty {
                    p class="status empty" { (t(Msg::EmptyThread)) }
                }
                ol class="comments" role="list" {
                    @for root in &roots { (draw.comment(root)) }
                }
                @if more {
                    button class="load-more" type="button" { (t(Msg::LoadMore)) }
                }
                // The widget's account slot (`components/account.rs`): works once it is there.
                div class="account" {
                    button class="link" type="button" { (t(Msg::SignIn)) }
                }
                @if !offers_reply(locked) {
                    p class="status locked" { (t(Msg::ThreadLocked)) }
                }
            }
            // Shown by the loader (`data-failed` on the host) when the widget's files fail: a
            // 404, the network, a blog whose CSP forbids WebAssembly. Outside the section the
            // widget draws, and in words only the server carries.
            p class="status error failed" role="alert" lang=(lang.tag()) dir=(lang.dir()) hidden {
                (say(lang).get(Say::PaintWidgetFailed))
            }
        }
    }
}

struct Draw<'a> {
    paint: &'a FirstPaint,
    words: Words,
    locked: bool,
    now_ms: i64,
}

impl Draw<'_> {
    /// One comment and its replies (`components/comment.rs`). Recursion is bounded by the
    /// server's own nesting limit, like the widget's.
    fn comment(&self, node: &Node<Comment>) -> Markup {
        let words = self.words;
        let t = |msg| words.get(msg);
        let c = &node.item;
        let name = c.author.as_deref().unwrap_or(t(Msg::Anonymous));
        let website = c.website_link();
        let flat = replies_flat(node.depth, self.paint.max_depth);
        html! {
            li class=(comment_class(c.status)) data-id=(c.id) tabindex="-1" {
                article aria-label=(name) {
                    header class="meta" {
                        @if self.paint.avatars {
                            @let icon = identicon(&c.avatar);
                            svg class="avatar" viewBox="-0.5 -0.5 6 6" aria-hidden="true" focusable="false" {
                                path fill=(format!("hsl({} 55% 45%)", icon.hue)) d=(icon.path()) {}
                            }
                        }
                        @if let Some(href) = website {
                            a class="author" dir="auto" href=(href) rel="nofollow ugc noopener" target="_blank" { (name) }
                        } @else {
                            span class="author" dir="auto" { (name) }
                        }
                        @if let Some(mark) = words.role_mark(c.role) {
                            span class="role" data-role=(c.role.as_str()) { (mark) }
                        }
                        time datetime=(c.created.to_rfc3339()) {
                            (words.relative_time(self.now_ms, c.created.as_millis()))
                        }
                        @if c.edited.is_some() {
                            span class="edited" { " · " (t(Msg::EditedMark)) }
                        }
                        @if collapsible(node.children.len()) {
                            button class="collapse" type="button" aria-expanded="true" { (t(Msg::Collapse)) }
                        }
                    }
                    @if notes_pending(c.status) {
                        p class="pending-note" { (t(Msg::AwaitingModeration)) }
                    }
                    @if !has_actions(c.status) {
                        p class="deleted" { (t(Msg::Deleted)) }
                    } @else {
                        div class="body" dir="auto" { (PreEscaped(&c.html)) }
                        div class="actions" {
                            @if self.paint.votes { (self.votes(c)) }
                            @if offers_reply(self.locked) {
                                button class="reply" type="button" aria-expanded="false" { (t(Msg::Reply)) }
                            }
                        }
                    }
                }
                @if !node.children.is_empty() {
                    ol class=(if flat { "replies flat" } else { "replies" }) role="list" {
                        @for child in &node.children { (self.comment(child)) }
                    }
                }
            }
        }
    }

    /// `components/vote_buttons.rs`, with no vote of the reader's (the widget learns those).
    fn votes(&self, c: &Comment) -> Markup {
        let (like, dislike) = (self.words.get(Msg::Like), self.words.get(Msg::Dislike));
        html! {
            span class="votes" {
                button class="vote like" type="button" aria-pressed="false" title=(like) {
                    span class="sr-only" { (like) " " } span class="n" { (c.likes) }
                }
                button class="vote dislike" type="button" aria-pressed="false" title=(dislike) {
                    span class="sr-only" { (dislike) " " } span class="n" { (c.dislikes) }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use palabre_api::i18n::Lang;
    use palabre_api::{CommentStatus, Thread, ThreadKey, Timestamp};

    const NOW: i64 = 1_764_000_000_000;

    fn paint() -> FirstPaint {
        FirstPaint {
            thread: ThreadKey::parse("/post").unwrap(),
            sort: SortOrder::Oldest,
            limit: 20,
            lang: Lang::En,
            avatars: true,
            votes: true,
            max_depth: 1,
        }
    }

    fn comment(id: i64, parent: Option<i64>) -> Comment {
        Comment {
            id,
            parent,
            author: None,
            website: None,
            avatar: "f98692faed4d251b".into(),
            html: format!("<p>comment {id}</p>\n"),
            created: Timestamp::from_millis(NOW - 3 * 3_600_000),
            edited: None,
            likes: 2,
            dislikes: 1,
            status: CommentStatus::Published,
            role: Default::default(),
        }
    }

    fn page(comments: Vec<Comment>) -> ThreadPage {
        ThreadPage {
            thread: Thread {
                key: "/post".into(),
                title: None,
                count: comments.len() as u64,
                locked: false,
            },
            comments,
            next_cursor: None,
        }
    }

    #[test]
    fn draws_the_widgets_markup_nested() {
        let out = render(
            &paint(),
            page(vec![
                comment(1, None),
                comment(2, Some(1)),
                comment(3, Some(2)),
            ]),
            NOW,
        )
        .into_string();
        assert!(out.starts_with(
            "<div class=\"palabre-root\" data-first-paint=\"en oldest 20 1 1 1 /post\">"
        ));
        assert!(out.contains("<h2 class=\"count\">3 comments</h2>"));
        assert!(out.contains("<option value=\"oldest\" selected>Oldest first</option>"));
        assert!(out.contains("<time datetime=\"2025-11-24T13:00:00.000Z\">3 hours ago</time>"));
        assert!(out.contains("<div class=\"body\" dir=\"auto\"><p>comment 2</p>\n</div>"));
        assert!(out.contains(
            "title=\"Like\"><span class=\"sr-only\">Like </span><span class=\"n\">2</span>"
        ));
        // Depth 0's replies nest; deeper ones are drawn flat (max_depth 1).
        assert!(
            out.contains("<ol class=\"replies\" role=\"list\"><li class=\"comment\" data-id=\"2\"")
        );
        assert!(out.contains(
            "<ol class=\"replies flat\" role=\"list\"><li class=\"comment\" data-id=\"3\""
        ));
        assert_eq!(out.matches("class=\"collapse\"").count(), 2);
        assert!(!out.contains("load-more"));
        assert!(!out.contains("<form"), "the form is the widget's alone");
    }

    #[test]
    fn escapes_what_readers_wrote_and_passes_only_bodies_through() {
        let mut c = comment(1, None);
        c.author = Some("<img src=x onerror=alert(1)> \"Ana\"".into());
        c.website = Some("https://ana.example/?a=1&b=\"><script>".into());
        let out = render(&paint(), page(vec![c]), NOW).into_string();
        assert!(!out.contains("<img"));
        assert!(!out.contains("<script"));
        assert!(out.contains(
            "<a class=\"author\" dir=\"auto\" href=\"https://ana.example/?a=1&amp;b=&quot;&gt;&lt;script&gt;\""
        ));
        assert!(out.contains("aria-label=\"&lt;img src=x onerror=alert(1)&gt; &quot;Ana&quot;\""));
    }

    #[test]
    fn links_only_web_addresses() {
        let mut c = comment(1, None);
        c.website = Some("javascript:alert(1)".into());
        let out = render(&paint(), page(vec![c]), NOW).into_string();
        assert!(!out.contains("javascript:"));
        assert!(out.contains("<span class=\"author\" dir=\"auto\">Anonymous</span>"));
    }

    #[test]
    fn follows_the_options_the_language_and_the_threads_state() {
        let mut deleted = comment(2, None);
        deleted.status = CommentStatus::Deleted;
        let mut p = page(vec![comment(1, None), deleted]);
        p.thread.locked = true;
        p.next_cursor = Some("next".into());
        let paint = FirstPaint {
            lang: Lang::Fr,
            avatars: false,
            votes: false,
            sort: SortOrder::Top,
            ..paint()
        };
        let out = render(&paint, p, NOW).into_string();
        assert!(out.contains("<section class=\"palabre\" lang=\"fr\" dir=\"ltr\""));
        assert!(out.contains("<option value=\"top\" selected>"));
        assert!(!out.contains("class=\"avatar\""));
        assert!(!out.contains("class=\"votes\""));
        assert!(
            !out.contains("class=\"reply\""),
            "no reply button in a closed thread"
        );
        assert!(out.contains("<li class=\"comment is-deleted\" data-id=\"2\""));
        assert!(out.contains("<p class=\"deleted\">"));
        assert!(out.contains("<button class=\"load-more\" type=\"button\">"));
        assert!(out.contains("<p class=\"status locked\">"));
        assert!(out.contains("il y a 3 heures"));
    }

    #[test]
    fn holds_the_first_few_top_level_comments_with_their_replies() {
        let mut comments: Vec<Comment> = (1..=6).map(|id| comment(id, None)).collect();
        comments.insert(1, comment(10, Some(1)));
        let mut p = page(comments);
        p.next_cursor = Some("next".into());
        let out = render(&paint(), p, NOW).into_string();
        assert_eq!(
            out.matches("<li class=\"comment\"").count(),
            FIRST_PAINT_ROOTS + 1
        );
        assert!(
            out.contains("data-id=\"10\""),
            "replies come with their comment"
        );
        assert!(out.contains("data-id=\"4\""));
        assert!(!out.contains("data-id=\"5\""));
        assert!(
            !out.contains("load-more"),
            "the widget brings the button with the rest"
        );
        assert!(
            out.contains("<h2 class=\"count\">7 comments</h2>"),
            "the count is the thread's"
        );
    }

    #[test]
    fn an_empty_thread_says_so() {
        let out = render(&paint(), page(vec![]), NOW).into_string();
        assert!(out.contains("<p class=\"status empty\">No comments yet."));
        assert!(out.contains("<ol class=\"comments\" role=\"list\"></ol>"));
    }

    /// The golden fixture both renderers are checked against: this test, and the widget's
    /// browser test `draws_what_the_first_paint_draws` (tests/widget.rs), which seeds each
    /// case's page, mounts the widget with the case's options and compares the two drawings.
    const GOLDEN: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/first-paint-matrix.html"
    );

    /// The matrix: options and thread states whose markup differs.
    fn matrix() -> Vec<(&'static str, FirstPaint, ThreadPage)> {
        let mut nested = page(vec![
            comment(701, None),
            comment(702, Some(701)),
            comment(703, Some(702)),
            comment(704, None),
        ]);
        nested.comments[0].author = Some("Ana".into());
        nested.comments[0].website = Some("https://ana.example/".into());
        nested.comments[1].edited = Some(Timestamp::from_millis(NOW - 3_600_000));
        nested.comments[1].role = palabre_api::Role::Author;
        nested.comments[2].role = palabre_api::Role::Verified;
        let mut locked = page(vec![comment(701, None), comment(702, Some(701))]);
        locked.thread.locked = true;
        let mut pending = page(vec![comment(701, None), comment(702, None)]);
        pending.comments[1].status = CommentStatus::Pending;
        let mut deleted = page(vec![comment(701, None), comment(702, Some(701))]);
        deleted.comments[0].status = CommentStatus::Deleted;
        deleted.comments[0].html = String::new();
        let plain = FirstPaint {
            avatars: false,
            votes: false,
            max_depth: 4,
            lang: Lang::Fr,
            ..paint()
        };
        let mut arabic = page(vec![
            comment(701, None),
            comment(702, Some(701)),
            comment(703, None),
        ]);
        arabic.comments[0].html = "<p>مرحبا بالجميع</p>".into();
        arabic.thread.count = 3;
        arabic.comments[1].role = palabre_api::Role::Member;
        let in_arabic = FirstPaint {
            lang: Lang::Ar,
            ..paint()
        };
        vec![
            ("nested", paint(), nested),
            ("arabic", in_arabic, arabic),
            ("locked", paint(), locked),
            (
                "avatars-and-votes-off",
                plain,
                page(vec![comment(701, None), comment(702, Some(701))]),
            ),
            ("pending", paint(), pending),
            ("deleted", paint(), deleted),
            ("empty", paint(), page(Vec::new())),
        ]
    }

    fn golden_text() -> String {
        let mut out = String::from(
            "<!-- The first paint of each case, as the server draws it. Written by \
             `PALABRE_BLESS=1 cargo test -p palabre-server golden`; the widget must draw the \
             same (tests/widget.rs). -->\n",
        );
        for (name, paint, page) in matrix() {
            let options = format!(
                "lang={} avatars={} votes={} max-depth={}",
                paint.lang.tag(),
                paint.avatars,
                paint.votes,
                paint.max_depth
            );
            let json = serde_json::to_string(&page).unwrap();
            let html = render(&paint, page, NOW).into_string();
            out.push_str(&format!(
                "<!-- case {name} {options} -->\n<!-- page {json} -->\n{html}\n"
            ));
        }
        out
    }

    #[test]
    fn golden_first_paint_matrix() {
        let drawn = golden_text();
        if std::env::var_os("PALABRE_BLESS").is_some() {
            std::fs::write(GOLDEN, &drawn).unwrap();
        }
        let golden = std::fs::read_to_string(GOLDEN).unwrap_or_default();
        assert!(
            golden == drawn,
            "the first paint no longer draws {GOLDEN}; if the change is meant, rewrite it with \
             PALABRE_BLESS=1 and check the widget's browser test still passes"
        );
    }
}

//! Comment bodies: Markdown in, sanitised HTML out. Every write path (create, edit, preview)
//! goes through [`render`], so there is one place to get right.
//!
//! Three layers: raw HTML in the Markdown is turned into text before rendering (so it shows
//! as typed), images become links (no third-party requests from readers' browsers), and the
//! result goes through an ammonia allowlist that also rewrites every link's `rel`.

use ammonia::{Builder, UrlRelative};
use palabre_api::CommentBody;
use pulldown_cmark::{CowStr, Event, LinkType, Options, Parser, Tag, TagEnd};
use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

static SANITIZER: LazyLock<Builder<'static>> = LazyLock::new(|| {
    // `Builder::empty()` only empties the tags: every other allowlist is set explicitly too.
    let mut b = Builder::empty();
    b.add_tags([
        "a",
        "p",
        "br",
        "strong",
        "em",
        "del",
        "code",
        "pre",
        "blockquote",
        "ul",
        "ol",
        "li",
        "hr",
    ])
    .generic_attributes(HashSet::new())
    .tag_attributes(HashMap::from([
        ("a", HashSet::from(["href"])),
        ("ol", HashSet::from(["start"])),
    ]))
    .tag_attribute_values(HashMap::new())
    .set_tag_attribute_values(HashMap::new())
    .allowed_classes(HashMap::new())
    .url_schemes(HashSet::from(["http", "https", "mailto"]))
    .url_relative(UrlRelative::Deny)
    .link_rel(Some("nofollow ugc noopener"))
    .clean_content_tags(HashSet::from(["script", "style"]));
    b
});

/// Renders a comment body to HTML that is safe to insert into any page.
pub fn render(body: &CommentBody) -> String {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_STRIKETHROUGH);
    let mut in_link_or_code = 0usize;
    let mut events = Vec::new();
    for event in Parser::new_ext(body.as_str(), options) {
        match event {
            // Shown as typed, never interpreted.
            Event::Html(raw) | Event::InlineHtml(raw) => events.push(Event::Text(raw)),
            Event::Start(Tag::HtmlBlock) => events.push(Event::Start(Tag::Paragraph)),
            Event::End(TagEnd::HtmlBlock) => events.push(Event::End(TagEnd::Paragraph)),
            // Headings would dwarf the article's own; keep their text, in bold.
            Event::Start(Tag::Heading { .. }) => {
                events.push(Event::Start(Tag::Paragraph));
                events.push(Event::Start(Tag::Strong));
            }
            Event::End(TagEnd::Heading(_)) => {
                events.push(Event::End(TagEnd::Strong));
                events.push(Event::End(TagEnd::Paragraph));
            }
            // An image would make every reader's browser fetch from wherever it points.
            Event::Start(Tag::Image {
                dest_url,
                title,
                id,
                ..
            }) => {
                in_link_or_code += 1;
                events.push(Event::Start(Tag::Link {
                    link_type: LinkType::Inline,
                    dest_url,
                    title,
                    id,
                }))
            }
            Event::End(TagEnd::Image) => {
                in_link_or_code -= 1;
                events.push(Event::End(TagEnd::Link))
            }
            Event::Start(tag @ (Tag::Link { .. } | Tag::CodeBlock(_))) => {
                in_link_or_code += 1;
                events.push(Event::Start(tag));
            }
            Event::End(tag @ (TagEnd::Link | TagEnd::CodeBlock)) => {
                in_link_or_code -= 1;
                events.push(Event::End(tag));
            }
            // Readers expect a line break where they pressed Enter.
            Event::SoftBreak => events.push(Event::HardBreak),
            Event::Text(text) if in_link_or_code == 0 => linkify(text, &mut events),
            other => events.push(other),
        }
    }
    let mut html = String::with_capacity(body.as_str().len() * 2);
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    SANITIZER.clean(&html).to_string()
}

/// Turns bare `http(s)://` and `www.` addresses in text into links.
fn linkify<'a>(text: CowStr<'a>, out: &mut Vec<Event<'a>>) {
    let s: &str = &text;
    let mut rest_start = 0;
    let mut i = 0;
    while i < s.len() {
        let tail = &s[i..];
        let starts_url = (tail.starts_with("https://")
            || tail.starts_with("http://")
            || tail.starts_with("www."))
            && (i == 0 || !s[..i].ends_with(|c: char| c.is_alphanumeric() || c == '/'));
        if !starts_url {
            i += tail.chars().next().map_or(1, char::len_utf8);
            continue;
        }
        let mut end = tail
            .find(|c: char| c.is_whitespace() || "<>\"'`".contains(c))
            .unwrap_or(tail.len());
        // Trailing punctuation ends the sentence, not the address.
        while end > 0 && tail[..end].ends_with(['.', ',', ';', ':', '!', '?', ')']) {
            end -= 1;
        }
        let url = &tail[..end];
        let has_host = url
            .split("://")
            .last()
            .is_some_and(|h| h.contains('.') || h.len() > 4);
        if end == 0 || url.ends_with("://") || !has_host {
            i += 1;
            continue;
        }
        if rest_start < i {
            out.push(Event::Text(s[rest_start..i].to_owned().into()));
        }
        let href = if url.starts_with("www.") {
            format!("https://{url}")
        } else {
            url.to_owned()
        };
        out.push(Event::Start(Tag::Link {
            link_type: LinkType::Autolink,
            dest_url: href.into(),
            title: "".into(),
            id: "".into(),
        }));
        out.push(Event::Text(url.to_owned().into()));
        out.push(Event::End(TagEnd::Link));
        i += end;
        rest_start = i;
    }
    if rest_start == 0 {
        out.push(Event::Text(text));
    } else if rest_start < s.len() {
        out.push(Event::Text(s[rest_start..].to_owned().into()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn html(md: &str) -> String {
        render(&CommentBody::parse(md, 100_000).unwrap())
    }

    #[test]
    fn renders_basic_markdown() {
        assert_eq!(html("Hello *world*"), "<p>Hello <em>world</em></p>\n");
        assert_eq!(
            html("**b** ~~s~~ `c`"),
            "<p><strong>b</strong> <del>s</del> <code>c</code></p>\n"
        );
        assert!(html("> quote").contains("<blockquote>"));
        assert!(html("- a\n- b").contains("<li>a</li>"));
        assert!(html("```\nfn main() {}\n```").contains("<pre><code>fn main() {}\n</code></pre>"));
    }

    #[test]
    fn newlines_are_line_breaks() {
        assert_eq!(html("one\ntwo"), "<p>one<br>\ntwo</p>\n");
    }

    #[test]
    fn raw_html_is_shown_as_text() {
        let out = html("<script>alert(1)</script>");
        assert!(!out.contains("<script"), "{out}");
        assert!(
            out.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{out}"
        );
        let out = html("hi <img src=x onerror=alert(1)> there");
        assert!(!out.contains("<img"), "{out}");
        assert!(out.contains("&lt;img src=x onerror=alert(1)&gt;"), "{out}");
        let out = html("<div onclick=\"steal()\">click</div>");
        assert!(!out.contains("<div"), "{out}");
    }

    #[test]
    fn dangerous_links_lose_their_href() {
        for md in [
            "[x](javascript:alert(1))",
            "[x](JAVASCRIPT:alert(1))",
            "[x](  javascript:alert(1))",
            "[x](data:text/html;base64,PHNjcmlwdD4=)",
            "[x](vbscript:msgbox)",
            "<javascript:alert(1)>",
        ] {
            let out = html(md);
            assert!(
                !out.to_lowercase().contains("javascript:alert(1)\""),
                "{md} -> {out}"
            );
            assert!(!out.contains("href=\"javascript"), "{md} -> {out}");
            assert!(!out.contains("href=\"data"), "{md} -> {out}");
            assert!(!out.contains("href=\"vbscript"), "{md} -> {out}");
        }
    }

    #[test]
    fn links_get_rel_and_stay_absolute() {
        let out = html("[site](https://example.org/a?b=1&c=2)");
        assert_eq!(
            out,
            "<p><a href=\"https://example.org/a?b=1&amp;c=2\" rel=\"nofollow ugc noopener\">site</a></p>\n"
        );
        // A relative link would point into the host blog: dropped.
        assert!(!html("[x](/admin)").contains("href"));
        // A title attribute is not allowed (and would be a second injection surface).
        let titled = html("[x](https://e.org \"t\")");
        assert!(!titled.contains("title="), "{titled}");
    }

    #[test]
    fn bare_urls_become_links() {
        assert_eq!(
            html("see https://example.org/page. ok"),
            "<p>see <a href=\"https://example.org/page\" rel=\"nofollow ugc noopener\">https://example.org/page</a>. ok</p>\n"
        );
        assert!(html("www.example.org").contains("href=\"https://www.example.org\""));
        // Not inside code.
        assert!(!html("`https://example.org`").contains("href"));
        // Not a URL without host.
        assert!(!html("http:// nothing").contains("href"));
    }

    #[test]
    fn images_become_links() {
        let out = html("![a cat](https://tracker.example/cat.png)");
        assert!(!out.contains("<img"), "{out}");
        assert!(
            out.contains("<a href=\"https://tracker.example/cat.png\""),
            "{out}"
        );
        assert!(out.contains(">a cat</a>"), "{out}");
    }

    #[test]
    fn headings_are_demoted() {
        assert_eq!(html("# Big"), "<p><strong>Big</strong></p>\n");
    }

    #[test]
    fn unicode_survives() {
        let out = html("« Ça va ? » 👨‍👩‍👧 — 日本語");
        assert!(out.contains("« Ça va ? » 👨‍👩‍👧 — 日本語"), "{out}");
    }
}

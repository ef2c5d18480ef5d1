//! Comment HTML from other systems (Disqus, WordPress) to the Markdown we store. The result
//! goes through the same renderer and sanitizer as a new comment, so nothing the source let
//! through survives unless our own rules allow it: this only keeps what is worth keeping
//! (paragraphs, breaks, emphasis, code, quotes, links) and turns everything else into text.

/// Converts `html` to Markdown.
pub fn to_markdown(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    // The href of each open <a>, to write `[text](href)` at its end.
    let mut links: Vec<Option<String>> = Vec::new();
    let mut link_text_start: Vec<usize> = Vec::new();
    while !rest.is_empty() {
        let Some(lt) = rest.find('<') else {
            out.push_str(&decode_entities(rest));
            break;
        };
        out.push_str(&decode_entities(&rest[..lt]));
        let Some(gt) = rest[lt..].find('>') else {
            // A lone "<": text.
            out.push_str(&decode_entities(&rest[lt..]));
            break;
        };
        let tag = &rest[lt + 1..lt + gt];
        // "a < b > c" is text, not a tag.
        if !tag.starts_with(|c: char| c.is_ascii_alphabetic() || c == '/' || c == '!') {
            out.push('<');
            rest = &rest[lt + 1..];
            continue;
        }
        rest = &rest[lt + gt + 1..];
        let closing = tag.starts_with('/');
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        match (name.as_str(), closing) {
            ("p" | "div", false) => paragraph(&mut out),
            ("p" | "div", true) => paragraph(&mut out),
            ("br", _) => out.push('\n'),
            ("b" | "strong", _) => out.push_str("**"),
            ("i" | "em", _) => out.push('*'),
            ("s" | "del" | "strike", _) => out.push_str("~~"),
            ("code", _) => out.push('`'),
            ("blockquote", false) => {
                paragraph(&mut out);
                out.push_str("> ");
            }
            ("blockquote", true) => paragraph(&mut out),
            ("li", false) => {
                if !out.is_empty() && !out.ends_with('\n') {
                    out.push('\n');
                }
                out.push_str("- ");
            }
            ("ul" | "ol", _) => paragraph(&mut out),
            ("a", false) => {
                // Only links our renderer would keep; others lose their target here already.
                let href = attribute(tag, "href").filter(|h| {
                    let h = h.trim_start().to_ascii_lowercase();
                    h.starts_with("http://")
                        || h.starts_with("https://")
                        || h.starts_with("mailto:")
                });
                links.push(href);
                link_text_start.push(out.len());
                out.push('[');
            }
            ("a", true) => {
                let href = links.pop().flatten();
                let start = link_text_start.pop();
                match (href, start) {
                    (Some(href), Some(_)) => {
                        out.push_str("](");
                        out.push_str(&href.replace(' ', "%20").replace(')', "%29"));
                        out.push(')');
                    }
                    // No usable href: keep the text only.
                    (None, Some(start)) => {
                        out.remove(start);
                    }
                    _ => {}
                }
            }
            // Images would make readers' browsers fetch from elsewhere: a link instead.
            ("img", _) => {
                if let Some(src) = attribute(tag, "src") {
                    let alt = attribute(tag, "alt").unwrap_or_else(|| "image".into());
                    out.push_str(&format!("[{alt}]({src})"));
                }
            }
            // Script and style content is dropped with its tags; every other tag disappears
            // and its text stays.
            ("script" | "style", false) => {
                let end = format!("</{name}");
                match rest.to_ascii_lowercase().find(&end) {
                    Some(i) => rest = &rest[i..],
                    None => rest = "",
                }
            }
            _ => {}
        }
    }
    out.trim().to_owned()
}

fn paragraph(out: &mut String) {
    let trimmed = out.trim_end_matches([' ', '\t']).len();
    out.truncate(trimmed);
    if out.is_empty() {
        return;
    }
    while !out.ends_with("\n\n") {
        out.push('\n');
    }
}

/// A double- or single-quoted attribute's value, entities decoded.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let lower = tag.to_ascii_lowercase();
    let mut from = 0;
    while let Some(i) = lower[from..].find(name) {
        let at = from + i;
        from = at + name.len();
        let before_ok = at == 0 || lower.as_bytes()[at - 1].is_ascii_whitespace();
        let after = lower[from..].trim_start();
        if !before_ok || !after.starts_with('=') {
            continue;
        }
        let value_start = tag.len() - after.len() + 1;
        let value = tag[value_start..].trim_start();
        let (quote, body) = match value.chars().next()? {
            q @ ('"' | '\'') => (q, &value[1..]),
            _ => (' ', value),
        };
        let end = body.find(quote).unwrap_or(body.len());
        return Some(decode_entities(&body[..end]));
    }
    None
}

/// HTML entities: the named ones comments use, and numeric ones.
pub fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        // Bytes, not a str slice: 12 bytes on may fall inside a character (';' is ASCII, so
        // where it is found is a character boundary).
        let end = rest.as_bytes()[..rest.len().min(12)]
            .iter()
            .position(|&b| b == b';');
        let decoded = end.and_then(|end| {
            let entity = &rest[1..end];
            let c = match entity {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" | "#39" => Some('\''),
                "nbsp" => Some('\u{a0}'),
                "laquo" => Some('«'),
                "raquo" => Some('»'),
                "hellip" => Some('…'),
                "mdash" => Some('—'),
                "ndash" => Some('–'),
                "rsquo" => Some('’'),
                "lsquo" => Some('‘'),
                "rdquo" => Some('”'),
                "ldquo" => Some('“'),
                "eacute" => Some('é'),
                "egrave" => Some('è'),
                "agrave" => Some('à'),
                "ccedil" => Some('ç'),
                _ => entity
                    .strip_prefix("#x")
                    .or_else(|| entity.strip_prefix("#X"))
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                    .and_then(char::from_u32),
            };
            c.map(|c| (c, end))
        });
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_ampersand_before_wide_characters_is_kept() {
        // Found by the importers' property test: it panicked slicing inside '𞟾'.
        assert_eq!(decode_entities("&ؓÛꡭHw?𞟾Ᾰ"), "&ؓÛꡭHw?𞟾Ᾰ");
        assert_eq!(decode_entities("a &amp; 𞟾&lt;"), "a & 𞟾<");
    }

    use super::*;

    #[test]
    fn keeps_structure_worth_keeping() {
        assert_eq!(
            to_markdown("<p>Hello <b>you</b></p><p>Second</p>"),
            "Hello **you**\n\nSecond"
        );
        assert_eq!(to_markdown("a<br>b<br/>c"), "a\nb\nc");
        assert_eq!(
            to_markdown(r#"See <a href="https://x.example/a b" rel="nofollow">this</a>."#),
            "See [this](https://x.example/a%20b)."
        );
        assert_eq!(
            to_markdown("<blockquote>quoted</blockquote>reply"),
            "> quoted\n\nreply"
        );
        assert_eq!(
            to_markdown("<ul><li>one</li><li>two</li></ul>"),
            "- one\n- two"
        );
    }

    #[test]
    fn scripts_vanish_and_entities_decode() {
        assert_eq!(to_markdown("hi<script>alert(1)</script> there"), "hi there");
        assert_eq!(
            to_markdown("&laquo;&nbsp;Bonjour&nbsp;&raquo; &amp; &#233;t&#xE9; &#128512;"),
            "«\u{a0}Bonjour\u{a0}» & été 😀"
        );
        assert_eq!(to_markdown("&lt;script&gt;"), "<script>");
        assert_eq!(to_markdown("a & b < c"), "a & b < c");
        assert_eq!(to_markdown("1 < 2 > 0"), "1 < 2 > 0");
    }

    #[test]
    fn images_become_links_and_bad_links_keep_their_text() {
        assert_eq!(
            to_markdown(r#"<img src="https://i.example/x.png" alt="cat">"#),
            "[cat](https://i.example/x.png)"
        );
        assert_eq!(to_markdown("<a>text</a>"), "text");
        assert_eq!(to_markdown(r#"<a href=" JavaScript:alert(1)">x</a>"#), "x");
    }
}

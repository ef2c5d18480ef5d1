//! The default colours of style/widget.css meet WCAG AA (4.5:1 for text) in both themes.
//! Parsed from the stylesheet itself, so a colour change that breaks contrast fails here.

use crate::accent::contrast;
use std::collections::HashMap;

/// The stylesheet as written (the wasm holds it minified, same values: build.rs).
const CSS: &str = include_str!("../style/widget.css");

/// `--_name: var(--palabre-x, #rrggbb)` declarations of the CSS block starting at `selector`.
fn palette(selector: &str) -> HashMap<String, [u8; 3]> {
    let start = CSS
        .find(selector)
        .unwrap_or_else(|| panic!("{selector} in the CSS"));
    // The block ends at a line holding only `}` (comments inside may contain braces).
    CSS[start..]
        .lines()
        .take_while(|line| line.trim() != "}")
        .filter_map(|line| {
            let line = line.trim();
            let name = line.strip_prefix("--_")?.split(':').next()?.to_owned();
            let hex = line.split('#').nth(1)?.get(..6)?;
            let channel = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
            Some((name, [channel(0)?, channel(2)?, channel(4)?]))
        })
        .collect()
}

/// (foreground, background) pairs that carry text in the widget.
const TEXT_PAIRS: &[(&str, &str)] = &[
    ("text", "bg"),
    ("text", "surface"),
    ("muted", "bg"),
    ("muted", "surface"),
    ("accent", "bg"),
    ("accent", "surface"),
    ("accent-text", "accent"),
    ("error", "bg"),
    ("error", "surface"),
];

fn check(selector: &str) {
    let p = palette(selector);
    for (fg, bg) in TEXT_PAIRS {
        let ratio = contrast(p[*fg], p[*bg]);
        assert!(
            ratio >= 4.5,
            "{selector}: {fg} on {bg} is {ratio:.2}:1, below AA"
        );
    }
}

#[test]
fn light_theme_meets_aa() {
    check(":host {");
}

#[test]
fn dark_theme_meets_aa() {
    check(":host([data-theme=\"dark\"])");
}

/// `auto` gives the light palette on a light page and the dark one on a dark page:
/// `light-dark(<light default>, <dark default>)` for every colour.
#[test]
fn auto_is_light_or_dark_by_the_page() {
    let (light, dark) = (palette(":host {"), palette(":host([data-theme=\"dark\"])"));
    let start = CSS
        .find("  :host([data-theme=\"auto\"]) {\n    --_accent: light-dark(")
        .expect("the auto palette");
    let mut names = 0;
    for line in CSS[start..].lines().skip(1).take_while(|l| l.trim() != "}") {
        let name = line
            .trim()
            .strip_prefix("--_")
            .unwrap()
            .split(':')
            .next()
            .unwrap();
        let hex: Vec<&str> = line.split('#').skip(1).map(|h| &h[..6]).collect();
        let rgb = |h: &str| {
            let c = |i: usize| u8::from_str_radix(&h[i..i + 2], 16).unwrap();
            [c(0), c(2), c(4)]
        };
        assert_eq!(rgb(hex[0]), light[name], "{name} light");
        assert_eq!(rgb(hex[hex.len() - 1]), dark[name], "{name} dark");
        names += 1;
    }
    assert_eq!(names, light.len(), "every colour has its auto pair");
}

mod minify {
    include!("../style/minify.rs");
}

/// What the wasm holds is the stylesheet minified by build.rs.
#[test]
fn the_compiled_stylesheet_is_the_source_minified() {
    let compiled = crate::mount::CSS.expect("tests build with the `stylesheet` feature");
    assert_eq!(compiled, minify::minify(CSS));
    assert!(compiled.lines().count() > 100);
}

/// Comments go wherever they are, indentation and blank lines too; rules stay as written.
#[test]
fn minifying_drops_comments_and_indentation_only() {
    let css =
        "/* a\n   comment */\n.a { color: red; } /* b */\n\n  .b {\n    margin: 0; /* c */\n  }\n";
    assert_eq!(
        minify::minify(css),
        ".a { color: red; } \n.b {\nmargin: 0; \n}\n"
    );
    assert_eq!(minify::minify(".a {}\n/* never closed"), ".a {}\n");
}

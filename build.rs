//! The widget's stylesheet as compiled into the wasm: without its comments and indentation,
//! as scripts/build-widget writes `palabre.css` for the first paint (2 KB less in the wasm).

fn main() {
    println!("cargo::rerun-if-changed=style/widget.css");
    let css = std::fs::read_to_string("style/widget.css").expect("style/widget.css");
    let out = std::path::Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("widget.css");
    std::fs::write(out, minify(&css)).expect("OUT_DIR is writable");
}

/// Comments out, each line's leading blanks out, empty lines out. The stylesheet has no
/// comment markers inside strings.
fn minify(css: &str) -> String {
    let mut text = String::with_capacity(css.len());
    let mut rest = css;
    while let Some(start) = rest.find("/*") {
        text.push_str(&rest[..start]);
        rest = rest[start..]
            .find("*/")
            .map_or("", |end| &rest[start + end + 2..]);
    }
    text.push_str(rest);
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim_start)
        .filter(|l| !l.is_empty())
        .collect();
    lines.join("\n") + "\n"
}

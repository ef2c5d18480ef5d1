/// The widget's stylesheet without its comments, each line's leading blanks and its empty
/// lines: what the wasm holds (build.rs) and what the server's first paint uses (`palabre.css`,
/// scripts/build-widget copies build.rs's output). The stylesheet has no comment markers
/// inside strings.
pub fn minify(css: &str) -> String {
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

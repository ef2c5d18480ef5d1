//! The widget's modules depend downward only, as the server's do (see `palabre-module-graph`):
//! every top-level module has its place in [`LAYERS`] and uses only those before it, and the
//! components form no cycle. Native only: it reads `src/` from disk.
#![cfg(not(target_arch = "wasm32"))]

use palabre_module_graph::Graph;
use std::path::Path;

/// Lowest first: each module may use those before it, never one after it.
const LAYERS: &[&str] = &[
    // Plain Rust: values, storage, configuration, HTTP, the thread's state.
    "json",
    "storage",
    "config",
    "client",
    "chunk",
    "exact_time",
    "thread_state",
    "live",
    // What components share, and what they call.
    "context",
    "proof_of_work",
    "session",
    "language",
    "handoff",
    "anchor",
    // What the page says (script tag or props): below both ways onto a page.
    "page",
    // The console's word on a blog's accent, once a widget is drawn.
    "accent",
    // The view.
    "components",
    // Onto a page: the loader's `mount`, then the `<Palabre/>` component that uses it.
    "mount",
    "component",
    // A test module (the stylesheet's contrast), which may look anywhere.
    "style_contrast",
];

fn graph() -> Graph {
    Graph::read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"))
}

#[test]
fn widget_modules_depend_downward_only() {
    let faults = graph().layering_faults(LAYERS);
    assert!(faults.is_empty(), "upward arrows:\n{}", faults.join("\n"));
}

#[test]
fn the_widget_has_no_import_cycle() {
    let cycles = graph().cycles();
    assert!(cycles.is_empty(), "import cycles:\n{}", cycles.join("\n"));
}

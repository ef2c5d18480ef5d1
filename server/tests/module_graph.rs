//! The server's modules depend downward only (see `palabre-module-graph` for what is read and
//! how): every top-level module has its place in [`LAYERS`] and uses only those before it,
//! and inside every folder module the children form no cycle.
//! Run alone: `cargo test -p palabre-server --test module_graph`.

use palabre_module_graph::Graph;
use std::path::Path;

/// Lowest first: each module may use those before it, never one after it.
const LAYERS: &[&str] = &[
    // Foundations: no rules, no storage.
    "clock",
    "crypto",
    "render",
    "rate_limit",
    "logs",
    "words",
    // Storage, then what the server is configured with.
    "store",
    "config",
    "error",
    "outbox",
    "services",
    // The rules.
    "spam",
    "identity",
    "notify",
    "comments",
    "moderation",
    "readers",
    "live",
    "backup",
    "import",
    // The sites' accounts on the fediverse: over the rules (replies become comments).
    "federation",
    // The HTTP edge, the server's start, the command line.
    "http",
    "startup",
    "cli",
];

fn graph() -> Graph {
    Graph::read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"))
}

#[test]
fn top_level_modules_depend_downward_only() {
    let faults = graph().layering_faults(LAYERS);
    assert!(faults.is_empty(), "upward arrows:\n{}", faults.join("\n"));
}

#[test]
fn the_children_of_a_module_form_no_cycle() {
    let cycles = graph().cycles();
    assert!(cycles.is_empty(), "import cycles:\n{}", cycles.join("\n"));
}

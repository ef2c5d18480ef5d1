//! Which module of a crate names which, read from its `src/` as text, for the tests that keep
//! a crate's modules layered (`server/tests/module_graph.rs`, `tests/module_graph.rs`):
//!
//! 1. Between top-level modules, every `crate::…`, `super::…` or `self::…` path points to a
//!    module listed before it in the crate's layers; every top-level module is listed, so a new
//!    one has to be given its place ([`Graph::layering_faults`]).
//! 2. Inside every folder module, its children form no cycle. A folder's `mod.rs` is the face
//!    its children share: they may use it, it may use them ([`Graph::cycles`]).
//!
//! Test modules (`#[cfg(test)]`, at the end of a file) are left out: a test may look anywhere.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

type Module = Vec<String>;

fn name(m: &Module) -> String {
    if m.is_empty() {
        "crate".to_owned()
    } else {
        m.join("::")
    }
}

struct File {
    path: PathBuf,
    /// `mod.rs` or `lib.rs`: `super` from here is the module's parent.
    is_folder: bool,
}

pub struct Graph {
    modules: BTreeMap<Module, File>,
    /// Which module names which, by path (never a module to itself).
    edges: BTreeSet<(Module, Module)>,
}

impl Graph {
    /// Reads every `.rs` file under `src` (but `main.rs`, the binary, which may use anything).
    pub fn read(src: &Path) -> Self {
        let mut modules = BTreeMap::new();
        let mut stack = vec![src.to_path_buf()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                if path.extension().is_none_or(|e| e != "rs") {
                    continue;
                }
                let rel = path.strip_prefix(src).unwrap().with_extension("");
                let mut module: Module = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                let last = module.last().cloned().unwrap_or_default();
                if module == ["main"] {
                    continue; // the binary: it may use anything
                }
                let is_folder = last == "mod" || module == ["lib"];
                if is_folder {
                    module.pop();
                }
                modules.insert(module, File { path, is_folder });
            }
        }
        let mut edges = BTreeSet::new();
        for (module, file) in &modules {
            let text = std::fs::read_to_string(&file.path).unwrap();
            for path in paths(&code_of(&text)) {
                let target = resolve(module, &path);
                let found = (0..=target.len())
                    .rev()
                    .map(|k| target[..k].to_vec())
                    .find(|m| modules.contains_key(m))
                    .unwrap_or_default();
                if &found != module {
                    edges.insert((module.clone(), found));
                }
            }
        }
        Self { modules, edges }
    }
}

impl Graph {
    /// What breaks the layering `layers` (lowest first): top-level modules not listed, and
    /// arrows that point up (or to the crate root, which should hold only `mod` lines).
    pub fn layering_faults(&self, layers: &[&str]) -> Vec<String> {
        let top: BTreeSet<&str> = self
            .modules
            .keys()
            .filter_map(|m| m.first().map(String::as_str))
            .collect();
        let mut faults: Vec<String> = top
            .iter()
            .filter(|m| !layers.contains(m))
            .map(|m| format!("{m}: not in the layers; give it its place"))
            .collect();
        let rank = |m: &Module| m.first().and_then(|t| layers.iter().position(|l| l == t));
        for (from, to) in &self.edges {
            match (rank(from), rank(to)) {
                (Some(a), Some(b)) if a != b && b > a => {
                    faults.push(format!("{} -> {}", from.join("::"), to.join("::")))
                }
                (Some(_), None) => faults.push(format!("{} -> crate root", from.join("::"))),
                _ => {}
            }
        }
        faults
    }

    /// One cycle among the children of each folder module that has one.
    pub fn cycles(&self) -> Vec<String> {
        let folders: BTreeSet<Module> = self
            .modules
            .iter()
            .filter(|(_, f)| f.is_folder)
            .map(|(m, _)| m.clone())
            .collect();
        let mut cycles = Vec::new();
        for folder in &folders {
            // Edges between two different children of `folder` (or their descendants).
            let child = |m: &Module| -> Option<String> {
                (m.len() > folder.len() && m.starts_with(folder)).then(|| m[folder.len()].clone())
            };
            let mut siblings: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
            for (from, to) in &self.edges {
                if let (Some(a), Some(b)) = (child(from), child(to))
                    && a != b
                {
                    siblings.entry(a).or_default().insert(b);
                }
            }
            if let Some(cycle) = find_cycle(&siblings) {
                cycles.push(format!("in {}: {}", name(folder), cycle.join(" -> ")));
            }
        }
        cycles
    }
}

/// The file without comments and without its test module.
fn code_of(text: &str) -> String {
    let text = match text.find("#[cfg(test)]") {
        Some(i) => &text[..i],
        None => text,
    };
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every path that starts with `crate`, `super` or `self`, use trees expanded.
fn paths(code: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let bytes = code.as_bytes();
    let mut i = 0;
    while i < code.len() {
        let rest = &code[i..];
        let starts = ["crate::", "super::", "self::"]
            .iter()
            .any(|p| rest.starts_with(p));
        let boundary =
            i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || b"_:".contains(&bytes[i - 1]));
        if starts && boundary {
            let (tree, len) = take_tree(rest);
            expand(&[], &tree, &mut out);
            i += len.max(1);
        } else {
            i += rest.chars().next().map_or(1, char::len_utf8);
        }
    }
    out
}

/// The path (with any `{…}` groups) at the start of `s`, and its length.
fn take_tree(s: &str) -> (String, usize) {
    let mut depth = 0;
    for (i, c) in s.char_indices() {
        match c {
            // A group only after `::`; otherwise a struct literal or a block begins.
            '{' if depth > 0 || s[..i].ends_with("::") => depth += 1,
            '}' if depth > 0 => depth -= 1,
            c if depth == 0 && !(c.is_alphanumeric() || c == '_' || c == ':') => {
                return (s[..i].to_owned(), i);
            }
            _ => {}
        }
        if depth == 0 && c == '}' {
            return (s[..=i].to_owned(), i + 1);
        }
    }
    (s.to_owned(), s.len())
}

/// `a::{b, c::{d}}` -> `a::b`, `a::c::d` (and `self` in a group names the group's path).
fn expand(prefix: &[String], tree: &str, out: &mut Vec<Vec<String>>) {
    let tree: String = tree.split_whitespace().collect::<Vec<_>>().join(" ");
    let tree = tree.trim().trim_end_matches("::");
    if let Some(open) = tree.find('{') {
        let mut head = prefix.to_vec();
        head.extend(segments(&tree[..open]));
        let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
        let mut depth = 0;
        let mut start = 0;
        for (i, c) in inner.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    expand(&head, &inner[start..i], out);
                    start = i + 1;
                }
                _ => {}
            }
        }
        expand(&head, &inner[start..], out);
    } else {
        let item = tree.split(" as ").next().unwrap_or("");
        let mut path = prefix.to_vec();
        path.extend(segments(item));
        if path.len() > prefix.len() || !prefix.is_empty() {
            out.push(path);
        }
    }
}

fn segments(s: &str) -> Vec<String> {
    s.split("::")
        .map(str::trim)
        .filter(|p| !p.is_empty() && *p != "*")
        .map(str::to_owned)
        .collect()
}

/// Where a path written in `module` points, as a path from the crate root: `super` is the
/// module's parent (for `a/x.rs` and for `a/x/mod.rs` alike), a group's `self` stays put.
fn resolve(module: &Module, path: &[String]) -> Module {
    let mut segs = path.iter().peekable();
    let mut at: Module = match segs.peek().map(|s| s.as_str()) {
        Some("crate") => {
            segs.next();
            Vec::new()
        }
        _ => module.clone(),
    };
    let mut out = Vec::new();
    for s in segs {
        match s.as_str() {
            "super" if out.is_empty() => {
                at.pop();
            }
            "self" => {}
            other => out.push(other.to_owned()),
        }
    }
    at.extend(out);
    at
}

/// One cycle of `graph`, if it has any.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(node.to_owned(), 1);
        stack.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            match state.get(next.as_str()).copied().unwrap_or(0) {
                1 => {
                    let from = stack.iter().position(|n| n == next).unwrap_or(0);
                    let mut cycle = stack[from..].to_vec();
                    cycle.push(next.clone());
                    return Some(cycle);
                }
                0 => {
                    if let Some(c) = visit(next, graph, state, stack) {
                        return Some(c);
                    }
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(node.to_owned(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for node in graph.keys() {
        if state.get(node.as_str()).copied().unwrap_or(0) == 0
            && let Some(c) = visit(node, graph, &mut state, &mut Vec::new())
        {
            return Some(c);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The checker itself must see what it is meant to forbid.
    #[test]
    fn the_reader_finds_paths_in_every_form() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path();
        std::fs::create_dir_all(src.join("a")).unwrap();
        std::fs::write(src.join("lib.rs"), "pub mod a;\npub mod b;\npub mod c;\n").unwrap();
        std::fs::write(src.join("a/mod.rs"), "mod x;\nmod y;\n").unwrap();
        std::fs::write(src.join("a/x.rs"), "use super::y::Thing;\n").unwrap();
        std::fs::write(
            src.join("a/y.rs"),
            "fn f() { super::x::go() }\n#[cfg(test)]\nmod tests { use crate::c::Z; }\n",
        )
        .unwrap();
        std::fs::write(
            src.join("b.rs"),
            "use crate::{a::{self, x::{One, Two}}, c as see};\n// crate::nothing\n",
        )
        .unwrap();
        std::fs::write(src.join("c.rs"), "fn g() -> crate::b::T { todo!() }\n").unwrap();
        let g = Graph::read(src);
        let edges: BTreeSet<(String, String)> =
            g.edges.iter().map(|(a, b)| (name(a), name(b))).collect();
        let want: BTreeSet<(String, String)> = [
            ("a::x", "a::y"),
            ("a::y", "a::x"),
            ("b", "a"),
            ("b", "a::x"),
            ("b", "c"),
            ("c", "b"),
        ]
        .into_iter()
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
        .collect();
        assert_eq!(edges, want);
        let mut a_children: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        a_children.entry("x".into()).or_default().insert("y".into());
        a_children.entry("y".into()).or_default().insert("x".into());
        assert!(find_cycle(&a_children).is_some());
        a_children.remove("y");
        assert!(find_cycle(&a_children).is_none());
    }

    #[test]
    fn an_upward_arrow_an_unlisted_module_and_a_cycle_are_found() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path();
        std::fs::create_dir_all(src.join("a")).unwrap();
        std::fs::write(
            src.join("lib.rs"),
            "pub mod a;\npub mod low;\npub mod high;\n",
        )
        .unwrap();
        std::fs::write(src.join("a/mod.rs"), "mod x;\nmod y;\n").unwrap();
        std::fs::write(src.join("a/x.rs"), "use super::y::Thing;\n").unwrap();
        std::fs::write(src.join("a/y.rs"), "use super::x::Other;\n").unwrap();
        std::fs::write(src.join("low.rs"), "use crate::high::H;\n").unwrap();
        std::fs::write(src.join("high.rs"), "use crate::low::L;\n").unwrap();
        let g = Graph::read(src);
        assert_eq!(
            g.layering_faults(&["low", "high"]),
            ["a: not in the layers; give it its place", "low -> high"]
        );
        assert_eq!(
            g.cycles(),
            ["in crate: high -> low -> high", "in a: x -> y -> x"]
        );
    }
}

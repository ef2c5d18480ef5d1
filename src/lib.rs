//! Palabre's comment widget: a Leptos component compiled to WebAssembly, mounted by the
//! `palabre.js` loader into a shadow root next to the blog's `<script>` tag, or used as
//! [`Palabre`] inside another Leptos application.
//!
//! Logic (configuration, i18n, drafts, thread state, identicons) is plain Rust covered by
//! native tests; `components/` draws it; `page` reads what the page says, `mount` puts a
//! widget on it, and `component` does both for a Leptos application (tests/module_graph.rs
//! keeps that order).

pub mod accent;
pub mod anchor;
pub mod chunk;
pub mod client;
pub mod component;
pub mod components;
pub mod config;
pub mod context;
pub mod exact_time;
pub mod handoff;
pub mod json;
pub mod language;
pub mod live;
pub mod mount;
pub mod page;
pub mod proof_of_work;
pub mod session;
pub mod storage;
#[cfg(test)]
mod style_contrast;
pub mod thread_state;

// Shared with the server, which draws a thread's first page before the wasm runs.
pub use palabre_api::{i18n, identicon};

pub use component::Palabre;
pub use mount::mount;

#[cfg(test)]
mod tests {
    use crate::page::origin_of;

    #[test]
    fn urls() {
        assert_eq!(
            origin_of("https://c.example.org:8443/embed/palabre.js?v=1"),
            "https://c.example.org:8443"
        );
        let dir = crate::mount::bundle_dir;
        assert_eq!(
            dir("https://c.example.org/embed/palabre.js?v=1#x/y"),
            "https://c.example.org/embed/"
        );
        assert_eq!(
            dir("https://c.example.org/palabre.js"),
            "https://c.example.org/"
        );
    }
}

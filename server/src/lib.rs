//! Palabre's comment server. `main.rs` only parses the command line and calls in here; tests
//! drive the same [`http::router`] and [`startup::Application`].
//!
//! Modules depend downward only, in this order (each may use those listed before it; the test
//! `module_graph` in `tests/api` checks it):
//! foundations (`clock`, `crypto`, `render`, `rate_limit`, `logs`, `words`), `store`, `config`, `error`,
//! `outbox`, `services`; the rules (`spam`, `notify`, `comments`, `moderation`, `readers`,
//! `live`, `backup`, `import`); `federation`; the HTTP edge (`http`); `startup`; the command line (`cli`).

pub mod backup;
pub mod cli;
pub mod clock;
pub mod comments;
pub mod config;
pub mod crypto;
pub mod error;
pub mod federation;
pub mod http;
pub mod identity;
pub mod import;
pub mod live;
pub mod logs;
pub mod moderation;
pub mod notify;
pub mod outbox;
pub mod rate_limit;
pub mod readers;
pub mod render;
pub mod services;
pub mod spam;
pub mod startup;
pub mod store;
pub mod words;

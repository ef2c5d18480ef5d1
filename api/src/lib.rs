//! Palabre's wire contract, compiled by both the server and the widget (wasm32), so the two
//! can't drift: the JSON types of API v1, the error codes, the input types that parse raw
//! reader input into validated values, the flat-list-to-tree building, and what a thread's
//! first paint needs on both sides (the widget's words, identicons, `first_paint`).
//!
//! Nothing here depends on a web framework or a database.

#[cfg(not(any(feature = "tables", all(target_arch = "wasm32", feature = "browser"))))]
compile_error!(
    "palabre-api needs the `tables` feature, or `browser` on wasm32, for Unicode tables"
);

pub mod dto;
pub mod error;
pub mod first_paint;
pub mod i18n;
pub mod identicon;
pub mod input;
pub mod page_key;
pub mod pow;
pub mod time;
pub mod tree;
pub mod unicode;

pub use dto::*;
pub use error::{ErrorBody, ErrorCode, ValidationError};
pub use input::*;
pub use page_key::page_thread_key;
pub use time::Timestamp;

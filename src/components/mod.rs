//! The widget's components, one per file. Logic lives in plain Rust modules next door; these
//! stay thin: they read context, call those functions, and draw.

mod account;
mod app;
mod avatar;
mod comment;
mod edit_form;
mod live_updates;
mod moderate;
mod new_comments;
mod reply_form;
mod thread_header;
mod vote_buttons;

pub use app::{App, FIRST_DRAW_ROOTS};

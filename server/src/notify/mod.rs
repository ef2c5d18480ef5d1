//! Notifications: what is said to whom when a comment arrives or is published
//! ([`messages`]), with the signed links those emails carry ([`links`]). Sending is the
//! outbox's ([`crate::outbox`]).

pub mod links;
pub mod messages;

pub use messages::{comment_created, comment_published};

//! Form bodies and where an action leads back to.

use crate::words::Say;
use axum::response::{IntoResponse, Redirect, Response};
use std::collections::HashMap;

/// A urlencoded form body; repeated names keep every value (bulk selections).
pub(super) struct Form(Vec<(String, String)>);

impl Form {
    pub(super) fn parse(body: &[u8]) -> Self {
        Self(form_urlencoded::parse(body).into_owned().collect())
    }

    pub(super) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub(super) fn all(&self, name: &str) -> impl Iterator<Item = &str> {
        self.0
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Where to go after an action: a local admin page only (never an open redirect).
pub(super) fn back_to(form: &Form, default: &str, done: usize) -> Response {
    let back = form
        .get("back")
        .filter(|b| b.starts_with("/admin/") && !b.starts_with("//") && !b.contains('\\'))
        .unwrap_or(default);
    let sep = if back.contains('?') { '&' } else { '?' };
    Redirect::to(&format!("{back}{sep}done={done}")).into_response()
}

pub(super) fn done_notice(query: &HashMap<String, String>) -> Option<String> {
    query
        .get("done")
        .and_then(|d| d.parse::<usize>().ok())
        .map(|n| super::pages::words().plural(Say::ItemsUpdated, n as u64))
}

//! The server's one error type, mapped once to an HTTP status and the `{code, message, field}`
//! body. Server-side causes are logged with their source chain and never sent to clients.

use crate::store::StoreError;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use palabre_api::{ErrorBody, ErrorCode, ValidationError};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A field failed to parse.
    #[error("invalid input: {0}")]
    Invalid(#[from] ValidationError),
    /// The request was understood and refused (not found, bad token, locked...).
    #[error("refused: {0}")]
    Refused(ErrorCode),
    /// The body could not be read as the expected JSON. `detail` describes the client's own
    /// input (serde's message), so it is safe to return.
    #[error("bad request body: {detail}")]
    Body {
        code: ErrorCode,
        detail: String,
        field: Option<String>,
    },
    #[error("rate limited for {retry_after_secs}s")]
    RateLimited { retry_after_secs: u64 },
    #[error("storage failed")]
    Store(#[from] StoreError),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Invalid(v) => v.code,
            Self::Refused(code) | Self::Body { code, .. } => *code,
            Self::RateLimited { .. } => ErrorCode::RateLimited,
            Self::Store(StoreError::Unavailable(_)) => ErrorCode::Unavailable,
            Self::Store(_) | Self::Internal(_) => ErrorCode::Internal,
        }
    }

    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.code().http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

/// Logs an error with every `source` in its chain.
fn log_server_error(err: &(dyn std::error::Error + 'static)) {
    let mut chain = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        chain.push_str(": ");
        chain.push_str(&s.to_string());
        source = s.source();
    }
    tracing::error!(error = %chain, "request failed");
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let code = self.code();
        let (message, field) = match &self {
            Self::Invalid(v) => (code.default_message().to_owned(), Some(v.field.to_owned())),
            Self::Body { detail, field, .. } => (
                format!("{} {detail}", code.default_message()),
                field.clone(),
            ),
            Self::Store(e) => {
                log_server_error(e);
                (code.default_message().to_owned(), None)
            }
            Self::Internal(e) => {
                log_server_error(e.as_ref());
                (code.default_message().to_owned(), None)
            }
            Self::Refused(_) | Self::RateLimited { .. } => {
                (code.default_message().to_owned(), None)
            }
        };
        let body = ErrorBody {
            code,
            message,
            field,
        };
        let mut response = (self.status(), axum::Json(body)).into_response();
        // For the metrics: why a request was refused.
        response.extensions_mut().insert(code);
        match self {
            Self::RateLimited { retry_after_secs } => {
                response.headers_mut().insert(
                    header::RETRY_AFTER,
                    HeaderValue::from(retry_after_secs.max(1)),
                );
            }
            // A database that went away usually comes back within seconds (a failover, a
            // restart).
            Self::Store(StoreError::Unavailable(_)) => {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(5));
            }
            _ => {}
        }
        response
    }
}

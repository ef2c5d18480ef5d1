//! Talks to the comment server, and only to it. Every call returns a typed result or an
//! [`ApiError`] that says what the reader can do about it (retry, fix a field, wait).

use gloo_net::http::{Request, RequestBuilder, Response};
use palabre_api::i18n::{Lang, Msg, Words};
use palabre_api::{
    Challenge, Comment, CreatedComment, DeleteResult, EditComment, ErrorBody, ErrorCode,
    NewComment, PreviewRequest, PreviewResponse, ServerConfig, SortOrder, ThreadPage, VoteCounts,
    VoteRequest,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::JsCast;

#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// No answer: server down, reader offline, or the browser refused the request (CORS).
    Unreachable,
    /// The server refused with one of its error codes.
    Refused {
        status: u16,
        body: ErrorBody,
        retry_after_secs: Option<u64>,
    },
    /// An answer we cannot read, e.g. a proxy's 502 page.
    BadResponse(u16),
}

/// A chunk of the widget (a feature fetched on intent) that did not come: to the reader it is
/// the server out of reach, with the same retry.
impl From<leptos::wasm_split::SplitLoaderError> for ApiError {
    fn from(_: leptos::wasm_split::SplitLoaderError) -> Self {
        Self::Unreachable
    }
}

impl ApiError {
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Self::Refused { body, .. } => Some(body.code),
            _ => None,
        }
    }

    /// The form field the error is about, if any.
    pub fn field(&self) -> Option<&str> {
        match self {
            Self::Refused { body, .. } => body.field.as_deref(),
            _ => None,
        }
    }

    /// What went wrong, in the reader's words: the server's reason when it gave one, else
    /// `offline` (no answer, or one that cannot be read, such as a proxy's error page).
    pub fn words(&self, words: Words, offline: Msg) -> &'static str {
        match self.code() {
            Some(code) => words.error(code),
            None => words.get(offline),
        }
    }

    /// The server failed, rather than refused: it may well take the same request later.
    pub fn is_server_failure(&self) -> bool {
        matches!(self, Self::BadResponse(_)) || self.code() == Some(ErrorCode::Internal)
    }

    /// Worth retrying as is: the network, the server's own failures, rate limiting.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Unreachable | Self::BadResponse(_) => true,
            Self::Refused { status, .. } => *status >= 500 || *status == 429,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiClient {
    endpoint: String,
}

impl ApiClient {
    pub fn new(endpoint: &str) -> Self {
        Self {
            endpoint: endpoint.trim_end_matches('/').to_owned(),
        }
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.endpoint)
    }

    async fn send<T: DeserializeOwned>(
        request: Result<Request, gloo_net::Error>,
    ) -> Result<T, ApiError> {
        let request = request.map_err(|_| ApiError::Unreachable)?;
        let response = request.send().await.map_err(|_| ApiError::Unreachable)?;
        Self::read(response).await
    }

    async fn read<T: DeserializeOwned>(response: Response) -> Result<T, ApiError> {
        let status = response.status();
        if response.ok() {
            return json_of(response).await.ok_or(ApiError::BadResponse(status));
        }
        let retry_after_secs = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.trim().parse().ok());
        match json_of::<ErrorBody>(response).await {
            Some(body) => Err(ApiError::Refused {
                status,
                body,
                retry_after_secs,
            }),
            None => Err(ApiError::BadResponse(status)),
        }
    }

    /// The widget's words in a language other than English (`/api/v1/words/{lang}`), read
    /// from the browser's parse field by field: serde's derive for this one type would cost
    /// the wasm more than the words' own code.
    pub async fn words(&self, lang: Lang) -> Option<Words> {
        // The key set's version in the address: a browser's cached words from a widget of
        // another release are not taken for these.
        let url = self.url("/api/v1/words/") + lang.tag() + "?v=" + &Msg::VERSION.to_string();
        // The browser's fetch as it is: gloo's request builder, inlined here, costs more.
        let response = web_sys::window()?.fetch_with_str(&url);
        let response: web_sys::Response = wasm_bindgen_futures::JsFuture::from(response)
            .await
            .ok()?
            .dyn_into()
            .ok()?;
        if !response.ok() {
            return None;
        }
        let list = wasm_bindgen_futures::JsFuture::from(response.json().ok()?)
            .await
            .ok()?;
        let field = |name: &str| js_sys::Reflect::get(&list, &name.into()).ok();
        let words: js_sys::Array = field("words")?.dyn_into().ok()?;
        let words = words.iter().map(|w| w.as_string()).collect::<Option<_>>()?;
        Words::fetched(lang, field("version")?.as_f64()? as u32, words)
    }

    pub async fn config(&self) -> Result<ServerConfig, ApiError> {
        Self::send(Request::get(&self.url("/api/v1/config")).build()).await
    }

    /// A page of the thread, and the change it reflects (`palabre-events-after`: where its
    /// live updates start).
    pub async fn thread(
        &self,
        thread: &str,
        sort: SortOrder,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<(ThreadPage, Option<i64>), ApiError> {
        let limit = limit.to_string();
        let mut query = vec![
            ("thread", thread),
            ("sort", sort.as_str()),
            ("limit", &limit),
        ];
        if let Some(c) = cursor {
            query.push(("cursor", c));
        }
        let request = Request::get(&self.url("/api/v1/comments"))
            .query(query)
            .build();
        if let Some(response) = request
            .as_ref()
            .ok()
            .and_then(|r| take_prefetched(&r.url()))
        {
            // A failed prefetch is simply asked again below.
            if let Ok(response) = wasm_bindgen_futures::JsFuture::from(response).await
                && let Ok(response) = response.dyn_into::<web_sys::Response>()
            {
                return Self::read_page(response.into()).await;
            }
        }
        let request = request.map_err(|_| ApiError::Unreachable)?;
        let response = request.send().await.map_err(|_| ApiError::Unreachable)?;
        Self::read_page(response).await
    }

    async fn read_page(response: Response) -> Result<(ThreadPage, Option<i64>), ApiError> {
        let after = response
            .headers()
            .get(palabre_api::EVENTS_AFTER_HEADER)
            .and_then(|v| v.trim().parse().ok());
        Ok((Self::read(response).await?, after))
    }

    pub async fn challenge(&self) -> Result<Challenge, ApiError> {
        Self::send(Request::get(&self.url("/api/v1/challenge")).build()).await
    }

    /// One comment; with the edit token, also one's own comment awaiting moderation.
    pub async fn comment(&self, id: i64, token: &str) -> Result<Comment, ApiError> {
        let builder = Request::get(&self.url(&format!("/api/v1/comments/{id}")))
            .header("Authorization", &format!("Bearer {token}"));
        Self::send(builder.build()).await
    }

    /// Posts as a guest, or as whoever `session` proves.
    pub async fn post(
        &self,
        comment: &NewComment,
        session: Option<&str>,
    ) -> Result<CreatedComment, ApiError> {
        let builder = bearer(Request::post(&self.url("/api/v1/comments")), session);
        Self::send(with_json(builder, comment)).await
    }

    /// A `GET` with the session's token.
    pub async fn get_signed<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
        session: &str,
    ) -> Result<T, ApiError> {
        let builder = Request::get(&self.url(path)).query(query.iter().copied());
        Self::send(bearer(builder, Some(session)).build()).await
    }

    /// A `POST` of `body` as JSON, with the session's token if any; the answer read as `T`.
    pub async fn post_json<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
        session: Option<&str>,
    ) -> Result<T, ApiError> {
        let builder = bearer(Request::post(&self.url(path)), session);
        Self::send(with_json(builder, body)).await
    }

    /// A `POST` whose answer has no body (`202`, `204`).
    pub async fn post_empty<B: Serialize>(
        &self,
        path: &str,
        body: &B,
        session: Option<&str>,
    ) -> Result<(), ApiError> {
        let builder = bearer(Request::post(&self.url(path)), session);
        let request = with_json(builder, body).map_err(|_| ApiError::Unreachable)?;
        let response = request.send().await.map_err(|_| ApiError::Unreachable)?;
        if response.ok() {
            return Ok(());
        }
        Self::read::<()>(response).await
    }

    pub async fn edit(&self, id: i64, token: &str, body: &str) -> Result<Comment, ApiError> {
        let builder = Request::patch(&self.url(&format!("/api/v1/comments/{id}")))
            .header("Authorization", &format!("Bearer {token}"));
        let edit = EditComment {
            body: body.to_owned(),
        };
        Self::send(with_json(builder, &edit)).await
    }

    pub async fn delete(&self, id: i64, token: &str) -> Result<DeleteResult, ApiError> {
        let builder = Request::delete(&self.url(&format!("/api/v1/comments/{id}")))
            .header("Authorization", &format!("Bearer {token}"));
        Self::send(builder.build()).await
    }

    pub async fn vote(&self, id: i64, value: i64) -> Result<VoteCounts, ApiError> {
        let url = self.url(&format!("/api/v1/comments/{id}/vote"));
        Self::send(with_json(Request::post(&url), &VoteRequest { value })).await
    }

    pub async fn preview(&self, body: &str) -> Result<PreviewResponse, ApiError> {
        let req = PreviewRequest {
            body: body.to_owned(),
        };
        Self::send(with_json(Request::post(&self.url("/api/v1/preview")), &req)).await
    }
}

fn bearer(builder: RequestBuilder, token: Option<&str>) -> RequestBuilder {
    match token {
        Some(token) => builder.header("Authorization", &format!("Bearer {token}")),
        None => builder,
    }
}

/// A request with `body` as JSON (what gloo-net's `json` does, without serde_json).
fn with_json<T: Serialize>(builder: RequestBuilder, body: &T) -> Result<Request, gloo_net::Error> {
    let text = crate::json::to_string(body)
        .ok_or_else(|| gloo_net::Error::GlooError("a body JSON cannot hold".into()))?;
    builder
        .header("Content-Type", "application/json")
        .body(text)
}

/// A response's body, parsed by the browser; `None` if it is not JSON of that shape (say, a
/// proxy's HTML error page).
async fn json_of<T: DeserializeOwned>(response: Response) -> Option<T> {
    let response: web_sys::Response = response.into();
    let parsed = wasm_bindgen_futures::JsFuture::from(response.json().ok()?)
        .await
        .ok()?;
    crate::json::from_js(parsed)
}

/// The loader's request for `url`, if it made one (`window.__palabre.t[url]`, see
/// loader/palabre.js). Taken once: another widget or a re-sort asks the server itself.
fn take_prefetched(url: &str) -> Option<js_sys::Promise> {
    let loader = js_sys::Reflect::get(&web_sys::window()?.into(), &"__palabre".into()).ok()?;
    let prefetched = js_sys::Reflect::get(&loader, &"t".into()).ok()?;
    if !prefetched.is_object() {
        return None;
    }
    let key = wasm_bindgen::JsValue::from_str(url);
    let response = js_sys::Reflect::get(&prefetched, &key).ok()?;
    let _ = js_sys::Reflect::delete_property(prefetched.unchecked_ref::<js_sys::Object>(), &key);
    response.dyn_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(code: ErrorCode) -> ApiError {
        ApiError::Refused {
            status: code.http_status(),
            body: ErrorBody {
                code,
                message: String::new(),
                field: None,
            },
            retry_after_secs: None,
        }
    }

    #[test]
    fn errors_read_as_the_servers_reason_else_the_fallback() {
        let words = Words::english();
        assert_eq!(
            refused(ErrorCode::BodyTooLong).words(words, Msg::Unreachable),
            words.error(ErrorCode::BodyTooLong)
        );
        assert_eq!(
            ApiError::Unreachable.words(words, Msg::PostFailedOffline),
            words.get(Msg::PostFailedOffline)
        );
        assert_eq!(
            ApiError::BadResponse(502).words(words, Msg::Unreachable),
            words.get(Msg::Unreachable)
        );
        assert!(ApiError::BadResponse(502).is_server_failure());
        assert!(refused(ErrorCode::Internal).is_server_failure());
        assert!(!refused(ErrorCode::RateLimited).is_server_failure());
        assert!(!ApiError::Unreachable.is_server_failure());
    }
}

//! Extractors whose rejections are our [`Error`], so malformed requests get the same
//! `{code, message, field}` shape as everything else.

use crate::config::Settings;
use crate::error::Error;
use crate::http::encoding::{Encoded, Encoding};
use crate::http::state::AppState;
use crate::identity::{self, Caller};
use crate::store::SiteName;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Path, Request};
use axum::http::{HeaderValue, StatusCode, header, request::Parts};
use axum::response::{IntoResponse, Response};
use palabre_api::ErrorCode;
use serde::de::DeserializeOwned;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// A JSON body. Requires `Content-Type: application/json`: a cross-site HTML form cannot
/// send that, so no write can be forged from another page without passing CORS.
pub struct ApiJson<T>(pub T);

fn is_json(parts: &axum::http::HeaderMap) -> bool {
    parts
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"))
}

/// A JSON request body, read but not parsed yet: for handlers that look at the raw bytes
/// first (the counts cache), then [`JsonBody::parse`].
pub struct JsonBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(req.headers()) {
            return Err(Error::Refused(ErrorCode::UnsupportedMediaType));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                Error::Refused(ErrorCode::PayloadTooLarge)
            } else {
                Error::Body {
                    code: ErrorCode::MalformedJson,
                    detail: "The body could not be read.".into(),
                    field: None,
                }
            }
        })?;
        Ok(Self(bytes))
    }
}

impl JsonBody {
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, Error> {
        let mut de = serde_json::Deserializer::from_slice(&self.0);
        let value = serde_path_to_error::deserialize(&mut de).map_err(|err| {
            let path = err.path().to_string();
            let inner = err.into_inner();
            let code = if inner.is_data() {
                ErrorCode::InvalidField
            } else {
                ErrorCode::MalformedJson
            };
            Error::Body {
                code,
                detail: inner.to_string(),
                field: (path != ".").then_some(path),
            }
        })?;
        // Anything after the JSON value (e.g. `{...} x`) makes the whole body malformed.
        de.end().map_err(|err| Error::Body {
            code: ErrorCode::MalformedJson,
            detail: err.to_string(),
            field: None,
        })?;
        Ok(value)
    }
}

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        JsonBody::from_request(req, state).await?.parse().map(Self)
    }
}

impl<T: serde::Serialize> IntoResponse for ApiJson<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// The encoding the client prefers, from its `Accept-Encoding`.
#[derive(Debug, Clone, Copy)]
pub struct AcceptEncoding(pub Encoding);

impl<S: Send + Sync> FromRequestParts<S> for AcceptEncoding {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let accept = parts
            .headers
            .get(header::ACCEPT_ENCODING)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        Ok(Self(Encoding::negotiate(accept)))
    }
}

/// A body already serialized (as the response cache keeps it), sent in the encoding the
/// client prefers among those it was compressed to.
pub struct Negotiated {
    pub content_type: &'static str,
    pub body: Encoded,
    pub accept: Encoding,
}

impl Negotiated {
    pub fn json(body: Encoded, AcceptEncoding(accept): AcceptEncoding) -> Self {
        Self {
            content_type: "application/json",
            body,
            accept,
        }
    }
}

/// `value` as JSON bytes, compressed for the response cache.
pub fn encoded_json(value: &impl serde::Serialize) -> Result<Encoded, Error> {
    serde_json::to_vec(value)
        .map(|v| Encoded::compress(Bytes::from(v)))
        .map_err(|e| Error::Internal(e.into()))
}

impl IntoResponse for Negotiated {
    fn into_response(self) -> Response {
        let (body, encoding) = self.body.body(self.accept);
        let mut response = (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static(self.content_type),
            )],
            body,
        )
            .into_response();
        let headers = response.headers_mut();
        // Shared caches must keep one copy per encoding, whichever this one is.
        headers.append(header::VARY, HeaderValue::from_static("Accept-Encoding"));
        if let Some(name) = encoding.header() {
            headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(name));
        }
        response
    }
}

/// The client's address: the connection's peer, or the configured proxy header.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = Error;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(name) = &state.services.settings.client_ip_header {
            // With X-Forwarded-For, the last entry is the one our own proxy appended; earlier
            // ones are whatever the client claimed.
            let from_header = parts
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.rsplit(',').next())
                .and_then(|v| v.trim().parse::<IpAddr>().ok());
            if let Some(ip) = from_header {
                return Ok(Self(ip));
            }
        }
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip());
        Ok(Self(peer.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))))
    }
}

/// A write request's place in the per-client rate limit; refused with 429 and `Retry-After`.
#[derive(Debug, Clone, Copy)]
pub struct WriteQuota(pub IpAddr);

impl FromRequestParts<AppState> for WriteQuota {
    type Rejection = Error;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let ClientIp(ip) = ClientIp::from_request_parts(parts, state).await?;
        limit(&state.write_limiter, ip)?;
        Ok(Self(ip))
    }
}

/// Takes one request of `client`'s network from `limiter`; refused with 429 and the wait.
pub fn limit(limiter: &crate::rate_limit::RateLimiter, client: IpAddr) -> Result<(), Error> {
    limiter
        .check(&crate::crypto::network_identity(client))
        .map_err(|wait| Error::RateLimited {
            retry_after_secs: wait.as_secs_f64().ceil() as u64,
        })
}

/// The `Authorization: Bearer <edit token>` of an edit or delete, unless the header carries
/// a session instead.
pub struct EditToken(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for EditToken {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(
            bearer_token(&parts.headers)
                .filter(|t| !identity::is_session_token(t))
                .map(str::to_owned),
        ))
    }
}

/// The signed-in caller, when the request carries a session (`Authorization: Bearer plb.…`).
/// A session that is unknown, expired, revoked or another site's is refused (401
/// `session_invalid`), not taken for a guest: the widget then knows to sign out.
pub struct Signed(pub Option<Caller>);

impl FromRequestParts<AppState> for Signed {
    type Rejection = Error;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Some(bearer) = bearer_token(&parts.headers).filter(|t| identity::is_session_token(t))
        else {
            return Ok(Self(None));
        };
        let site = site_of(&parts.headers, &state.services.settings)?;
        let caller = identity::caller(&*state.services.store, &site, bearer).await?;
        Ok(Self(Some(caller)))
    }
}

/// A signed-in caller, required.
pub struct SignedIn(pub Caller);

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Error;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match Signed::from_request_parts(parts, state).await? {
            Signed(Some(caller)) => Ok(Self(caller)),
            Signed(None) => Err(Error::Refused(ErrorCode::SessionInvalid)),
        }
    }
}

/// The token of an `Authorization: Bearer <token>` header, if any.
pub fn bearer_token(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// The `{id}` of a comment route. A non-numeric id names no comment.
pub struct CommentId(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for CommentId {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<i64>::from_request_parts(parts, state)
            .await
            .map(|Path(id)| Self(id))
            .map_err(|_| Error::Refused(ErrorCode::CommentNotFound))
    }
}

/// The blog a request is for. With one site, that one. With several, the site listing the
/// request's `Origin`; without one (a same-origin read, a script), the site of its `Referer`,
/// else the first site. An origin no site lists is refused (`unknown_site`), as CORS refuses
/// it in a browser.
pub struct Site(pub SiteName);

impl FromRequestParts<AppState> for Site {
    type Rejection = Error;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        site_of(&parts.headers, &state.services.settings).map(Self)
    }
}

pub fn site_of(headers: &axum::http::HeaderMap, settings: &Settings) -> Result<SiteName, Error> {
    let first = || settings.first_site().name.clone();
    if settings.sites.len() == 1 {
        return Ok(first());
    }
    let header = |name| headers.get(name).and_then(|v| v.to_str().ok());
    let Some(origin) = header(header::ORIGIN).or_else(|| header(header::REFERER).map(origin_of))
    else {
        return Ok(first());
    };
    settings
        .site_for_origin(origin.trim_end_matches('/'))
        .map(|s| s.name.clone())
        .ok_or(Error::Refused(ErrorCode::UnknownSite))
}

/// `https://blog.example/a/b?c` -> `https://blog.example`.
fn origin_of(url: &str) -> &str {
    let start = url.find("://").map_or(0, |i| i + 3);
    let end = url[start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| start + i);
    &url[..end]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Site as SiteConfig;

    fn settings() -> Settings {
        let site = |name: &str, origin: &str| SiteConfig {
            name: SiteName::parse(name).unwrap(),
            ..SiteConfig::single(vec![origin.to_owned()])
        };
        Settings {
            sites: vec![
                site("one", "https://one.example"),
                site("two", "http://two.example:8080"),
            ],
            ..Settings::default()
        }
    }

    fn site(pairs: &[(header::HeaderName, &str)]) -> Result<String, Error> {
        let mut headers = axum::http::HeaderMap::new();
        for (name, value) in pairs {
            headers.insert(name, HeaderValue::from_str(value).unwrap());
        }
        site_of(&headers, &settings()).map(|s| s.to_string())
    }

    #[test]
    fn the_origin_names_the_site_then_the_referer_then_the_first_site() {
        assert_eq!(
            site(&[(header::ORIGIN, "https://one.example")]).unwrap(),
            "one"
        );
        assert_eq!(
            site(&[(header::ORIGIN, "http://two.example:8080")]).unwrap(),
            "two"
        );
        assert_eq!(
            site(&[(header::REFERER, "http://two.example:8080/blog/post?x=1")]).unwrap(),
            "two"
        );
        assert_eq!(site(&[]).unwrap(), "one");
        for unknown in [
            &[(header::ORIGIN, "https://evil.example")][..],
            &[(header::ORIGIN, "null")],
            &[(header::ORIGIN, "http://two.example")],
            &[(header::REFERER, "https://one.example.evil/x")],
        ] {
            assert!(
                matches!(site(unknown), Err(Error::Refused(ErrorCode::UnknownSite))),
                "{unknown:?}"
            );
        }
    }

    #[test]
    fn one_site_takes_every_request() {
        let mut headers = axum::http::HeaderMap::new();
        headers.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://any.example"),
        );
        let name = site_of(&headers, &Settings::default()).unwrap();
        assert_eq!(name.as_str(), SiteName::DEFAULT);
    }
}

//! Every request Palabre makes to another fediverse server: a URL an attacker may have chosen.
//! So: https only; the name resolved by us and every private, loopback, link-local or
//! otherwise non-public address refused at connect time (an IPv4 address inside IPv6
//! included), so a name that resolves to a public address once and a private one later
//! (DNS rebinding) still fails; redirects checked the same way, at most three; timeouts;
//! bodies cut at 1 MiB. The test-only `fediverse_allow_private` setting lifts the first two.

use super::keys::ActorKey;
use super::signatures;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// The largest body we read from another server, and accept in our inbox.
pub const MAX_BODY: usize = 1024 * 1024;

/// What we accept as an ActivityPub document.
pub const ACCEPT: &str = "application/activity+json, application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"";

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("refused address: {0}")]
    Refused(&'static str),
    #[error("the request failed: {0}")]
    Transport(String),
    #[error("answered {0}")]
    Status(u16),
    #[error("the body is over 1 MiB")]
    TooLarge,
    #[error("the answer is not an ActivityPub document: {0}")]
    NotJson(String),
}

/// Whether `ip` is an address of the public internet: not private, loopback, link-local,
/// shared (CGNAT), documentation, benchmarking, multicast, reserved or unspecified; IPv6's
/// IPv4-mapped, -compatible, 6to4 and NAT64 forms judged by the IPv4 address inside.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || a == 0
        || a >= 240
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (18..20).contains(&b)))
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let s = ip.segments();
    let embedded = || Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    // ::a.b.c.d (deprecated IPv4-compatible) and NAT64 64:ff9b::/96.
    if (s[..6] == [0; 6] && !ip.is_loopback() && !ip.is_unspecified())
        || (s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0; 4])
    {
        return is_public_v4(embedded());
    }
    // 6to4 2002:AABB:CCDD::/48.
    if s[0] == 0x2002 {
        let v4 = Ipv4Addr::new((s[1] >> 8) as u8, s[1] as u8, (s[2] >> 8) as u8, s[2] as u8);
        return is_public_v4(v4);
    }
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (s[0] & 0xfe00) == 0xfc00 // unique local
        || (s[0] & 0xffc0) == 0xfe80 // link-local
        || (s[0] & 0xffc0) == 0xfec0 // site-local (deprecated)
        || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
        || (s[0] == 0x2001 && s[1] < 0x0200 && s[1] != 0)) // IETF protocol assignments
}

/// Resolves names for the client, keeping only public addresses (all of them in test mode).
struct PublicOnly {
    allow_private: bool,
}

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((name.as_str(), 0))
                .await?
                .filter(|a| allow_private || is_public(a.ip()))
                .collect();
            if found.is_empty() {
                return Err("the name has no public address".into());
            }
            Ok(Box::new(found.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// What the URL itself says: scheme, no credentials, and an address literal's kind (names
/// are checked when resolved).
pub fn check_url(url: &url::Url, allow_private: bool) -> Result<(), FetchError> {
    match url.scheme() {
        "https" => {}
        "http" if allow_private => {}
        _ => return Err(FetchError::Refused("not https")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(FetchError::Refused("credentials in the URL"));
    }
    match url.host() {
        None => Err(FetchError::Refused("no host")),
        Some(url::Host::Ipv4(ip)) if !allow_private && !is_public_v4(ip) => {
            Err(FetchError::Refused("a private address"))
        }
        Some(url::Host::Ipv6(ip)) if !allow_private && !is_public_v6(ip) => {
            Err(FetchError::Refused("a private address"))
        }
        Some(url::Host::Domain(d))
            if !allow_private
                && (d.eq_ignore_ascii_case("localhost") || d.ends_with(".localhost")) =>
        {
            Err(FetchError::Refused("localhost"))
        }
        Some(_) => Ok(()),
    }
}

/// `host[:port]` of a URL: the instance it belongs to.
pub fn instance_of(url: &url::Url) -> String {
    match url.port() {
        Some(p) => format!("{}:{p}", url.host_str().unwrap_or_default()),
        None => url.host_str().unwrap_or_default().to_owned(),
    }
}

/// Who signs a request: the site account's key and its id.
#[derive(Clone, Copy)]
pub struct Signer<'a> {
    pub key: &'a ActorKey,
    pub key_id: &'a str,
}

#[derive(Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    /// For the blog's own feed only: an address the owner configured, so it may be on the
    /// same private network as Palabre (never a URL a remote server gave us).
    configured: reqwest::Client,
    allow_private: bool,
}

impl Fetcher {
    pub fn new(allow_private: bool, user_agent: &str) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .dns_resolver(Arc::new(PublicOnly { allow_private }))
            .redirect(reqwest::redirect::Policy::custom(move |attempt| {
                if attempt.previous().len() >= 3 {
                    attempt.error("too many redirects")
                } else if let Err(e) = check_url(attempt.url(), allow_private) {
                    attempt.error(e)
                } else {
                    attempt.follow()
                }
            }))
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(15))
            .user_agent(user_agent)
            .build()?;
        let configured = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::limited(3))
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(15))
            .user_agent(user_agent)
            .build()?;
        Ok(Self {
            client,
            configured,
            allow_private,
        })
    }

    pub fn allow_private(&self) -> bool {
        self.allow_private
    }

    /// GETs an ActivityPub document, signed (servers in authorized-fetch mode want it).
    pub async fn get_json(
        &self,
        url: &str,
        signer: Signer<'_>,
    ) -> Result<serde_json::Value, FetchError> {
        let response = self.send_signed(url, None, signer).await?;
        if !response.status().is_success() {
            return Err(FetchError::Status(response.status().as_u16()));
        }
        let body = read_limited(response).await?;
        serde_json::from_slice(&body).map_err(|e| FetchError::NotJson(e.to_string()))
    }

    /// POSTs an activity to an inbox, signed; the status when it answers.
    pub async fn post_activity(
        &self,
        inbox: &str,
        body: &[u8],
        signer: Signer<'_>,
    ) -> Result<u16, FetchError> {
        let response = self.send_signed(inbox, Some(body), signer).await?;
        Ok(response.status().as_u16())
    }

    /// A signed GET (no body) or POST of an activity, to a checked URL.
    async fn send_signed(
        &self,
        url: &str,
        body: Option<&[u8]>,
        signer: Signer<'_>,
    ) -> Result<reqwest::Response, FetchError> {
        const ACTIVITY: &str = "application/activity+json";
        let url = url::Url::parse(url).map_err(|_| FetchError::Refused("not a URL"))?;
        check_url(&url, self.allow_private)?;
        let (method, mut req) = match body {
            Some(bytes) => ("POST", self.client.post(url.clone()).body(bytes.to_vec())),
            None => ("GET", self.client.get(url.clone()).header("accept", ACCEPT)),
        };
        let headers = signatures::sign(
            signer.key,
            signer.key_id,
            method,
            &url,
            body.map(|b| (b, ACTIVITY)),
            std::time::SystemTime::now(),
        );
        // The client writes `Host` from the URL itself, as the signature has it.
        for (name, value) in headers.into_iter().filter(|(n, _)| *n != "host") {
            req = req.header(name, value);
        }
        req.send()
            .await
            .map_err(|e| FetchError::Transport(e.without_url().to_string()))
    }
}

impl Fetcher {
    /// GETs a feed, conditionally: `None` when it has not changed (304), else its body and
    /// what to send next time. Unsigned, and from the address the owner configured.
    pub async fn get_feed(
        &self,
        url: &str,
        state: &crate::store::federation::FeedState,
    ) -> Result<Option<(Vec<u8>, crate::store::federation::FeedState)>, FetchError> {
        let url = url::Url::parse(url).map_err(|_| FetchError::Refused("not a URL"))?;
        if !matches!(url.scheme(), "https" | "http") {
            return Err(FetchError::Refused("not http(s)"));
        }
        let mut req = self.configured.get(url).header(
            "accept",
            "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.8",
        );
        if let Some(etag) = &state.etag {
            req = req.header("if-none-match", etag);
        }
        if let Some(modified) = &state.last_modified {
            req = req.header("if-modified-since", modified);
        }
        let response = req
            .send()
            .await
            .map_err(|e| FetchError::Transport(e.without_url().to_string()))?;
        if response.status() == reqwest::StatusCode::NOT_MODIFIED {
            return Ok(None);
        }
        if !response.status().is_success() {
            return Err(FetchError::Status(response.status().as_u16()));
        }
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let next = crate::store::federation::FeedState {
            etag: header("etag"),
            last_modified: header("last-modified"),
        };
        Ok(Some((read_limited(response).await?, next)))
    }
}

async fn read_limited(mut response: reqwest::Response) -> Result<Vec<u8>, FetchError> {
    if response
        .content_length()
        .is_some_and(|n| n > MAX_BODY as u64)
    {
        return Err(FetchError::TooLarge);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| FetchError::Transport(e.without_url().to_string()))?
    {
        if body.len() + chunk.len() > MAX_BODY {
            return Err(FetchError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_are_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fe80::1",
            "fc00::1",
            "fd12::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "64:ff9b::10.0.0.1",
            "2002:7f00:1::",
            "2001:db8::1",
            "ff02::1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in [
            "1.1.1.1",
            "93.184.216.34",
            "2606:4700::1111",
            "::ffff:1.1.1.1",
            "64:ff9b::1.1.1.1",
        ] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }

    #[test]
    fn urls_are_checked_before_any_request() {
        let check = |u: &str, allow| check_url(&url::Url::parse(u).unwrap(), allow).is_ok();
        assert!(check("https://mastodon.example/users/a", false));
        assert!(!check("http://mastodon.example/users/a", false));
        assert!(!check("https://127.0.0.1/users/a", false));
        assert!(!check("https://[::ffff:10.0.0.1]/", false));
        assert!(!check("https://localhost/", false));
        assert!(!check("https://user:pw@mastodon.example/", false));
        assert!(!check("file:///etc/passwd", true));
        assert!(check("http://127.0.0.1:3000/users/a", true));
    }

    #[tokio::test]
    async fn names_resolving_to_private_addresses_are_refused_at_connect_time() {
        use reqwest::dns::Resolve;
        use std::str::FromStr;
        let name = || reqwest::dns::Name::from_str("localhost").unwrap();
        // Allowed in test mode: proves the name resolves here, so the refusal below is ours.
        let found: Vec<SocketAddr> = PublicOnly {
            allow_private: true,
        }
        .resolve(name())
        .await
        .unwrap()
        .collect();
        assert!(found.iter().all(|a| a.ip().is_loopback()) && !found.is_empty());
        let refused = PublicOnly {
            allow_private: false,
        }
        .resolve(name())
        .await;
        assert!(refused.is_err());
        // An address literal never reaches the resolver: the URL check refuses it first.
        let fetcher = Fetcher::new(false, "test").unwrap();
        let key = ActorKey::from_stored(&super::super::keys::generate().unwrap()).unwrap();
        let signer = Signer {
            key: &key,
            key_id: "https://x/#k",
        };
        let err = fetcher
            .get_json("https://127.0.0.1/", signer)
            .await
            .unwrap_err();
        assert!(matches!(err, FetchError::Refused(_)), "{err:?}");
    }
}

//! What we serve to other servers: WebFinger, the site account's actor document, its
//! collections and its icon. Served without asking for a signature, so that two servers that
//! each check the other's signed GET of a key with a signed GET of their own never loop.

use super::Federation;
use crate::config::Site;
use serde_json::{Value, json};

/// The content type of our ActivityPub documents.
pub const ACTIVITY_JSON: &str = "application/activity+json";

const CONTEXT: [&str; 2] = [
    "https://www.w3.org/ns/activitystreams",
    "https://w3id.org/security/v1",
];

/// The WebFinger answer for `acct:account@domain` or the actor's URL.
pub fn webfinger(fed: &Federation, resource: &str) -> Option<Value> {
    let site = match resource.strip_prefix("acct:") {
        Some(handle) => {
            let (account, domain) = handle.trim_start_matches('@').rsplit_once('@')?;
            let site = fed.site_of_account(&account.to_ascii_lowercase())?;
            let own = site.fediverse.as_ref()?.domain.as_deref();
            if !domain.eq_ignore_ascii_case(&fed.domain())
                && !own.is_some_and(|d| d.eq_ignore_ascii_case(domain))
            {
                return None;
            }
            site
        }
        None => fed.site_of_actor(resource)?,
    };
    let actor = fed.actor_id(site)?;
    let f = site.fediverse.as_ref()?;
    let account = &f.account;
    // The handle is on the blog's domain when it has one: asked on either, the answer names it.
    let domain = f.domain.clone().unwrap_or_else(|| fed.domain());
    let mut links = vec![json!({"rel": "self", "type": ACTIVITY_JSON, "href": actor})];
    if let Some(origin) = site.origins.first() {
        links.push(json!({
            "rel": "http://webfinger.net/rel/profile-page",
            "type": "text/html",
            "href": origin,
        }));
    }
    Some(json!({
        "subject": format!("acct:{account}@{domain}"),
        "aliases": [actor],
        "links": links,
    }))
}

/// The site account: a `Person` (Mastodon shows it as a profile one can follow).
pub async fn actor(fed: &Federation, site: &Site) -> anyhow::Result<Value> {
    let f = site
        .fediverse
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("the site has no fediverse account"))?;
    let id = fed
        .actor_id(site)
        .expect("a site with an account has an actor");
    let key = fed.key(&site.name).await?;
    let mut doc = json!({
        "@context": CONTEXT,
        "id": id,
        "type": "Person",
        "preferredUsername": f.account,
        "name": f.name.clone().unwrap_or_else(|| f.account.clone()),
        "inbox": format!("{id}/inbox"),
        "outbox": format!("{id}/outbox"),
        "followers": format!("{id}/followers"),
        "endpoints": {"sharedInbox": fed.shared_inbox()},
        "manuallyApprovesFollowers": false,
        "discoverable": true,
        "icon": {"type": "Image", "mediaType": "image/png", "url": format!("{id}/icon.png")},
        "publicKey": {
            "id": format!("{id}#main-key"),
            "owner": id,
            "publicKeyPem": key.public_pem(),
        },
    });
    if let Some(summary) = &f.summary {
        doc["summary"] = Value::String(maud::html! { p { (summary) } }.into_string());
    }
    if let Some(origin) = site.origins.first() {
        doc["url"] = Value::String(origin.clone());
    }
    Ok(doc)
}

/// The followers collection: how many, not who (their list is theirs).
pub async fn followers(fed: &Federation, site: &Site) -> anyhow::Result<Value> {
    let id = fed
        .actor_id(site)
        .expect("a site with an account has an actor");
    let n = fed.store.follower_count(&site.name).await?;
    Ok(json!({
        "@context": CONTEXT[0],
        "id": format!("{id}/followers"),
        "type": "OrderedCollection",
        "totalItems": n,
    }))
}

/// The outbox: the articles announced (their count).
pub async fn outbox(fed: &Federation, site: &Site) -> anyhow::Result<Value> {
    let id = fed
        .actor_id(site)
        .expect("a site with an account has an actor");
    Ok(json!({
        "@context": CONTEXT[0],
        "id": format!("{id}/outbox"),
        "type": "OrderedCollection",
        "totalItems": 0,
        "orderedItems": [],
    }))
}

/// The account's picture: an identicon of its id, as PNG (Mastodon takes no SVG), 5×5
/// cells mirrored, 16 pixels each.
pub fn icon_png(seed: &str) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    let hash = Sha256::digest(seed.as_bytes());
    let colour = [hash[0] / 2 + 64, hash[1] / 2 + 64, hash[2] / 2 + 64];
    const CELL: usize = 16;
    const SIDE: usize = 5 * CELL;
    let on = |col: usize, row: usize| {
        let col = col.min(4 - col);
        hash[3 + row * 3 + col] & 1 == 1
    };
    let mut raw = Vec::with_capacity(SIDE * (SIDE * 3 + 1));
    for y in 0..SIDE {
        raw.push(0); // no filter
        for x in 0..SIDE {
            let pixel = if on(x / CELL, y / CELL) {
                colour
            } else {
                [240, 240, 240]
            };
            raw.extend_from_slice(&pixel);
        }
    }
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut z, &raw).expect("writing to memory");
    let idat = z.finish().expect("writing to memory");
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&(SIDE as u32).to_be_bytes());
    ihdr.extend_from_slice(&(SIDE as u32).to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB
    for (kind, data) in [(b"IHDR", &ihdr), (b"IDAT", &idat), (b"IEND", &Vec::new())] {
        png.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut crc = flate2::Crc::new();
        crc.update(kind);
        crc.update(data);
        png.extend_from_slice(kind);
        png.extend_from_slice(data);
        png.extend_from_slice(&crc.sum().to_be_bytes());
    }
    png
}

//! The fediverse account's documents as served (WebFinger, the actor, articles, notes), the
//! settings that shape them, and inbox refusals that need no remote server. The protocol
//! with another implementation is proven end to end against Fedify (e2e/tests/fediverse).

use crate::helpers::*;
use palabre_server::config::SiteFediverse;
use serde_json::{Value, json};

const AS: &str = "application/activity+json";

async fn fediverse_app(domain: Option<&str>) -> TestApp {
    let domain = domain.map(str::to_owned);
    TestApp::spawn_with(move |s| {
        s.public_url = Some("https://comments.example.org".into());
        s.metrics_listen = Some("127.0.0.1:0".parse().unwrap());
        s.sites[0].origins = vec!["https://blog.example.org".into()];
        s.sites[0].fediverse = Some(SiteFediverse {
            account: "blog".into(),
            name: Some("The <Blog>".into()),
            summary: Some("Notes & replies".into()),
            feed_url: None,
            domain,
        });
    })
    .await
}

async fn get_as(app: &TestApp, path: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .header("accept", AS)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn webfinger_names_the_account_on_its_handle_domain() {
    let app = fediverse_app(None).await;
    let res = app
        .get("/.well-known/webfinger?resource=acct:blog@comments.example.org")
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/jrd+json");
    let jrd: Value = res.json().await.unwrap();
    assert_eq!(jrd["subject"], "acct:blog@comments.example.org");
    assert_eq!(
        jrd["links"][0]["href"],
        "https://comments.example.org/ap/blog"
    );
    assert_eq!(jrd["links"][0]["type"], AS);
    for unknown in [
        "acct:other@comments.example.org",
        "acct:blog@elsewhere.example",
        "nonsense",
    ] {
        let res = app
            .get(&format!("/.well-known/webfinger?resource={unknown}"))
            .await;
        assert_eq!(res.status(), 404, "{unknown}");
    }

    // On the blog's own domain: asked on either domain, the answer names the blog's.
    let app = fediverse_app(Some("blog.example.org")).await;
    for asked in [
        "acct:blog@blog.example.org",
        "acct:blog@comments.example.org",
        "https://comments.example.org/ap/blog",
    ] {
        let jrd: Value = app
            .get(&format!("/.well-known/webfinger?resource={asked}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(jrd["subject"], "acct:blog@blog.example.org", "{asked}");
    }
}

#[tokio::test]
async fn the_actor_escapes_its_profile_and_keeps_its_key() {
    let app = fediverse_app(None).await;
    let res = get_as(&app, "/ap/blog").await;
    assert_eq!(res.headers()["content-type"], AS);
    let actor: Value = res.json().await.unwrap();
    assert_eq!(actor["type"], "Person");
    assert_eq!(actor["name"], "The <Blog>");
    assert_eq!(actor["summary"], "<p>Notes &amp; replies</p>");
    assert_eq!(actor["inbox"], "https://comments.example.org/ap/blog/inbox");
    assert_eq!(
        actor["endpoints"]["sharedInbox"],
        "https://comments.example.org/ap/inbox"
    );
    assert_eq!(actor["publicKey"]["owner"], actor["id"]);
    let pem = actor["publicKey"]["publicKeyPem"]
        .as_str()
        .unwrap()
        .to_owned();
    // Generated once, kept in the database: a replica serves the same key.
    let replica = app.replica().await;
    let again: Value = get_as(&replica, "/ap/blog").await.json().await.unwrap();
    assert_eq!(again["publicKey"]["publicKeyPem"], pem.as_str());
    // A person following the profile link gets the blog.
    let page = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(app.url("/ap/blog"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 303);
    assert_eq!(page.headers()["location"], "https://blog.example.org");
    let icon = app.get("/ap/blog/icon.png").await;
    assert_eq!(icon.headers()["content-type"], "image/png");
    assert!(icon.bytes().await.unwrap().starts_with(b"\x89PNG"));
    assert_eq!(get_as(&app, "/ap/nobody").await.status(), 404);
}

#[tokio::test]
async fn threads_are_articles_and_comments_notes_until_removed() {
    let app = fediverse_app(None).await;
    let res = app
        .post_json(
            "/api/v1/comments",
            &json!({"thread": "/2026/hello/", "title": "Hello", "author": "Ana <b>", "body": "First!"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let comment: Value = res.json().await.unwrap();
    let id = comment["comment"]["id"].as_i64().unwrap();
    // base64url of the thread key, as `palabre fediverse-link` prints it.
    let article_path = "/ap/blog/articles/LzIwMjYvaGVsbG8v";
    let article: Value = get_as(&app, article_path).await.json().await.unwrap();
    assert_eq!(article["type"], "Article");
    assert_eq!(article["name"], "Hello");
    assert_eq!(article["url"], "https://blog.example.org/2026/hello/");
    assert!(article.get("summary").is_none(), "no content warning");
    let replies: Value = get_as(&app, &format!("{article_path}/replies"))
        .await
        .json()
        .await
        .unwrap();
    let note_id = format!("https://comments.example.org/ap/blog/comments/{id}");
    assert_eq!(replies["orderedItems"], json!([note_id]));
    let note: Value = get_as(&app, &format!("/ap/blog/comments/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(note["type"], "Note");
    assert_eq!(
        note["inReplyTo"],
        format!("https://comments.example.org{article_path}")
    );
    // Begins with its writer's name, escaped.
    assert!(
        note["content"]
            .as_str()
            .unwrap()
            .starts_with("<p><strong>Ana &lt;b&gt;</strong>:</p>")
    );
    assert_eq!(
        get_as(&app, "/ap/blog/articles/not-base64!").await.status(),
        404
    );

    // Removed by a moderator: gone from the replies; the note is a Tombstone.
    app.sql(&format!(
        "UPDATE comments SET status = 'deleted' WHERE id = {id}"
    ))
    .await;
    let res = get_as(&app, &format!("/ap/blog/comments/{id}")).await;
    assert_eq!(res.status(), 410);
    assert_eq!(res.json::<Value>().await.unwrap()["type"], "Tombstone");
    let replies: Value = get_as(&app, &format!("{article_path}/replies"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(replies["totalItems"], 0);
}

#[tokio::test]
async fn inbox_refusals_before_any_fetch() {
    let app = fediverse_app(None).await;
    let post = |body: Vec<u8>| {
        app.client
            .post(app.url("/ap/inbox"))
            .header("content-type", AS)
            .body(body)
            .send()
    };
    // Unsigned.
    let follow = json!({"id": "https://m.example/f/1", "type": "Follow", "actor": "https://m.example/users/a", "object": "https://comments.example.org/ap/blog"});
    assert_eq!(
        post(follow.to_string().into_bytes())
            .await
            .unwrap()
            .status(),
        401
    );
    // An actor on a private address: refused before its key is looked for.
    for actor in [
        "https://127.0.0.1/users/a",
        "https://[::ffff:10.0.0.1]/a",
        "http://m.example/users/a",
        "https://localhost/a",
    ] {
        let body =
            json!({"id": format!("{actor}/f"), "type": "Follow", "actor": actor, "object": "x"});
        let res = post(body.to_string().into_bytes()).await.unwrap();
        assert_eq!(res.status(), 400, "{actor}");
    }
    // Over 1 MiB.
    let res = post(vec![b' '; 1024 * 1024 + 1]).await.unwrap();
    assert_eq!(res.status(), 413);
    assert_eq!(
        app.sql_count("SELECT COUNT(*) FROM fediverse_followers")
            .await,
        0
    );
    assert_eq!(app.sql_count("SELECT COUNT(*) FROM remote_actors").await, 0);
    // Counted for the metrics: five refused, none queued.
    let metrics = app
        .client
        .get(app.metrics.as_deref().expect("metrics listen"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("palabre_fediverse_refused_total 5"),
        "{metrics}"
    );
    assert!(
        metrics.contains("palabre_deliveries_queued{kind=\"activity\"} 0"),
        "{metrics}"
    );
    assert!(metrics.contains("palabre_deliveries_failed_total{kind=\"activity\"} 0"));
    // Without an account, nothing of this exists.
    let plain = TestApp::spawn().await;
    assert_eq!(
        plain
            .get("/.well-known/webfinger?resource=acct:blog@x")
            .await
            .status(),
        404
    );
    assert_eq!(plain.get("/ap/blog").await.status(), 404);
}

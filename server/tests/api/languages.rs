//! The server's own words in every language: the admin pages in the visitor's browser
//! language (else the server's `language`), the emails and feeds in the server's `language`.

use crate::admin::sign_in;
use crate::helpers::*;
use crate::notifications::{Mail, smtp_sink, wait_for_mail, with_smtp};
use palabre_api::ModerationMode;
use palabre_api::i18n::Lang;
use serde_json::json;
use std::sync::{Arc, Mutex};

#[tokio::test]
async fn admin_pages_speak_the_visitors_language_else_the_servers() {
    let app = TestApp::spawn_with(|s| {
        s.language = Lang::Pl;
        s.moderation = ModerationMode::All;
    })
    .await;
    let admin = sign_in(&app).await;
    let page = |lang: &'static str| {
        let admin = &admin;
        async move {
            let res = admin
                .get_with("/admin/queue", &[("accept-language", lang)])
                .await;
            assert_eq!(res.status(), 200);
            res.text().await.unwrap()
        }
    };
    let de = page("de-AT,de;q=0.9,en;q=0.5").await;
    assert!(de.contains(r#"<html lang="de" dir="ltr">"#), "{de}");
    assert!(de.contains("Moderations-Warteschlange"));
    assert!(de.contains("Protokoll"), "the navigation too");
    let ar = page("ar").await;
    assert!(ar.contains(r#"<html lang="ar" dir="rtl">"#));
    assert!(ar.contains("قائمة المراجعة"));
    // A browser language Palabre lacks: the server's.
    let pl = page("ja,zh;q=0.8").await;
    assert!(pl.contains(r#"<html lang="pl""#));
    assert!(pl.contains("Kolejka moderacji"));

    // Notices, with their plural forms, and error pages too.
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = admin
        .get_with("/admin/comments?done=3", &[("accept-language", "fr")])
        .await;
    assert!(res.text().await.unwrap().contains("3 éléments mis à jour."));
    let res = admin
        .post("/admin/comments/action", &[("action", "approve")])
        .await;
    assert_eq!(res.status(), 422);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Zaznacz co najmniej jeden komentarz.")
    );

    // Before signing in: the sign-in page.
    let res = http
        .get(app.url("/admin/login"))
        .header("accept-language", "es")
        .send()
        .await
        .unwrap();
    let html = res.text().await.unwrap();
    assert!(
        html.contains("Iniciar sesión") && html.contains("Contraseña"),
        "{html}"
    );
}

#[tokio::test]
async fn emails_and_feeds_speak_the_servers_language_reply_notices_the_readers() {
    let (port, inbox) = smtp_sink().await;
    let app = TestApp::spawn_with(|s| {
        with_smtp(s, port);
        s.language = Lang::De;
    })
    .await;
    let res = app
        .post_json(
            "/api/v1/comments",
            &json!({"thread": "/post", "title": "Brot", "author": "Inès", "email": "ines@example.org",
                    "body": "Kruste!", "notify": true}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let parent = res
        .json::<palabre_api::CreatedComment>()
        .await
        .unwrap()
        .comment
        .id;
    // The code of the double opt-in, in German, then the admin's notice.
    let code = crate::notifications::code_for(&inbox, "ines@example.org").await;
    let mails = wait_for_mail(&inbox, 2).await;
    let coded = mails.iter().find(|m| m.to == ["ines@example.org"]).unwrap();
    assert!(
        coded.text.contains(&format!(
            "Ihr Code zum Kommentieren auf blog.example lautet {code}."
        )),
        "{}",
        coded.text
    );
    crate::notifications::confirm(&app, &inbox, "ines@example.org").await;
    let mail = mails
        .into_iter()
        .find(|m| m.to == ["owner@example.org"])
        .unwrap();
    assert!(
        mail.text
            .contains("Ein neuer Kommentar von Inès <ines@example.org> auf Brot (/post):"),
        "{}",
        mail.text
    );
    assert!(
        mail.text
            .contains("Löschen: http://comments.test/admin/email-action?")
    );
    assert!(mail.text.contains("Artikel: https://blog.example/post"));

    let reply = reply_notice(&app, &inbox, parent, 4, "ines@example.org").await;
    assert!(
        reply
            .text
            .contains("Ana hat auf Ihren Kommentar auf /post geantwortet:"),
        "{}",
        reply.text
    );
    assert!(
        reply
            .text
            .contains("Abbestellen: http://comments.test/unsubscribe?")
    );

    // A reader who read the widget in French gets their reply notifications in French.
    let res = app
        .post_json(
            "/api/v1/comments",
            &json!({"thread": "/post", "author": "Zoé", "email": "zoe@example.org",
                    "body": "Et le levain ?", "notify": true, "lang": "fr-CA"}),
        )
        .await;
    let zoe = res
        .json::<palabre_api::CreatedComment>()
        .await
        .unwrap()
        .comment
        .id;
    crate::notifications::confirm(&app, &inbox, "zoe@example.org").await;
    let reply = reply_notice(&app, &inbox, zoe, 8, "zoe@example.org").await;
    assert!(
        reply
            .text
            .contains("Ana a répondu à votre commentaire sur /post :"),
        "{}",
        reply.text
    );
    assert!(
        reply
            .text
            .contains("Arrêter : http://comments.test/unsubscribe?")
    );

    let feed = app.get("/api/v1/feed").await.text().await.unwrap();
    assert!(feed.contains(r#"xml:lang="de""#), "{feed}");
    assert!(feed.contains("<title>Neueste Kommentare</title>"));
    assert!(feed.contains("<title>Inès zu /post</title>"), "{feed}");
    let feed = app
        .get("/api/v1/feed?thread=%2Fpost")
        .await
        .text()
        .await
        .unwrap();
    assert!(feed.contains("<title>Kommentare zu Brot</title>"), "{feed}");
}

/// Ana answers comment `parent`; the notification of it among the first `mails` sent.
async fn reply_notice(
    app: &TestApp,
    inbox: &Arc<Mutex<Vec<Mail>>>,
    parent: i64,
    mails: usize,
    to: &str,
) -> Mail {
    app.post_json(
        "/api/v1/comments",
        &json!({"thread": "/post", "parent": parent, "author": "Ana", "body": "Ja!"}),
    )
    .await;
    wait_for_mail(inbox, mails)
        .await
        .into_iter()
        .find(|m| m.to == [to] && m.text.contains("/unsubscribe?"))
        .unwrap_or_else(|| panic!("no reply notification to {to}"))
}

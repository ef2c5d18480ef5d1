//! The published OpenAPI document matches the router and the error codes.

use crate::helpers::*;
use palabre_api::ErrorCode;
use serde_json::Value;

#[tokio::test]
async fn openapi_document_matches_the_api() {
    let app = TestApp::spawn().await;
    let res = app.get("/api/v1/openapi.json").await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let doc: Value = res.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));

    let mut paths: Vec<&str> = doc["paths"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    paths.sort();
    assert_eq!(
        paths,
        [
            "/api/v1/auth/email",
            "/api/v1/auth/email/verify",
            "/api/v1/auth/passkey",
            "/api/v1/auth/passkey/finish",
            "/api/v1/auth/passkey/register",
            "/api/v1/auth/passkey/register/finish",
            "/api/v1/auth/password",
            "/api/v1/auth/sign-out",
            "/api/v1/auth/sso",
            "/api/v1/challenge",
            "/api/v1/comments",
            "/api/v1/comments/{id}",
            "/api/v1/comments/{id}/moderation",
            "/api/v1/comments/{id}/vote",
            "/api/v1/config",
            "/api/v1/counts",
            "/api/v1/events",
            "/api/v1/feed",
            "/api/v1/first-paint",
            "/api/v1/me",
            "/api/v1/me/comments",
            "/api/v1/moderation",
            "/api/v1/preview",
            "/api/v1/threads/lock",
            "/api/v1/words/{lang}",
            "/api/v1/words/{lang}/account",
            "/healthz",
        ]
    );
    // Every documented operation exists: an undocumented method would answer 405.
    for (path, ops) in doc["paths"].as_object().unwrap() {
        let methods = ["get", "post", "patch", "delete", "put"];
        for method in ops
            .as_object()
            .unwrap()
            .keys()
            .filter(|k| methods.contains(&k.as_str()))
        {
            let url = app.url(&path.replace("{id}", "1").replace("{lang}", "de"));
            let req = app
                .client
                .request(method.to_uppercase().parse().unwrap(), url);
            let res = req.send().await.unwrap();
            assert_ne!(res.status(), 405, "{method} {path}");
        }
    }
    let documented: Vec<&str> = doc["components"]["schemas"]["ErrorCode"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let actual: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(documented, actual);
}

//! Settings and the database itself (`SettingsStore`).

use super::*;

#[tokio::test]
async fn settings_are_initialised_once() {
    for (name, s, _dir) in backends().await {
        assert_eq!(s.setting("k").await.unwrap(), None, "{name}");
        assert_eq!(
            s.init_setting("k", "first").await.unwrap(),
            "first",
            "{name}"
        );
        assert_eq!(
            s.init_setting("k", "second").await.unwrap(),
            "first",
            "{name}"
        );
        assert_eq!(
            s.setting("k").await.unwrap().as_deref(),
            Some("first"),
            "{name}"
        );
    }
}

//! Property tests of the input types both sides parse: whatever comes in, no panic, and what is
//! accepted holds its promises. A few hundred cases here; `bench/fuzz` runs many more
//! (PALABRE_FUZZ_CASES). Native only (the wasm32 lint build compiles tests too).
#![cfg(not(target_arch = "wasm32"))]

use palabre_api::{MAX_THREAD_KEY_CHARS, ThreadKey, page_thread_key};
use proptest::prelude::*;

/// A fixed seed, so that the suite is the same run every time; `bench/fuzz` sets
/// PALABRE_FUZZ_SEED to a new one.
fn seed() -> proptest::test_runner::RngSeed {
    let seed = std::env::var("PALABRE_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_261_202);
    proptest::test_runner::RngSeed::Fixed(seed)
}

fn config() -> ProptestConfig {
    let cases = std::env::var("PALABRE_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(512);
    ProptestConfig {
        cases,
        failure_persistence: None,
        rng_seed: seed(),
        ..ProptestConfig::default()
    }
}

/// URL-ish text: pieces a page address is made of, in any order, with anything between.
fn urlish() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("https://".to_owned()),
        Just("http://".to_owned()),
        Just("blog.example".to_owned()),
        Just("/".to_owned()),
        Just("?".to_owned()),
        Just("&".to_owned()),
        Just("=".to_owned()),
        Just("#".to_owned()),
        Just("p=4".to_owned()),
        Just("utm_source=x".to_owned()),
        Just("FBCLID=1".to_owned()),
        Just("%C3%A9".to_owned()),
        any::<String>(),
    ];
    prop::collection::vec(piece, 0..12).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn a_thread_key_is_never_blank_long_or_control(raw in any::<String>()) {
        if let Ok(key) = ThreadKey::parse(&raw) {
            let k = key.as_str();
            prop_assert!(!k.trim().is_empty());
            prop_assert!(k.chars().count() <= MAX_THREAD_KEY_CHARS);
            prop_assert!(!k.chars().any(char::is_control));
            prop_assert_eq!(k, k.trim());
        }
    }

    #[test]
    fn a_page_key_is_stable_and_free_of_fragments_and_trackers(url in urlish()) {
        let key = page_thread_key(&url);
        prop_assert_eq!(page_thread_key(&key), key.clone(), "keying a key changes nothing");
        prop_assert!(!key.contains('#'));
        if url.starts_with("http://") || url.starts_with("https://") {
            prop_assert!(key.starts_with('/'), "{}", key);
        }
        if let Some((_, query)) = key.split_once('?') {
            for pair in query.split('&') {
                let name = pair.split('=').next().unwrap_or_default().to_ascii_lowercase();
                prop_assert!(!pair.is_empty() && !name.starts_with("utm_") && name != "fbclid");
            }
        }
    }
}

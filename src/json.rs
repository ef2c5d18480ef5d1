//! JSON in and out of the widget, through the browser's own parser (`JSON.parse`, a response's
//! `json()`) and serde-wasm-bindgen, instead of compiling serde_json into the wasm: 6 KB
//! brotli less. Native builds (unit tests) have no browser and use serde_json.
//!
//! One difference with serde_json: a map read from a JS object has string keys, and
//! serde-wasm-bindgen won't read them as numbers. The one stored map keyed by numbers (own
//! comments, `storage.rs`) parses its keys itself.

use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::JsValue;

/// A value the browser has already parsed, such as a response's `json()`.
pub fn from_js<T: DeserializeOwned>(value: JsValue) -> Option<T> {
    serde_wasm_bindgen::from_value(value).ok()
}

#[cfg(target_arch = "wasm32")]
pub fn from_str<T: DeserializeOwned>(text: &str) -> Option<T> {
    from_js(js_sys::JSON::parse(text).ok()?)
}

/// `None` only for what JSON cannot hold (none of the widget's types).
#[cfg(target_arch = "wasm32")]
pub fn to_string<T: Serialize>(value: &T) -> Option<String> {
    // Plain objects for maps and `null` for `None`, as serde_json writes them.
    let value = value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .ok()?;
    js_sys::JSON::stringify(&value).ok()?.as_string()
}

#[cfg(not(target_arch = "wasm32"))]
pub fn from_str<T: DeserializeOwned>(text: &str) -> Option<T> {
    serde_json::from_str(text).ok()
}

#[cfg(not(target_arch = "wasm32"))]
pub fn to_string<T: Serialize>(value: &T) -> Option<String> {
    serde_json::to_string(value).ok()
}

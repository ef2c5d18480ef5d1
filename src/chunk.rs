//! Features only some readers use (posting, editing their own comments, voting) come in wasm
//! chunks of their own, fetched on intent: a pointer over the feature's controls, the focus in
//! them, or the click itself. Readers who never use them download nothing of them. Each chunk
//! hands back a struct of function pointers into its code, kept once fetched.
//!
//! A chunk is cut out of the bundle by wasm-split-cli (scripts/build-widget, feature `split`);
//! other builds (tests, `<Palabre/>` in another application) have the same functions in their
//! one wasm. A chunk that cannot be fetched is [`ApiError::Unreachable`] to the reader, with
//! the same retry; the failure is not kept, so the next intent fetches again.

use crate::client::ApiError;
use std::cell::Cell;
use std::future::Future;
use std::thread::LocalKey;

/// Declares the chunk `$chunk`: `async fn $load() -> Result<$ty, ApiError>` fetches it (in a
/// build that is not cut, it is there already) and returns `$fns`, its entry points.
macro_rules! chunk {
    ($chunk:ident, $load:ident -> $ty:ty = $fns:expr) => {
        #[cfg(feature = "split")]
        #[leptos::wasm_split::wasm_split($chunk, wasm_split_path = ::leptos::wasm_split, fallible)]
        fn $load() -> Result<$ty, $crate::client::ApiError> {
            Ok($fns)
        }

        #[cfg(not(feature = "split"))]
        async fn $load() -> Result<$ty, $crate::client::ApiError> {
            Ok($fns)
        }
    };
}
pub(crate) use chunk;

/// Where a fetched chunk's entry points are kept (a `thread_local!` `Cell`).
pub type Slot<T> = LocalKey<Cell<Option<T>>>;

/// The chunk's entry points, fetched once.
pub async fn load<T: Copy + 'static, F: Future<Output = Result<T, ApiError>>>(
    slot: &'static Slot<T>,
    fetch: fn() -> F,
) -> Result<T, ApiError> {
    if let Some(fns) = slot.get() {
        return Ok(fns);
    }
    let fns = fetch().await?;
    slot.set(Some(fns));
    Ok(fns)
}

/// Fetches the chunk ahead of need, once; a failure waits for the next intent.
pub fn prefetch<T: Copy + 'static, F: Future<Output = Result<T, ApiError>> + 'static>(
    slot: &'static Slot<T>,
    fetch: fn() -> F,
) {
    if slot.get().is_none() {
        leptos::task::spawn_local(async move {
            let _ = load(slot, fetch).await;
        });
    }
}

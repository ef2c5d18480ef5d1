use super::live_updates;
use crate::context::use_ctx;
use leptos::prelude::*;
use leptos::task::spawn_local;
use palabre_api::SortOrder;
use palabre_api::i18n::Msg;

/// "3 new comments": new top-level comments from the live stream wait behind it, never pushed
/// into view. It sits where they will appear (above the list when the newest come first,
/// below it otherwise); showing them moves the focus to the first, since the button goes.
#[component]
pub fn NewComments(at_top: bool) -> impl IntoView {
    let ctx = use_ctx();
    let waiting = Memo::new(move |_| {
        ctx.thread.with(|t| {
            if (t.sort == SortOrder::Newest) == at_top {
                t.waiting()
            } else {
                0
            }
        })
    });
    // Showing them comes with the rarer parts of live updates, in the `live` chunk.
    let show = move |_| {
        spawn_local(async move {
            if let Ok(chunk) = live_updates::load_live().await {
                (chunk.show_waiting)(ctx);
            }
        })
    };
    move || {
        (waiting.get() > 0).then(|| {
            view! {
                <button
                    type="button"
                    class="new-comments"
                    on:click=show
                    on:pointerenter=move |_| live_updates::prefetch_live()
                    on:focus=move |_| live_updates::prefetch_live()
                >
                    {move || ctx.words().plural(Msg::NewComments, waiting.get() as u64)}
                </button>
            }
        })
    }
}

use crate::context::use_ctx;
use leptos::prelude::*;
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
    let show = move |_| {
        let roots = ctx.update_thread(|t| t.show_waiting());
        let Some(first) = roots.first().copied() else {
            return;
        };
        let section = ctx.section;
        request_animation_frame(move || {
            let found = section.get_untracked().and_then(|l| {
                l.query_selector(&format!("li[data-id=\"{first}\"]"))
                    .ok()
                    .flatten()
            });
            if let Some(li) =
                found.and_then(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(e).ok())
            {
                let _ = li.focus();
            }
        });
    };
    move || {
        (waiting.get() > 0).then(|| {
            view! {
                <button type="button" class="new-comments" on:click=show>
                    {move || ctx.words().plural(Msg::NewComments, waiting.get() as u64)}
                </button>
            }
        })
    }
}

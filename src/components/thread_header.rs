use crate::context::use_ctx;
use crate::i18n::{Msg, comment_count};
use leptos::prelude::*;
use palabre_api::SortOrder;

/// The count and the sort selector.
#[component]
pub fn ThreadHeader(on_sort: Callback<SortOrder>) -> impl IntoView {
    let ctx = use_ctx();
    let count = move || comment_count(ctx.lang(), ctx.thread.with(|t| t.count));
    let current = move || ctx.thread.with(|t| t.sort);
    let option = move |sort: SortOrder, msg: Msg| {
        view! {
            <option value=sort.as_str() selected=move || current() == sort>
                {ctx.t(msg)}
            </option>
        }
    };
    view! {
        <header class="thread-header">
            <h2 class="count">{count}</h2>
            <label class="sort">
                <span>{ctx.t(Msg::SortLabel)}</span>
                <select on:change=move |ev| {
                    if let Ok(sort) = SortOrder::parse(&event_target_value(&ev)) {
                        on_sort.run(sort);
                    }
                }>
                    {option(SortOrder::Oldest, Msg::SortOldest)}
                    {option(SortOrder::Newest, Msg::SortNewest)}
                    {option(SortOrder::Top, Msg::SortTop)}
                </select>
            </label>
        </header>
    }
}

use crate::context::use_ctx;
use leptos::prelude::*;
use palabre_api::SortOrder;
use palabre_api::i18n::Msg;

/// The count, the thread's feed (when the server serves feeds) and the sort selector.
#[component]
pub fn ThreadHeader(on_sort: Callback<SortOrder>) -> impl IntoView {
    let ctx = use_ctx();
    let count = move || ctx.words().comment_count(ctx.thread.with(|t| t.count));
    let current = move || ctx.thread.with(|t| t.sort);
    let option = move |sort: SortOrder, msg: Msg| {
        view! {
            <option value=sort.as_str() selected=move || current() == sort>
                {ctx.t(msg)}
            </option>
        }
    };
    let feed = move || {
        // `Some(site)` when feeds are on; the site is named on a server of several blogs.
        let on = ctx.server.with(|s| {
            s.as_ref()
                .filter(|s| s.feeds)
                .map(|s| s.site.as_deref().map(js_sys::encode_uri_component))
        });
        on.map(|site| {
            let key = ctx.config.with_value(|c| c.thread.as_str().to_owned());
            let mut href = format!(
                "{}/api/v1/feed?thread={}",
                ctx.endpoint(),
                js_sys::encode_uri_component(&key)
            );
            if let Some(site) = site {
                href.push_str(&format!("&site={site}"));
            }
            view! { <a class="feed" href=href type="application/atom+xml">{ctx.t(Msg::Feed)}</a> }
        })
    };
    view! {
        <header class="thread-header">
            <h2 class="count">{count}</h2>
            {feed}
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

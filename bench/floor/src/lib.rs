//! The smallest Leptos widget that shows a nested thread and posts a comment, and nothing else:
//! no drafts, validation, error wording, i18n, avatars, times, accessibility, styles, first
//! paint, votes, editing or moderation. Its size is the floor under the real widget's, for the
//! same toolchain and build (bench/payload --floor). Not shipped, not tested.

use gloo_net::http::{Request, Response};
use leptos::prelude::*;
use leptos::task::spawn_local;
use palabre_api::{Comment, CreatedComment, NewComment, ThreadPage};
use serde::de::DeserializeOwned;
use wasm_bindgen::prelude::*;

#[derive(Clone, Copy)]
struct Ctx {
    comments: RwSignal<Vec<Comment>>,
    endpoint: StoredValue<String>,
    thread: StoredValue<String>,
}

fn children(ctx: Ctx, parent: Option<i64>) -> Vec<i64> {
    ctx.comments.with(|c| {
        c.iter()
            .filter(|c| c.parent == parent)
            .map(|c| c.id)
            .collect()
    })
}

/// The body through the browser's JSON parser, as the real widget does.
async fn json<T: DeserializeOwned>(response: Response) -> Option<T> {
    let raw: web_sys::Response = response.into();
    let value = wasm_bindgen_futures::JsFuture::from(raw.json().ok()?)
        .await
        .ok()?;
    serde_wasm_bindgen::from_value(value).ok()
}

#[component]
fn CommentView(id: i64) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let comment = ctx
        .comments
        .with_untracked(|c| c.iter().find(|c| c.id == id).cloned());
    let Some(comment) = comment else {
        return ().into_any();
    };
    let replying = RwSignal::new(false);
    view! {
        <li class="comment">
            <span class="author">{comment.author.clone().unwrap_or_default()}</span>
            <div class="body" inner_html=comment.html.clone()></div>
            <button on:click=move |_| replying.update(|r| *r = !*r)>"Reply"</button>
            {move || replying.get().then(|| view! { <Form parent=Some(id) /> })}
            <ol>
                <For each=move || children(ctx, Some(id)) key=|id| *id children=|id| view! { <CommentView id=id /> } />
            </ol>
        </li>
    }
    .into_any()
}

#[component]
fn Form(parent: Option<i64>) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let body = RwSignal::new(String::new());
    let author = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = NewComment {
            thread: ctx.thread.get_value(),
            parent,
            author: Some(author.get_untracked()).filter(|a| !a.is_empty()),
            body: body.get_untracked(),
            ..Default::default()
        };
        spawn_local(async move {
            let url = format!("{}/api/v1/comments", ctx.endpoint.get_value());
            let text = serde_wasm_bindgen::to_value(&input)
                .ok()
                .and_then(|v| js_sys::JSON::stringify(&v).ok())
                .and_then(|s| s.as_string())
                .unwrap_or_default();
            let sent = match Request::post(&url)
                .header("Content-Type", "application/json")
                .body(text)
            {
                Ok(r) => r.send().await.ok(),
                Err(_) => None,
            };
            match sent {
                Some(r) if r.ok() => {
                    if let Some(created) = json::<CreatedComment>(r).await {
                        ctx.comments.update(|c| c.push(created.comment));
                        body.set(String::new());
                    }
                }
                Some(r) => error.set(Some(format!("refused: {}", r.status()))),
                None => error.set(Some("unreachable".into())),
            }
        });
    };
    view! {
        <form on:submit=submit>
            <textarea prop:value=move || body.get() on:input=move |ev| body.set(event_target_value(&ev))></textarea>
            <input prop:value=move || author.get() on:input=move |ev| author.set(event_target_value(&ev)) />
            <p class="error">{move || error.get()}</p>
            <button type="submit">"Post"</button>
        </form>
    }
}

#[wasm_bindgen]
pub fn mount(host: web_sys::HtmlElement, endpoint: String, thread: String) {
    leptos::mount::mount_to(host, move || {
        let ctx = Ctx {
            comments: RwSignal::new(vec![]),
            endpoint: StoredValue::new(endpoint),
            thread: StoredValue::new(thread),
        };
        provide_context(ctx);
        spawn_local(async move {
            let url = format!(
                "{}/api/v1/comments?thread={}",
                ctx.endpoint.get_value(),
                ctx.thread.get_value()
            );
            if let Ok(r) = Request::get(&url).send().await
                && let Some(page) = json::<ThreadPage>(r).await
            {
                ctx.comments.set(page.comments);
            }
        });
        view! {
            <section>
                <ol><For each=move || children(ctx, None) key=|id| *id children=|id| view! { <CommentView id=id /> } /></ol>
                <Form parent=None />
            </section>
        }
    })
    .forget();
}

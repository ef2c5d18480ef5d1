use leptos::prelude::*;
use palabre_api::identicon::identicon;

/// An identicon drawn from the comment's avatar seed; decorative for screen readers.
#[component]
pub fn Avatar(seed: String) -> impl IntoView {
    let icon = identicon(&seed);
    let fill = format!("hsl({} 55% 45%)", icon.hue);
    view! {
        <svg class="avatar" viewBox="-0.5 -0.5 6 6" aria-hidden="true" focusable="false">
            <path fill=fill d=icon.path() />
        </svg>
    }
}

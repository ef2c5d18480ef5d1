use crate::identicon::identicon;
use leptos::prelude::*;

/// An identicon drawn from the comment's avatar seed; decorative for screen readers.
#[component]
pub fn Avatar(seed: String) -> impl IntoView {
    let icon = identicon(&seed);
    let fill = format!("hsl({} 55% 45%)", icon.hue);
    let cells = icon
        .cells
        .into_iter()
        .map(|(x, y)| view! { <rect x=x.to_string() y=y.to_string() width="1" height="1" /> })
        .collect_view();
    view! {
        <svg class="avatar" viewBox="-0.5 -0.5 6 6" aria-hidden="true" focusable="false">
            <g fill=fill>{cells}</g>
        </svg>
    }
}

//! Keeping what the reader is looking at where it is while the thread changes around it (a
//! reply above, an edit, a deletion, the "new comments" button appearing): the element at the
//! top of the viewport is measured before the change and the page scrolled by however far it
//! moved, before the next frame is painted. Browsers without scroll anchoring (Safari) get the
//! same as those with it; where the browser anchored already, it moved nothing.

use wasm_bindgen::JsCast;
use web_sys::Element;

pub struct Anchor {
    element: Element,
    top: f64,
}

impl Anchor {
    /// What the reader looks at inside `within`: the focused field or button if it is on
    /// screen (what they are typing stays put), else the first comment on screen. `None`
    /// when none of the widget is on screen.
    pub fn find(within: &Element) -> Option<Anchor> {
        let height = web_sys::window()?.inner_height().ok()?.as_f64()?;
        let on_screen = |e: &Element| {
            let r = e.get_bounding_client_rect();
            (r.bottom() > 0.0 && r.top() < height).then(|| r.top())
        };
        let focused = within
            .get_root_node()
            .dyn_into::<web_sys::ShadowRoot>()
            .ok()
            .and_then(|root| root.active_element());
        if let Some(element) = focused
            && let Some(top) = on_screen(&element)
        {
            return Some(Anchor { element, top });
        }
        let articles = within.query_selector_all("article").ok()?;
        (0..articles.length()).find_map(|i| {
            let element: Element = articles.item(i)?.dyn_into().ok()?;
            let top = on_screen(&element)?;
            Some(Anchor { element, top })
        })
    }

    /// Once the change is drawn (the next animation frame, before it paints): scrolls the
    /// page by how far the anchor moved.
    pub fn keep(self) {
        leptos::prelude::request_animation_frame(move || {
            if !self.element.is_connected() {
                return;
            }
            let moved = self.element.get_bounding_client_rect().top() - self.top;
            if moved.abs() >= 1.0
                && let Some(window) = web_sys::window()
            {
                window.scroll_by_with_x_and_y(0.0, moved);
            }
        });
    }
}

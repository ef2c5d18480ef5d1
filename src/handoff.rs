//! The moment the widget takes the place of the server's first paint (see `mount`). The first
//! paint's buttons have no code behind them, so what a reader did to them carries over to the
//! widget's drawing of the same comments: a button clicked is clicked again there, and focus
//! moves to the same element. The loader, the only code running while the first paint shows,
//! keeps what was clicked in the first paint's `clicks` (loader/palabre.js).

use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement, ShadowRoot};

/// Takes the place of the server's first paint once the widget has drawn its first page (or
/// failed to load it): the first paint goes and the widget shows, in one frame.
pub struct Handoff {
    root: ShadowRoot,
    paint: Element,
    widget: HtmlElement,
}

/// An element of a comment in the first paint, as a selector that finds the same element in
/// the widget's drawing of that comment, with the state the reader saw it in.
#[derive(PartialEq)]
struct Spot {
    selector: String,
    state: String,
}

impl Handoff {
    /// `paint` is showing in `root`; `widget`, hidden, is where the widget draws meanwhile.
    pub fn new(root: ShadowRoot, paint: Element, widget: HtmlElement) -> Self {
        Self {
            root,
            paint,
            widget,
        }
    }

    pub fn run(self) {
        let focused = self.root.active_element().and_then(|el| spot(&el));
        let clicked = self.clicked_buttons();
        self.paint.remove();
        self.widget.set_hidden(false);
        // Focus first: a replayed click may move it on (a reply form takes it when it opens).
        if let Some(el) = focused.and_then(|spot| find(&self.widget, &spot)) {
            let _ = el.focus();
        }
        for spot in clicked {
            // Only on a button still in the state the reader saw: on another state (say, a like
            // already given) the same click would do the opposite.
            if let Some(el) = find(&self.widget, &spot).filter(|el| state(el) == spot.state) {
                el.click();
            }
        }
    }

    /// The first paint's buttons the reader clicked, in order, each once: a button clicked
    /// again because nothing happened counts once.
    fn clicked_buttons(&self) -> Vec<Spot> {
        let clicks = js_sys::Reflect::get(&self.paint, &"clicks".into()).unwrap_or_default();
        let clicks: js_sys::Array = clicks.dyn_into().unwrap_or_default();
        let mut spots = Vec::new();
        for i in 0..clicks.length() {
            let button = clicks
                .get(i)
                .dyn_into::<Element>()
                .ok()
                .and_then(|t| t.closest("button").ok().flatten());
            if let Some(spot) = button.and_then(|b| spot(&b))
                && !spots.contains(&spot)
            {
                spots.push(spot);
            }
        }
        spots
    }
}

fn spot(el: &Element) -> Option<Spot> {
    let comment = el.closest("li.comment[data-id]").ok()??;
    let id: i64 = comment.get_attribute("data-id")?.parse().ok()?;
    let class = el.class_name();
    // The classes are the widget's own; anything that could break out of the quotes is not.
    if class.contains(['"', '\\']) {
        return None;
    }
    let selector = format!("li.comment[data-id=\"{id}\"]");
    Some(Spot {
        selector: if *el == comment {
            selector
        } else {
            format!("{selector} > article {}[class=\"{class}\"]", el.tag_name())
        },
        state: state(el),
    })
}

/// The element at `spot` in the widget's drawing.
fn find(widget: &Element, spot: &Spot) -> Option<HtmlElement> {
    widget.query_selector(&spot.selector).ok()??.dyn_into().ok()
}

fn state(el: &Element) -> String {
    let attr = |name| el.get_attribute(name).unwrap_or_default();
    format!("{} {}", attr("aria-pressed"), attr("aria-expanded"))
}

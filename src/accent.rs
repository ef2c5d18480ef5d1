//! A blog's accent (`--palabre-accent`, `--palabre-accent-dark`) that text cannot be read in
//! on the widget's background. The stylesheet already draws links and buttons in a shade of
//! it that can (`--_link` in style/widget.css); the console names the accent, its contrast
//! and the colour used instead, so the blog owner can choose one. Only pages that set an
//! accent run the check, which comes in a chunk of its own.

use crate::chunk::{self, chunk};
use std::cell::Cell;
use wasm_bindgen::JsCast;
use web_sys::HtmlElement;

/// WCAG AA for text, in tenths.
const AA_TENTHS: u32 = 45;

/// Once per page, for the first widget drawn (`container`: its `.palabre-root`, styled).
pub fn check(container: &HtmlElement) {
    thread_local! {
        static CHECKED: Cell<bool> = const { Cell::new(false) };
    }
    let Some(style) =
        web_sys::window().and_then(|w| w.get_computed_style(container).ok().flatten())
    else {
        return;
    };
    let set = |name| {
        style
            .get_property_value(name)
            .is_ok_and(|v| !v.trim().is_empty())
    };
    if CHECKED.replace(true) || !(set("--palabre-accent") || set("--palabre-accent-dark")) {
        return;
    }
    let container = container.clone();
    // Not leptos's spawn: this runs before the first widget mounts, and with it Leptos's executor.
    wasm_bindgen_futures::spawn_local(async move {
        if let Ok(warn) = chunk::load(&WARN, contrast_chunk).await {
            warn(&container);
        }
    });
}

type Warn = fn(&HtmlElement);

thread_local! {
    static WARN: Cell<Option<Warn>> = const { Cell::new(None) };
}

chunk!(contrast, contrast_chunk -> Warn = warn);

/// Reads the accent, the background and the colour links use as the browser resolved them,
/// as sRGB bytes: a canvas pixel painted with each reads any CSS colour syntax without a
/// colour parser here.
fn warn(container: &HtmlElement) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let style = container.style();
    let resolved = |value: &str| {
        style.set_property("color", value).ok()?;
        window
            .get_computed_style(container)
            .ok()
            .flatten()?
            .get_property_value("color")
            .ok()
    };
    let colours = [
        resolved("var(--_accent)"),
        resolved("var(--_bg)"),
        resolved("var(--_link)"),
    ];
    let _ = container.remove_attribute("style");
    let [Some(accent), Some(bg), Some(used)] = colours else {
        return;
    };
    if let Some([accent, bg, used]) = pixels([&accent, &bg, &used])
        && let Some(message) = accent_warning(accent, bg, used)
    {
        web_sys::console::warn_1(&message.into());
    }
}

/// The RGBA bytes of CSS colours: each painted on a pixel of a small canvas, read back at once.
fn pixels(colours: [&str; 3]) -> Option<[[u8; 4]; 3]> {
    let canvas: web_sys::HtmlCanvasElement = web_sys::window()?
        .document()?
        .create_element("canvas")
        .ok()?
        .dyn_into()
        .ok()?;
    canvas.set_width(3);
    canvas.set_height(1);
    let context: web_sys::CanvasRenderingContext2d =
        canvas.get_context("2d").ok()??.dyn_into().ok()?;
    for (x, colour) in colours.iter().enumerate() {
        context.set_fill_style_str(colour);
        context.fill_rect(x as f64, 0.0, 1.0, 1.0);
    }
    let data = context.get_image_data(0.0, 0.0, 3.0, 1.0).ok()?.data();
    let pixel = |x: usize| {
        [
            data[4 * x],
            data[4 * x + 1],
            data[4 * x + 2],
            data[4 * x + 3],
        ]
    };
    Some([pixel(0), pixel(1), pixel(2)])
}

/// The console's warning when `accent` fails AA on `bg`, naming `used`, the colour drawn
/// instead. None when it passes, or when either is see-through (no single contrast then).
pub fn accent_warning(accent: [u8; 4], bg: [u8; 4], used: [u8; 4]) -> Option<String> {
    if accent[3] != 255 || bg[3] != 255 {
        return None;
    }
    let rgb = |c: [u8; 4]| [c[0], c[1], c[2]];
    // Rounded down: 4.49:1 reads as 4.4, not as a pass.
    let tenths = (contrast(rgb(accent), rgb(bg)) * 10.0) as u32;
    (tenths < AA_TENTHS).then(|| {
        format!(
            "Palabre: the accent {} has {}.{}:1 contrast with the widget's background {}, \
             under the 4.5:1 WCAG AA asks of text; links and buttons use {} instead. Set \
             --palabre-accent (--palabre-accent-dark for dark pages) to a colour that reaches \
             4.5:1.",
            hex(accent),
            tenths / 10,
            tenths % 10,
            hex(bg),
            hex(used)
        )
    })
}

/// `#rrggbb`, written by hand: `{:02x}` would bring a formatter into the first load (the
/// formatting machinery stays there, whoever calls it).
fn hex(c: [u8; 4]) -> String {
    let mut out = String::from("#");
    for byte in &c[..3] {
        for nibble in [byte >> 4, byte & 15] {
            out.push(char::from_digit(u32::from(nibble), 16).unwrap_or('0'));
        }
    }
    out
}

/// WCAG's relative luminance of an sRGB colour.
fn luminance(c: [u8; 3]) -> f64 {
    let lin = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.039_28 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2])
}

/// WCAG's contrast ratio, 1 to 21.
pub fn contrast(a: [u8; 3], b: [u8; 3]) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

#[cfg(test)]
mod tests {
    use super::*;

    const WHITE: [u8; 4] = [255, 255, 255, 255];

    #[test]
    fn a_light_accent_on_white_is_named_with_its_contrast_and_the_colour_used() {
        let message = accent_warning([255, 204, 0, 255], WHITE, [138, 109, 0, 255]).unwrap();
        assert!(
            message.starts_with("Palabre: the accent #ffcc00 has 1.5:1 contrast"),
            "{message}"
        );
        assert!(message.contains("background #ffffff"), "{message}");
        assert!(message.contains("use #8a6d00 instead"), "{message}");
    }

    #[test]
    fn an_accent_that_reaches_aa_says_nothing() {
        // The default light accent, and #767676 (4.54:1), the lightest grey that passes.
        assert_eq!(
            accent_warning([29, 95, 191, 255], WHITE, [29, 95, 191, 255]),
            None
        );
        assert_eq!(
            accent_warning([118, 118, 118, 255], WHITE, [0, 0, 0, 255]),
            None
        );
        // #777777 is 4.48:1: below, and not rounded up to a pass.
        let message = accent_warning([119, 119, 119, 255], WHITE, [0, 0, 0, 255]).unwrap();
        assert!(message.contains("has 4.4:1"), "{message}");
    }

    #[test]
    fn a_dark_accent_on_a_dark_background_is_named_too() {
        let message =
            accent_warning([40, 40, 120, 255], [13, 17, 23, 255], [120, 140, 255, 255]).unwrap();
        assert!(message.contains("#282878 has 1."), "{message}");
    }

    #[test]
    fn see_through_colours_have_no_single_contrast() {
        assert_eq!(accent_warning([255, 204, 0, 128], WHITE, WHITE), None);
        assert_eq!(
            accent_warning([255, 204, 0, 255], [0, 0, 0, 0], WHITE),
            None
        );
    }

    #[test]
    fn the_contrast_formula_is_wcags() {
        assert!((contrast([0, 0, 0], [255, 255, 255]) - 21.0).abs() < 1e-9);
        assert!((contrast([119, 119, 119], [255, 255, 255]) - 4.48).abs() < 0.01);
        assert_eq!(contrast([9, 9, 9], [9, 9, 9]), 1.0);
    }
}

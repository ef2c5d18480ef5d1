//! Names that cannot be borrowed. Two names that a reader could take for one another share a
//! key: compatibility forms (fullwidth, ligatures) folded, invisible and bidirectional controls
//! dropped, each character replaced by its UTS #39 confusable skeleton, case folded and the
//! skeleton taken again (some scripts' small letters look like another's capitals), accents
//! and other combining marks dropped, `i` taken for `l` (a capital I is one in most fonts),
//! and only letters and digits kept.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;
use unicode_security::confusable_detection::skeleton;

/// The lookalike key of a name; empty for a name with no letter or digit (which reserves
/// nothing).
pub fn name_key(name: &str) -> String {
    // The skeleton before compatibility folding too: NFKC turns some lookalikes (a Greek
    // lunate sigma, Ϲ) into letters that no longer look like what they imitated.
    let visible: String = name.chars().filter(|c| !invisible(*c)).collect();
    let once: String = skeleton(&visible).collect();
    let plain: String = once.nfkc().collect();
    let folded: String = skeleton(&plain.to_lowercase()).collect();
    folded
        .nfd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .map(|c| if c == 'i' { 'l' } else { c })
        .filter(|c| c.is_alphanumeric())
        .collect()
}

/// Characters drawn as nothing: Unicode's default-ignorable code points, which include the
/// zero-width joiners and the bidirectional controls (an RTL override reorders what follows).
fn invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}'
        | '\u{17B5}' | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{3164}'
        | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}' | '\u{FFF0}'..='\u{FFF8}'
        | '\u{1BCA0}'..='\u{1BCA3}' | '\u{1D173}'..='\u{1D17A}' | '\u{E0000}'..='\u{E0FFF}')
}

#[cfg(test)]
mod tests {
    use super::name_key;

    #[test]
    fn lookalikes_share_the_key_and_real_names_do_not() {
        let ann = name_key("Anna Smith");
        for fake in [
            "anna smith",
            "ANNA SMITH",
            "Аnna Smith",          // Cyrillic А
            "Anna Smіth",          // Cyrillic і
            "Ꭺnna Smith",          // Cherokee
            "Αnna Smith",          // Greek Alpha
            "Ａｎｎａ Ｓｍｉｔｈ", // fullwidth
            "Anna\u{200D} Smith",  // zero-width joiner
            "Anna\u{200B}Smith",   // zero-width space
            "\u{202E}Anna Smith",  // right-to-left override
            "Ánna Smith",          // combining acute
            "Anna  Smith ",        // extra spaces
            "Anna Smith.",
            "Ꭺnna Ꮪmith",
        ] {
            assert_eq!(name_key(fake), ann, "{fake:?}");
        }
        for real in ["Anne Smith", "Hanna Smith", "Anna Smit", "Ana Smith"] {
            assert_ne!(name_key(real), ann, "{real:?}");
        }
        assert_eq!(name_key("rn"), name_key("m"), "UTS #39: rn looks like m");
        assert_eq!(name_key("Ian"), name_key("lan"));
        assert_eq!(name_key("Ϲlaire"), name_key("Claire"), "a lunate sigma");
        assert_eq!(name_key("IAN"), name_key("ian"));
        assert_eq!(name_key("…!?"), "");
    }
}

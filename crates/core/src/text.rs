//! Text from outside (a registration code, a credential, a service's answer) made safe
//! to show: nothing in it can move a terminal's cursor, rewrite a line, change colours
//! or reorder what a person reads.

use std::borrow::Cow;

/// `text` with every control character (C0, DEL, C1, so every escape sequence) and
/// every bidirectional formatting character written as a visible `\u{..}` escape.
pub fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_hidden) {
        return Cow::Borrowed(text);
    }
    let mut shown = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_hidden(c) {
            shown.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else {
            shown.push(c);
        }
    }
    Cow::Owned(shown)
}

/// Control characters, and the bidirectional marks, embeddings, overrides and
/// isolates that could make text display as other text.
pub fn is_hidden(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_bidi_controls_become_visible() {
        assert_eq!(printable("Bank\u{1b}[2K"), "Bank\\u{1b}[2K");
        assert_eq!(
            printable("a\u{202E}b\u{9b}c\n"),
            "a\\u{202e}b\\u{9b}c\\u{a}"
        );
        assert!(matches!(printable("Example Bank 銀行"), Cow::Borrowed(_)));
    }
}

//! Checks for free text coming from outside: trimmed, bounded, no control characters.

use crate::DomainError;

/// Trims `s` and checks it has between `min` and `max` characters and no control characters.
pub fn clean(field: &'static str, s: &str, min: usize, max: usize) -> Result<String, DomainError> {
    let t: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    let n = t.chars().count();
    if n < min {
        return Err(DomainError::invalid(
            field,
            if min == 1 {
                "must not be empty".to_string()
            } else {
                format!("needs at least {min} characters")
            },
        ));
    }
    if n > max {
        return Err(DomainError::invalid(
            field,
            format!("at most {max} characters"),
        ));
    }
    if t.chars().any(char::is_control) {
        return Err(DomainError::invalid(field, "contains control characters"));
    }
    Ok(t)
}

/// Like [`clean`] for multi-line notes: keeps line breaks, refuses other control characters.
pub fn clean_note(field: &'static str, s: &str, max: usize) -> Result<String, DomainError> {
    let t = s.trim().to_string();
    if t.chars().count() > max {
        return Err(DomainError::invalid(
            field,
            format!("at most {max} characters"),
        ));
    }
    if t.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(DomainError::invalid(field, "contains control characters"));
    }
    Ok(t)
}

/// A person's name as staff and customers type it: 1–32 characters.
pub fn person_name(s: &str) -> Result<String, DomainError> {
    clean("name", s, 1, 32)
}

/// A short label (tag, brand, region): 1–24 characters.
pub fn label(field: &'static str, s: &str) -> Result<String, DomainError> {
    clean(field, s, 1, 24)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        let cases: &[(&str, Option<&str>)] = &[
            ("  王  芳 ", Some("王 芳")),
            ("Anna Li", Some("Anna Li")),
            ("", None),
            ("   ", None),
            ("a\u{7}b", None),
            (&"长".repeat(33), None),
        ];
        for (input, want) in cases {
            assert_eq!(person_name(input).ok().as_deref(), *want, "input {input:?}");
        }
    }

    #[test]
    fn notes_keep_lines_but_refuse_other_controls() {
        assert_eq!(
            clean_note("notes", " likes quiet\nno coffee ", 100).as_deref(),
            Ok("likes quiet\nno coffee")
        );
        assert!(clean_note("notes", "x\u{0}", 100).is_err());
        assert!(clean_note("notes", &"x".repeat(101), 100).is_err());
    }
}

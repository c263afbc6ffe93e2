//! Customer ratings of a finished visit (CHK-6): the scores' ranges and the comment's limit.

use crate::DomainError;

/// The lowest and highest star score (overall, service, stylist, environment).
pub const SCORE_MIN: u8 = 1;
pub const SCORE_MAX: u8 = 5;
/// The highest "how likely are you to recommend us" answer (the NPS scale, 0–10).
pub const RECOMMEND_MAX: u8 = 10;
/// The longest comment kept, in characters (after trimming).
pub const COMMENT_MAX: usize = 500;

/// Checks one star score, naming the field in the error.
pub fn score(field: &'static str, v: u8) -> Result<u8, DomainError> {
    if (SCORE_MIN..=SCORE_MAX).contains(&v) {
        Ok(v)
    } else {
        Err(DomainError::RatingInvalid {
            field,
            reason: format!("must be {SCORE_MIN}–{SCORE_MAX}, not {v}"),
        })
    }
}

/// Checks the recommendation answer (0 is a legitimate "not at all").
pub fn recommend(v: u8) -> Result<u8, DomainError> {
    if v <= RECOMMEND_MAX {
        Ok(v)
    } else {
        Err(DomainError::RatingInvalid {
            field: "recommend",
            reason: format!("must be 0–{RECOMMEND_MAX}, not {v}"),
        })
    }
}

/// The comment, trimmed: at most [`COMMENT_MAX`] characters, line breaks kept, no other
/// control characters (a kiosk keyboard cannot type them; anything else is not a customer).
pub fn comment(s: &str) -> Result<String, DomainError> {
    let t = s.trim();
    let n = t.chars().count();
    if n > COMMENT_MAX {
        return Err(DomainError::CommentTooLong {
            max: COMMENT_MAX,
            len: n,
        });
    }
    if t.chars().any(|c| c.is_control() && c != '\n') {
        return Err(DomainError::invalid(
            "comment",
            "contains control characters",
        ));
    }
    Ok(t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_are_one_to_five() {
        for v in 0..=u8::MAX {
            let ok = (1..=5).contains(&v);
            assert_eq!(score("overall", v).is_ok(), ok, "{v}");
        }
        let e = score("service", 6).expect_err("out of range");
        assert_eq!(e.code(), "rating_invalid");
        assert_eq!(e.to_string(), "service: must be 1–5, not 6");
    }

    #[test]
    fn recommend_is_zero_to_ten() {
        assert_eq!(recommend(0), Ok(0));
        assert_eq!(recommend(10), Ok(10));
        assert_eq!(recommend(11).map_err(|e| e.code()), Err("rating_invalid"));
    }

    #[test]
    fn comments_are_trimmed_and_bounded() {
        assert_eq!(
            comment("  很好\n下次再来  ").as_deref(),
            Ok("很好\n下次再来")
        );
        assert_eq!(comment("   ").as_deref(), Ok(""));
        // The limit counts characters, not bytes, and is measured after trimming.
        let at_limit = format!("  {}  ", "好".repeat(COMMENT_MAX));
        assert_eq!(
            comment(&at_limit).map(|c| c.chars().count()),
            Ok(COMMENT_MAX)
        );
        let over = "好".repeat(COMMENT_MAX + 1);
        assert_eq!(
            comment(&over).map_err(|e| e.code()),
            Err("comment_too_long")
        );
        assert_eq!(comment("a\u{0}b").map_err(|e| e.code()), Err("invalid"));
    }
}

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

/// Scores rolled up over many ratings (FDB-1): the mean of each star score and the net
/// promoter score — the share answering 9–10 minus the share answering 0–6, in points.
#[derive(
    Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
pub struct Scores {
    pub ratings: u32,
    pub overall: f64,
    pub service: f64,
    pub stylist: f64,
    pub environment: f64,
    /// −100 to 100.
    pub nps: f64,
}

/// One rating's answers: overall, service, stylist, environment (1–5), recommend (0–10).
pub type Answers = [u8; 5];

/// Rolls ratings up; no ratings give zeros.
pub fn rollup<'a>(ratings: impl IntoIterator<Item = &'a Answers>) -> Scores {
    let mut sums = [0u64; 4];
    let (mut n, mut promoters, mut detractors) = (0u32, 0u32, 0u32);
    for a in ratings {
        n += 1;
        for (s, v) in sums.iter_mut().zip(a) {
            *s += u64::from(*v);
        }
        match a[4] {
            9..=10 => promoters += 1,
            0..=6 => detractors += 1,
            _ => {}
        }
    }
    if n == 0 {
        return Scores::default();
    }
    let mean = |s: u64| (s as f64 / f64::from(n) * 100.0).round() / 100.0;
    Scores {
        ratings: n,
        overall: mean(sums[0]),
        service: mean(sums[1]),
        stylist: mean(sums[2]),
        environment: mean(sums[3]),
        nps: ((f64::from(promoters) - f64::from(detractors)) / f64::from(n) * 1000.0).round()
            / 10.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rollup_means_and_nps() {
        assert_eq!(rollup(&[]), Scores::default());
        // Two promoters, one passive, one detractor: NPS (2 − 1) / 4 = 25.
        let r = rollup(&[
            [5, 5, 5, 4, 10],
            [4, 4, 5, 4, 9],
            [4, 3, 4, 4, 8],
            [2, 3, 3, 4, 3],
        ]);
        assert_eq!(r.ratings, 4);
        assert_eq!(
            (r.overall, r.service, r.stylist, r.environment),
            (3.75, 3.75, 4.25, 4.0)
        );
        assert_eq!(r.nps, 25.0);
        assert_eq!(rollup(&[[1, 1, 1, 1, 0]]).nps, -100.0);
    }

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

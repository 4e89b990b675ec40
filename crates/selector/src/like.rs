//! SQL LIKE patterns: `%` any run of characters, `_` exactly one, and an
//! optional ESCAPE character that makes the next `%`, `_` (or itself)
//! literal. Compiled once; matching walks chars without allocating.

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tok {
    /// `%`
    Any,
    /// `_`
    One,
    Lit(char),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pattern {
    toks: Vec<Tok>,
}

impl Pattern {
    /// # Errors
    /// An escape character that is not exactly one character.
    pub fn compile(pattern: &str, escape: Option<&str>) -> Result<Pattern, String> {
        let escape = match escape {
            None => None,
            Some(e) => {
                let mut chars = e.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => Some(c),
                    _ => return Err(format!("ESCAPE must be one character, not '{e}'")),
                }
            }
        };
        let mut toks = Vec::new();
        let mut chars = pattern.chars().peekable();
        while let Some(c) = chars.next() {
            // As ActiveMQ: the escape character escapes only `%`, `_` or
            // itself; before anything else (or at the end) it is literal.
            let escaped = Some(c) == escape
                && chars
                    .peek()
                    .is_some_and(|n| *n == '%' || *n == '_' || Some(*n) == escape);
            if escaped {
                if let Some(next) = chars.next() {
                    toks.push(Tok::Lit(next));
                }
            } else if c == '%' {
                if toks.last() != Some(&Tok::Any) {
                    toks.push(Tok::Any);
                }
            } else if c == '_' {
                toks.push(Tok::One);
            } else {
                toks.push(Tok::Lit(c));
            }
        }
        Ok(Pattern { toks })
    }

    pub fn matches(&self, s: &str) -> bool {
        matches_at(&self.toks, s)
    }
}

/// Greedy matching with one backtrack point per `%` (the classic wildcard
/// algorithm): linear in practice, no recursion, no allocation.
fn matches_at(toks: &[Tok], s: &str) -> bool {
    let mut ti = 0;
    let mut si = 0;
    // (token index after the last `%`, string position it was tried at)
    let mut star: Option<(usize, usize)> = None;
    let bytes = s;
    while si < bytes.len() {
        let c = bytes[si..].chars().next().unwrap_or('\0');
        let w = c.len_utf8();
        match toks.get(ti) {
            Some(Tok::Lit(l)) if *l == c => {
                ti += 1;
                si += w;
            }
            Some(Tok::One) => {
                ti += 1;
                si += w;
            }
            Some(Tok::Any) => {
                star = Some((ti + 1, si));
                ti += 1;
            }
            _ => match star {
                Some((after, from)) => {
                    // Let the last `%` take one more character.
                    let c = bytes[from..].chars().next().unwrap_or('\0');
                    let from = from + c.len_utf8();
                    star = Some((after, from));
                    ti = after;
                    si = from;
                }
                None => return false,
            },
        }
    }
    toks[ti..].iter().all(|t| *t == Tok::Any)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn like(p: &str, s: &str) -> bool {
        Pattern::compile(p, None).unwrap().matches(s)
    }

    #[test]
    fn wildcards() {
        assert!(like("12%3", "123"));
        assert!(like("12%3", "12993"));
        assert!(!like("12%3", "1234"));
        assert!(like("l_se", "lose"));
        assert!(!like("l_se", "loose"));
        assert!(like("%", ""));
        assert!(!like("_", ""));
        assert!(like("%a%b%", "xxaxxbxx"));
        assert!(!like("%a%b%", "xxbxxaxx"));
        assert!(like("a%%b", "ab"));
        assert!(like("☃_x", "☃yx"));
    }

    #[test]
    fn escapes() {
        let p = Pattern::compile("\\_%", Some("\\")).unwrap();
        assert!(p.matches("_foo"));
        assert!(!p.matches("bar"));
        let p = Pattern::compile("100!%", Some("!")).unwrap();
        assert!(p.matches("100%"));
        assert!(!p.matches("1000"));
        // As in ActiveMQ, an escape before anything but `%`, `_` or itself
        // (or at the end) is an ordinary character.
        assert!(Pattern::compile("a!", Some("!")).unwrap().matches("a!"));
        assert!(Pattern::compile("a!b", Some("!")).unwrap().matches("a!b"));
        assert!(Pattern::compile("a!!", Some("!")).unwrap().matches("a!"));
        assert!(Pattern::compile("a", Some("!!")).is_err());
    }
}

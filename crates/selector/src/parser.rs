//! Selector text to [`Expr`]: a nom lexer turns the text into tokens, and a
//! precedence-climbing parser builds the tree:
//!
//! ```text
//! or       := and { OR and }
//! and      := not { AND not }
//! not      := NOT not | compare
//! compare  := sum [ (= | <> | < | <= | > | >=) sum
//!                 | [NOT] BETWEEN sum AND sum
//!                 | [NOT] IN ( 'str' {, 'str'} )
//!                 | [NOT] LIKE 'pattern' [ESCAPE 'c']
//!                 | IS [NOT] NULL ]
//! sum      := product { (+ | -) product }
//! product  := unary { (* | /) unary }
//! unary    := (+ | -) unary | primary
//! primary  := literal | identifier | ( or )
//! ```

use nom::branch::alt;
use nom::bytes::complete::{is_not, tag, tag_no_case, take_while, take_while1};
use nom::character::complete::{char, hex_digit1, multispace0, one_of};
use nom::combinator::{opt, recognize};
use nom::multi::many0;
use nom::sequence::{delimited, pair, preceded};
use nom::{IResult, Parser};

use crate::ast::{Arith, Cmp, Expr, Lit};
use crate::like::Pattern;

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Long(i64),
    Double(f64),
    Kw(Kw),
    Op(&'static str),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kw {
    And,
    Or,
    Not,
    Between,
    In,
    Like,
    Escape,
    Is,
    Null,
    True,
    False,
}

const KEYWORDS: &[(&str, Kw)] = &[
    ("AND", Kw::And),
    ("OR", Kw::Or),
    ("NOT", Kw::Not),
    ("BETWEEN", Kw::Between),
    ("IN", Kw::In),
    ("LIKE", Kw::Like),
    ("ESCAPE", Kw::Escape),
    ("IS", Kw::Is),
    ("NULL", Kw::Null),
    ("TRUE", Kw::True),
    ("FALSE", Kw::False),
];

// ---- lexer -------------------------------------------------------------

fn string_lit(i: &str) -> IResult<&str, Tok> {
    let (i, body) = delimited(
        char('\''),
        recognize(many0(alt((tag("''"), is_not("'"))))),
        char('\''),
    )
    .parse(i)?;
    Ok((i, Tok::Str(body.replace("''", "'"))))
}

fn word(i: &str) -> IResult<&str, Tok> {
    let (i, w) = recognize(pair(
        take_while1(|c: char| c.is_alphabetic() || c == '_' || c == '$'),
        take_while(|c: char| c.is_alphanumeric() || c == '_' || c == '$'),
    ))
    .parse(i)?;
    let tok = KEYWORDS
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(w))
        .map_or_else(|| Tok::Ident(w.to_string()), |(_, kw)| Tok::Kw(*kw));
    Ok((i, tok))
}

// Digits are read with take_while, not nom 8.0.0's digit0/digit1: at the
// very end of the input digit0 consumed nothing, so `x = 3.14159` read as
// `x = 3.` (nom issue #1808, fixed upstream but not released).
fn digits0(i: &str) -> IResult<&str, &str> {
    take_while(|c: char| c.is_ascii_digit()).parse(i)
}

fn digits1(i: &str) -> IResult<&str, &str> {
    take_while1(|c: char| c.is_ascii_digit()).parse(i)
}

fn exponent(i: &str) -> IResult<&str, &str> {
    recognize((one_of("eE"), opt(one_of("+-")), digits1)).parse(i)
}

/// `1.5`, `.5`, `1.`, `1e3`, `1.5E-3`, with an optional `f`/`d` suffix.
fn approximate(i: &str) -> IResult<&str, Tok> {
    let (i, text) = alt((
        recognize((digits1, char('.'), digits0, opt(exponent))),
        recognize((char('.'), digits1, opt(exponent))),
        recognize((digits1, exponent)),
    ))
    .parse(i)?;
    let (i, _) = opt(one_of("fFdD")).parse(i)?;
    match text.parse::<f64>() {
        Ok(d) => Ok((i, Tok::Double(d))),
        Err(_) => Err(nom::Err::Failure(nom::error::Error::new(
            i,
            nom::error::ErrorKind::Float,
        ))),
    }
}

/// Decimal, `0x` hex and `0`-prefixed octal integers, with an optional `L`.
/// One beyond `i64` becomes approximate, as it would overflow a long.
fn exact(i: &str) -> IResult<&str, Tok> {
    let mut hex = preceded(
        tag_no_case::<_, _, nom::error::Error<&str>>("0x"),
        hex_digit1,
    );
    if let Ok((rest, digits)) = hex.parse(i) {
        let (rest, _) = opt(one_of("lL")).parse(rest)?;
        return match i64::from_str_radix(digits, 16) {
            Ok(v) => Ok((rest, Tok::Long(v))),
            Err(_) => Err(nom::Err::Failure(nom::error::Error::new(
                i,
                nom::error::ErrorKind::HexDigit,
            ))),
        };
    }
    let (rest, digits) = digits1(i)?;
    // `15f`, `15d`: a whole number written as an approximate literal.
    if let Ok((after, _)) = one_of::<_, _, nom::error::Error<&str>>("fFdD").parse(rest) {
        if let Ok(d) = digits.parse::<f64>() {
            return Ok((after, Tok::Double(d)));
        }
    }
    let (rest, _) = opt(one_of("lL")).parse(rest)?;
    let value = if digits.len() > 1 && digits.starts_with('0') {
        i64::from_str_radix(&digits[1..], 8).ok()
    } else {
        digits.parse::<i64>().ok()
    };
    match value {
        Some(v) => Ok((rest, Tok::Long(v))),
        None => match digits.parse::<f64>() {
            Ok(d) if !(digits.len() > 1 && digits.starts_with('0')) => Ok((rest, Tok::Double(d))),
            _ => Err(nom::Err::Failure(nom::error::Error::new(
                i,
                nom::error::ErrorKind::Digit,
            ))),
        },
    }
}

fn operator(i: &str) -> IResult<&str, Tok> {
    let (i, op) = alt((
        tag("<>"),
        tag("<="),
        tag(">="),
        tag("="),
        tag("<"),
        tag(">"),
        tag("+"),
        tag("-"),
        tag("*"),
        tag("/"),
        tag("("),
        tag(")"),
        tag(","),
    ))
    .parse(i)?;
    // Map to 'static so tokens do not borrow the input.
    let op: &'static str = match op {
        "<>" => "<>",
        "<=" => "<=",
        ">=" => ">=",
        "=" => "=",
        "<" => "<",
        ">" => ">",
        "+" => "+",
        "-" => "-",
        "*" => "*",
        "/" => "/",
        "(" => "(",
        ")" => ")",
        _ => ",",
    };
    Ok((i, Tok::Op(op)))
}

fn token(i: &str) -> IResult<&str, Tok> {
    preceded(
        multispace0,
        alt((string_lit, approximate, exact, word, operator)),
    )
    .parse(i)
}

fn lex(text: &str) -> Result<Vec<Tok>, String> {
    let mut rest = text;
    let mut toks = Vec::new();
    loop {
        let (r, _) = multispace0::<&str, nom::error::Error<&str>>
            .parse(rest)
            .map_err(|_| "unreadable input".to_string())?;
        if r.is_empty() {
            return Ok(toks);
        }
        match token(r) {
            Ok((r, t)) => {
                toks.push(t);
                rest = r;
            }
            Err(_) => {
                let at = text.len() - r.len();
                let shown: String = r.chars().take(12).collect();
                return Err(format!("unexpected input at column {}: '{shown}'", at + 1));
            }
        }
    }
}

// ---- parser ------------------------------------------------------------

struct P {
    toks: Vec<Tok>,
    at: usize,
}

type R<T> = Result<T, String>;

impl P {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.at)
    }

    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.at).cloned();
        self.at += 1;
        t
    }

    fn eat_kw(&mut self, kw: Kw) -> bool {
        if self.peek() == Some(&Tok::Kw(kw)) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn eat_op(&mut self, op: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Op(o)) if *o == op) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn expect_op(&mut self, op: &str) -> R<()> {
        if self.eat_op(op) {
            Ok(())
        } else {
            Err(format!("expected '{op}' {}", self.where_()))
        }
    }

    fn where_(&self) -> String {
        match self.peek() {
            None => "at the end".to_string(),
            Some(t) => format!("before {}", show(t)),
        }
    }

    fn or(&mut self) -> R<Expr> {
        let mut left = self.and()?;
        while self.eat_kw(Kw::Or) {
            let right = self.and()?;
            left = Expr::Or(Box::new(boolean(left)?), Box::new(boolean(right)?));
        }
        Ok(left)
    }

    fn and(&mut self) -> R<Expr> {
        let mut left = self.not()?;
        while self.eat_kw(Kw::And) {
            let right = self.not()?;
            left = Expr::And(Box::new(boolean(left)?), Box::new(boolean(right)?));
        }
        Ok(left)
    }

    fn not(&mut self) -> R<Expr> {
        if self.eat_kw(Kw::Not) {
            let e = self.not()?;
            return Ok(Expr::Not(Box::new(boolean(e)?)));
        }
        self.compare()
    }

    fn compare(&mut self) -> R<Expr> {
        let left = self.sum()?;
        let cmp = match self.peek() {
            Some(Tok::Op("=")) => Some(Cmp::Eq),
            Some(Tok::Op("<>")) => Some(Cmp::Ne),
            Some(Tok::Op("<")) => Some(Cmp::Lt),
            Some(Tok::Op("<=")) => Some(Cmp::Le),
            Some(Tok::Op(">")) => Some(Cmp::Gt),
            Some(Tok::Op(">=")) => Some(Cmp::Ge),
            _ => None,
        };
        if let Some(cmp) = cmp {
            self.at += 1;
            let right = self.sum()?;
            return Ok(Expr::Cmp(cmp, Box::new(left), Box::new(right)));
        }
        if self.eat_kw(Kw::Is) {
            let negated = self.eat_kw(Kw::Not);
            if !self.eat_kw(Kw::Null) {
                return Err(format!("expected NULL after IS {}", self.where_()));
            }
            return Ok(Expr::IsNull {
                ident: ident_of(left, "IS NULL")?,
                negated,
            });
        }
        let negated = self.eat_kw(Kw::Not);
        if self.eat_kw(Kw::Between) {
            let low = self.sum()?;
            if !self.eat_kw(Kw::And) {
                return Err(format!("expected AND in BETWEEN {}", self.where_()));
            }
            let high = self.sum()?;
            return Ok(Expr::Between {
                expr: Box::new(arithmetic(left)?),
                low: Box::new(arithmetic(low)?),
                high: Box::new(arithmetic(high)?),
                negated,
            });
        }
        if self.eat_kw(Kw::In) {
            self.expect_op("(")?;
            let mut list = Vec::new();
            loop {
                match self.next() {
                    Some(Tok::Str(s)) => list.push(s),
                    other => {
                        return Err(format!(
                            "IN takes string literals, not {}",
                            other.as_ref().map_or("the end".to_string(), show)
                        ))
                    }
                }
                if self.eat_op(")") {
                    break;
                }
                self.expect_op(",")?;
            }
            return Ok(Expr::In {
                ident: ident_of(left, "IN")?,
                list,
                negated,
            });
        }
        if self.eat_kw(Kw::Like) {
            let Some(Tok::Str(pattern)) = self.next() else {
                return Err("LIKE takes a string literal pattern".into());
            };
            let escape = if self.eat_kw(Kw::Escape) {
                let Some(Tok::Str(e)) = self.next() else {
                    return Err("ESCAPE takes a string literal".into());
                };
                Some(e)
            } else {
                None
            };
            return Ok(Expr::Like {
                ident: ident_of(left, "LIKE")?,
                pattern: Pattern::compile(&pattern, escape.as_deref())?,
                negated,
            });
        }
        if negated {
            return Err(format!(
                "expected BETWEEN, IN or LIKE after NOT {}",
                self.where_()
            ));
        }
        Ok(left)
    }

    fn sum(&mut self) -> R<Expr> {
        let mut left = self.product()?;
        loop {
            let op = if self.eat_op("+") {
                Arith::Add
            } else if self.eat_op("-") {
                Arith::Sub
            } else {
                return Ok(left);
            };
            let right = self.product()?;
            left = Expr::Arith(
                op,
                Box::new(arithmetic(left)?),
                Box::new(arithmetic(right)?),
            );
        }
    }

    fn product(&mut self) -> R<Expr> {
        let mut left = self.unary()?;
        loop {
            let op = if self.eat_op("*") {
                Arith::Mul
            } else if self.eat_op("/") {
                Arith::Div
            } else {
                return Ok(left);
            };
            let right = self.unary()?;
            left = Expr::Arith(
                op,
                Box::new(arithmetic(left)?),
                Box::new(arithmetic(right)?),
            );
        }
    }

    fn unary(&mut self) -> R<Expr> {
        if self.eat_op("-") {
            let e = self.unary()?;
            return Ok(match e {
                Expr::Lit(Lit::Long(l)) => Expr::Lit(Lit::Long(-l)),
                Expr::Lit(Lit::Double(d)) => Expr::Lit(Lit::Double(-d)),
                e => Expr::Neg(Box::new(arithmetic(e)?)),
            });
        }
        if self.eat_op("+") {
            return arithmetic(self.unary()?);
        }
        self.primary()
    }

    fn primary(&mut self) -> R<Expr> {
        match self.next() {
            Some(Tok::Str(s)) => Ok(Expr::Lit(Lit::Str(s))),
            Some(Tok::Long(l)) => Ok(Expr::Lit(Lit::Long(l))),
            Some(Tok::Double(d)) => Ok(Expr::Lit(Lit::Double(d))),
            Some(Tok::Kw(Kw::True)) => Ok(Expr::Lit(Lit::Bool(true))),
            Some(Tok::Kw(Kw::False)) => Ok(Expr::Lit(Lit::Bool(false))),
            Some(Tok::Ident(name)) => Ok(Expr::Ident(name)),
            Some(Tok::Op("(")) => {
                let e = self.or()?;
                self.expect_op(")")?;
                Ok(e)
            }
            Some(t) => Err(format!("unexpected {}", show(&t))),
            None => Err("unexpected end of selector".into()),
        }
    }
}

fn show(t: &Tok) -> String {
    match t {
        Tok::Ident(s) => format!("identifier {s}"),
        Tok::Str(s) => format!("'{s}'"),
        Tok::Long(l) => l.to_string(),
        Tok::Double(d) => d.to_string(),
        Tok::Kw(k) => format!("{k:?}").to_uppercase(),
        Tok::Op(o) => format!("'{o}'"),
    }
}

fn boolean(e: Expr) -> R<Expr> {
    if e.is_boolean() {
        Ok(e)
    } else {
        Err("expected a boolean expression".into())
    }
}

fn arithmetic(e: Expr) -> R<Expr> {
    if e.is_arithmetic() {
        Ok(e)
    } else {
        Err("expected a numeric expression".into())
    }
}

fn ident_of(e: Expr, what: &str) -> R<String> {
    match e {
        Expr::Ident(name) => Ok(name),
        _ => Err(format!("{what} applies to an identifier")),
    }
}

/// Parses a whole selector.
///
/// # Errors
/// A message saying what is wrong and where.
pub fn parse(text: &str) -> Result<Expr, String> {
    let toks = lex(text)?;
    if toks.is_empty() {
        return Err("empty selector".into());
    }
    let mut p = P { toks, at: 0 };
    let e = p.or()?;
    if p.at < p.toks.len() {
        return Err(format!("unexpected {}", show(&p.toks[p.at])));
    }
    boolean(e)
}

//! Selector text to [`Expr`]: a nom lexer turns the text into tokens as
//! ActiveMQ's JavaCC grammar (`SelectorParser.jj`) defines them, and a
//! recursive-descent parser follows that grammar rule for rule, with the
//! same checks at the same places, so that a selector ActiveMQ refuses is
//! refused here and one it takes means the same:
//!
//! ```text
//! selector   := or                              (must be boolean)
//! or         := and { OR and }
//! and        := equality { AND equality }
//! equality   := compare { = compare | <> compare | IS [NOT] NULL }
//! compare    := sum { (< | <= | > | >=) sum
//!                   | [NOT] LIKE 'pattern' [ESCAPE 'c']
//!                   | [NOT] BETWEEN sum AND sum
//!                   | [NOT] IN ( 'str' {, 'str'} ) }
//! sum        := product { (+ | -) product }
//! product    := unary { (* | / | %) unary }
//! unary      := + unary | - unary | NOT unary | primary
//! primary    := literal | identifier | ( or )
//! ```
//!
//! Note what follows from it, as in ActiveMQ: `NOT` binds tighter than any
//! comparison (`NOT a = 1` is `(NOT a) = 1`; write `NOT (a = 1)`), and `=`
//! looser than `<` and `LIKE`. Comments (`-- …` to a line end, `/* … */`)
//! are skipped.

use nom::branch::alt;
use nom::bytes::complete::{is_not, tag, tag_no_case, take_while, take_while1};
use nom::character::complete::{char, hex_digit1, one_of};
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
    Num(Lit),
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
    XPath,
    XQuery,
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
    ("XPATH", Kw::XPath),
    ("XQUERY", Kw::XQuery),
];

type NomError<'a> = nom::error::Error<&'a str>;

fn fail<T>(i: &str) -> IResult<&str, T> {
    Err(nom::Err::Failure(nom::error::Error::new(
        i,
        nom::error::ErrorKind::Verify,
    )))
}

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

/// Identifiers and keywords: ASCII letters, digits, `_` and `$`, not
/// starting with a digit (ActiveMQ's `ID` token; keywords in any case).
fn word(i: &str) -> IResult<&str, Tok> {
    let (i, w) = recognize(pair(
        take_while1(|c: char| c.is_ascii_alphabetic() || c == '_' || c == '$'),
        take_while(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == '$'),
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

/// `1.5`, `1.`, `.5`, `1e3`, `1.5E-3`: a double (no `f`/`d` suffix, as in
/// ActiveMQ's grammar).
fn floating(i: &str) -> IResult<&str, Tok> {
    let (rest, text) = alt((
        recognize((digits1, char('.'), digits0, opt(exponent))),
        recognize((char('.'), digits1, opt(exponent))),
        recognize((digits1, exponent)),
    ))
    .parse(i)?;
    match text.parse::<f64>() {
        Ok(d) => Ok((rest, Tok::Num(Lit::Double(d)))),
        Err(_) => fail(i),
    }
}

/// A whole number typed as ActiveMQ types it: an int when it fits 32 bits,
/// else a long; beyond a long, what Java's BigDecimal.longValue() makes of
/// it (an int when its low 64 bits fit 32, else a BigDecimal).
fn whole(v: i128) -> Lit {
    if let Ok(i) = i32::try_from(v) {
        Lit::Int(i)
    } else if let Ok(l) = i64::try_from(v) {
        Lit::Long(l)
    } else if i32::try_from(v as i64).is_ok() {
        Lit::Int(v as i32)
    } else {
        Lit::Big(v)
    }
}

/// `0x1F` (no suffix), `017` (octal; `0` itself), `42`, `42L`.
fn integer(i: &str) -> IResult<&str, Tok> {
    if let Ok((rest, digits)) = preceded(tag_no_case::<_, _, NomError>("0x"), hex_digit1).parse(i) {
        return match i64::from_str_radix(digits, 16) {
            Ok(v) => Ok((rest, Tok::Num(whole(i128::from(v))))),
            Err(_) => fail(i),
        };
    }
    if let Ok((rest, octal)) = preceded(
        char::<_, NomError>('0'),
        take_while(|c: char| ('0'..='7').contains(&c)),
    )
    .parse(i)
    {
        return match i64::from_str_radix(if octal.is_empty() { "0" } else { octal }, 8) {
            Ok(v) => Ok((rest, Tok::Num(whole(i128::from(v))))),
            Err(_) => fail(i),
        };
    }
    let (rest, digits) = digits1(i)?;
    let (rest, _) = opt(one_of("lL")).parse(rest)?;
    match digits.parse::<i128>() {
        Ok(v) => Ok((rest, Tok::Num(whole(v)))),
        Err(_) => fail(i),
    }
}

fn operator(i: &str) -> IResult<&str, Tok> {
    const OPS: &[&str] = &[
        "<>", "<=", ">=", "=", "<", ">", "+", "-", "*", "/", "%", "(", ")", ",",
    ];
    match OPS.iter().find(|op| i.starts_with(**op)) {
        Some(op) => Ok((&i[op.len()..], Tok::Op(op))),
        None => Err(nom::Err::Error(nom::error::Error::new(
            i,
            nom::error::ErrorKind::Tag,
        ))),
    }
}

/// Skips whitespace and comments: `--` up to and including a line end
/// (without one it is two minus signs, as in ActiveMQ), `/* … */`.
fn skip_blank(mut i: &str) -> &str {
    loop {
        let trimmed = i.trim_start_matches([' ', '\t', '\n', '\r', '\u{c}']);
        if let Some(rest) = trimmed.strip_prefix("--") {
            if let Some(end) = rest.find(['\n', '\r']) {
                i = &rest[end + 1..];
                continue;
            }
        }
        if let Some(rest) = trimmed.strip_prefix("/*") {
            if let Some(end) = rest.find("*/") {
                i = &rest[end + 2..];
                continue;
            }
        }
        return trimmed;
    }
}

fn lex(text: &str) -> Result<Vec<Tok>, String> {
    let mut rest = skip_blank(text);
    let mut toks = Vec::new();
    while !rest.is_empty() {
        match alt((string_lit, floating, integer, word, operator)).parse(rest) {
            Ok((r, t)) => {
                toks.push(t);
                rest = skip_blank(r);
            }
            Err(_) => {
                let at = text.len() - rest.len();
                let shown: String = rest.chars().take(12).collect();
                return Err(format!("unexpected input at column {}: '{shown}'", at + 1));
            }
        }
    }
    Ok(toks)
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

    fn peek2(&self) -> Option<&Tok> {
        self.toks.get(self.at + 1)
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

    /// `NOT` followed by `kw` (ActiveMQ's LOOKAHEAD(2) for NOT LIKE, NOT
    /// BETWEEN, NOT IN): both eaten, or neither.
    fn eat_not(&mut self, kw: Kw) -> bool {
        if self.peek() == Some(&Tok::Kw(Kw::Not)) && self.peek2() == Some(&Tok::Kw(kw)) {
            self.at += 2;
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

    fn expect_kw(&mut self, kw: Kw) -> R<()> {
        if self.eat_kw(kw) {
            Ok(())
        } else {
            Err(format!("expected {kw:?} {}", self.where_()).to_uppercase())
        }
    }

    fn string(&mut self, what: &str) -> R<String> {
        match self.next() {
            Some(Tok::Str(s)) => Ok(s),
            other => Err(format!(
                "{what} takes a string literal, not {}",
                other.as_ref().map_or("the end".to_string(), show)
            )),
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
        let mut left = self.equality()?;
        while self.eat_kw(Kw::And) {
            let right = self.equality()?;
            left = Expr::And(Box::new(boolean(left)?), Box::new(boolean(right)?));
        }
        Ok(left)
    }

    fn equality(&mut self) -> R<Expr> {
        let mut left = self.compare()?;
        loop {
            if self.eat_op("=") {
                left = equal(left, self.compare()?)?;
            } else if self.eat_op("<>") {
                left = Expr::Not(Box::new(equal(left, self.compare()?)?));
            } else if self.peek() == Some(&Tok::Kw(Kw::Is)) {
                self.at += 1;
                let negated = self.eat_kw(Kw::Not);
                self.expect_kw(Kw::Null)?;
                let is_null = Expr::Eq(Box::new(left), Box::new(Expr::Lit(Lit::Null)));
                left = if negated {
                    Expr::Not(Box::new(is_null))
                } else {
                    is_null
                };
            } else {
                return Ok(left);
            }
        }
    }

    fn compare(&mut self) -> R<Expr> {
        let mut left = self.sum()?;
        loop {
            let cmp = match self.peek() {
                Some(Tok::Op("<")) => Some(Cmp::Lt),
                Some(Tok::Op("<=")) => Some(Cmp::Le),
                Some(Tok::Op(">")) => Some(Cmp::Gt),
                Some(Tok::Op(">=")) => Some(Cmp::Ge),
                _ => None,
            };
            if let Some(cmp) = cmp {
                self.at += 1;
                left = ordering(cmp, left, self.sum()?)?;
            } else if self.eat_kw(Kw::Like) {
                left = self.like(left)?;
            } else if self.eat_not(Kw::Like) {
                left = Expr::Not(Box::new(self.like(left)?));
            } else if self.eat_kw(Kw::Between) {
                let (low, high) = self.range()?;
                left = Expr::And(
                    Box::new(ordering(Cmp::Ge, left.clone(), low)?),
                    Box::new(ordering(Cmp::Le, left, high)?),
                );
            } else if self.eat_not(Kw::Between) {
                let (low, high) = self.range()?;
                left = Expr::Or(
                    Box::new(ordering(Cmp::Lt, left.clone(), low)?),
                    Box::new(ordering(Cmp::Gt, left, high)?),
                );
            } else if self.eat_kw(Kw::In) {
                left = self.in_list(left, false)?;
            } else if self.eat_not(Kw::In) {
                left = self.in_list(left, true)?;
            } else {
                return Ok(left);
            }
        }
    }

    fn like(&mut self, expr: Expr) -> R<Expr> {
        let pattern = self.string("LIKE")?;
        let escape = if self.eat_kw(Kw::Escape) {
            Some(self.string("ESCAPE")?)
        } else {
            None
        };
        Ok(Expr::Like {
            expr: Box::new(expr),
            pattern: Pattern::compile(&pattern, escape.as_deref())?,
        })
    }

    fn range(&mut self) -> R<(Expr, Expr)> {
        let low = self.sum()?;
        self.expect_kw(Kw::And)?;
        Ok((low, self.sum()?))
    }

    fn in_list(&mut self, left: Expr, negated: bool) -> R<Expr> {
        self.expect_op("(")?;
        let mut list = vec![self.string("IN")?];
        while self.eat_op(",") {
            list.push(self.string("IN")?);
        }
        self.expect_op(")")?;
        match left {
            Expr::Ident(ident) => Ok(Expr::In {
                ident,
                list,
                negated,
            }),
            _ => Err("IN applies to an identifier".into()),
        }
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
            left = Expr::Arith(op, Box::new(left), Box::new(self.product()?));
        }
    }

    fn product(&mut self) -> R<Expr> {
        let mut left = self.unary()?;
        loop {
            let op = if self.eat_op("*") {
                Arith::Mul
            } else if self.eat_op("/") {
                Arith::Div
            } else if self.eat_op("%") {
                Arith::Mod
            } else {
                return Ok(left);
            };
            left = Expr::Arith(op, Box::new(left), Box::new(self.unary()?));
        }
    }

    fn unary(&mut self) -> R<Expr> {
        if self.eat_op("+") {
            return self.unary();
        }
        if self.eat_op("-") {
            return Ok(Expr::Neg(Box::new(self.unary()?)));
        }
        if self.eat_kw(Kw::Not) {
            return Ok(Expr::Not(Box::new(boolean(self.unary()?)?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> R<Expr> {
        match self.next() {
            Some(Tok::Str(s)) => Ok(Expr::Lit(Lit::Str(s))),
            Some(Tok::Num(n)) => Ok(Expr::Lit(n)),
            Some(Tok::Kw(Kw::True)) => Ok(Expr::Lit(Lit::Bool(true))),
            Some(Tok::Kw(Kw::False)) => Ok(Expr::Lit(Lit::Bool(false))),
            Some(Tok::Kw(Kw::Null)) => Ok(Expr::Lit(Lit::Null)),
            Some(Tok::Kw(Kw::XPath | Kw::XQuery)) => {
                Err("XPATH and XQUERY selectors are not supported".into())
            }
            Some(Tok::Ident(name)) => {
                if self.peek() == Some(&Tok::Op("(")) {
                    return Err(format!("function calls ({name}(…)) are not supported"));
                }
                Ok(Expr::Ident(name))
            }
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
        Tok::Num(n) => format!("{n:?}"),
        Tok::Kw(k) => format!("{k:?}").to_uppercase(),
        Tok::Op(o) => format!("'{o}'"),
    }
}

/// What AND, OR, NOT and the whole selector take (ActiveMQ's
/// asBooleanExpression): a boolean expression, or an identifier cast to one.
fn boolean(e: Expr) -> R<Expr> {
    match e {
        Expr::Ident(_) => Ok(Expr::BoolCast(Box::new(e))),
        e if e.is_boolean() => Ok(e),
        _ => Err("expression will not result in a boolean value".into()),
    }
}

/// `=` (and `<>`): not with a NULL literal, and not a TRUE/FALSE literal
/// on the left of another literal that is not boolean (`TRUE = 1`).
fn equal(left: Expr, right: Expr) -> R<Expr> {
    for side in [&left, &right] {
        if *side == Expr::Lit(Lit::Null) {
            return Err("NULL cannot be compared with '='; use IS NULL".into());
        }
    }
    if matches!(left, Expr::Lit(Lit::Bool(_))) && right.is_literal() && !right.is_boolean() {
        return Err("a boolean literal cannot be compared with a literal of another type".into());
    }
    Ok(Expr::Eq(Box::new(left), Box::new(right)))
}

/// `<`, `<=`, `>`, `>=` (and BETWEEN): not on string, boolean or NULL
/// literals, nor on boolean expressions.
fn ordering(cmp: Cmp, left: Expr, right: Expr) -> R<Expr> {
    for side in [&left, &right] {
        let comparable = match side {
            Expr::Lit(lit) => matches!(
                lit,
                Lit::Int(_) | Lit::Long(_) | Lit::Big(_) | Lit::Double(_)
            ),
            e => !e.is_boolean(),
        };
        if !comparable {
            return Err("value cannot be compared with <, <=, > or >=".into());
        }
    }
    Ok(Expr::Cmp(cmp, Box::new(left), Box::new(right)))
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

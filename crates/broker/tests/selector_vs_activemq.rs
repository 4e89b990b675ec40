//! JMS selectors: Ferrum's choice against ActiveMQ 5.17.2's, for the same
//! selector and the same message.
//!
//! The reference is ActiveMQ's own selector code: `SelectorOracle.java`
//! (in `interop-tests/java`, compiled here against the Debian package's
//! activemq-client jar) reads cases on stdin and answers what ActiveMQ's
//! `SelectorParser` and filter classes decide. Ferrum's answer comes from
//! the selector crate evaluated over the broker's own [`SelectorView`] of a
//! core message, so JMS header identifiers are covered too.
//!
//! - `generated_selectors_choose_as_activemq_does` generates selectors and
//!   messages (proptest, a fixed seed so CI is repeatable;
//!   `SELECTOR_DIFF_RANDOM=1` for fresh ones, `SELECTOR_DIFF_CASES=N` for
//!   more) and fails on the first case where the two differ, printed as a
//!   line for `selector_cases.tsv`.
//! - `committed_cases_choose_as_activemq_decided` runs the committed cases
//!   (`tests/selector_cases.tsv`, each found by the generator or written
//!   for a rule) against Ferrum alone, and
//!   `committed_cases_are_what_activemq_decides` checks their expected
//!   answers against ActiveMQ again. The interop suite replays the same
//!   file over STOMP and OpenWire against a running broker.
//!
//! Needs `javac` and /usr/share/java/activemq-client.jar (Debian's
//! libactivemq-java; `interop-tests/test-all.sh` installs both).

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};

use broker::destination::Destination;
use broker::message::{Body, Message, MessageId, Value};
use broker::SelectorView;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

/// A selector and a message, in the oracle's line format: the selector,
/// then `KIND:NAME=VALUE` fields, tab-separated (see SelectorOracle.java).
#[derive(Clone, Debug)]
struct Case {
    selector: String,
    fields: Vec<String>,
}

impl Case {
    fn line(&self) -> String {
        std::iter::once(self.selector.as_str())
            .chain(self.fields.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join("\t")
    }

    fn parse(line: &str) -> Case {
        let mut parts = line.split('\t');
        let selector = parts.next().unwrap_or_default().to_string();
        Case {
            selector,
            fields: parts.map(str::to_string).collect(),
        }
    }

    /// The same case as a STOMP client meets it: ActiveMQ's STOMP layer
    /// prefixes the subscription's selector with
    /// `convert_string_expressions:`, and every property arrives as text.
    fn as_stomp(&self) -> Case {
        // Always, as ActiveMQ does: a STOMP selector that has the prefix
        // already gets a second one (and no longer parses).
        let selector = format!("{}{}", selector::CONVERT_STRING_EXPRESSIONS, self.selector);
        Case {
            selector,
            fields: self
                .fields
                .iter()
                .map(|f| match f.split_at(1) {
                    ("H", _) => f.clone(),
                    (_, rest) => format!("s{rest}"),
                })
                .collect(),
        }
    }

    /// The message as the core holds it; the redelivery count of the
    /// delivery being matched.
    fn message(&self) -> (Message, u32) {
        let mut m = Message::new(
            MessageId::from("ID:oracle-1-1-1:1:1:1"),
            Destination::queue("oracle"),
            Body::Text(Arc::from("")),
        );
        m.persistent = true;
        let mut redeliveries = 0;
        for f in &self.fields {
            let kind = f.chars().next().unwrap_or('?');
            let (name, v) = f[2..].split_once('=').expect("KIND:NAME=VALUE");
            let value = match kind {
                's' => Value::String(Arc::from(v)),
                'z' => Value::Bool(v == "true"),
                'y' => Value::Byte(v.parse().expect("byte")),
                'h' => Value::Short(v.parse().expect("short")),
                'i' => Value::Int(v.parse().expect("int")),
                'l' => Value::Long(v.parse().expect("long")),
                'f' => Value::Float(v.parse().expect("float")),
                'd' => Value::Double(v.parse().expect("double")),
                'H' => {
                    match name {
                        "type" => m.message_type = Some(Arc::from(v)),
                        "correlation" => m.correlation_id = Some(Arc::from(v)),
                        "priority" => m.priority = v.parse().expect("priority"),
                        "persistent" => m.persistent = v == "true",
                        "redeliveries" => redeliveries = v.parse().expect("redeliveries"),
                        "timestamp" => m.timestamp = v.parse().expect("timestamp"),
                        "expiration" => m.expiration = v.parse().expect("expiration"),
                        "replyto" => m.reply_to = Some(Destination::queue(v)),
                        "group" => m
                            .properties
                            .push((Arc::from("JMSXGroupID"), Value::String(Arc::from(v)))),
                        "groupseq" => m.properties.push((
                            Arc::from("JMSXGroupSeq"),
                            Value::Int(v.parse().expect("groupseq")),
                        )),
                        other => panic!("unknown header {other}"),
                    }
                    continue;
                }
                other => panic!("unknown field kind {other}"),
            };
            m.properties.push((Arc::from(name), value));
        }
        (m, redeliveries)
    }

    /// Ferrum's answer: `1` selected, `0` not, `P` does not parse.
    fn ferrum(&self) -> char {
        match selector::Selector::parse(&self.selector) {
            Err(_) => 'P',
            Ok(s) => {
                let (message, redelivery_count) = self.message();
                let view = SelectorView {
                    message: &message,
                    redelivery_count,
                };
                if s.matches(&view) {
                    '1'
                } else {
                    '0'
                }
            }
        }
    }
}

/// Whether Ferrum's answer is ActiveMQ's. An evaluation that throws in
/// ActiveMQ (`X`) selects nothing: Ferrum's `0`.
fn agree(ferrum: char, activemq: &str) -> bool {
    match activemq.chars().next() {
        Some('X') => ferrum == '0',
        Some(c) => c == ferrum,
        None => false,
    }
}

// ---- the oracle: ActiveMQ's selector code in a JVM ------------------------

struct Oracle {
    _child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Oracle {
    fn start() -> Oracle {
        let source = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../interop-tests/java/SelectorOracle.java");
        let classes = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("selector-oracle");
        // Only what ActiveMQ's selector code needs (the whole folder brings
        // several logging bindings, each complaining on stderr).
        let jars = [
            "activemq-client",
            "geronimo-jms_1.1_spec",
            "hawtbuf",
            "slf4j-api",
            "slf4j-nop",
        ]
        .map(|j| format!("/usr/share/java/{j}.jar"))
        .join(":");
        assert!(
            Path::new("/usr/share/java/activemq-client.jar").exists(),
            "needs ActiveMQ's client jar: apt-get install libactivemq-java \
             (interop-tests/test-all.sh installs it)"
        );
        let built = Command::new("javac")
            .args(["-nowarn", "-cp", &jars, "-d"])
            .arg(&classes)
            .arg(&source)
            .status()
            .expect("javac (default-jdk-headless; interop-tests/test-all.sh installs it)");
        assert!(built.success(), "javac SelectorOracle.java failed");
        let mut child = Command::new("java")
            .arg("-cp")
            .arg(format!("{}:{jars}", classes.display()))
            .arg("SelectorOracle")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("java");
        let stdin = child.stdin.take().expect("piped stdin");
        let stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        Oracle {
            _child: child,
            stdin,
            stdout,
        }
    }

    fn ask(&mut self, case: &Case) -> String {
        writeln!(self.stdin, "{}", case.line()).expect("oracle stdin");
        self.stdin.flush().expect("oracle stdin");
        let mut answer = String::new();
        self.stdout.read_line(&mut answer).expect("oracle stdout");
        assert!(!answer.is_empty(), "the oracle JVM exited");
        answer.trim_end().to_string()
    }
}

fn oracle() -> std::sync::MutexGuard<'static, Oracle> {
    static ORACLE: OnceLock<Mutex<Oracle>> = OnceLock::new();
    ORACLE
        .get_or_init(|| Mutex::new(Oracle::start()))
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

// ---- the committed cases -----------------------------------------------

/// A committed case: ActiveMQ's answers for it as given (OpenWire, typed
/// properties) and as a STOMP client meets it ([`Case::as_stomp`]).
struct Committed {
    openwire: String,
    stomp: String,
    case: Case,
}

/// `tests/selector_cases.tsv`: the two answers and the case,
/// tab-separated. `#` lines say what the cases below them are about.
fn committed() -> Vec<Committed> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/selector_cases.tsv");
    let text = std::fs::read_to_string(&path).expect("selector_cases.tsv");
    text.lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let mut parts = l.splitn(3, '\t');
            let mut next = || {
                parts
                    .next()
                    .expect("OPENWIRE<TAB>STOMP<TAB>case")
                    .to_string()
            };
            let (openwire, stomp, case) = (next(), next(), next());
            Committed {
                openwire,
                stomp,
                case: Case::parse(&case),
            }
        })
        .collect()
}

#[test]
fn committed_cases_choose_as_activemq_decided() {
    let mut wrong = Vec::new();
    for c in committed() {
        for (expected, case, how) in [
            (&c.openwire, c.case.clone(), "typed"),
            (&c.stomp, c.case.as_stomp(), "as STOMP"),
        ] {
            if !agree(case.ferrum(), expected) {
                wrong.push(format!(
                    "{how}: ActiveMQ {expected}, Ferrum {}: {}",
                    case.ferrum(),
                    case.line()
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn committed_cases_are_what_activemq_decides() {
    let mut oracle = oracle();
    let mut wrong = Vec::new();
    for c in committed() {
        for (expected, case) in [(&c.openwire, c.case.clone()), (&c.stomp, c.case.as_stomp())] {
            let answer = oracle.ask(&case);
            if answer.chars().next() != expected.chars().next() {
                wrong.push(format!(
                    "file says {expected}, ActiveMQ {answer}: {}",
                    case.line()
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

// ---- generated cases ---------------------------------------------------

#[test]
fn generated_selectors_choose_as_activemq_does() {
    let cases: usize = std::env::var("SELECTOR_DIFF_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(3000);
    let mut runner = if std::env::var_os("SELECTOR_DIFF_RANDOM").is_some() {
        TestRunner::new(Config::default())
    } else {
        TestRunner::new_with_rng(
            Config::default(),
            TestRng::deterministic_rng(RngAlgorithm::ChaCha),
        )
    };
    // Every difference, not only the first: one run shows each rule that
    // differs (proptest's shrinking would stop at one).
    let strategy = gen::case();
    let mut oracle = oracle();
    let mut differ = Vec::new();
    for _ in 0..cases {
        let case = strategy
            .new_tree(&mut runner)
            .expect("a generated case")
            .current();
        let answer = oracle.ask(&case);
        let ours = case.ferrum();
        if !agree(ours, &answer) {
            differ.push(format!(
                "{}    (Ferrum {ours}; ActiveMQ {answer})",
                case.line()
            ));
        }
    }
    assert!(
        differ.is_empty(),
        "{} of {cases} cases differ (commit each rule's case to selector_cases.tsv):\n{}",
        differ.len(),
        differ
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// Selectors over every part of the language, and messages whose fields
/// `a`..`e` take every property type, with the values where rules change
/// (zero, signs, int/long limits, NaN, strings that look like numbers).
mod gen {
    use super::Case;
    use proptest::prelude::*;

    fn pick(options: &'static [&'static str]) -> BoxedStrategy<String> {
        proptest::sample::select(options)
            .prop_map(str::to_string)
            .boxed()
    }

    /// A keyword in one of the cases a person might write it in.
    fn kw(word: &'static str) -> BoxedStrategy<String> {
        prop_oneof![
            Just(word.to_string()),
            Just(word.to_lowercase()),
            Just(format!("{}{}", &word[..1], word[1..].to_lowercase())),
        ]
        .boxed()
    }

    fn not_() -> BoxedStrategy<String> {
        prop_oneof![3 => Just(String::new()), 1 => kw("NOT").prop_map(|k| k + " ")].boxed()
    }

    const IDENTS: &[&str] = &["a", "b", "c", "d", "e", "m"];
    const NUM_HEADERS: &[&str] = &[
        "JMSPriority",
        "JMSXDeliveryCount",
        "JMSXGroupSeq",
        "JMSTimestamp",
        "JMSExpiration",
    ];
    const STR_HEADERS: &[&str] = &[
        "JMSType",
        "JMSCorrelationID",
        "JMSDeliveryMode",
        "JMSXGroupID",
        "JMSMessageID",
        "JMSReplyTo",
        "JMSDestination",
    ];
    const INTS: &[&str] = &[
        "0",
        "1",
        "2",
        "3",
        "7L",
        "0x1F",
        "017",
        "2147483647",
        "2147483648",
        "9223372036854775807",
        "10",
    ];
    const DECIMALS: &[&str] = &[
        "1.5", ".5", "1.", "1e3", "1.5E-2", "5E10", "0.0", "2.0", "3.14159", "1.0",
    ];
    const STRINGS: &[&str] = &[
        "''",
        "'abc'",
        "'a''b'",
        "'1'",
        "'2'",
        "'1.5'",
        "'true'",
        "'TRUE'",
        "'abcd'",
        "'PERSISTENT'",
        "'queue://oracle'",
        "'g'",
    ];
    const PATTERNS: &[&str] = &[
        "'abc'", "'a%'", "'%c'", "'_bc'", "'a_c'", "'%'", "''", "'a!%'", "'a!_c'", "'ab!!'",
        "'%b%'", "'a.c'", "'a*'", "'1%'",
    ];

    fn num_atom() -> BoxedStrategy<String> {
        prop_oneof![
            3 => pick(IDENTS),
            1 => pick(NUM_HEADERS),
            2 => pick(INTS),
            2 => pick(DECIMALS),
        ]
        .boxed()
    }

    fn num() -> BoxedStrategy<String> {
        num_atom()
            .prop_recursive(3, 12, 2, |inner| {
                prop_oneof![
                    (
                        inner.clone(),
                        pick(&["+", "-", "*", "/", "%"]),
                        inner.clone()
                    )
                        .prop_map(|(l, op, r)| format!("{l} {op} {r}")),
                    inner.clone().prop_map(|e| format!("-{e}")),
                    inner.clone().prop_map(|e| format!("+{e}")),
                    inner.prop_map(|e| format!("({e})")),
                ]
            })
            .boxed()
    }

    fn text() -> BoxedStrategy<String> {
        prop_oneof![
            2 => pick(IDENTS),
            2 => pick(STR_HEADERS),
            3 => pick(STRINGS),
            1 => (pick(STRINGS), num_atom()).prop_map(|(s, n)| format!("{s} + {n}")),
        ]
        .boxed()
    }

    fn any_value() -> BoxedStrategy<String> {
        prop_oneof![
            3 => num(),
            2 => text(),
            1 => pick(&["TRUE", "FALSE", "e", "JMSRedelivered"]),
        ]
        .boxed()
    }

    fn predicate() -> BoxedStrategy<String> {
        let cmp = pick(&["=", "<>", "<", "<=", ">", ">="]);
        prop_oneof![
            3 => (num(), cmp.clone(), num()).prop_map(|(l, op, r)| format!("{l} {op} {r}")),
            2 => (text(), pick(&["=", "<>"]), text()).prop_map(|(l, op, r)| format!("{l} {op} {r}")),
            2 => (any_value(), cmp, any_value()).prop_map(|(l, op, r)| format!("{l} {op} {r}")),
            2 => (any_value(), not_(), kw("BETWEEN"), any_value(), kw("AND"), any_value())
                .prop_map(|(e, n, b, lo, a, hi)| format!("{e} {n}{b} {lo} {a} {hi}")),
            2 => (
                prop_oneof![pick(IDENTS), pick(STR_HEADERS)],
                not_(),
                kw("IN"),
                proptest::collection::vec(pick(STRINGS), 1..4)
            )
                .prop_map(|(i, n, k, list)| format!("{i} {n}{k} ({})", list.join(", "))),
            2 => (
                text(),
                not_(),
                kw("LIKE"),
                pick(PATTERNS),
                prop_oneof![2 => Just(String::new()), 1 => pick(&[" ESCAPE '!'", " escape '!'", " ESCAPE 'b'"])]
            )
                .prop_map(|(e, n, k, p, esc)| format!("{e} {n}{k} {p}{esc}")),
            2 => (any_value(), kw("IS"), not_(), kw("NULL"))
                .prop_map(|(e, i, n, k)| format!("{e} {i} {n}{k}")),
            1 => pick(&["TRUE", "FALSE", "NULL", "e", "a", "d", "m", "JMSRedelivered"]),
        ]
        .boxed()
    }

    fn selector() -> BoxedStrategy<String> {
        predicate()
            .prop_recursive(3, 16, 2, |inner| {
                prop_oneof![
                    (inner.clone(), kw("AND"), inner.clone())
                        .prop_map(|(l, k, r)| format!("{l} {k} {r}")),
                    (inner.clone(), kw("OR"), inner.clone())
                        .prop_map(|(l, k, r)| format!("{l} {k} {r}")),
                    (kw("NOT"), inner.clone()).prop_map(|(k, e)| format!("{k} {e}")),
                    inner.prop_map(|e| format!("({e})")),
                ]
            })
            .boxed()
    }

    fn property(name: &'static str) -> BoxedStrategy<Option<String>> {
        let value = prop_oneof![
            pick(&[
                "", "abc", "1", "2", "1.5", "true", "TRUE", "abcd", "a'b", "-1", " 1", "1e3",
                "NaN", "a%c", "a_c", "ab!"
            ])
            .prop_map(|v| format!("s:{{}}={v}")),
            pick(&["true", "false"]).prop_map(|v| format!("z:{{}}={v}")),
            pick(&["0", "1", "-1", "127", "-128", "2"]).prop_map(|v| format!("y:{{}}={v}")),
            pick(&["0", "1", "2", "-1", "32767"]).prop_map(|v| format!("h:{{}}={v}")),
            pick(&["0", "1", "2", "3", "-1", "2147483647", "-2147483648", "10"])
                .prop_map(|v| format!("i:{{}}={v}")),
            pick(&[
                "0",
                "1",
                "2",
                "-1",
                "2147483648",
                "9223372036854775807",
                "-9223372036854775808"
            ])
            .prop_map(|v| format!("l:{{}}={v}")),
            pick(&["0.0", "1.0", "1.5", "-0.0", "NaN", "Infinity", "0.1", "2.0"])
                .prop_map(|v| format!("f:{{}}={v}")),
            pick(&[
                "0.0",
                "1.0",
                "1.5",
                "-0.0",
                "NaN",
                "-Infinity",
                "0.1",
                "3.14159",
                "1e300"
            ])
            .prop_map(|v| format!("d:{{}}={v}")),
        ];
        proptest::option::weighted(0.85, value)
            .prop_map(move |f| f.map(|f| f.replacen("{}", name, 1)))
            .boxed()
    }

    fn headers() -> BoxedStrategy<Vec<String>> {
        (
            proptest::option::of(pick(&["abc", "1", "TRUE"])),
            proptest::option::of(pick(&["abc", "2"])),
            0..10u8,
            any::<bool>(),
            proptest::option::weighted(0.3, 1..3u8),
            pick(&["0", "1000", "1700000000000"]),
            pick(&["0", "1700000000000"]),
            proptest::option::weighted(0.2, Just("r")),
            proptest::option::weighted(0.3, Just("g")),
            proptest::option::weighted(0.3, pick(&["0", "1", "-1"])),
        )
            .prop_map(
                |(ty, corr, prio, pers, redel, ts, exp, reply, group, seq)| {
                    let mut h = vec![
                        format!("H:priority={prio}"),
                        format!("H:persistent={pers}"),
                        format!("H:timestamp={ts}"),
                        format!("H:expiration={exp}"),
                    ];
                    h.extend(ty.map(|v| format!("H:type={v}")));
                    h.extend(corr.map(|v| format!("H:correlation={v}")));
                    h.extend(redel.map(|v| format!("H:redeliveries={v}")));
                    h.extend(reply.map(|v| format!("H:replyto={v}")));
                    h.extend(group.map(|v| format!("H:group={v}")));
                    h.extend(seq.map(|v| format!("H:groupseq={v}")));
                    h
                },
            )
            .boxed()
    }

    pub fn case() -> impl Strategy<Value = Case> {
        (
            proptest::option::weighted(0.2, Just("convert_string_expressions:")),
            selector(),
            property("a"),
            property("b"),
            property("c"),
            property("d"),
            property("e"),
            headers(),
        )
            .prop_map(|(prefix, selector, a, b, c, d, e, headers)| Case {
                selector: format!("{}{selector}", prefix.unwrap_or_default()),
                fields: [a, b, c, d, e]
                    .into_iter()
                    .flatten()
                    .chain(headers)
                    .collect(),
            })
    }
}

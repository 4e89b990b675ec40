//! Why a networkConnector URI or option was refused.

/// Why a networkConnector URI or option was refused. Messages name the
/// offending option, value or URI (passwords in a URI are masked).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// No option has this name.
    #[error("unknown networkConnector option `{name}`{}", did_you_mean(.suggestion))]
    UnknownOption {
        /// The name as written.
        name: String,
        /// A known name equal to it but for case.
        suggestion: Option<&'static str>,
    },
    /// The option exists; its value does not fit.
    #[error("bad value `{value}` for networkConnector option `{name}`: expected {expected}")]
    BadValue {
        /// The option's name as written.
        name: String,
        /// The value as written.
        value: String,
        /// What would have been accepted.
        expected: String,
    },
    /// The URI itself is malformed.
    #[error("bad networkConnector URI `{uri}`: {problem}")]
    BadUri {
        /// The URI as written, passwords masked.
        uri: String,
        /// What is wrong with it.
        problem: UriProblem,
    },
}

fn did_you_mean(suggestion: &Option<&'static str>) -> String {
    match suggestion {
        Some(known) => format!(
            " (did you mean `{known}`? option names are case-sensitive after the first letter)"
        ),
        None => String::new(),
    }
}

/// What is wrong with a networkConnector URI.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UriProblem {
    /// It does not start with a discovery scheme.
    #[error("it must start with `static:` or `masterslave:`, as in `static:(tcp://host:61616)`")]
    MissingKind,
    /// It names a discovery agent Ferrum does not have.
    #[error("discovery `{kind}:` is not supported; use `static:` or `masterslave:`")]
    UnsupportedKind {
        /// The scheme as written (`multicast`, `zeroconf`, ...).
        kind: String,
    },
    /// `(` and `)` do not pair up.
    #[error("unbalanced parentheses")]
    UnbalancedParens,
    /// Something other than `?options` follows the member list.
    #[error(
        "unexpected `{text}` after the closing parenthesis; only `?name=value&...` may follow"
    )]
    TrailingText {
        /// What follows the `)`.
        text: String,
    },
    /// No members at all.
    #[error(
        "the member list is empty; name at least one broker, as in `static:(tcp://host:61616)`"
    )]
    EmptyMemberList,
    /// Two commas in a row, or a comma at an end.
    #[error("member {position} of the list is empty")]
    EmptyMember {
        /// 1-based.
        position: usize,
    },
    /// A member with another transport than tcp, nio or ssl.
    #[error(
        "member `{member}` uses the `{scheme}:` transport; \
         only tcp://, nio:// and ssl:// are supported"
    )]
    UnsupportedScheme {
        /// The member as written.
        member: String,
        /// Its scheme.
        scheme: String,
    },
    /// A member whose host or port does not read.
    #[error("member `{member}`: {why}")]
    BadHostPort {
        /// The member as written.
        member: String,
        /// What is wrong.
        why: String,
    },
    /// `masterslave:` with fewer than two members.
    #[error("`masterslave:` needs at least 2 members (a master and a slave), found {found}")]
    MasterSlaveNeedsTwo {
        /// How many there were.
        found: usize,
    },
    /// A connector option inside a member's own query (ActiveMQ would hand
    /// it to the transport, which refuses it: "Invalid connect parameters").
    #[error(
        "member `{member}` carries `{option}`, a networkConnector option; put it after \
             the member list's closing parenthesis, as in `static:({member_uri})?{option}=...`"
    )]
    MisplacedOption {
        /// The member, with its options.
        member: String,
        /// The member without its options.
        member_uri: String,
        /// The option's name.
        option: String,
    },
    /// `name` with no `=value`.
    #[error("option `{option}` has no value; write `{option}=value`")]
    OptionWithoutValue {
        /// The name as written.
        option: String,
    },
    /// A `%` not followed by two hex digits, or escapes that are not UTF-8.
    #[error("bad %-escape in `{text}`")]
    BadEscape {
        /// The name or value holding it.
        text: String,
    },
}

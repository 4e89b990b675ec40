//! Reading networkConnector URIs the way ActiveMQ's
//! `URISupport.parseComposite` splits them, and the %-coding of their
//! queries (`URISupport.parseQuery` decodes with Java's `URLDecoder`).
//!
//! * `static:(m1,m2,...)?opts`: the members, split at top-level commas,
//!   and after the closing parenthesis the connector's options.
//! * `static:m1,m2`: no parentheses, no connector options; whatever query
//!   follows belongs to the last member, as in ActiveMQ.
//! * `static://(...)`: the `//` is skipped, as `parseComposite` does.

use super::{
    options, ConfigError, DiscoveryKind, NetworkConnectorConfig, Peer, PeerScheme, UriProblem,
};

/// ActiveMQ discovery agents Ferrum does not have (told apart from a
/// missing `static:`, which is the likelier mistake for anything else).
const OTHER_DISCOVERY: &[&str] = &["multicast", "zeroconf"];

/// Options ActiveMQ's `DiscoveryNetworkConnector` appends, without this
/// prefix, to every member's own query.
const DISCOVERED_PREFIX: &str = "discovered.";

/// Replaces `config`'s kind and peers with the URI's and applies the
/// options of its query.
pub(super) fn apply_uri(
    config: &mut NetworkConnectorConfig,
    text: &str,
) -> Result<(), ConfigError> {
    let parsed = parse(text).map_err(|problem| ConfigError::BadUri {
        uri: mask_passwords(text),
        problem,
    })?;
    config.kind = parsed.kind;
    config.peers = parsed.peers;
    let pairs = parsed.options.iter().map(|(n, v)| (n.as_str(), v.as_str()));
    options::apply_all(config, pairs, true)
}

struct ParsedUri {
    kind: DiscoveryKind,
    peers: Vec<Peer>,
    /// The connector's options, decoded, still to be applied.
    options: Vec<(String, String)>,
}

fn parse(text: &str) -> Result<ParsedUri, UriProblem> {
    let text = text.trim();
    let (scheme, rest) = text.split_once(':').ok_or(UriProblem::MissingKind)?;
    let kind = match scheme {
        // `simple` is ActiveMQ's other name for the same agent.
        "static" | "simple" => DiscoveryKind::Static,
        "masterslave" => DiscoveryKind::MasterSlave,
        other if OTHER_DISCOVERY.contains(&other) => {
            return Err(UriProblem::UnsupportedKind {
                kind: other.to_owned(),
            })
        }
        _ => return Err(UriProblem::MissingKind),
    };
    let rest = rest.trim();
    let rest = rest.strip_prefix("//").unwrap_or(rest).trim();
    // Stricter than ActiveMQ's `checkParenthesis`, which only counts: no
    // `)` may come before its `(` either.
    if !balanced(rest) {
        return Err(UriProblem::UnbalancedParens);
    }
    let (list, query) = match rest.strip_prefix('(') {
        Some(inner) => {
            let close = closing_paren(inner).ok_or(UriProblem::UnbalancedParens)?;
            let after = inner[close + 1..].trim();
            let query = match after.strip_prefix('?') {
                Some(query) => query,
                None if after.is_empty() => "",
                None => {
                    return Err(UriProblem::TrailingText {
                        text: after.to_owned(),
                    })
                }
            };
            (&inner[..close], query)
        }
        None => (rest, ""),
    };
    if list.trim().is_empty() {
        return Err(UriProblem::EmptyMemberList);
    }
    let mut peers = split_members(list)
        .into_iter()
        .enumerate()
        .map(|(i, member)| match member.trim() {
            "" => Err(UriProblem::EmptyMember { position: i + 1 }),
            member => parse_peer(member),
        })
        .collect::<Result<Vec<Peer>, UriProblem>>()?;
    if kind == DiscoveryKind::MasterSlave && peers.len() < 2 {
        return Err(UriProblem::MasterSlaveNeedsTwo { found: peers.len() });
    }
    let mut connector_options = Vec::new();
    for (name, value) in parse_query(query)? {
        match name.strip_prefix(DISCOVERED_PREFIX) {
            Some(member_option) if !member_option.is_empty() => {
                for peer in &mut peers {
                    peer.options.push((member_option.to_owned(), value.clone()));
                }
            }
            _ => connector_options.push((name, value)),
        }
    }
    for peer in &peers {
        if let Some((option, _)) = peer.options.iter().find(|(n, _)| options::is_known(n)) {
            let bare = Peer {
                options: Vec::new(),
                ..peer.clone()
            };
            return Err(UriProblem::MisplacedOption {
                member: peer.to_string(),
                member_uri: bare.to_string(),
                option: option.clone(),
            });
        }
    }
    Ok(ParsedUri {
        kind,
        peers,
        options: connector_options,
    })
}

fn balanced(text: &str) -> bool {
    let mut depth = 0usize;
    for c in text.chars() {
        match c {
            '(' => depth += 1,
            ')' => match depth.checked_sub(1) {
                Some(d) => depth = d,
                None => return false,
            },
            _ => {}
        }
    }
    depth == 0
}

/// Where, in `text` (which follows an opening parenthesis), that
/// parenthesis closes.
fn closing_paren(text: &str) -> Option<usize> {
    let mut depth = 1usize;
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// Splits at commas outside parentheses (as `URISupport.splitComponents`).
fn split_members(list: &str) -> Vec<&str> {
    let mut members = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    for (i, c) in list.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                members.push(&list[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    members.push(&list[start..]);
    members
}

/// `tcp://host:port[/][?name=value&...]`.
fn parse_peer(member: &str) -> Result<Peer, UriProblem> {
    let bad = |why: String| UriProblem::BadHostPort {
        member: member.to_owned(),
        why,
    };
    let not_a_uri = || bad("not a broker URI; write it as `tcp://host:61616`".to_owned());
    let (scheme, rest) = member.split_once(':').ok_or_else(not_a_uri)?;
    // `failover:(...)` names a transport too, `localhost:61616` does not.
    if !(rest.starts_with("//") || rest.starts_with('(')) {
        return Err(not_a_uri());
    }
    let scheme = match scheme {
        "tcp" => PeerScheme::Tcp,
        "nio" => PeerScheme::Nio,
        "ssl" => PeerScheme::Ssl,
        other => {
            return Err(UriProblem::UnsupportedScheme {
                member: member.to_owned(),
                scheme: other.to_owned(),
            })
        }
    };
    let rest = rest.strip_prefix("//").ok_or_else(not_a_uri)?;
    let (address, query) = rest.split_once('?').unwrap_or((rest, ""));
    let address = address.strip_suffix('/').unwrap_or(address);
    if address.contains('/') {
        return Err(bad("a path is not allowed after host:port".to_owned()));
    }
    if address.contains('@') {
        return Err(bad(
            "user info (`user@`) is not supported; use the userName and password options"
                .to_owned(),
        ));
    }
    let example = format!("`{}://host:61616`", scheme.as_str());
    let (host, port) = if let Some(bracketed) = address.strip_prefix('[') {
        let (host, after) = bracketed
            .split_once(']')
            .ok_or_else(|| bad("`[` without `]` around an IPv6 address".to_owned()))?;
        let port = after
            .strip_prefix(':')
            .ok_or_else(|| bad(format!("no port after the address; write it as {example}")))?;
        if host.is_empty()
            || !host
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
        {
            return Err(bad(format!("`[{host}]` is not an IPv6 address")));
        }
        (host, port)
    } else {
        let (host, port) = address
            .rsplit_once(':')
            .ok_or_else(|| bad(format!("no port; write it as {example}")))?;
        if host.is_empty() {
            return Err(bad(format!("no host; write it as {example}")));
        }
        if let Some(c) = host
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || "-._".contains(*c)))
        {
            return Err(bad(format!(
                "host `{host}` contains `{c}` (IPv6 addresses go in brackets: `[::1]`)"
            )));
        }
        (host, port)
    };
    let port = match port.parse::<u16>() {
        Ok(number) if number != 0 && port.bytes().all(|b| b.is_ascii_digit()) => number,
        _ => {
            return Err(bad(format!(
                "port `{port}` is not a number from 1 to 65535"
            )))
        }
    };
    Ok(Peer {
        scheme,
        host: host.to_owned(),
        port,
        options: parse_query(query)?,
    })
}

/// `name=value&...`, each side %-decoded; empty pieces (`a=1&&b=2`) are
/// skipped.
fn parse_query(query: &str) -> Result<Vec<(String, String)>, UriProblem> {
    query
        .split('&')
        .filter(|piece| !piece.is_empty())
        .map(|piece| {
            let (name, value) =
                piece
                    .split_once('=')
                    .ok_or_else(|| UriProblem::OptionWithoutValue {
                        option: piece.to_owned(),
                    })?;
            let name = decode(name)?;
            let value = decode(value).map_err(|problem| {
                if name.to_ascii_lowercase().contains("password") {
                    UriProblem::BadEscape {
                        text: "*****".to_owned(),
                    }
                } else {
                    problem
                }
            })?;
            Ok((name, value))
        })
        .collect()
}

/// Java's `URLDecoder`: `%XX` is a byte, `+` a space, the bytes UTF-8.
fn decode(text: &str) -> Result<String, UriProblem> {
    let bad = || UriProblem::BadEscape {
        text: text.to_owned(),
    };
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => {
                let high = bytes.get(i + 1).and_then(|h| (*h as char).to_digit(16));
                let low = bytes.get(i + 2).and_then(|l| (*l as char).to_digit(16));
                match (high, low) {
                    (Some(high), Some(low)) => out.push((high * 16 + low) as u8),
                    _ => return Err(bad()),
                }
                i += 3;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| bad())
}

/// %-encodes what [`decode`] or the URI's structure would misread. `:`,
/// `/`, `*` and `>` stay as they are, so destinations read naturally;
/// commas only where the caller says they cannot split anything.
pub(super) fn encode(text: &str, keep_commas: bool) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~:/*>".contains(&b) || (keep_commas && b == b',') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
    }
    out
}

/// The URI with the values of `password=` and `remotePassword=` replaced
/// by `*****`, for error messages.
fn mask_passwords(text: &str) -> String {
    const KEY: &str = "password=";
    // ASCII lower-casing keeps every byte where it was.
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut search = 0;
    while let Some(found) = lower[search..].find(KEY) {
        let value_start = search + found + KEY.len();
        // To the next `&` only: masking too much is harmless, too little
        // is not (a password may hold `,` or `)`).
        let value_end = text[value_start..]
            .find('&')
            .map_or(text.len(), |n| value_start + n);
        out.push_str(&text[copied..value_start]);
        out.push_str("*****");
        copied = value_end;
        search = value_end;
    }
    out.push_str(&text[copied..]);
    out
}

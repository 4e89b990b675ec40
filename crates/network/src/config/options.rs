//! The option table: every `networkConnector` option by its ActiveMQ name,
//! how to read its value and how to write it back (for `to_uri`).

use std::time::Duration;

use super::{ConfigError, Destination, NetworkConnectorConfig, Secret};

/// What a setter refuses with: the description of what it expected.
type Expected = String;

/// One option: its ActiveMQ property name, how a value is applied, and the
/// value to write back (`None`: nothing to write, i.e. unset).
struct OptionSpec {
    name: &'static str,
    set: fn(&mut NetworkConnectorConfig, &str) -> Result<(), Expected>,
    get: fn(&NetworkConnectorConfig) -> Option<String>,
}

/// Names accepted for another option: ActiveMQ's setter for
/// `useBrokerNamesAsIdSeed` is misspelt `setUseBrokerNameAsIdSees`, so only
/// the misspelling works there; Ferrum takes the intended name too.
const ALIASES: &[(&str, &str)] = &[("useBrokerNamesAsIdSeed", "useBrokerNameAsIdSees")];

macro_rules! field_option {
    ($name:literal, $parse:expr, $write:expr, $($field:ident).+) => {
        OptionSpec {
            name: $name,
            set: |c, v| {
                c.$($field).+ = $parse(v)?;
                Ok(())
            },
            get: |c| $write(&c.$($field).+),
        }
    };
}

macro_rules! bool_option {
    ($name:literal, $($field:ident).+) => {
        field_option!($name, parse_bool, |b: &bool| Some(b.to_string()), $($field).+)
    };
}

macro_rules! text_option {
    ($name:literal, $($field:ident).+) => {
        field_option!(
            $name,
            |v: &str| Ok::<_, Expected>(v.to_owned()),
            |s: &String| Some(s.clone()),
            $($field).+
        )
    };
}

macro_rules! optional_text_option {
    ($name:literal, $($field:ident).+) => {
        field_option!(
            $name,
            |v: &str| Ok::<_, Expected>(Some(v.to_owned())),
            |s: &Option<String>| s.clone(),
            $($field).+
        )
    };
}

macro_rules! secret_option {
    ($name:literal, $($field:ident).+) => {
        field_option!(
            $name,
            |v: &str| Ok::<_, Expected>(Some(Secret(v.to_owned()))),
            |s: &Option<Secret>| s.as_ref().map(|s| s.0.clone()),
            $($field).+
        )
    };
}

macro_rules! millis_option {
    ($name:literal, $min:expr, $($field:ident).+) => {
        field_option!(
            $name,
            |v| parse_millis(v, $min),
            |d: &Duration| Some(d.as_millis().to_string()),
            $($field).+
        )
    };
}

macro_rules! destinations_option {
    ($name:literal, $($field:ident).+) => {
        field_option!(
            $name,
            parse_destinations,
            |d: &Vec<Destination>| Some(write_destinations(d)),
            $($field).+
        )
    };
}

/// Java's `int` range, for values ActiveMQ reads with `Integer.valueOf`.
const INT_MAX: i64 = i32::MAX as i64;

/// Every option. `networkTTL` is special (it sets the other two TTLs);
/// `uri` is handled by the caller.
static OPTIONS: &[OptionSpec] = &[
    // NetworkBridgeConfiguration / NetworkConnector.
    text_option!("name", name),
    bool_option!("duplex", duplex),
    OptionSpec {
        name: "networkTTL",
        set: |c, v| {
            c.set_network_ttl(parse_int(v, 0, INT_MAX)?);
            Ok(())
        },
        get: |c| Some(c.network_ttl.to_string()),
    },
    field_option!(
        "messageTTL",
        |v| parse_int(v, 0, INT_MAX),
        write_num,
        message_ttl
    ),
    field_option!(
        "consumerTTL",
        |v| parse_int(v, 0, INT_MAX),
        write_num,
        consumer_ttl
    ),
    bool_option!("conduitSubscriptions", conduit_subscriptions),
    bool_option!(
        "conduitNetworkQueueSubscriptions",
        conduit_network_queue_subscriptions
    ),
    bool_option!("dynamicOnly", dynamic_only),
    bool_option!(
        "decreaseNetworkConsumerPriority",
        decrease_network_consumer_priority
    ),
    field_option!(
        "consumerPriorityBase",
        |v| parse_int(v, -128, 127),
        write_num,
        consumer_priority_base
    ),
    field_option!(
        "prefetchSize",
        |v| parse_int(v, 1, INT_MAX),
        write_num,
        prefetch_size
    ),
    field_option!(
        "advisoryPrefetchSize",
        parse_int_floor_zero,
        write_num,
        advisory_prefetch_size
    ),
    field_option!(
        "advisoryAckPercentage",
        |v| parse_int(v, 0, 100),
        write_num,
        advisory_ack_percentage
    ),
    bool_option!(
        "suppressDuplicateQueueSubscriptions",
        suppress_duplicate_queue_subscriptions
    ),
    bool_option!(
        "suppressDuplicateTopicSubscriptions",
        suppress_duplicate_topic_subscriptions
    ),
    bool_option!("bridgeTempDestinations", bridge_temp_destinations),
    bool_option!("alwaysSyncSend", always_sync_send),
    bool_option!("syncDurableSubs", sync_durable_subs),
    bool_option!("dispatchAsync", dispatch_async),
    bool_option!("useVirtualDestSubs", use_virtual_dest_subs),
    bool_option!("staticBridge", static_bridge),
    bool_option!("useCompression", use_compression),
    bool_option!("advisoryForFailedForward", advisory_for_failed_forward),
    bool_option!("useBrokerNameAsIdSees", use_broker_names_as_id_seed),
    bool_option!("gcDestinationViews", gc_destination_views),
    millis_option!("gcSweepTime", 1, gc_sweep_time),
    bool_option!(
        "checkDuplicateMessagesOnDuplex",
        check_duplicate_messages_on_duplex
    ),
    bool_option!("autoStart", auto_start),
    destinations_option!(
        "dynamicallyIncludedDestinations",
        dynamically_included_destinations
    ),
    destinations_option!("excludedDestinations", excluded_destinations),
    destinations_option!(
        "staticallyIncludedDestinations",
        statically_included_destinations
    ),
    field_option!(
        "durableDestinations",
        |v| parse_destinations(v).map(Some),
        |d: &Option<Vec<Destination>>| d.as_deref().map(write_destinations),
        durable_destinations
    ),
    optional_text_option!("destinationFilter", destination_filter),
    optional_text_option!("userName", user_name),
    secret_option!("password", password),
    optional_text_option!("remoteUserName", remote_user_name),
    secret_option!("remotePassword", remote_password),
    text_option!("clientIdToken", client_id_token),
    text_option!("brokerName", broker_name),
    text_option!("brokerURL", broker_url),
    // SimpleDiscoveryAgent.
    millis_option!(
        "initialReconnectDelay",
        0,
        reconnect.initial_reconnect_delay
    ),
    millis_option!("maxReconnectDelay", 0, reconnect.max_reconnect_delay),
    bool_option!("useExponentialBackOff", reconnect.use_exponential_back_off),
    field_option!(
        "backOffMultiplier",
        |v| parse_int(v, 1, i64::MAX),
        write_num,
        reconnect.back_off_multiplier
    ),
    field_option!(
        "maxReconnectAttempts",
        parse_int_floor_zero,
        write_num,
        reconnect.max_reconnect_attempts
    ),
    millis_option!("minConnectTime", 0, reconnect.min_connect_time),
];

/// ActiveMQ's name matching (`IntrospectionSupport.findSetterMethod` builds
/// `"set" + toUpperCase(name[0]) + rest` and compares exactly): the first
/// letter in any case, the rest exactly.
fn same_name(written: &str, known: &str) -> bool {
    let mut written_chars = written.chars();
    let mut known_chars = known.chars();
    match (written_chars.next(), known_chars.next()) {
        (Some(a), Some(b)) => {
            a.to_uppercase().eq(b.to_uppercase()) && written_chars.as_str() == known_chars.as_str()
        }
        _ => false,
    }
}

fn lookup(name: &str) -> Option<&'static OptionSpec> {
    let canonical = ALIASES
        .iter()
        .find(|(alias, _)| same_name(name, alias))
        .map_or(name, |(_, target)| *target);
    OPTIONS.iter().find(|spec| same_name(canonical, spec.name))
}

/// Whether `name` is a connector or reconnect option (used to catch one
/// written inside a member's query).
pub(super) fn is_known(name: &str) -> bool {
    lookup(name).is_some()
}

/// Applies options so that their order does not matter (see
/// `NetworkConnectorConfig::apply_options`). `uri` is an option only where
/// `from_uri` is false: a URI's query cannot hold another URI.
pub(super) fn apply_all<'a, I>(
    config: &mut NetworkConnectorConfig,
    pairs: I,
    from_uri: bool,
) -> Result<(), ConfigError>
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    let mut pairs: Vec<(&str, &str)> = pairs.into_iter().collect();
    pairs.sort_by_key(|(name, _)| apply_rank(name));
    for (name, value) in pairs {
        if !from_uri && same_name(name, "uri") {
            super::uri::apply_uri(config, value)?;
        } else {
            apply(config, name, value)?;
        }
    }
    Ok(())
}

/// Applies one option (not `uri`).
fn apply(config: &mut NetworkConnectorConfig, name: &str, value: &str) -> Result<(), ConfigError> {
    let spec = lookup(name).ok_or_else(|| ConfigError::UnknownOption {
        name: name.to_owned(),
        suggestion: OPTIONS
            .iter()
            .map(|spec| spec.name)
            .chain(ALIASES.iter().map(|(alias, _)| *alias))
            .chain(["uri"])
            .find(|known| *known != name && known.eq_ignore_ascii_case(name)),
    })?;
    (spec.set)(config, value).map_err(|expected| ConfigError::BadValue {
        name: name.to_owned(),
        value: value.to_owned(),
        expected,
    })
}

/// Order in which `apply_options` applies a name: `uri`, then `networkTTL`
/// (which overwrites the other TTLs), then everything else.
fn apply_rank(name: &str) -> u8 {
    if same_name(name, "uri") {
        0
    } else if same_name(name, "networkTTL") {
        1
    } else {
        2
    }
}

pub(super) fn names() -> impl Iterator<Item = &'static str> {
    OPTIONS.iter().map(|spec| spec.name)
}

/// Every option that differs from the defaults, as (name, value), in
/// table order; passwords left out (for what a bridge tells its peer).
pub(super) fn changed(config: &NetworkConnectorConfig) -> Vec<(&'static str, String)> {
    let baseline = NetworkConnectorConfig {
        message_ttl: config.network_ttl,
        consumer_ttl: config.network_ttl,
        ..NetworkConnectorConfig::default()
    };
    OPTIONS
        .iter()
        .filter(|spec| !spec.name.to_ascii_lowercase().contains("password"))
        .filter_map(|spec| {
            let value = (spec.get)(config);
            (value != (spec.get)(&baseline))
                .then_some(value)
                .flatten()
                .map(|v| (spec.name, v))
        })
        .collect()
}

/// `name=value&...` for every option that differs from the defaults, or
/// (for `messageTTL`/`consumerTTL`) from what `networkTTL` sets them to,
/// %-encoded. Reading applies `networkTTL` before the other two wherever
/// it stands, so the order written does not matter.
pub(super) fn query_string(config: &NetworkConnectorConfig) -> String {
    // What parsing would give without this config's options, except that
    // the TTLs follow `networkTTL` (which is written whenever it differs).
    let baseline = NetworkConnectorConfig {
        message_ttl: config.network_ttl,
        consumer_ttl: config.network_ttl,
        ..NetworkConnectorConfig::default()
    };
    let mut pairs = Vec::new();
    for spec in OPTIONS {
        let value = (spec.get)(config);
        if value != (spec.get)(&baseline) {
            if let Some(value) = value {
                pairs.push(format!(
                    "{}={}",
                    spec.name,
                    super::uri::encode(&value, true)
                ));
            }
        }
    }
    pairs.join("&")
}

/// `true` or `false`, any case. Java's `Boolean.valueOf` reads anything
/// else as false; Ferrum refuses it instead, so a typo is not a silent
/// `false`.
fn parse_bool(value: &str) -> Result<bool, Expected> {
    if value.eq_ignore_ascii_case("true") {
        Ok(true)
    } else if value.eq_ignore_ascii_case("false") {
        Ok(false)
    } else {
        Err("`true` or `false`".to_owned())
    }
}

/// A decimal integer in `min..=max` (an optional sign, as Java's
/// `Integer.valueOf`/`Long.valueOf` take), converted to the field's type.
fn parse_int<T: TryFrom<i64>>(value: &str, min: i64, max: i64) -> Result<T, Expected> {
    let expected = || format!("an integer from {min} to {max}");
    let n: i64 = value.parse().map_err(|_| expected())?;
    if n < min || n > max {
        return Err(expected());
    }
    T::try_from(n).map_err(|_| expected())
}

/// A Java `int` where ActiveMQ reads anything below 1 as "off" (0).
fn parse_int_floor_zero(value: &str) -> Result<u32, Expected> {
    let n: i64 = parse_int(value, i64::from(i32::MIN), INT_MAX)
        .map_err(|e| format!("{e} (0 or less means off/unlimited)"))?;
    Ok(u32::try_from(n.max(0)).unwrap_or(0))
}

/// Whole milliseconds, `min` or more, within a Java `long`.
fn parse_millis(value: &str, min: i64) -> Result<Duration, Expected> {
    let ms: u64 = parse_int(value, min, i64::MAX).map_err(|e| format!("{e} (milliseconds)"))?;
    Ok(Duration::from_millis(ms))
}

fn write_num<T: ToString>(n: &T) -> Option<String> {
    Some(n.to_string())
}

/// A destination list. ActiveMQ's own string form (its
/// `StringToListOfActiveMQDestinationConverter`, used by
/// `IntrospectionSupport`) is `[queue://A.>, topic://B.*]`; Ferrum also
/// takes it without the brackets, and an empty string (or `[]`) for an
/// empty list. Items are trimmed; a bare name is a queue.
fn parse_destinations(value: &str) -> Result<Vec<Destination>, Expected> {
    let expected = |detail: &str| {
        format!(
            "a comma-separated list of destinations such as \
             `queue://ORDERS.>,topic://PRICES.*` ({detail})"
        )
    };
    let trimmed = value.trim();
    let inner = match (trimmed.strip_prefix('['), trimmed.ends_with(']')) {
        (Some(rest), true) => rest.strip_suffix(']').unwrap_or(rest),
        (None, false) => trimmed,
        _ => return Err(expected("unbalanced `[` `]`")),
    };
    if inner.trim().is_empty() {
        return Ok(Vec::new());
    }
    inner
        .split(',')
        .map(|item| {
            let item = item.trim();
            Destination::parse(item).map_err(|why| expected(&format!("item `{item}`: {why}")))
        })
        .collect()
}

fn write_destinations(list: &[Destination]) -> String {
    list.iter()
        .map(Destination::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

use std::time::Duration;

use proptest::prelude::*;

use super::*;

fn parse(uri: &str) -> NetworkConnectorConfig {
    match NetworkConnectorConfig::parse_uri(uri) {
        Ok(config) => config,
        Err(e) => panic!("{uri} should parse: {e}"),
    }
}

fn error(uri: &str) -> ConfigError {
    match NetworkConnectorConfig::parse_uri(uri) {
        Ok(config) => panic!("{uri} should be refused, got {config:?}"),
        Err(e) => e,
    }
}

fn problem(uri: &str) -> UriProblem {
    match error(uri) {
        ConfigError::BadUri { problem, .. } => problem,
        other => panic!("{uri}: expected a bad URI, got {other:?}"),
    }
}

fn tcp(host: &str, port: u16) -> Peer {
    Peer {
        scheme: PeerScheme::Tcp,
        host: host.to_owned(),
        port,
        options: Vec::new(),
    }
}

fn queue(name: &str) -> Destination {
    Destination {
        kind: DestinationKind::Queue,
        name: name.to_owned(),
    }
}

fn topic(name: &str) -> Destination {
    Destination {
        kind: DestinationKind::Topic,
        name: name.to_owned(),
    }
}

#[test]
fn defaults_are_activemq_5_17s() {
    let c = NetworkConnectorConfig::default();
    assert_eq!(c.kind, DiscoveryKind::Static);
    assert!(c.peers.is_empty());
    assert_eq!(c.name, "NC"); // NetworkBridgeConfiguration.name
    assert!(!c.duplex); // duplex
    assert_eq!(c.network_ttl, 1); // networkTTL
    assert_eq!(c.message_ttl, 1); // messageTTL = networkTTL
    assert_eq!(c.consumer_ttl, 1); // consumerTTL = networkTTL
    assert!(c.conduit_subscriptions); // conduitSubscriptions
    assert!(!c.conduit_network_queue_subscriptions); // conduitNetworkQueueSubscriptions
    assert!(!c.dynamic_only); // dynamicOnly
    assert!(!c.decrease_network_consumer_priority); // decreaseNetworkConsumerPriority (5.17)
    assert_eq!(c.consumer_priority_base, -5); // consumerPriorityBase: NETWORK_CONSUMER_PRIORITY
    assert_eq!(c.prefetch_size, 1000); // prefetchSize
    assert_eq!(c.advisory_prefetch_size, 0); // advisoryPrefetchSize
    assert_eq!(c.advisory_ack_percentage, 75); // advisoryAckPercentage
    assert!(!c.suppress_duplicate_queue_subscriptions); // suppressDuplicateQueueSubscriptions
    assert!(c.suppress_duplicate_topic_subscriptions); // suppressDuplicateTopicSubscriptions
    assert!(c.bridge_temp_destinations); // bridgeTempDestinations
    assert!(c.always_sync_send); // alwaysSyncSend
    assert!(!c.sync_durable_subs); // syncDurableSubs
    assert!(c.dispatch_async); // dispatchAsync
    assert!(!c.use_virtual_dest_subs); // useVirtualDestSubs
    assert!(!c.static_bridge); // staticBridge
    assert!(!c.use_compression); // useCompression
    assert!(!c.advisory_for_failed_forward); // advisoryForFailedForward
    assert!(c.use_broker_names_as_id_seed); // useBrokerNamesAsIdSeed
    assert!(c.gc_destination_views); // gcDestinationViews
    assert_eq!(c.gc_sweep_time, Duration::from_millis(60_000)); // gcSweepTime
    assert!(!c.check_duplicate_messages_on_duplex); // checkDuplicateMessagesOnDuplex
    assert!(c.auto_start); // autoStart (5.18+; 5.17 always starts)
    assert!(c.dynamically_included_destinations.is_empty()); // dynamicallyIncludedDestinations
    assert!(c.excluded_destinations.is_empty()); // excludedDestinations
    assert!(c.statically_included_destinations.is_empty()); // staticallyIncludedDestinations
    assert_eq!(c.durable_destinations, None); // NetworkConnector.durableDestinations (null)
    assert_eq!(c.destination_filter, None); // destinationFilter (null)
    assert_eq!(c.user_name, None); // userName
    assert_eq!(c.password, None); // password
    assert_eq!(c.remote_user_name, None); // remoteUserName
    assert_eq!(c.remote_password, None); // remotePassword
    assert_eq!(c.client_id_token, "_"); // clientIdToken
    assert_eq!(c.broker_name, "localhost"); // brokerName
    assert_eq!(c.broker_url, ""); // brokerURL
                                  // SimpleDiscoveryAgent's fields:
    let r = &c.reconnect;
    assert_eq!(r.initial_reconnect_delay, Duration::from_millis(1000)); // initialReconnectDelay
    assert_eq!(r.max_reconnect_delay, Duration::from_millis(30_000)); // maxReconnectDelay
    assert!(r.use_exponential_back_off); // useExponentialBackOff
    assert_eq!(r.back_off_multiplier, 2); // backOffMultiplier
    assert_eq!(r.max_reconnect_attempts, 0); // maxReconnectAttempts (0 = unlimited)
    assert_eq!(r.min_connect_time, Duration::from_millis(5000)); // minConnectTime
}

#[test]
fn a_uri_without_options_gives_the_defaults_and_its_peers() {
    let c = parse("static:(tcp://h1:61616)");
    assert_eq!(
        c,
        NetworkConnectorConfig {
            peers: vec![tcp("h1", 61616)],
            ..NetworkConnectorConfig::default()
        }
    );
}

#[test]
fn every_option_in_the_query_sets_its_field() {
    let c = parse(
        "static:(tcp://h:61616)?name=east&duplex=true&networkTTL=4&messageTTL=3&consumerTTL=2\
         &conduitSubscriptions=false&conduitNetworkQueueSubscriptions=true&dynamicOnly=true\
         &decreaseNetworkConsumerPriority=true&consumerPriorityBase=-10&prefetchSize=500\
         &advisoryPrefetchSize=20&advisoryAckPercentage=50\
         &suppressDuplicateQueueSubscriptions=true&suppressDuplicateTopicSubscriptions=false\
         &bridgeTempDestinations=false&alwaysSyncSend=false&syncDurableSubs=true\
         &dispatchAsync=false&useVirtualDestSubs=true&staticBridge=true&useCompression=true\
         &advisoryForFailedForward=true&useBrokerNameAsIdSees=false&gcDestinationViews=false\
         &gcSweepTime=1234&checkDuplicateMessagesOnDuplex=true&autoStart=false\
         &dynamicallyIncludedDestinations=queue://A.>,topic://B.*\
         &excludedDestinations=queue://A.secret&staticallyIncludedDestinations=topic://C\
         &durableDestinations=topic://D&destinationFilter=Queue.>&userName=u&password=p\
         &remoteUserName=ru&remotePassword=rp&clientIdToken=-&brokerName=b&brokerURL=tcp://b:1\
         &initialReconnectDelay=10&maxReconnectDelay=20&useExponentialBackOff=false\
         &backOffMultiplier=3&maxReconnectAttempts=7&minConnectTime=40",
    );
    let expected = NetworkConnectorConfig {
        kind: DiscoveryKind::Static,
        peers: vec![tcp("h", 61616)],
        reconnect: ReconnectConfig {
            initial_reconnect_delay: Duration::from_millis(10),
            max_reconnect_delay: Duration::from_millis(20),
            use_exponential_back_off: false,
            back_off_multiplier: 3,
            max_reconnect_attempts: 7,
            min_connect_time: Duration::from_millis(40),
        },
        name: "east".to_owned(),
        duplex: true,
        network_ttl: 4,
        message_ttl: 3,
        consumer_ttl: 2,
        conduit_subscriptions: false,
        conduit_network_queue_subscriptions: true,
        dynamic_only: true,
        decrease_network_consumer_priority: true,
        consumer_priority_base: -10,
        prefetch_size: 500,
        advisory_prefetch_size: 20,
        advisory_ack_percentage: 50,
        suppress_duplicate_queue_subscriptions: true,
        suppress_duplicate_topic_subscriptions: false,
        bridge_temp_destinations: false,
        always_sync_send: false,
        sync_durable_subs: true,
        dispatch_async: false,
        use_virtual_dest_subs: true,
        static_bridge: true,
        use_compression: true,
        advisory_for_failed_forward: true,
        use_broker_names_as_id_seed: false,
        gc_destination_views: false,
        gc_sweep_time: Duration::from_millis(1234),
        check_duplicate_messages_on_duplex: true,
        auto_start: false,
        dynamically_included_destinations: vec![queue("A.>"), topic("B.*")],
        excluded_destinations: vec![queue("A.secret")],
        statically_included_destinations: vec![topic("C")],
        durable_destinations: Some(vec![topic("D")]),
        destination_filter: Some("Queue.>".to_owned()),
        user_name: Some("u".to_owned()),
        password: Some(Secret("p".to_owned())),
        remote_user_name: Some("ru".to_owned()),
        remote_password: Some(Secret("rp".to_owned())),
        client_id_token: "-".to_owned(),
        broker_name: "b".to_owned(),
        broker_url: "tcp://b:1".to_owned(),
    };
    assert_eq!(c, expected);
}

#[test]
fn every_listed_option_is_accepted_by_apply_option_and_changes_the_config() {
    let mut listed: Vec<&str> = NetworkConnectorConfig::option_names().collect();
    let mut covered: Vec<&str> = BOOL_OPTIONS
        .iter()
        .chain(TEXT_OPTIONS)
        .chain(LIST_OPTIONS)
        .copied()
        .chain(NUMBER_OPTIONS.iter().map(|(name, _, _)| *name))
        .collect();
    listed.sort_unstable();
    covered.sort_unstable();
    assert_eq!(
        listed, covered,
        "the property tests' tables must name every option"
    );

    for name in NetworkConnectorConfig::option_names() {
        let candidates: &[&str] = if BOOL_OPTIONS.contains(&name) {
            &["true", "false"]
        } else if TEXT_OPTIONS.contains(&name) {
            &["x"]
        } else if LIST_OPTIONS.contains(&name) {
            &["queue://X"]
        } else {
            &["5"]
        };
        let changed = candidates.iter().any(|value| {
            let mut c = NetworkConnectorConfig::default();
            if let Err(e) = c.apply_option(name, value) {
                panic!("{name}={value}: {e}");
            }
            c != NetworkConnectorConfig::default()
        });
        assert!(changed, "{name} changed nothing");
    }
}

#[test]
fn setting_network_ttl_sets_message_and_consumer_ttl_as_activemqs_setter_does() {
    let c = parse("static:(tcp://h:1)?networkTTL=3");
    assert_eq!((c.network_ttl, c.message_ttl, c.consumer_ttl), (3, 3, 3));

    let mut c = NetworkConnectorConfig::default();
    c.apply_option("messageTTL", "5").unwrap();
    c.apply_option("networkTTL", "2").unwrap();
    assert_eq!((c.network_ttl, c.message_ttl, c.consumer_ttl), (2, 2, 2));
}

#[test]
fn an_explicit_message_or_consumer_ttl_beats_network_ttl_whatever_the_order() {
    for uri in [
        "static:(tcp://h:1)?messageTTL=5&networkTTL=2&consumerTTL=4",
        "static:(tcp://h:1)?networkTTL=2&consumerTTL=4&messageTTL=5",
    ] {
        let c = parse(uri);
        assert_eq!(
            (c.network_ttl, c.message_ttl, c.consumer_ttl),
            (2, 5, 4),
            "{uri}"
        );
    }
    let mut c = NetworkConnectorConfig::default();
    c.apply_options([("consumerTTL", "4"), ("networkTTL", "2")])
        .unwrap();
    assert_eq!((c.network_ttl, c.message_ttl, c.consumer_ttl), (2, 2, 4));
}

#[test]
fn a_static_uri_with_two_members_keeps_each_members_own_options() {
    let c = parse(
        "static:(tcp://h1:61616?wireFormat.maxInactivityDuration=0,\
         nio://h2:61617?soTimeout=5&trace=true)?duplex=true",
    );
    assert_eq!(c.kind, DiscoveryKind::Static);
    assert!(c.duplex);
    assert_eq!(
        c.peers,
        vec![
            Peer {
                options: vec![("wireFormat.maxInactivityDuration".into(), "0".into())],
                ..tcp("h1", 61616)
            },
            Peer {
                scheme: PeerScheme::Nio,
                options: vec![
                    ("soTimeout".into(), "5".into()),
                    ("trace".into(), "true".into())
                ],
                ..tcp("h2", 61617)
            },
        ]
    );
}

#[test]
fn the_cli_example_parses() {
    let c = parse("static:(tcp://h1:61616,tcp://h2:61616)?duplex=true&networkTTL=2");
    assert_eq!(c.peers, vec![tcp("h1", 61616), tcp("h2", 61616)]);
    assert!(c.duplex);
    assert_eq!((c.network_ttl, c.message_ttl, c.consumer_ttl), (2, 2, 2));
}

#[test]
fn static_with_one_member_needs_no_parentheses_and_its_query_stays_with_the_member() {
    let c = parse("static:ssl://broker.example.com:61617?socket.verifyHostName=false");
    assert_eq!(
        c.peers,
        vec![Peer {
            scheme: PeerScheme::Ssl,
            options: vec![("socket.verifyHostName".into(), "false".into())],
            ..tcp("broker.example.com", 61617)
        }]
    );
    assert_eq!(
        parse("static:tcp://a:1,tcp://b:2").peers,
        vec![tcp("a", 1), tcp("b", 2)]
    );
}

#[test]
fn a_connector_option_inside_a_member_is_refused_with_where_to_put_it() {
    let e = error("static:tcp://h:61616?duplex=true");
    assert_eq!(
        e.to_string(),
        "bad networkConnector URI `static:tcp://h:61616?duplex=true`: member \
         `tcp://h:61616?duplex=true` carries `duplex`, a networkConnector option; put it \
         after the member list's closing parenthesis, as in `static:(tcp://h:61616)?duplex=...`"
    );
    assert!(matches!(
        problem("static:(tcp://h:1?InitialReconnectDelay=5)"),
        UriProblem::MisplacedOption { option, .. } if option == "InitialReconnectDelay"
    ));
}

#[test]
fn static_slash_slash_and_activemqs_simple_alias_read_as_static() {
    let expected = vec![tcp("h", 61616)];
    assert_eq!(parse("static://(tcp://h:61616)").peers, expected);
    assert_eq!(parse("  static: ( tcp://h:61616 ) ").peers, expected);
    let c = parse("simple:(tcp://h:61616)");
    assert_eq!((c.kind, c.peers), (DiscoveryKind::Static, expected));
}

#[test]
fn masterslave_keeps_its_members_in_order_as_one_logical_peer() {
    let c = parse("masterslave:(tcp://master:61616,tcp://slave:61616)?networkTTL=2");
    assert_eq!(c.kind, DiscoveryKind::MasterSlave);
    assert_eq!(c.peers, vec![tcp("master", 61616), tcp("slave", 61616)]);
    assert_eq!(c.network_ttl, 2);
    assert_eq!(
        parse("masterslave:tcp://m:1,tcp://s:2").peers,
        vec![tcp("m", 1), tcp("s", 2)]
    );
}

#[test]
fn masterslave_with_a_single_member_is_refused_as_activemq_does() {
    let e = error("masterslave:(tcp://master:61616)");
    assert_eq!(
        e.to_string(),
        "bad networkConnector URI `masterslave:(tcp://master:61616)`: `masterslave:` needs at \
         least 2 members (a master and a slave), found 1"
    );
}

#[test]
fn discovered_options_are_appended_to_every_member() {
    let c = parse(
        "static:(tcp://a:1?x=1,tcp://b:2)?discovered.wireFormat.cacheEnabled=false&duplex=true",
    );
    assert!(c.duplex);
    assert_eq!(
        c.peers[0].options,
        vec![
            ("x".into(), "1".into()),
            ("wireFormat.cacheEnabled".into(), "false".into())
        ]
    );
    assert_eq!(
        c.peers[1].options,
        vec![("wireFormat.cacheEnabled".into(), "false".into())]
    );
}

#[test]
fn ipv6_members_are_written_in_brackets() {
    let c = parse("static:(tcp://[::1]:61616,ssl://[fe80::1:2]:61617)");
    assert_eq!(c.peers[0].host, "::1");
    assert_eq!(c.peers[1].host, "fe80::1:2");
    assert_eq!(
        c.to_uri(),
        "static:(tcp://[::1]:61616,ssl://[fe80::1:2]:61617)"
    );
}

#[test]
fn option_names_match_activemqs_rule_first_letter_in_any_case_the_rest_exactly() {
    assert!(parse("static:(tcp://h:1)?Duplex=true").duplex);
    assert_eq!(parse("static:(tcp://h:1)?NetworkTTL=3").network_ttl, 3);
    let e = error("static:(tcp://h:1)?networkTtl=3");
    assert_eq!(
        e,
        ConfigError::UnknownOption {
            name: "networkTtl".into(),
            suggestion: Some("networkTTL"),
        }
    );
    assert_eq!(
        e.to_string(),
        "unknown networkConnector option `networkTtl` (did you mean `networkTTL`? option names \
         are case-sensitive after the first letter)"
    );
}

#[test]
fn an_unknown_option_is_named_without_a_suggestion_when_none_is_close() {
    let e = error("static:(tcp://h:1)?retries=3");
    assert_eq!(e.to_string(), "unknown networkConnector option `retries`");
    let mut c = NetworkConnectorConfig::default();
    assert_eq!(
        c.apply_option("localUri", "vm://x")
            .unwrap_err()
            .to_string(),
        "unknown networkConnector option `localUri`"
    );
}

#[test]
fn activemqs_misspelt_use_broker_name_as_id_sees_and_the_intended_name_both_work() {
    assert!(!parse("static:(tcp://h:1)?useBrokerNameAsIdSees=false").use_broker_names_as_id_seed);
    assert!(!parse("static:(tcp://h:1)?useBrokerNamesAsIdSeed=false").use_broker_names_as_id_seed);
}

#[test]
fn booleans_are_true_or_false_in_any_case_and_nothing_else() {
    assert!(parse("static:(tcp://h:1)?duplex=TRUE").duplex);
    assert!(!parse("static:(tcp://h:1)?conduitSubscriptions=False").conduit_subscriptions);
    let e = error("static:(tcp://h:1)?duplex=yes");
    assert_eq!(
        e,
        ConfigError::BadValue {
            name: "duplex".into(),
            value: "yes".into(),
            expected: "`true` or `false`".into(),
        }
    );
    assert_eq!(
        e.to_string(),
        "bad value `yes` for networkConnector option `duplex`: expected `true` or `false`"
    );
}

#[test]
fn integers_out_of_range_or_malformed_are_refused_with_the_range() {
    let cases = [
        ("networkTTL=2147483648", "an integer from 0 to 2147483647"),
        ("networkTTL=-1", "an integer from 0 to 2147483647"),
        (
            "networkTTL=99999999999999999999999",
            "an integer from 0 to 2147483647",
        ),
        ("messageTTL=1.5", "an integer from 0 to 2147483647"),
        ("prefetchSize=0", "an integer from 1 to 2147483647"),
        ("consumerPriorityBase=128", "an integer from -128 to 127"),
        ("advisoryAckPercentage=101", "an integer from 0 to 100"),
        (
            "backOffMultiplier=0",
            "an integer from 1 to 9223372036854775807",
        ),
        (
            "initialReconnectDelay=-5",
            "an integer from 0 to 9223372036854775807 (milliseconds)",
        ),
        (
            "gcSweepTime=0",
            "an integer from 1 to 9223372036854775807 (milliseconds)",
        ),
        (
            "maxReconnectAttempts=2147483648",
            "an integer from -2147483648 to 2147483647 (0 or less means off/unlimited)",
        ),
    ];
    for (option, expected) in cases {
        let (name, value) = option.split_once('=').unwrap();
        let e = error(&format!("static:(tcp://h:1)?{option}"));
        assert_eq!(
            e,
            ConfigError::BadValue {
                name: name.into(),
                value: value.into(),
                expected: expected.into(),
            },
            "{option}"
        );
    }
}

#[test]
fn negative_reconnect_attempts_and_advisory_prefetch_read_as_zero_as_in_activemq() {
    let c = parse("static:(tcp://h:1)?maxReconnectAttempts=-1&advisoryPrefetchSize=-3");
    assert_eq!(c.reconnect.max_reconnect_attempts, 0);
    assert_eq!(c.advisory_prefetch_size, 0);
}

#[test]
fn destination_lists_take_activemqs_bracket_form_the_bare_form_and_bare_names_as_queues() {
    let expected = vec![queue("A.>"), topic("B.*"), queue("C")];
    for value in [
        "[queue://A.>, topic://B.*, C]",
        "queue://A.>,topic://B.*,C",
        " queue://A.> , topic://B.*,C ",
    ] {
        let mut c = NetworkConnectorConfig::default();
        c.apply_option("excludedDestinations", value).unwrap();
        assert_eq!(c.excluded_destinations, expected, "{value}");
    }
    let mut c = NetworkConnectorConfig::default();
    c.apply_option("durableDestinations", "[]").unwrap();
    assert_eq!(c.durable_destinations, Some(Vec::new()));
}

#[test]
fn temporary_or_empty_destinations_in_a_list_are_refused() {
    let mut c = NetworkConnectorConfig::default();
    let e = c
        .apply_option(
            "staticallyIncludedDestinations",
            "queue://A,temp-queue://ID:x",
        )
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "bad value `queue://A,temp-queue://ID:x` for networkConnector option \
         `staticallyIncludedDestinations`: expected a comma-separated list of destinations such \
         as `queue://ORDERS.>,topic://PRICES.*` (item `temp-queue://ID:x`: temporary \
         destinations cannot be listed (bridgeTempDestinations decides whether they are bridged))"
    );
    let e = c
        .apply_option("excludedDestinations", "queue://A,,B")
        .unwrap_err();
    assert!(
        e.to_string().contains("(item ``: the name is empty)"),
        "{e}"
    );
    let e = c
        .apply_option("excludedDestinations", "[queue://A")
        .unwrap_err();
    assert!(e.to_string().contains("(unbalanced `[` `]`)"), "{e}");
}

#[test]
fn query_names_and_values_are_percent_decoded_like_javas_url_decoder() {
    let c = parse("static:(tcp://h:1)?name=east+%26%20west&password=p%3Dq");
    assert_eq!(c.name, "east & west");
    assert_eq!(c.password, Some(Secret("p=q".to_owned())));
}

#[test]
fn the_uri_option_sets_the_peers_and_is_applied_before_the_other_attributes() {
    let mut c = NetworkConnectorConfig::default();
    c.apply_options([
        ("networkTTL", "3"),
        ("duplex", "false"),
        (
            "uri",
            "masterslave:(tcp://m:1,tcp://s:1)?duplex=true&networkTTL=5",
        ),
        ("name", "ms"),
    ])
    .unwrap();
    assert_eq!(c.kind, DiscoveryKind::MasterSlave);
    assert_eq!(c.peers, vec![tcp("m", 1), tcp("s", 1)]);
    assert!(!c.duplex, "the attribute beats the URI's query");
    assert_eq!(c.network_ttl, 3);
    assert_eq!(c.name, "ms");
}

#[test]
fn a_uri_cannot_hold_another_uri_option() {
    assert_eq!(
        error("static:(tcp://h:1)?uri=static:(tcp://x:2)").to_string(),
        "unknown networkConnector option `uri`"
    );
}

#[test]
fn a_missing_discovery_scheme_is_explained() {
    for uri in ["tcp://h:61616", "", "(tcp://h:1)", "STATIC:(tcp://h:1)"] {
        assert_eq!(problem(uri), UriProblem::MissingKind, "{uri}");
    }
    assert_eq!(
        error("tcp://h:61616").to_string(),
        "bad networkConnector URI `tcp://h:61616`: it must start with `static:` or \
         `masterslave:`, as in `static:(tcp://host:61616)`"
    );
}

#[test]
fn other_activemq_discovery_agents_are_named_as_unsupported() {
    assert_eq!(
        error("multicast://default").to_string(),
        "bad networkConnector URI `multicast://default`: discovery `multicast:` is not \
         supported; use `static:` or `masterslave:`"
    );
}

#[test]
fn unbalanced_parentheses_are_refused() {
    for uri in [
        "static:(tcp://h:1",
        "static:tcp://h:1)",
        "static:(tcp://h:1))",
        "static:)tcp://h:1(",
    ] {
        assert_eq!(problem(uri), UriProblem::UnbalancedParens, "{uri}");
    }
    assert_eq!(
        error("static:(tcp://h:1").to_string(),
        "bad networkConnector URI `static:(tcp://h:1`: unbalanced parentheses"
    );
}

#[test]
fn text_after_the_closing_parenthesis_must_be_a_query() {
    assert_eq!(
        error("static:(tcp://h:1)/path").to_string(),
        "bad networkConnector URI `static:(tcp://h:1)/path`: unexpected `/path` after the \
         closing parenthesis; only `?name=value&...` may follow"
    );
}

#[test]
fn an_empty_member_list_or_an_empty_member_is_refused() {
    for uri in [
        "static:()",
        "static:",
        "static:(  )?duplex=true",
        "masterslave:()",
    ] {
        assert_eq!(problem(uri), UriProblem::EmptyMemberList, "{uri}");
    }
    assert_eq!(
        error("static:()").to_string(),
        "bad networkConnector URI `static:()`: the member list is empty; name at least one \
         broker, as in `static:(tcp://host:61616)`"
    );
    assert_eq!(
        problem("static:(tcp://a:1,,tcp://b:1)"),
        UriProblem::EmptyMember { position: 2 }
    );
    assert_eq!(
        error("static:(tcp://a:1,)").to_string(),
        "bad networkConnector URI `static:(tcp://a:1,)`: member 2 of the list is empty"
    );
}

#[test]
fn members_with_other_transports_are_refused_by_scheme() {
    assert_eq!(
        error("static:(failover:(tcp://a:1,tcp://b:1))").to_string(),
        "bad networkConnector URI `static:(failover:(tcp://a:1,tcp://b:1))`: member \
         `failover:(tcp://a:1,tcp://b:1)` uses the `failover:` transport; only tcp://, nio:// \
         and ssl:// are supported"
    );
    assert!(matches!(
        problem("static:(vm://localhost)"),
        UriProblem::UnsupportedScheme { scheme, .. } if scheme == "vm"
    ));
}

#[test]
fn bad_hosts_and_ports_are_explained() {
    let cases = [
        (
            "static:(tcp://h)",
            "tcp://h",
            "no port; write it as `tcp://host:61616`",
        ),
        (
            "static:(tcp://:61616)",
            "tcp://:61616",
            "no host; write it as `tcp://host:61616`",
        ),
        (
            "static:(tcp://h:0)",
            "tcp://h:0",
            "port `0` is not a number from 1 to 65535",
        ),
        (
            "static:(tcp://h:65536)",
            "tcp://h:65536",
            "port `65536` is not a number from 1 to 65535",
        ),
        (
            "static:(tcp://h:+80)",
            "tcp://h:+80",
            "port `+80` is not a number from 1 to 65535",
        ),
        (
            "static:(nio://h:x)",
            "nio://h:x",
            "port `x` is not a number from 1 to 65535",
        ),
        (
            "static:(tcp://::1:61616)",
            "tcp://::1:61616",
            "host `::1` contains `:` (IPv6 addresses go in brackets: `[::1]`)",
        ),
        (
            "static:(tcp://[::1:61616)",
            "tcp://[::1:61616",
            "`[` without `]` around an IPv6 address",
        ),
        (
            "static:(tcp://u@h:1)",
            "tcp://u@h:1",
            "user info (`user@`) is not supported; use the userName and password options",
        ),
        (
            "static:(tcp://h:1/a)",
            "tcp://h:1/a",
            "a path is not allowed after host:port",
        ),
        (
            "static:(localhost:61616)",
            "localhost:61616",
            "not a broker URI; write it as `tcp://host:61616`",
        ),
    ];
    for (uri, member, why) in cases {
        assert_eq!(
            problem(uri),
            UriProblem::BadHostPort {
                member: member.into(),
                why: why.into(),
            },
            "{uri}"
        );
    }
    assert_eq!(
        error("static:(tcp://h:65536)").to_string(),
        "bad networkConnector URI `static:(tcp://h:65536)`: member `tcp://h:65536`: port \
         `65536` is not a number from 1 to 65535"
    );
    assert_eq!(
        parse("static:(tcp://h:61616/)").peers,
        vec![tcp("h", 61616)]
    );
}

#[test]
fn an_option_without_a_value_is_refused() {
    assert_eq!(
        error("static:(tcp://h:1)?duplex").to_string(),
        "bad networkConnector URI `static:(tcp://h:1)?duplex`: option `duplex` has no value; \
         write `duplex=value`"
    );
    assert_eq!(
        problem("static:(tcp://h:1?trace)"),
        UriProblem::OptionWithoutValue {
            option: "trace".into()
        }
    );
}

#[test]
fn a_bad_percent_escape_is_refused() {
    assert_eq!(
        error("static:(tcp://h:1)?name=a%2").to_string(),
        "bad networkConnector URI `static:(tcp://h:1)?name=a%2`: bad %-escape in `a%2`"
    );
    assert_eq!(
        problem("static:(tcp://h:1)?name=%FF"),
        UriProblem::BadEscape { text: "%FF".into() }
    );
}

#[test]
fn passwords_are_masked_in_errors_and_debug_output() {
    let e = error("static:(tcp://h:1)?password=s3cret&remotePassword=t0p&bogus=1");
    assert_eq!(e.to_string(), "unknown networkConnector option `bogus`");
    let e = error("static:(tcp://h:1?x)?password=s3cret&remotePassword=t0p");
    let text = e.to_string();
    assert!(!text.contains("s3cret") && !text.contains("t0p"), "{text}");
    assert!(
        text.contains("password=*****&remotePassword=*****"),
        "{text}"
    );
    let e = error("static:(tcp://h:1)?password=%zz");
    assert!(!e.to_string().contains("%zz"), "{e}");

    let c = parse("static:(tcp://h:1)?password=s3cret");
    let debug = format!("{c:?}");
    assert!(
        !debug.contains("s3cret") && debug.contains("*****"),
        "{debug}"
    );
}

#[test]
fn to_uri_writes_only_what_differs_from_the_defaults() {
    assert_eq!(
        parse("static:tcp://h:61616").to_uri(),
        "static:(tcp://h:61616)"
    );
    let c = parse(
        "masterslave:(tcp://m:1?soTimeout=5,tcp://s:2)?networkTTL=3&consumerTTL=1&name=a%20b\
         &excludedDestinations=[queue://X.>, topic://Y]&password=p%26q",
    );
    assert_eq!(
        c.to_uri(),
        "masterslave:(tcp://m:1?soTimeout=5,tcp://s:2)?name=a%20b&networkTTL=3&consumerTTL=1\
         &excludedDestinations=queue://X.>,topic://Y&password=p%26q"
    );
}

#[test]
fn destination_parse_reads_queue_topic_and_bare_names() {
    assert_eq!(Destination::parse("queue://Q"), Ok(queue("Q")));
    assert_eq!(Destination::parse("topic://T.>"), Ok(topic("T.>")));
    assert_eq!(Destination::parse("Q.*"), Ok(queue("Q.*")));
    assert_eq!(
        Destination::parse("topic://"),
        Err("the name is empty".to_owned())
    );
    assert_eq!(topic("A").to_string(), "topic://A");
}

#[test]
fn from_str_is_parse_uri() {
    let c: NetworkConnectorConfig = "static:(tcp://h:1)".parse().unwrap();
    assert_eq!(c, parse("static:(tcp://h:1)"));
}

// ---- properties -------------------------------------------------------

const BOOL_OPTIONS: &[&str] = &[
    "duplex",
    "conduitSubscriptions",
    "conduitNetworkQueueSubscriptions",
    "dynamicOnly",
    "decreaseNetworkConsumerPriority",
    "suppressDuplicateQueueSubscriptions",
    "suppressDuplicateTopicSubscriptions",
    "bridgeTempDestinations",
    "alwaysSyncSend",
    "syncDurableSubs",
    "dispatchAsync",
    "useVirtualDestSubs",
    "staticBridge",
    "useCompression",
    "advisoryForFailedForward",
    "useBrokerNameAsIdSees",
    "gcDestinationViews",
    "checkDuplicateMessagesOnDuplex",
    "autoStart",
    "useExponentialBackOff",
];

const TEXT_OPTIONS: &[&str] = &[
    "name",
    "destinationFilter",
    "userName",
    "password",
    "remoteUserName",
    "remotePassword",
    "clientIdToken",
    "brokerName",
    "brokerURL",
];

const LIST_OPTIONS: &[&str] = &[
    "dynamicallyIncludedDestinations",
    "excludedDestinations",
    "staticallyIncludedDestinations",
    "durableDestinations",
];

/// (name, min, max) of the numeric options, in the units the URI takes.
const NUMBER_OPTIONS: &[(&str, i64, i64)] = &[
    ("networkTTL", 0, 2_147_483_647),
    ("messageTTL", 0, 2_147_483_647),
    ("consumerTTL", 0, 2_147_483_647),
    ("consumerPriorityBase", -128, 127),
    ("prefetchSize", 1, 2_147_483_647),
    ("advisoryPrefetchSize", 0, 2_147_483_647),
    ("advisoryAckPercentage", 0, 100),
    ("gcSweepTime", 1, i64::MAX),
    ("initialReconnectDelay", 0, i64::MAX),
    ("maxReconnectDelay", 0, i64::MAX),
    ("backOffMultiplier", 1, i64::MAX),
    ("maxReconnectAttempts", 0, 2_147_483_647),
    ("minConnectTime", 0, i64::MAX),
];

fn option_value() -> impl Strategy<Value = (&'static str, String)> {
    let destination = (prop::bool::ANY, "[A-Za-z0-9._*>-]{1,8}").prop_map(|(is_topic, name)| {
        if is_topic {
            format!("topic://{name}")
        } else {
            name
        }
    });
    prop_oneof![
        (prop::sample::select(BOOL_OPTIONS), prop::bool::ANY).prop_map(|(n, b)| (n, b.to_string())),
        (prop::sample::select(TEXT_OPTIONS), "\\PC{0,12}").prop_map(|(n, v)| (n, v)),
        (
            prop::sample::select(LIST_OPTIONS),
            prop::collection::vec(destination, 0..4)
        )
            .prop_map(|(n, items)| (n, items.join(","))),
        prop::sample::select(NUMBER_OPTIONS)
            .prop_flat_map(|(n, min, max)| (Just(n), min..=max))
            .prop_map(|(n, v)| (n, v.to_string())),
    ]
}

fn peer() -> impl Strategy<Value = Peer> {
    let scheme = prop::sample::select(vec![PeerScheme::Tcp, PeerScheme::Nio, PeerScheme::Ssl]);
    let host = prop_oneof![
        "[a-z][a-z0-9.-]{0,12}",
        Just("::1".to_owned()),
        Just("fe80::2".to_owned())
    ];
    let option_name = "[a-zA-Z][a-zA-Z.]{0,10}".prop_filter("not a connector option", |n| {
        !NetworkConnectorConfig::option_names()
            .chain(["uri", "useBrokerNamesAsIdSeed"])
            .any(|known| known.eq_ignore_ascii_case(n))
    });
    let options = prop::collection::vec((option_name, "\\PC{0,8}"), 0..3);
    (scheme, host, 1u16..=65535, options).prop_map(|(scheme, host, port, options)| Peer {
        scheme,
        host,
        port,
        options,
    })
}

fn config() -> impl Strategy<Value = NetworkConnectorConfig> {
    (
        prop::bool::ANY,
        prop::collection::vec(peer(), 2..4),
        prop::collection::vec(option_value(), 0..12),
    )
        .prop_map(|(masterslave, peers, options)| {
            let mut c = NetworkConnectorConfig {
                kind: if masterslave {
                    DiscoveryKind::MasterSlave
                } else {
                    DiscoveryKind::Static
                },
                peers,
                ..NetworkConnectorConfig::default()
            };
            let pairs = options.iter().map(|(n, v)| (*n, v.as_str()));
            if let Err(e) = c.apply_options(pairs) {
                panic!("generated options should apply: {e}");
            }
            c
        })
}

proptest! {
    #[test]
    fn arbitrary_strings_never_panic_the_parser(text in "\\PC*") {
        let _ = NetworkConnectorConfig::parse_uri(&text);
    }

    #[test]
    fn uri_like_strings_never_panic_the_parser(
        text in "(static|masterslave|simple)?:?(//)?[(]?[a-z0-9:/()\\[\\]?&=%+@,. *>-]{0,40}"
    ) {
        let _ = NetworkConnectorConfig::parse_uri(&text);
    }

    #[test]
    fn arbitrary_options_never_panic_apply_option(name in "\\PC{0,20}", value in "\\PC{0,20}") {
        let mut c = NetworkConnectorConfig::default();
        let _ = c.apply_option(&name, &value);
        for known in NetworkConnectorConfig::option_names() {
            let _ = c.apply_option(known, &value);
        }
    }

    #[test]
    fn to_uri_reads_back_to_an_equal_config(c in config()) {
        let uri = c.to_uri();
        match NetworkConnectorConfig::parse_uri(&uri) {
            Ok(back) => prop_assert_eq!(back, c, "{}", uri),
            Err(e) => prop_assert!(false, "{} does not parse: {}", uri, e),
        }
    }
}

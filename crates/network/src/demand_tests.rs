use super::*;

fn rules() -> DemandRules {
    DemandRules {
        local_broker: Arc::from("A"),
        local_name: "a".into(),
        consumer_ttl: 1,
        message_ttl: 1,
        conduit: true,
        decrease_priority: false,
        consumer_priority_base: -5,
        prefetch: 1000,
        bridge_temp_destinations: true,
        suppress_duplicate_queues: false,
        suppress_duplicate_topics: true,
        excluded: Vec::new(),
        statically_included: Vec::new(),
        dynamically_included: Vec::new(),
    }
}

fn consumer(id: &str, dest: Destination) -> RemoteConsumer {
    RemoteConsumer {
        id: id.to_string(),
        destination: dest,
        selector: None,
        priority: 0,
        broker_path: Vec::new(),
        network_subscription: false,
        network_consumers: Vec::new(),
        browser: false,
        durable: None,
        client_id: None,
    }
}

fn subscribed(change: Option<Change>) -> (u64, SubscribeRequest) {
    match change {
        Some(Change::Subscribe { key, request }) => (key, *request),
        other => panic!("expected a subscribe, got {other:?}"),
    }
}

#[test]
fn conduit_subscriptions_keep_one_local_consumer_per_destination() {
    let mut d = Demand::new(rules(), Arc::from("B"));
    let q = Destination::queue("q");
    let (key, req) = subscribed(d.add(&consumer("c1", q.clone())).expect("demand"));
    assert_eq!(req.destination, q);
    assert_eq!(req.prefetch, 1000);
    assert!(req.network.subscription);
    assert_eq!(req.network.broker_path, vec![Arc::<str>::from("B")]);
    assert_eq!(
        req.forward,
        Some(ForwardFilter {
            peer: Arc::from("B"),
            message_ttl: 1,
            replay_when_no_consumers: true,
        })
    );
    assert_eq!(d.add(&consumer("c2", q.clone())), Ok(None));
    assert_eq!(d.remove("c1"), None, "c2 still wants it");
    assert_eq!(d.remove("c2"), Some(Change::Unsubscribe { key }));
    assert!(d.is_empty());
}

#[test]
fn a_conduit_subscription_drops_the_selector_as_activemq_does() {
    let mut d = Demand::new(rules(), Arc::from("B"));
    let mut c = consumer("c1", Destination::topic("t"));
    c.selector = Some("x = 1".into());
    let (_, req) = subscribed(d.add(&c).expect("demand"));
    assert_eq!(req.selector, None);

    let mut plain = rules();
    plain.conduit = false;
    let mut d = Demand::new(plain, Arc::from("B"));
    let (_, req) = subscribed(d.add(&c).expect("demand"));
    assert_eq!(req.selector.as_deref(), Some("x = 1"));
    let (_, _) = subscribed(
        d.add(&consumer("c2", Destination::topic("t")))
            .expect("demand"),
    );
    assert_eq!(d.len(), 2, "one local consumer per peer consumer");
}

#[test]
fn demand_that_passed_through_here_or_too_far_is_ignored() {
    let mut r = rules();
    r.consumer_ttl = 2;
    let mut d = Demand::new(r, Arc::from("B"));
    let mut looped = consumer("c1", Destination::queue("q"));
    looped.broker_path = vec![Arc::from("A")];
    assert_eq!(d.add(&looped), Err(Ignored::Loop));
    let mut far = consumer("c2", Destination::queue("q"));
    far.broker_path = vec![Arc::from("X"), Arc::from("Y")];
    assert_eq!(d.add(&far), Err(Ignored::TooManyHops));
    let mut browser = consumer("c3", Destination::queue("q"));
    browser.browser = true;
    assert_eq!(d.add(&browser), Err(Ignored::Browser));
    let mut near = consumer("c4", Destination::queue("q"));
    near.broker_path = vec![Arc::from("X")];
    let (_, req) = subscribed(d.add(&near).expect("one hop is within 2"));
    assert_eq!(
        req.network.broker_path,
        vec![Arc::<str>::from("X"), Arc::from("B")],
        "the path it came by, then the peer"
    );
}

#[test]
fn exclusions_win_over_inclusions_and_dynamic_inclusions_limit_demand() {
    let mut r = rules();
    r.excluded = vec![Destination::queue("secret.>")];
    r.dynamically_included = vec![Destination::queue("shared.>"), Destination::topic("news.*")];
    let d = Demand::new(r, Arc::from("B"));
    assert!(d.rules.permits(&Destination::queue("shared.a")));
    assert!(d.rules.permits(&Destination::topic("news.x")));
    assert!(
        !d.rules.permits(&Destination::topic("shared.a")),
        "kind matters"
    );
    assert!(!d.rules.permits(&Destination::queue("other")));
    let mut r = d.rules.clone();
    r.dynamically_included = vec![Destination::queue(">")];
    assert!(!r.permits(&Destination::queue("secret.x")));
    r.bridge_temp_destinations = false;
    assert!(!r.permits(&Destination::new(
        broker::DestinationKind::TempQueue,
        "ID:x:1:1"
    )));
}

#[test]
fn statically_included_destinations_are_subscribed_at_start_and_stay() {
    let mut r = rules();
    r.statically_included = vec![Destination::queue("orders.>")];
    let mut d = Demand::new(r, Arc::from("B"));
    let changes = d.start();
    assert_eq!(changes.len(), 1);
    // A peer consumer of a matching queue joins it (conduit) and leaving
    // does not remove it.
    assert_eq!(
        d.add(&consumer("c1", Destination::queue("orders.eu"))),
        Ok(None)
    );
    assert_eq!(d.remove("c1"), None);
    assert_eq!(d.len(), 1);
}

#[test]
fn queue_demand_from_another_bridge_is_not_conduited() {
    let mut d = Demand::new(rules(), Arc::from("B"));
    let q = Destination::queue("q");
    subscribed(d.add(&consumer("c1", q.clone())).expect("demand"));
    let mut proxy = consumer("n1", q.clone());
    proxy.network_subscription = true;
    proxy.broker_path = Vec::new();
    subscribed(d.add(&proxy).expect("its own local consumer"));
    assert_eq!(d.len(), 2);
}

#[test]
fn decreased_priority_falls_with_the_length_of_the_path() {
    let mut r = rules();
    r.decrease_priority = true;
    r.consumer_ttl = -1;
    let mut d = Demand::new(r, Arc::from("B"));
    let mut near = consumer("c1", Destination::queue("a"));
    near.priority = 9;
    let (_, req) = subscribed(d.add(&near).expect("demand"));
    assert_eq!(req.priority, -5);
    let mut far = consumer("c2", Destination::queue("b"));
    far.broker_path = vec![Arc::from("X"), Arc::from("Y")];
    let (_, req) = subscribed(d.add(&far).expect("demand"));
    // [X, Y, B]: three brokers away.
    assert_eq!(req.priority, -5 - 4);
}

fn interest(dest: Destination, consumers: &[&str], priority: i8) -> Arc<broker::Interest> {
    Arc::new(broker::Interest {
        consumer: broker::ConsumerId(1),
        destination: dest.clone(),
        selector: None,
        network: broker::Network {
            subscription: true,
            broker_path: vec![Arc::from("C")],
            consumer_path: consumers.iter().map(|c| Arc::from(*c)).collect(),
        },
        priority,
        about: Arc::new(broker::ConsumerAbout {
            id: Arc::from("x"),
            connection: Arc::from("y"),
            destination: dest,
            prefetch: 1,
            selector: None,
            durable_name: None,
            no_local: false,
            exclusive: false,
            priority,
            retroactive: false,
            network: broker::Network::default(),
            native: None,
        }),
    })
}

#[test]
fn a_second_route_to_the_same_topic_consumer_is_a_duplicate() {
    let t = Destination::topic("t");
    let mut d = Demand::new(rules(), Arc::from("B"));
    let mut via_b = consumer("nB", t.clone());
    via_b.network_subscription = true;
    via_b.network_consumers = vec![Arc::from("c1")];
    via_b.broker_path = vec![Arc::from("C")];
    let mut r = rules();
    r.consumer_ttl = 2;
    let mut d2 = Demand::new(r, Arc::from("B"));
    let (_, candidate) = subscribed(d2.add(&via_b).expect("demand"));
    assert_eq!(
        candidate.network.consumer_path,
        vec![Arc::<str>::from("c1"), Arc::from("nB")]
    );
    let direct = [interest(t.clone(), &["c1"], 0)];
    assert!(duplicate_route(&candidate, &direct, false, true));
    assert!(
        !duplicate_route(&candidate, &direct, false, false),
        "suppression off"
    );
    let other = [interest(t.clone(), &["c9"], 0)];
    assert!(!duplicate_route(&candidate, &other, false, true));
    let lower = [interest(t, &["c1"], -1)];
    assert!(
        !duplicate_route(&candidate, &lower, false, true),
        "a better route is kept"
    );
    let _ = d.add(&consumer("c1", Destination::topic("t")));
}

#[test]
fn durable_peer_subscribers_share_one_durable_local_subscription_that_outlives_them() {
    let mut d = Demand::new(rules(), Arc::from("B"));
    let t = Destination::topic("news");
    let mut s1 = consumer("c1", t.clone());
    s1.durable = Some("sub1".into());
    s1.client_id = Some("app".into());
    let (key, req) = subscribed(d.add(&s1).expect("demand"));
    assert_eq!(req.durable_name.as_deref(), Some("NC-DS_a_news"));
    // Offline: the consumer closes, the subscription stays.
    assert_eq!(d.remove("c1"), Some(Change::Deactivate { key }));
    // Back: the same subscription again.
    let mut again = s1.clone();
    again.id = "c1b".into();
    let (key2, req) = subscribed(d.add(&again).expect("demand"));
    assert_eq!(key2, key);
    assert_eq!(req.durable_name.as_deref(), Some("NC-DS_a_news"));
    // A plain subscriber of the topic gets its own, non-durable one.
    let (_, plain) = subscribed(d.add(&consumer("c2", t.clone())).expect("demand"));
    assert_eq!(plain.durable_name, None);
    // Deleted on the peer: deleted here.
    assert_eq!(d.remove_durable(&t, "other", "sub1"), None, "not that one");
    assert_eq!(
        d.remove_durable(&t, "app", "sub1"),
        Some(Change::RemoveDurable {
            key,
            name: "NC-DS_a_news".into()
        })
    );
}

use super::*;
use crate::destination::Destination;
use crate::message::Body;

fn message(props: &[(&str, Value)]) -> Message {
    let mut m = Message::new(
        MessageId::from("ID:p-1:1:1:1:7"),
        Destination::queue("q"),
        Body::Text(Arc::from("hi")),
    );
    m.properties = props
        .iter()
        .map(|(k, v)| (Arc::from(*k), v.clone()))
        .collect();
    m
}

fn s(v: &str) -> Value {
    Value::String(Arc::from(v))
}

fn spec(props: &[(&str, Value)]) -> Spec {
    match classify(&message(props), true).unwrap() {
        Intent::Schedule(spec) => spec,
        other => panic!("not scheduled: {other:?}"),
    }
}

fn job(props: &[(&str, Value)], now: i64) -> Job {
    Job::new(
        Arc::from("job-1"),
        spec(props),
        Arc::new(message(props)),
        now,
        &TimeZone::Utc,
    )
}

/// Fires `job` whenever due, up to `until`, as the broker's timer would;
/// returns the firing times and the delivered copies.
fn run(mut jobs: Vec<Job>, until: i64) -> Vec<(i64, Message)> {
    let mut ids = Ids::new("b", 1);
    let mut out = Vec::new();
    let mut guard = 0;
    while let Some(i) = (0..jobs.len())
        .filter(|&i| jobs[i].next <= until)
        .min_by_key(|&i| jobs[i].next)
    {
        guard += 1;
        assert!(guard < 10_000, "runaway schedule");
        let j = jobs.remove(i);
        let now = j.next;
        let fired = j.fire(now, &mut ids, &TimeZone::Utc);
        if let Some(m) = fired.deliver {
            out.push((now, m));
        }
        jobs.extend(fired.keep);
        jobs.extend(fired.spawn);
    }
    out
}

#[test]
fn messages_without_scheduling_properties_are_delivered() {
    assert_eq!(classify(&message(&[]), true).unwrap(), Intent::Deliver);
    let m = message(&[("colour", s("red"))]);
    assert_eq!(classify(&m, true).unwrap(), Intent::Deliver);
    // A repeat alone schedules nothing (ActiveMQ: only delay, period, cron).
    let m = message(&[(REPEAT, s("2"))]);
    assert_eq!(classify(&m, true).unwrap(), Intent::Deliver);
}

#[test]
fn with_the_scheduler_off_the_properties_are_checked_but_ignored() {
    let m = message(&[(DELAY, Value::Long(5000))]);
    assert_eq!(classify(&m, false).unwrap(), Intent::Deliver);
    let bad = message(&[(DELAY, s("abc"))]);
    assert!(classify(&bad, false).is_err());
}

#[test]
fn bad_values_are_refused_as_activemq_refuses_them() {
    let err = |props: &[(&str, Value)]| classify(&message(props), true).unwrap_err().to_string();
    assert_eq!(err(&[(DELAY, s("abc"))]), "For input string: \"abc\"");
    assert_eq!(err(&[(DELAY, s(" 1000"))]), "For input string: \" 1000\"");
    assert_eq!(err(&[(DELAY, s("1000.5"))]), "For input string: \"1000.5\"");
    assert_eq!(
        err(&[(DELAY, s("-1000"))]),
        "AMQ_SCHEDULED_DELAY must not be a negative value"
    );
    assert_eq!(
        err(&[(PERIOD, Value::Long(-1))]),
        "AMQ_SCHEDULED_PERIOD must not be a negative value"
    );
    assert_eq!(
        err(&[(PERIOD, s("100")), (REPEAT, s("-2"))]),
        "AMQ_SCHEDULED_REPEAT must not be a negative value"
    );
    assert_eq!(
        err(&[(PERIOD, s("100")), (REPEAT, s("99999999999"))]),
        "For input string: \"99999999999\""
    );
    assert_eq!(
        err(&[(CRON, s("bad"))]),
        "Not a valid cron entry - wrong number of tokens(1): bad"
    );
    assert_eq!(err(&[(CRON, s("70 * * * *"))]), "Invalid token: Minutes:70");
    assert_eq!(
        classify(&message(&[(PERIOD, s("100")), (REPEAT, s("1001"))]), true),
        Err(ScheduleError::RepeatTooLarge)
    );
    assert!(classify(&message(&[(PERIOD, s("100")), (REPEAT, s("1000"))]), true).is_ok());
}

#[test]
fn a_message_already_fired_is_never_scheduled_again() {
    let m = message(&[(DELAY, s("5000")), (JOB_ID, s("x"))]);
    assert_eq!(classify(&m, true).unwrap(), Intent::Deliver);
}

#[test]
fn management_requests_are_recognised_by_destination_prefix() {
    let mut m = message(&[(ACTION, s("REMOVEALL"))]);
    m.destination = Destination::queue("activemq.scheduler.management");
    assert_eq!(
        classify(&m, true).unwrap(),
        Intent::Manage(Action::RemoveAll(None))
    );
    m.properties.push((Arc::from(ACTION_START), Value::Long(5)));
    m.properties.push((Arc::from(ACTION_END), s("9")));
    assert_eq!(
        classify(&m, true).unwrap(),
        Intent::Manage(Action::RemoveAll(Some((5, 9))))
    );
    let mut rm = message(&[(ACTION, s("REMOVE")), (JOB_ID, s("j1"))]);
    rm.destination = Destination::topic("ActiveMQ.Scheduler.Management");
    assert_eq!(
        classify(&rm, true).unwrap(),
        Intent::Manage(Action::Remove(Arc::from("j1")))
    );
    // BROWSE needs somewhere to send the jobs.
    let mut br = message(&[(ACTION, s("BROWSE"))]);
    br.destination = Destination::queue(MANAGEMENT);
    assert_eq!(
        classify(&br, true).unwrap(),
        Intent::Manage(Action::Nothing)
    );
    br.reply_to = Some(Destination::queue("replies"));
    assert_eq!(
        classify(&br, true).unwrap(),
        Intent::Manage(Action::Browse(None))
    );
    // Off, it is an ordinary queue.
    assert_eq!(classify(&br, false).unwrap(), Intent::Deliver);
}

#[test]
fn a_delay_fires_once_keeping_the_message_id() {
    let out = run(vec![job(&[(DELAY, s("5000"))], 1_000)], i64::MAX);
    assert_eq!(out.len(), 1);
    let (at, m) = &out[0];
    assert_eq!(*at, 6_000);
    assert_eq!(m.id.as_str(), "ID:p-1:1:1:1:7");
    assert_eq!(m.property(JOB_ID), Some(&s("job-1")));
    assert!(m.property(DELAY).is_none());
}

#[test]
fn period_and_repeat_fire_repeat_plus_one_times_with_new_ids() {
    let props = [(PERIOD, Value::Long(1000)), (REPEAT, Value::Int(3))];
    let out = run(vec![job(&props, 0)], i64::MAX);
    let times: Vec<i64> = out.iter().map(|(t, _)| *t).collect();
    // Without a delay the first firing waits one period.
    assert_eq!(times, vec![1000, 2000, 3000, 4000]);
    let mut ids: Vec<&str> = out.iter().map(|(_, m)| m.id.as_str()).collect();
    ids.dedup();
    assert_eq!(ids.len(), 4, "each repeat is a new message");
    assert!(ids.iter().all(|i| *i != "ID:p-1:1:1:1:7"));
    for (_, m) in &out {
        assert!(m
            .properties
            .iter()
            .all(|(k, _)| !k.starts_with("AMQ_SCHEDULED_")));
        assert_eq!(m.property(JOB_ID), Some(&s("job-1")));
    }
}

#[test]
fn a_delay_comes_first_then_the_period() {
    let props = [(DELAY, s("500")), (PERIOD, s("300")), (REPEAT, s("2"))];
    let out = run(vec![job(&props, 0)], i64::MAX);
    let times: Vec<i64> = out.iter().map(|(t, _)| *t).collect();
    assert_eq!(times, vec![500, 800, 1100]);
}

#[test]
fn a_period_without_repeat_fires_once() {
    let out = run(vec![job(&[(PERIOD, s("700"))], 0)], i64::MAX);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].0, 700);
}

#[test]
fn a_cron_job_fires_at_each_cron_time_and_never_ends() {
    let minute = 60_000;
    let props = [(CRON, s("* * * * *"))];
    let out = run(vec![job(&props, 10_000)], 10_000 + 3 * minute);
    let times: Vec<i64> = out.iter().map(|(t, _)| *t).collect();
    assert_eq!(times, vec![minute, 2 * minute, 3 * minute]);
    assert_ne!(out[0].1.id, out[1].1.id);
    let j = job(&props, 10_000);
    let fired = j.fire(minute, &mut Ids::new("b", 1), &TimeZone::Utc);
    assert_eq!(fired.keep.map(|j| j.next), Some(2 * minute));
}

#[test]
fn cron_with_a_delay_waits_the_delay_after_the_first_cron_time_only() {
    let minute = 60_000;
    let props = [(CRON, s("* * * * *")), (DELAY, s("2000"))];
    let out = run(vec![job(&props, 10_000)], 3 * minute);
    let times: Vec<i64> = out.iter().map(|(t, _)| *t).collect();
    assert_eq!(times, vec![minute + 2000, 2 * minute, 3 * minute]);
}

#[test]
fn cron_with_repeat_starts_a_run_at_each_cron_time() {
    let minute = 60_000;
    let props = [
        (CRON, s("* * * * *")),
        (PERIOD, s("1000")),
        (REPEAT, s("2")),
    ];
    let out = run(vec![job(&props, 10_000)], 2 * minute + 30_000);
    let times: Vec<i64> = out.iter().map(|(t, _)| *t).collect();
    // The job's own first time is the cron time plus the period; there it
    // starts a run (one period later, then two repeats), and again at
    // every later cron time.
    let m = minute;
    assert_eq!(
        times,
        vec![
            m + 2000,
            m + 3000,
            m + 4000,
            2 * m + 1000,
            2 * m + 2000,
            2 * m + 3000
        ],
        "{times:?}"
    );
    // Each run is a job of its own.
    let jobs: Vec<_> = out
        .iter()
        .map(|(_, m)| m.property(JOB_ID).cloned())
        .collect();
    assert!(jobs.iter().all(|j| j.as_ref() != Some(&s("job-1"))));
}

#[test]
fn an_expiring_message_gets_its_time_to_live_again_at_the_firing() {
    let mut m = message(&[(DELAY, Value::Long(10_000))]);
    m.timestamp = 1_000;
    m.expiration = 4_000;
    let j = Job::new(
        Arc::from("j"),
        spec(&[(DELAY, Value::Long(10_000))]),
        Arc::new(m),
        1_000,
        &TimeZone::Utc,
    );
    let copy = j.copy(11_000, &mut Ids::new("b", 1));
    assert_eq!(copy.timestamp, 11_000);
    assert_eq!(copy.expiration, 14_000);
}

#[test]
fn jobs_come_out_in_time_order_and_only_when_due() {
    let mut jobs = Jobs::default();
    for (id, next) in [("a", 300), ("b", 100), ("c", 200), ("d", 100)] {
        let mut j = job(&[(DELAY, s("1"))], 0);
        j.id = Arc::from(id);
        j.next = next;
        jobs.insert(j);
    }
    assert_eq!(jobs.next_due(), Some(100));
    assert!(jobs.pop_due(99).is_none());
    let order: Vec<String> = std::iter::from_fn(|| jobs.pop_due(250))
        .map(|j| j.id.to_string())
        .collect();
    assert_eq!(order, vec!["b", "d", "c"]);
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs.list(Some((0, 299))).len(), 0);
    assert!(jobs.remove("a").is_some());
    assert!(jobs.is_empty());
    assert!(jobs.next_due().is_none());
}

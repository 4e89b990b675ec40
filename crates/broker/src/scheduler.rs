//! Scheduled delivery (ActiveMQ's `schedulerSupport`): what the
//! `AMQ_SCHEDULED_*` properties ask for, the time-ordered set of jobs, and
//! what a job does when it comes due.
//!
//! Everything here takes the time as an argument (`now`, milliseconds since
//! the epoch) and never reads a clock, so tests drive it with any clock.
//! The core (`scheduled.rs`) wires it to sending, the store and routing.
//!
//! ActiveMQ's semantics, from `SchedulerBroker` and the KahaDB
//! `JobSchedulerImpl` (5.17):
//!
//! - A message is scheduled when it has `AMQ_SCHEDULED_DELAY`,
//!   `AMQ_SCHEDULED_PERIOD` or `AMQ_SCHEDULED_CRON`, and no `scheduledJobId`
//!   (a message already fired by a scheduler is never scheduled again).
//!   `AMQ_SCHEDULED_REPEAT` alone schedules nothing.
//! - First firing: the next cron time (or now, without cron), plus the
//!   delay if it is positive, else plus the period.
//! - Without cron: each firing delivers a copy; while repeats remain, the
//!   job comes back `period` after the firing and one repeat is used up.
//! - With cron and no repeat: each cron time delivers a copy. With cron and
//!   a repeat: each cron time starts a new job of its own (delay, period,
//!   repeat, no cron) and delivers nothing itself. A cron job never ends.
//! - A delivered copy carries `scheduledJobId` and none of the four
//!   `AMQ_SCHEDULED_*` properties. It gets a new message id when the
//!   message has a non-zero `AMQ_SCHEDULED_REPEAT` or a cron entry, else it
//!   keeps the producer's. If it has an expiry, its time to live starts
//!   again at the firing.
//!
//! ActiveMQ rounds the start time up to the next 500 ms; Ferrum does not,
//! so a delay is kept to within the timer's accuracy instead.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use crate::cron::{Cron, CronError};
use crate::message::{Message, MessageId, Value};

pub const DELAY: &str = "AMQ_SCHEDULED_DELAY";
pub const PERIOD: &str = "AMQ_SCHEDULED_PERIOD";
pub const REPEAT: &str = "AMQ_SCHEDULED_REPEAT";
pub const CRON: &str = "AMQ_SCHEDULED_CRON";
/// Set on every fired copy; also how REMOVE names a job.
pub const JOB_ID: &str = "scheduledJobId";
pub const MANAGEMENT: &str = "ActiveMQ.Scheduler.Management";
pub const ACTION: &str = "AMQ_SCHEDULER_ACTION";
pub const ACTION_START: &str = "ACTION_START_TIME";
pub const ACTION_END: &str = "ACTION_END_TIME";

/// ActiveMQ's `maxRepeatAllowed` default, against clients that would make
/// the broker deliver forever.
pub const MAX_REPEAT: i64 = 1000;

/// A scheduling property ActiveMQ would refuse; the texts are ActiveMQ's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    /// Not a number (`Long.valueOf` failed).
    #[error("For input string: \"{0}\"")]
    NotANumber(String),
    #[error("{0} must not be a negative value")]
    Negative(&'static str),
    #[error("{0}")]
    Cron(#[from] CronError),
    /// Refused by the scheduler rather than when the message was read:
    /// ActiveMQ answers it with an error and keeps the connection.
    #[error("The scheduled repeat value is too large")]
    RepeatTooLarge,
}

/// What a message's scheduling properties ask for.
#[derive(Clone, Debug, PartialEq)]
pub struct Spec {
    pub delay: i64,
    pub period: i64,
    pub repeat: i64,
    pub cron: Option<(Arc<str>, Cron)>,
}

/// A management request sent to `ActiveMQ.Scheduler.Management`.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Send a copy of every job (with its next time in the range, if
    /// given) to the request's reply-to destination.
    Browse(Option<(i64, i64)>),
    Remove(Arc<str>),
    /// Remove every job (with its next time in the range, if given).
    RemoveAll(Option<(i64, i64)>),
    /// No or an unknown action: the request is dropped.
    Nothing,
}

/// What the core should do with a message on its way in.
#[derive(Debug, PartialEq)]
pub enum Intent {
    Deliver,
    Schedule(Spec),
    Manage(Action),
}

/// Whether a property name is one of the scheduling ones.
fn is_scheduling(name: &str) -> bool {
    name.starts_with("AMQ_SCHEDULED_")
}

/// A numeric property as ActiveMQ's `TypeConversionSupport` reads it.
fn number(name: &'static str, v: &Value, bits32: bool) -> Result<i64, ScheduleError> {
    let n = match v {
        Value::Byte(n) => i64::from(*n),
        Value::Short(n) => i64::from(*n),
        Value::Int(n) => i64::from(*n),
        Value::Long(n) => *n,
        Value::String(s) => {
            let parsed = if bits32 {
                s.parse::<i32>().map(i64::from)
            } else {
                s.parse::<i64>()
            };
            parsed.map_err(|_| ScheduleError::NotANumber(s.to_string()))?
        }
        other => return Err(ScheduleError::NotANumber(other.to_header_string())),
    };
    if n < 0 {
        return Err(ScheduleError::Negative(name));
    }
    Ok(n)
}

/// Checks a message's scheduling properties the way ActiveMQ checks them
/// when a message is read (its `convertScheduled`: numbers, not negative,
/// a valid cron entry), whether or not the scheduler is on.
///
/// # Errors
/// [`ScheduleError`] for a value ActiveMQ refuses.
pub fn validate(message: &Message) -> Result<Option<Spec>, ScheduleError> {
    // The common case, a message without any: one pass over the names.
    if !message.properties.iter().any(|(k, _)| is_scheduling(k)) {
        return Ok(None);
    }
    let get = |name| message.property(name);
    let delay = get(DELAY).map(|v| number(DELAY, v, false)).transpose()?;
    let period = get(PERIOD).map(|v| number(PERIOD, v, false)).transpose()?;
    let repeat = get(REPEAT).map(|v| number(REPEAT, v, true)).transpose()?;
    let cron = match get(CRON) {
        Some(v) => {
            let text: Arc<str> = match v {
                Value::String(s) => Arc::clone(s),
                other => Arc::from(other.to_header_string()),
            };
            let parsed = Cron::parse(&text)?;
            Some((text, parsed))
        }
        None => None,
    };
    if delay.is_none() && period.is_none() && cron.is_none() {
        return Ok(None);
    }
    Ok(Some(Spec {
        delay: delay.unwrap_or(0),
        period: period.unwrap_or(0),
        repeat: repeat.unwrap_or(0),
        cron,
    }))
}

/// What to do with a message arriving at the broker, the scheduler being
/// on (`support`) or off. Off, the properties are checked but ignored.
///
/// # Errors
/// [`ScheduleError`] for a value ActiveMQ refuses.
pub fn classify(message: &Message, support: bool) -> Result<Intent, ScheduleError> {
    let spec = validate(message)?;
    if !support {
        return Ok(Intent::Deliver);
    }
    let name = &message.destination.name;
    if name.len() >= MANAGEMENT.len()
        && name.as_bytes()[..MANAGEMENT.len()].eq_ignore_ascii_case(MANAGEMENT.as_bytes())
    {
        return Ok(Intent::Manage(action(message)));
    }
    match spec {
        Some(_) if message.property(JOB_ID).is_some() => Ok(Intent::Deliver),
        Some(spec) if spec.repeat > MAX_REPEAT => Err(ScheduleError::RepeatTooLarge),
        Some(spec) => Ok(Intent::Schedule(spec)),
        None => Ok(Intent::Deliver),
    }
}

fn action(message: &Message) -> Action {
    let range = || {
        let n = |name| match message.property(name)? {
            Value::String(s) => s.parse::<i64>().ok(),
            v => number("range", v, false).ok(),
        };
        Some((n(ACTION_START)?, n(ACTION_END)?))
    };
    let text = |name| message.property(name).map(Value::to_header_string);
    match text(ACTION).as_deref() {
        Some("BROWSE") if message.reply_to.is_some() => Action::Browse(range()),
        Some("REMOVE") => match text(JOB_ID) {
            Some(id) => Action::Remove(Arc::from(id)),
            None => Action::Nothing,
        },
        Some("REMOVEALL") => Action::RemoveAll(range()),
        _ => Action::Nothing,
    }
}

/// A scheduled job.
#[derive(Clone, Debug, PartialEq)]
pub struct Job {
    pub id: Arc<str>,
    /// When it fires next.
    pub next: i64,
    pub delay: i64,
    pub period: i64,
    /// Firings left after the next one (cron jobs: passed on to the jobs
    /// each cron time starts).
    pub repeat: i64,
    pub cron: Option<(Arc<str>, Cron)>,
    /// The message as its producer sent it, scheduling properties and all.
    pub message: Arc<Message>,
}

/// What one firing of a job does.
#[derive(Debug, Default)]
pub struct Fired {
    /// A copy to route now.
    pub deliver: Option<Message>,
    /// The job again, with its next time; `None`: it is done.
    pub keep: Option<Job>,
    /// A new job (a cron time starting a delay/period/repeat run).
    pub spawn: Option<Job>,
}

/// Makes the ids the scheduler gives jobs and fired copies: unique across
/// restarts (the prefix has the broker's start time), shaped like
/// ActiveMQ's (`producer id:sequence`) so clients can parse them.
#[derive(Debug)]
pub struct Ids {
    prefix: String,
    jobs: u64,
    messages: u64,
}

impl Ids {
    pub fn new(broker: &str, started_ms: i64) -> Ids {
        Ids {
            prefix: format!("ID:{broker}-scheduler-{started_ms}"),
            jobs: 0,
            messages: 0,
        }
    }

    pub fn job(&mut self) -> Arc<str> {
        self.jobs += 1;
        Arc::from(format!("{}-1:1:1:1:{}", self.prefix, self.jobs))
    }

    pub fn message(&mut self) -> MessageId {
        self.messages += 1;
        MessageId::from(format!("{}-2:1:1:1:{}", self.prefix, self.messages))
    }
}

impl Job {
    /// A new job for `message` as asked by `spec`, at `now`.
    pub fn new(id: Arc<str>, spec: Spec, message: Arc<Message>, now: i64, tz: &TimeZone) -> Job {
        let start = spec
            .cron
            .as_ref()
            .and_then(|(_, c)| tz.next_after(c, now))
            .unwrap_or(now);
        let next = start.saturating_add(if spec.delay > 0 {
            spec.delay
        } else {
            spec.period
        });
        Job {
            id,
            next,
            delay: spec.delay,
            period: spec.period,
            repeat: spec.repeat,
            cron: spec.cron,
            message,
        }
    }

    /// Fires the job at `now`.
    pub fn fire(mut self, now: i64, ids: &mut Ids, tz: &TimeZone) -> Fired {
        let Some((_, cron)) = &self.cron else {
            let deliver = Some(self.copy(now, ids));
            if self.repeat == 0 {
                return Fired {
                    deliver,
                    ..Fired::default()
                };
            }
            self.repeat -= 1;
            self.next = now.saturating_add(self.period);
            return Fired {
                deliver,
                keep: Some(self),
                spawn: None,
            };
        };
        let next = tz.next_after(cron, now);
        let mut fired = Fired::default();
        if self.repeat == 0 {
            fired.deliver = Some(self.copy(now, ids));
        } else {
            let spec = Spec {
                delay: self.delay,
                period: self.period,
                repeat: self.repeat,
                cron: None,
            };
            fired.spawn = Some(Job::new(
                ids.job(),
                spec,
                Arc::clone(&self.message),
                now,
                tz,
            ));
        }
        if let Some(next) = next {
            self.next = next;
            fired.keep = Some(self);
        }
        fired
    }

    /// The copy a firing delivers.
    pub fn copy(&self, now: i64, ids: &mut Ids) -> Message {
        let mut m = (*self.message).clone();
        let repeats = m
            .property(REPEAT)
            .and_then(|v| number(REPEAT, v, true).ok())
            .is_some_and(|r| r != 0);
        let cron = m
            .property(CRON)
            .is_some_and(|v| !v.to_header_string().is_empty());
        if repeats || cron {
            // The same message is delivered several times: each copy is a
            // message of its own.
            m.id = ids.message();
        }
        // A protocol's wire form would carry the old id and properties.
        m.native = None;
        // Sent by the scheduler, not the producer's connection (noLocal).
        m.origin = None;
        m.properties.retain(|(k, _)| !is_scheduling(k));
        m.properties
            .push((Arc::from(JOB_ID), Value::String(Arc::clone(&self.id))));
        if m.timestamp > 0 && m.expiration > 0 {
            let ttl = m.expiration - m.timestamp;
            let expiration = ttl.saturating_add(now);
            if expiration > m.expiration {
                if ttl > 0 {
                    m.expiration = expiration;
                }
                m.timestamp = now;
            }
        }
        m
    }
}

/// The time zone cron entries are read in: the machine's, as ActiveMQ
/// uses the JVM's default; tests pin UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeZone {
    Local,
    Utc,
}

impl TimeZone {
    pub fn next_after(&self, cron: &Cron, now: i64) -> Option<i64> {
        match self {
            TimeZone::Local => cron.next_after(now, &chrono::Local),
            TimeZone::Utc => cron.next_after(now, &chrono::Utc),
        }
    }
}

/// The jobs, by next time (then by arrival, so equal times fire in order).
#[derive(Debug, Default)]
pub struct Jobs {
    by_time: BTreeMap<(i64, u64), Arc<str>>,
    by_id: HashMap<Arc<str>, (Job, u64)>,
    arrivals: u64,
    /// Memory the held messages take: it counts against the broker's
    /// memory limit, so a flood of scheduled sends is held back like any.
    bytes: usize,
}

impl Jobs {
    pub fn insert(&mut self, job: Job) {
        self.remove(&job.id);
        self.arrivals += 1;
        self.bytes += job.message.memory_size();
        self.by_time
            .insert((job.next, self.arrivals), Arc::clone(&job.id));
        self.by_id.insert(Arc::clone(&job.id), (job, self.arrivals));
    }

    pub fn remove(&mut self, id: &str) -> Option<Job> {
        let (job, arrival) = self.by_id.remove(id)?;
        self.by_time.remove(&(job.next, arrival));
        self.bytes = self.bytes.saturating_sub(job.message.memory_size());
        Some(job)
    }

    /// When the earliest job is due.
    pub fn next_due(&self) -> Option<i64> {
        self.by_time.keys().next().map(|(t, _)| *t)
    }

    /// Takes out the earliest job if it is due at `now`.
    pub fn pop_due(&mut self, now: i64) -> Option<Job> {
        let (&(t, _), id) = self.by_time.iter().next()?;
        if t > now {
            return None;
        }
        let id = Arc::clone(id);
        self.remove(&id)
    }

    /// Every job, soonest first, or those due within `range`.
    pub fn list(&self, range: Option<(i64, i64)>) -> Vec<&Job> {
        self.by_time
            .iter()
            .filter(|((t, _), _)| range.is_none_or(|(a, b)| a <= *t && *t <= b))
            .filter_map(|(_, id)| self.by_id.get(id).map(|(j, _)| j))
            .collect()
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Memory of the held messages.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }
}

#[cfg(test)]
#[path = "scheduler_tests.rs"]
mod tests;

//! Scheduled delivery wired into the core: messages handed to the
//! scheduler instead of routed, jobs kept in the store while they last,
//! due jobs routed as if newly sent, and the management destination.
//! What the properties mean and what a firing does is in `scheduler`.

use std::sync::Arc;

use crate::core::Core;
use crate::error::BrokerError;
use crate::message::{Message, Value};
use crate::routing::Routed;
use crate::scheduler::{Action, Intent, Job, Spec, JOB_ID};
use crate::store::StoredJob;

impl Core {
    /// Takes a message that is ready to go (sent outside a transaction, or
    /// committed): routes it, or schedules it, or acts on a management
    /// request, as `intent` says.
    pub fn accept(&mut self, message: Message, intent: Intent) -> Result<Routed, BrokerError> {
        match intent {
            Intent::Deliver => self.route(Arc::new(message)),
            Intent::Schedule(spec) => self.schedule_job(spec, message),
            Intent::Manage(action) => {
                self.manage(action, &message);
                Ok(Routed::default())
            }
        }
    }

    fn schedule_job(&mut self, spec: Spec, message: Message) -> Result<Routed, BrokerError> {
        let now = self.clock.now_millis();
        let id = self.schedule.ids.job();
        let job = Job::new(id, spec, Arc::new(message), now, &self.schedule.time_zone);
        self.persist(&job)?;
        Ok(self.add_job(job))
    }

    /// Adds a job; says whether it became the earliest, in which case the
    /// timer (asleep until the old earliest time) must be woken.
    fn add_job(&mut self, job: Job) -> Routed {
        let earliest_job = self.schedule.jobs.next_due().is_none_or(|t| job.next < t);
        self.schedule.jobs.insert(job);
        Routed {
            earliest_job,
            ..Routed::default()
        }
    }

    /// Writes a persistent message's job (non-persistent ones need not
    /// outlive the broker, as for messages).
    fn persist(&mut self, job: &Job) -> Result<(), BrokerError> {
        if !job.message.persistent {
            return Ok(());
        }
        self.store.schedule(&StoredJob {
            id: Arc::clone(&job.id),
            next: job.next,
            delay: job.delay,
            period: job.period,
            repeat: job.repeat,
            cron: job.cron.as_ref().map(|(text, _)| Arc::clone(text)),
            message: Arc::clone(&job.message),
        })?;
        Ok(())
    }

    fn forget_job(&mut self, job: &Job) {
        if job.message.persistent {
            if let Err(e) = self.store.unschedule(&job.id) {
                tracing::error!("scheduler: removing job {} from the store: {e}", job.id);
            }
        }
    }

    /// Fires every job due at `now`; returns how many copies it delivered.
    pub fn fire_due(&mut self, now: i64) -> usize {
        if !self.config.scheduler_support {
            return 0;
        }
        let mut delivered = 0;
        // Finite: a job due again at once (a zero period) uses up a repeat
        // each time, and a cron job's next time is always later.
        while let Some(job) = self.schedule.jobs.pop_due(now) {
            let id = Arc::clone(&job.id);
            let persistent = job.message.persistent;
            let fired = job.fire(now, &mut self.schedule.ids, &self.schedule.time_zone);
            let done = fired.keep.is_none();
            for next in fired.keep.into_iter().chain(fired.spawn) {
                if let Err(e) = self.persist(&next) {
                    tracing::error!("scheduler: storing job {}: {e}", next.id);
                }
                self.schedule.jobs.insert(next);
            }
            if persistent && done {
                if let Err(e) = self.store.unschedule(&id) {
                    tracing::error!("scheduler: removing job {id} from the store: {e}");
                }
            }
            if let Some(m) = fired.deliver {
                match self.route(Arc::new(m)) {
                    Ok(_) => delivered += 1,
                    Err(e) => tracing::warn!("scheduler: job {id}: delivery failed: {e}"),
                }
            }
        }
        delivered
    }

    /// When the next job is due (`None`: none, or the scheduler is off).
    pub fn next_due(&self) -> Option<i64> {
        if !self.config.scheduler_support {
            return None;
        }
        self.schedule.jobs.next_due()
    }

    /// A request to `ActiveMQ.Scheduler.Management`; it is not delivered.
    fn manage(&mut self, action: Action, request: &Message) {
        match action {
            Action::Browse(range) => {
                let Some(reply_to) = request.reply_to.clone() else {
                    return;
                };
                let jobs: Vec<Job> = self
                    .schedule
                    .jobs
                    .list(range)
                    .into_iter()
                    .cloned()
                    .collect();
                for job in jobs {
                    // Shaped as ActiveMQ's SchedulerBroker sends them: the
                    // scheduled message, as an advisory, to the reply-to.
                    let mut m = (*job.message).clone();
                    m.id = self.schedule.ids.message();
                    m.native = None;
                    m.origin = None;
                    m.persistent = false;
                    m.message_type = Some(Arc::from("Advisory"));
                    m.original_destination = Some(m.destination.clone());
                    m.destination = reply_to.clone();
                    m.properties.retain(|(k, _)| &**k != JOB_ID);
                    m.properties
                        .push((Arc::from(JOB_ID), Value::String(Arc::clone(&job.id))));
                    if let Err(e) = self.route(Arc::new(m)) {
                        tracing::warn!("scheduler: browse reply to {reply_to}: {e}");
                    }
                }
            }
            Action::Remove(id) => {
                if let Some(job) = self.schedule.jobs.remove(&id) {
                    self.forget_job(&job);
                }
            }
            Action::RemoveAll(range) => {
                let ids: Vec<Arc<str>> = self
                    .schedule
                    .jobs
                    .list(range)
                    .iter()
                    .map(|j| Arc::clone(&j.id))
                    .collect();
                for id in ids {
                    if let Some(job) = self.schedule.jobs.remove(&id) {
                        self.forget_job(&job);
                    }
                }
            }
            Action::Nothing => {}
        }
    }

    /// Puts back the jobs the store held; those whose time passed while the
    /// broker was down fire at the first [`Core::fire_due`].
    pub fn restore_jobs(&mut self, jobs: Vec<StoredJob>) -> Routed {
        let mut routed = Routed::default();
        for j in jobs {
            let cron = match j.cron {
                Some(text) => match crate::cron::Cron::parse(&text) {
                    Ok(c) => Some((text, c)),
                    Err(e) => {
                        tracing::error!("scheduler: stored job {}: cron {text:?}: {e}", j.id);
                        continue;
                    }
                },
                None => None,
            };
            routed |= self.add_job(Job {
                id: j.id,
                next: j.next,
                delay: j.delay,
                period: j.period,
                repeat: j.repeat,
                cron,
                message: j.message,
            });
        }
        routed
    }
}

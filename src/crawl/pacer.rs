//! Per-host politeness: every request to a host (robots.txt, sitemaps, pages, retries) takes a
//! slot here first. A slot is a concurrency permit plus a start time at least `interval` after
//! the previous slot's; a 429/503 pushes the next slot back for the whole host.

use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::{Semaphore, SemaphorePermit};
use tokio::time::Instant;

#[derive(Debug)]
pub struct Pacer {
    permits: Semaphore,
    interval: Duration,
    concurrency: u32,
    /// The earliest start of the next request. A plain mutex: it is never held across an await.
    next: Mutex<Instant>,
}

impl Pacer {
    pub fn new(interval: Duration, concurrency: u32) -> Self {
        Self {
            permits: Semaphore::new(concurrency.max(1) as usize),
            interval,
            concurrency: concurrency.max(1),
            next: Mutex::new(Instant::now()),
        }
    }

    pub fn interval(&self) -> Duration {
        self.interval
    }

    pub fn concurrency(&self) -> u32 {
        self.concurrency
    }

    /// Wait for a permit and for this request's start time. Hold the permit until the
    /// response is read.
    #[cfg_attr(
        not(test),
        expect(clippy::expect_used, reason = "the semaphore is never closed")
    )]
    pub async fn slot(&self) -> SemaphorePermit<'_> {
        let permit = self
            .permits
            .acquire()
            .await
            .expect("pacer semaphore is never closed");
        let start = {
            let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
            let start = (*next).max(Instant::now());
            *next = start + self.interval;
            start
        };
        // Only sleep when there is something to wait for: tokio's timer rounds a deadline up
        // to its next 1 ms tick, so sleeping until "now" parked every request for up to a
        // millisecond. With `--delay 0` that was most of a request's latency on loopback (the
        // crawler sat idle a third of the time at 16 connections).
        if start > Instant::now() {
            tokio::time::sleep_until(start).await;
        }
        // A busy machine may wake us late: the next request keeps a full interval from the
        // moment this one really leaves, not from its planned start.
        let now = Instant::now();
        if now > start {
            let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
            *next = (*next).max(now + self.interval);
        }
        permit
    }

    /// No request to this host before `until` (Retry-After, backoff).
    pub fn hold_until(&self, until: Instant) {
        let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
        if until > *next {
            *next = until;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::future::Future;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn slots_are_spaced_by_the_interval() {
        let pacer = Pacer::new(Duration::from_millis(100), 4);
        let t0 = Instant::now();
        let mut starts = Vec::new();
        for _ in 0..3 {
            let _permit = pacer.slot().await;
            starts.push(Instant::now() - t0);
        }
        assert_eq!(starts, [0, 100, 200].map(Duration::from_millis));
    }

    #[tokio::test]
    async fn without_a_delay_a_free_slot_is_ready_at_once() {
        // Not even one trip through the timer: it would round "now" up to its next
        // millisecond tick, a millisecond per request on a fast site.
        let pacer = Pacer::new(Duration::ZERO, 2);
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        for _ in 0..5 {
            let slot = std::pin::pin!(pacer.slot());
            assert!(slot.poll(&mut cx).is_ready());
        }
    }

    #[tokio::test(start_paused = true)]
    async fn hold_pushes_back_the_next_slot() {
        let pacer = Pacer::new(Duration::ZERO, 1);
        let t0 = Instant::now();
        pacer.hold_until(t0 + Duration::from_secs(5));
        let _permit = pacer.slot().await;
        assert!(Instant::now() - t0 >= Duration::from_secs(5));
    }
}

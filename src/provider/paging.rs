//! Paged listings, for both clouds: the first page announces the total, then
//! every page after it is in flight together (within `max_in_flight`, each
//! request paced by the transport), read back in order.

use std::future::Future;

use futures_util::stream::FuturesUnordered;
use futures_util::{StreamExt, TryStreamExt, stream};

use crate::model::Cloud;
use crate::provider::error::{ProviderError, ProviderErrorKind};

/// One page of a listing, as its caller decoded it.
pub(crate) struct Page<I> {
    /// The page's items.
    pub(crate) items: Vec<I>,
    /// The total the listing announces (`TotalRecordCount`, `total_record`).
    pub(crate) total: Option<u64>,
    /// The request id of the answer.
    pub(crate) request_id: Option<String>,
}

/// How one listing is walked.
pub(crate) struct Walk {
    /// Named in errors.
    pub(crate) cloud: Cloud,
    /// Named in errors.
    pub(crate) operation: &'static str,
    /// The page size every request asks for: a shorter page is the last.
    pub(crate) page_size: usize,
    /// How many pages may be in flight at once.
    pub(crate) max_in_flight: usize,
}

impl Walk {
    /// The items of the listing `fetch(page_number)` (from 1) serves that
    /// `keep` leaves in each page (a read drops the jobs nobody declared as
    /// each page comes, rather than holding the whole listing); `keep` also
    /// says when the caller has what it needs. Stops then, at a short page,
    /// or at the announced total: ⌈total / page size⌉ requests at most.
    ///
    /// # Errors
    ///
    /// The first page's error, and a listing that runs past the pages its
    /// total announced (a located `Malformed`, with the last request id).
    pub(crate) async fn collect<I, F, Fut>(
        &self,
        fetch: F,
        mut keep: impl FnMut(&mut Vec<I>) -> bool,
    ) -> Result<Vec<I>, ProviderError>
    where
        F: Fn(usize) -> Fut,
        Fut: Future<Output = Result<Page<I>, ProviderError>>,
    {
        let mut first = fetch(1).await?;
        let total = first.total;
        // Items listed so far, kept or not.
        let mut listed = first.items.len() as u64;
        let complete = |listed: u64| total.is_some_and(|t| listed >= t);
        let short = first.items.len() < self.page_size;
        let done = keep(&mut first.items);
        let mut items = first.items;
        if done || short || complete(listed) {
            return Ok(items);
        }
        // Without a total the listing can only be walked one page at a time.
        let last = total.map_or(usize::MAX, |t| {
            usize::try_from(t.div_ceil(self.page_size as u64)).unwrap_or(usize::MAX)
        });
        let in_flight = if total.is_some() { self.max_in_flight } else { 1 };
        let mut rest = stream::iter(2..=last).map(&fetch).buffered(in_flight);
        let mut page_number = 1;
        while let Some(mut page) = rest.try_next().await? {
            page_number += 1;
            listed += page.items.len() as u64;
            let short = page.items.len() < self.page_size;
            let done = keep(&mut page.items);
            items.append(&mut page.items);
            if done || short || complete(listed) {
                return Ok(items);
            }
            if page_number >= last {
                return Err(ProviderError {
                    request_id: page.request_id,
                    ..ProviderError::local(
                        self.cloud,
                        self.operation,
                        ProviderErrorKind::Malformed {
                            reason: format!(
                                "the listing did not end after the {page_number} pages its total announced"
                            ),
                            excerpt: String::new(),
                        },
                    )
                });
            }
        }
        Ok(items)
    }
}

/// Runs `tasks`, at most `limit` at a time, handing each result to `each`
/// as it finishes (in the order they finish); the first error ends it.
/// Each task is made only as a slot frees: made up front (a read's 300 DRS
/// chunks, or 167 `DescribeDtsJobs` filters at 50,000 jobs), their futures
/// held megabytes while waiting for the `max_in_flight` requests the
/// transport lets through anyway. Handed over at once, the results are not
/// held until the last one (a read's filters, 4.4 MB of live jobs beside
/// the caller's own list of them).
///
/// The tasks come boxed: a closure held across an `await` in a future that
/// must be `Send` trips rustc's higher-ranked lifetime check (issue 64552).
pub(crate) async fn bounded<'a, T, E, Fut>(
    mut tasks: Box<dyn Iterator<Item = Fut> + Send + 'a>,
    limit: usize,
    mut each: impl FnMut(T),
) -> Result<(), E>
where
    Fut: Future<Output = Result<T, E>>,
{
    let mut running: FuturesUnordered<Fut> = tasks.by_ref().take(limit.max(1)).collect();
    while let Some(result) = running.next().await {
        each(result?);
        running.extend(tasks.next());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test]
    async fn bounded_makes_each_task_only_as_a_slot_frees() {
        let made = AtomicUsize::new(0);
        let finished = AtomicUsize::new(0);
        let most_alive = AtomicUsize::new(0);
        let tasks = (0..10).map(|n| {
            made.fetch_add(1, Ordering::SeqCst);
            let (made, finished, most_alive) = (&made, &finished, &most_alive);
            async move {
                let alive = made.load(Ordering::SeqCst) - finished.load(Ordering::SeqCst);
                most_alive.fetch_max(alive, Ordering::SeqCst);
                tokio::task::yield_now().await;
                finished.fetch_add(1, Ordering::SeqCst);
                Ok::<_, ()>(n)
            }
        });
        let mut done = Vec::new();
        bounded(Box::new(tasks), 3, |n| done.push(n)).await.unwrap();
        done.sort_unstable();
        assert_eq!(done, (0..10).collect::<Vec<_>>());
        assert_eq!(most_alive.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn bounded_stops_at_the_first_error() {
        let tasks = (0..10).map(|n| async move { if n == 4 { Err(n) } else { Ok(n) } });
        let mut done = Vec::new();
        assert_eq!(bounded(Box::new(tasks), 2, |n| done.push(n)).await, Err(4));
        assert!(!done.contains(&4));
    }
}

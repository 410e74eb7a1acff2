//! Paged listings, for both clouds: the first page announces the total, then
//! every page after it is in flight together (within `max_in_flight`, each
//! request paced by the transport), read back in order.

use std::future::Future;

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
    /// Every item of the listing `fetch(page_number)` (from 1) serves: stops
    /// at a short page, at the announced total, or when `done` says the
    /// caller has what it needs; ⌈total / page size⌉ requests at most.
    ///
    /// # Errors
    ///
    /// The first page's error, and a listing that runs past the pages its
    /// total announced (a located `Malformed`, with the last request id).
    pub(crate) async fn collect<I, F, Fut>(
        &self,
        fetch: F,
        mut done: impl FnMut(&[I]) -> bool,
    ) -> Result<Vec<I>, ProviderError>
    where
        F: Fn(usize) -> Fut,
        Fut: Future<Output = Result<Page<I>, ProviderError>>,
    {
        let first = fetch(1).await?;
        let total = first.total;
        let mut items = first.items;
        let complete = |items: &[I]| total.is_some_and(|t| items.len() as u64 >= t);
        if done(&items) || items.len() < self.page_size || complete(&items) {
            return Ok(items);
        }
        // Without a total the listing can only be walked one page at a time.
        let last = total.map_or(usize::MAX, |t| {
            usize::try_from(t.div_ceil(self.page_size as u64)).unwrap_or(usize::MAX)
        });
        let in_flight = if total.is_some() { self.max_in_flight } else { 1 };
        let mut rest = stream::iter(2..=last).map(&fetch).buffered(in_flight);
        let mut page_number = 1;
        while let Some(page) = rest.try_next().await? {
            page_number += 1;
            let stop = done(&page.items);
            let short = page.items.len() < self.page_size;
            items.extend(page.items);
            if stop || short || complete(&items) {
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

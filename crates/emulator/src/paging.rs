//! One page of a listing, taken in a single pass over its candidates: every
//! match is counted (listings answer their total), only the page is kept.

/// The items `skip..skip + size` of those offered, and how many were offered.
#[derive(Debug)]
pub(crate) struct Page<T> {
    skip: usize,
    size: usize,
    total: usize,
    items: Vec<T>,
}

impl<T> Page<T> {
    /// An empty page that will keep the offered items `skip..skip + size`.
    pub(crate) fn new(skip: usize, size: usize) -> Page<T> {
        Page { skip, size, total: 0, items: Vec::new() }
    }

    /// Counts `item` and keeps it when it falls on the page.
    pub(crate) fn offer(&mut self, item: T) {
        if self.total >= self.skip && self.items.len() < self.size {
            self.items.push(item);
        }
        self.total += 1;
    }

    /// How many items were offered.
    pub(crate) fn total(&self) -> usize {
        self.total
    }

    /// The items kept, in the order offered.
    pub(crate) fn into_items(self) -> Vec<T> {
        self.items
    }
}

#[cfg(test)]
mod tests {
    use super::Page;

    fn page(skip: usize, size: usize, offered: usize) -> (usize, Vec<usize>) {
        let mut page = Page::new(skip, size);
        (0..offered).for_each(|item| page.offer(item));
        (page.total(), page.into_items())
    }

    #[test]
    fn keeps_its_slice_and_counts_everything() {
        assert_eq!(page(0, 3, 7), (7, vec![0, 1, 2]));
        assert_eq!(page(6, 3, 7), (7, vec![6]));
        assert_eq!(page(9, 3, 7), (7, vec![]));
        assert_eq!(page(3, usize::MAX, 5), (5, vec![3, 4]));
    }
}

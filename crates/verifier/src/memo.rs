//! What a thread worked out for the last key it saw. The submissions of a batch share
//! their service, fields and domain: each is worked out once per thread, not once per
//! submission.

use std::cell::RefCell;

/// The value a thread worked out last, with its key; in a `thread_local!`.
pub(crate) struct Last<K, V>(RefCell<Option<(K, V)>>);

impl<K, V: Clone> Last<K, V> {
    /// Nothing worked out yet.
    pub(crate) const fn new() -> Self {
        Self(RefCell::new(None))
    }

    /// The value remembered when `is_last` holds of its key; otherwise the key and value
    /// `work` makes, remembered in its place.
    pub(crate) fn get(&self, is_last: impl FnOnce(&K) -> bool, work: impl FnOnce() -> (K, V)) -> V {
        let mut last = self.0.borrow_mut();
        match &*last {
            Some((key, value)) if is_last(key) => value.clone(),
            _ => {
                let (key, value) = work();
                *last = Some((key, value.clone()));
                value
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn works_out_again_only_for_another_key_than_the_last() {
        let last = Last::new();
        let mut worked = Vec::new();
        for key in [1, 1, 2, 1, 1] {
            let value = last.get(
                |&seen| seen == key,
                || {
                    worked.push(key);
                    (key, key * 10)
                },
            );
            assert_eq!(value, key * 10);
        }
        assert_eq!(worked, [1, 2, 1]);
    }
}

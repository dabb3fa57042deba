//! Work spread over every core.

use std::{num::NonZeroUsize, sync::OnceLock};

/// Items from which on work is spread over the cores.
pub(crate) const PARALLEL_FROM: usize = 64;

/// The cores the process may use, as found the first time: finding them reads the
/// process's CPU affinity and its cgroup's quota from several files.
pub(crate) fn cores() -> usize {
    static CORES: OnceLock<usize> = OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, NonZeroUsize::get))
}

/// `work` on every item, in order, spread over every core.
pub(crate) fn on_every_core<T: Sync, R: Send>(
    items: &[T],
    work: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    on_every_share(items, |share| share.iter().map(&work).collect::<Vec<_>>())
        .into_iter()
        .flatten()
        .collect()
}

/// `work` on each core's share of `items` (consecutive, of equal length but the last),
/// a thread each: what it made of each share, in order. A panic of `work` resumes here.
pub(crate) fn on_every_share<T: Sync, R: Send>(
    items: &[T],
    work: impl Fn(&[T]) -> R + Sync,
) -> Vec<R> {
    let per_core = items.len().div_ceil(cores()).max(1);
    std::thread::scope(|scope| {
        let shares: Vec<_> = items
            .chunks(per_core)
            .map(|share| scope.spawn(|| work(share)))
            .collect();
        shares
            .into_iter()
            .map(|share| {
                share
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    })
}

/// [`on_every_core`] on a thread of the runtime's blocking pool, so that the task
/// awaiting it goes on polling its other futures meanwhile: the items come back with
/// the results. A panic of `work` resumes in the caller.
pub(crate) async fn on_every_core_aside<T, R>(
    items: Vec<T>,
    work: impl Fn(&T) -> R + Send + Sync + 'static,
) -> (Vec<T>, Vec<R>)
where
    T: Send + Sync + 'static,
    R: Send + 'static,
{
    finished(tokio::task::spawn_blocking(move || {
        let results = on_every_core(&items, work);
        (items, results)
    }))
    .await
}

/// What a blocking task returned; its panic resumes in the caller.
pub(crate) async fn finished<T>(task: tokio::task::JoinHandle<T>) -> T {
    task.await.unwrap_or_else(|error| {
        std::panic::resume_unwind(
            error
                .try_into_panic()
                .unwrap_or_else(|error| Box::new(error.to_string())),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The message a panic carried.
    fn message(panic: Box<dyn std::any::Any + Send>) -> String {
        panic
            .downcast_ref::<&str>()
            .map(|text| (*text).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default()
    }

    #[test]
    fn work_on_every_share_comes_back_in_order_and_a_panic_with_its_message() {
        let items: Vec<u32> = (0..100).collect();
        let sums = on_every_share(&items, |share| share.iter().sum::<u32>());
        assert_eq!(sums.iter().sum::<u32>(), 4950);
        assert_eq!(on_every_core(&items, |item| item * 2)[99], 198);
        let panic = std::panic::catch_unwind(|| {
            on_every_core(&items, |&item| {
                assert!(item != 70, "item {item} refused");
                item
            })
        })
        .expect_err("a share panicked");
        assert_eq!(message(panic), "item 70 refused");
    }

    #[tokio::test]
    async fn work_aside_resumes_its_panic_in_the_task_awaiting_it() {
        let (items, doubled) = on_every_core_aside(vec![1, 2, 3], |item| item * 2).await;
        assert_eq!((items, doubled), (vec![1, 2, 3], vec![2, 4, 6]));
        let awaiting = tokio::spawn(on_every_core_aside(vec![1, 2, 3], |&item| {
            assert!(item != 2, "item {item} refused");
            item
        }));
        let error = awaiting.await.expect_err("the awaiting task panicked");
        assert_eq!(message(error.into_panic()), "item 2 refused");
    }
}

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
    let per_core = items.len().div_ceil(cores()).max(1);
    std::thread::scope(|scope| {
        let parts: Vec<_> = items
            .chunks(per_core)
            .map(|part| scope.spawn(|| part.iter().map(&work).collect::<Vec<_>>()))
            .collect();
        parts
            .into_iter()
            .flat_map(|part| {
                part.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    })
}

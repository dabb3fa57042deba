//! Submissions verified together, inspected on every core from the moment they are given.

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex},
    thread::JoinHandle,
};

use alloy::primitives::B256;
use kyc_core::files::Submission;
use thread_priority::{ThreadPriority, ThreadPriorityValue};
use tokio::sync::mpsc;

use crate::{
    chain::Query,
    inspect::{inspect, inspect_submission, parse_submission, Inspection},
    parallel::{cores, on_every_core, PARALLEL_FROM},
};

/// Submissions of a large batch judged, and written, together.
const PART: usize = 256;
/// Submissions an inspecting thread takes at a time.
const CHUNK: usize = 32;

/// Submissions to give [`Verifier::verify_batch`](crate::Verifier::verify_batch).
///
/// A batch is parsed when it is made. Its signatures, the costly part, are then
/// recovered in the background on every core, so a batch made before the verifier
/// connects is partly inspected by the time it is verified. A small batch (fewer than
/// 64) is inspected at once. Dropping a batch stops its inspection.
pub struct Batch {
    contents: Contents,
}

/// What a batch is made of.
pub(crate) enum Contents {
    /// A small batch, inspected.
    Inspected(Vec<Inspection>),
    /// A large batch, being inspected.
    Inspecting(Inspecting),
}

/// A large batch being inspected.
pub(crate) struct Inspecting {
    /// The registration ID of each parsed submission, in order.
    pub(crate) ids: Vec<B256>,
    /// What to ask the chain for each parsed submission, in order.
    pub(crate) queries: Vec<Query>,
    /// The registration IDs of each part's parsed submissions.
    pub(crate) part_ids: Vec<Vec<B256>>,
    /// The inspections as they come.
    pub(crate) inspections: Inspections,
}

impl Batch {
    /// Parses the submissions (JSON bytes), on every core when there are many, and
    /// starts inspecting them.
    pub fn new<T: AsRef<[u8]> + Sync>(submissions: &[T]) -> Self {
        if submissions.len() < PARALLEL_FROM {
            let inspections = submissions
                .iter()
                .map(|json| inspect(json.as_ref()))
                .collect();
            return Self {
                contents: Contents::Inspected(inspections),
            };
        }
        Self::of_parsed(on_every_core(submissions, |json| {
            parse_submission(json.as_ref())
        }))
    }

    /// [`new`](Self::new) of submissions that `load` gives for `sources` (reads them from
    /// files, say): each loaded and parsed in one go, on every core when there are many.
    /// The first error of `load`, in order, is the answer.
    pub fn load<I: Sync, E: Send>(
        sources: &[I],
        load: impl Fn(&I) -> Result<Vec<u8>, E> + Sync,
    ) -> Result<Self, E> {
        if sources.len() < PARALLEL_FROM {
            let submissions: Vec<Vec<u8>> = sources.iter().map(load).collect::<Result<_, E>>()?;
            return Ok(Self::new(&submissions));
        }
        let parsed = on_every_core(sources, |source| {
            load(source).map(|json| parse_submission(&json))
        });
        Ok(Self::of_parsed(
            parsed.into_iter().collect::<Result<_, E>>()?,
        ))
    }

    /// A large batch of parsed submissions, its inspection started.
    fn of_parsed(parsed: Vec<Option<Submission>>) -> Self {
        let part_ids = parsed
            .chunks(PART)
            .map(|part| part.iter().flatten().map(|s| s.registration_id).collect())
            .collect();
        let (ids, queries) = parsed
            .iter()
            .flatten()
            .map(|submission| (submission.registration_id, Query::of(submission, None)))
            .unzip();
        Self {
            contents: Contents::Inspecting(Inspecting {
                ids,
                queries,
                part_ids,
                inspections: Inspections::start(parsed),
            }),
        }
    }

    /// How many submissions the batch holds.
    pub fn len(&self) -> usize {
        match &self.contents {
            Contents::Inspected(inspections) => inspections.len(),
            Contents::Inspecting(inspecting) => inspecting.inspections.len,
        }
    }

    /// Whether the batch holds no submission.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub(crate) fn into_contents(self) -> Contents {
        self.contents
    }
}

/// The inspections of a large batch, in order, [`PART`] at a time, as the threads
/// inspecting it hand them over.
pub(crate) struct Inspections {
    /// How many submissions.
    len: usize,
    /// The chunks the threads hand over, numbered, in any order.
    chunks: mpsc::UnboundedReceiver<(usize, Vec<Inspection>)>,
    /// Chunks handed over ahead of their turn.
    early: BTreeMap<usize, Vec<Inspection>>,
    /// The number of the next chunk due.
    next: usize,
    threads: Vec<JoinHandle<()>>,
}

impl Inspections {
    /// Starts a thread per core inspecting `parsed`, a chunk at a time in order.
    fn start(parsed: Vec<Option<Submission>>) -> Self {
        let len = parsed.len();
        let mut parsed = parsed.into_iter();
        let chunks: Vec<Vec<_>> = std::iter::from_fn(|| {
            let chunk: Vec<_> = parsed.by_ref().take(CHUNK).collect();
            (!chunk.is_empty()).then_some(chunk)
        })
        .collect();
        let queue = Arc::new(Mutex::new(chunks.into_iter().enumerate()));
        let (sender, receiver) = mpsc::unbounded_channel();
        let work = move || loop {
            let next = queue.lock().ok().and_then(|mut queue| queue.next());
            let Some((number, chunk)) = next else { break };
            let inspected = chunk
                .into_iter()
                .map(|parsed| parsed.map_or_else(Inspection::malformed, inspect_submission))
                .collect();
            // A closed channel means the batch was dropped.
            if sender.send((number, inspected)).is_err() {
                break;
            }
        };
        let mut threads = Vec::with_capacity(cores());
        for _ in 0..cores() {
            let work = work.clone();
            let background = move || {
                lower_priority();
                work();
            };
            if let Ok(thread) = std::thread::Builder::new()
                .name("kyc-inspect".to_owned())
                .spawn(background)
            {
                threads.push(thread);
            }
        }
        // With no thread to be had, the work is done here and now.
        if threads.is_empty() {
            work();
        }
        Self {
            len,
            chunks: receiver,
            early: BTreeMap::new(),
            next: 0,
            threads,
        }
    }

    /// The next [`PART`] inspections (fewer at the end); `None` after the last.
    pub(crate) async fn next_part(&mut self) -> Option<Vec<Inspection>> {
        let chunks = self.len.div_ceil(CHUNK);
        let end = (self.next + PART / CHUNK).min(chunks);
        if self.next == end {
            return None;
        }
        let mut part = Vec::with_capacity(PART);
        while self.next < end {
            match self.early.remove(&self.next) {
                Some(chunk) => {
                    part.extend(chunk);
                    self.next += 1;
                }
                None => match self.chunks.recv().await {
                    Some((number, chunk)) => {
                        self.early.insert(number, chunk);
                    }
                    None => self.resume_panic(),
                },
            }
        }
        Some(part)
    }

    /// Every thread has stopped with a chunk undelivered: one of them panicked.
    fn resume_panic(&mut self) -> ! {
        for thread in self.threads.drain(..) {
            if let Err(panic) = thread.join() {
                std::panic::resume_unwind(panic);
            }
        }
        unreachable!("the inspecting threads stopped with chunks undelivered")
    }
}

/// Lowers the calling thread's priority to 24 of 0–99 (nice 9 on Linux): below the
/// verifier's reads and writes, and a node on the same machine, which inspecting would
/// otherwise slow down; not so low that it stalls behind other busy programs. Best
/// effort: where the priority cannot be lowered, it stays.
fn lower_priority() {
    if let Ok(value) = ThreadPriorityValue::try_from(24) {
        let _ = thread_priority::set_current_thread_priority(ThreadPriority::Crossplatform(value));
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// The calling thread's nice value, from `/proc`.
    fn nice() -> i64 {
        let stat = std::fs::read_to_string("/proc/thread-self/stat").expect("the thread's stat");
        let after_name = &stat[stat.rfind(')').expect("a name in parentheses") + 2..];
        let nice = after_name.split(' ').nth(16).expect("the nice field");
        nice.parse().expect("a number")
    }

    #[test]
    fn inspecting_threads_run_below_the_others() {
        let nice = std::thread::spawn(|| {
            lower_priority();
            nice()
        })
        .join()
        .expect("the thread ends");
        assert!(nice >= 9, "nice {nice}");
    }
}

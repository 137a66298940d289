//! A second thread that renders the heaviest template while the caller renders the rest.
//!
//! The command line compiles the templates on a second thread while the profile loads.
//! Once compiled, that thread stays to render the template with the longest source (the
//! StatefulSet's, about 70% of a render's output) when the caller renders the others, so a
//! single profile uses both cores without starting another thread (a new thread costs its
//! own allocator arena: ~50 page faults, more than the small templates take to render).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use minijinja::Value;

use super::{RenderError, RenderedDoc, Renderer};
use crate::par::Handoff;

/// How long the helper spins for its next job before sleeping: about as long as loading a
/// profile and building its model takes, which is what it waits for after compiling.
const SPIN_FOR_JOB: Duration = Duration::from_millis(1);
/// How long the caller spins for the helper's documents (a large StatefulSet renders in
/// well under this).
const SPIN_FOR_RESULT: Duration = Duration::from_millis(2);

/// The helper's side ([`Assistant::serve`]) and the caller's (through
/// [`Renderer::render_with`]).
#[derive(Default)]
pub struct Assistant {
    /// The render context for the heaviest template; `None` tells the helper to stop.
    jobs: Handoff<Option<Value>>,
    done: Handoff<Result<Vec<RenderedDoc>, RenderError>>,
    /// Two or more cores: spinning pays, and there is a core to render on.
    parallel: AtomicBool,
    served: AtomicUsize,
}

impl Assistant {
    /// On the helper thread, before compiling: whether there is a second core to use (read
    /// here, as reading the core count costs a few file reads).
    pub fn check_cores(&self) {
        self.set_parallel(crate::par::cores() >= 2);
    }

    /// Says whether to hand work over, for callers that know better than the core count.
    pub fn set_parallel(&self, parallel: bool) {
        self.parallel.store(parallel, Ordering::Relaxed);
    }

    /// How many renders [`Assistant::serve`] has done.
    pub fn served(&self) -> usize {
        self.served.load(Ordering::Relaxed)
    }

    /// Whether the caller should hand work over (and spin while waiting for it).
    pub fn parallel(&self) -> bool {
        self.parallel.load(Ordering::Relaxed)
    }

    fn spin(&self, how_long: Duration) -> Duration {
        if self.parallel() {
            how_long
        } else {
            Duration::ZERO
        }
    }

    /// On the helper thread: renders the heaviest template for each context handed over,
    /// until [`Assistant::stop`].
    pub fn serve(&self, renderer: &Renderer) {
        while let Some(ctx) = self.jobs.take(self.spin(SPIN_FOR_JOB)) {
            self.done.put(renderer.heaviest_documents(&ctx));
            self.served.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Ends [`Assistant::serve`]; the caller must call it on every path (see
    /// [`Assistant::stop_on_drop`]).
    pub fn stop(&self) {
        self.jobs.put(None);
    }

    /// A guard that calls [`Assistant::stop`] when dropped, early returns included.
    pub fn stop_on_drop(&self) -> impl Drop + '_ {
        struct Stop<'a>(&'a Assistant);
        impl Drop for Stop<'_> {
            fn drop(&mut self) {
                self.0.stop();
            }
        }
        Stop(self)
    }

    pub(super) fn start(&self, ctx: Value) {
        self.jobs.put(Some(ctx));
    }

    pub(super) fn finish(&self) -> Result<Vec<RenderedDoc>, RenderError> {
        self.done.take(self.spin(SPIN_FOR_RESULT))
    }
}

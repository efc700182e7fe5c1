//! The [`Platform`] of every board built on dendrite-runtime.

use crate::Platform;
use dendrite_core::protocol::Fault;

/// The [`Platform`] of a board on dendrite-runtime: the board table's tick rate, the runtime's
/// weights region and stack high-water mark, and, in a `fault-injection` build, the runtime's
/// forced faults. The board brings its tick counter only: a timer's count, or the cycle counter
/// (`RuntimePlatform::new(cortex_m::peripheral::DWT::cycle_count)`) when the table's tick rate is
/// the core clock.
pub struct RuntimePlatform<T> {
    ticks: T,
}

impl<T: FnMut() -> u32> RuntimePlatform<T> {
    /// The platform whose ticks are `ticks()`, a free-running counter at
    /// [`dendrite_runtime::TICK_HZ`] that goes up and wraps.
    pub const fn new(ticks: T) -> Self {
        Self { ticks }
    }
}

impl<T: FnMut() -> u32> Platform for RuntimePlatform<T> {
    const TICK_HZ: u32 = dendrite_runtime::TICK_HZ;

    fn ticks(&mut self) -> u32 {
        (self.ticks)()
    }

    fn weights(&self) -> &'static [u8] {
        dendrite_runtime::weights_region()
    }

    fn stack_usage(&self) -> (u32, u32) {
        dendrite_runtime::stack::high_water_mark()
    }

    fn force_fault(&mut self, fault: Fault) {
        #[cfg(feature = "fault-injection")]
        match fault {
            // The point of the request: proving that a panic ends the run with its status.
            #[allow(clippy::panic)]
            Fault::Panic => panic!("fault injected on request"),
            Fault::HardFault => dendrite_runtime::force_hard_fault(),
            Fault::StackOverflow => dendrite_runtime::force_stack_overflow(),
        }
        #[cfg(not(feature = "fault-injection"))]
        let _ = fault;
    }
}

//! The `sts-gen` binary: parses arguments and hands them to [`cli::run`].

mod cli;

/// Small blocks from per-thread pools: glibc's malloc/free were 30% of a render.
#[global_allocator]
static ALLOCATOR: sts_gen::alloc::Pool = sts_gen::alloc::Pool;

use clap::Parser;

fn main() -> std::process::ExitCode {
    cli::run(cli::Cli::parse())
}

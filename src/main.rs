//! The `sts-gen` binary: parses arguments and hands them to [`cli::run`].
#![forbid(unsafe_code)]

mod cli;

use clap::Parser;

fn main() -> std::process::ExitCode {
    cli::run(cli::Cli::parse())
}

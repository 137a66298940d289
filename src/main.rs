//! The `sts-gen` binary: parses arguments and hands them to [`cli::run`].

mod cli;

use clap::Parser;

fn main() -> std::process::ExitCode {
    cli::run(cli::Cli::parse())
}

//! `azrelo completions SHELL`: shell completion scripts.

use crate::exit::CliError;
use crate::output::Output;
use clap::CommandFactory;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The shell to generate completions for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

pub fn run(args: Args, _out: &Output) -> Result<(), CliError> {
    let mut cmd = crate::Cli::command();
    // Generated into memory: clap_complete panics on a write error, and a
    // reader that stops early (`| head`) is not one.
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "azrelo", &mut script);
    crate::output::print_text(String::from_utf8_lossy(&script).trim_end())
}

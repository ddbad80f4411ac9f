//! What apply, destroy and unlock say to the person at the terminal, and the
//! confirmation they ask for before touching an environment.

use std::io::BufRead;

use miette::miette;

use super::out;
use crate::cli::Output;
use crate::exit::Failure;

/// Text output goes to stdout; with --output json stdout belongs to the
/// machine-readable stream, so stderr.
pub(crate) fn say(output: Output, text: &str) {
    match output {
        Output::Text => out(text),
        Output::Json => eprint!("{text}"),
    }
}

/// Asks `question` and goes on only if the answer is exactly `yes`.
pub(crate) fn ask_yes(question: &str, output: Output) -> Result<(), Failure> {
    say(output, question);
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| Failure::invalid(miette!("cannot read the answer: {e}")))?;
    if answer.trim() == "yes" {
        Ok(())
    } else {
        Err(Failure::failed(miette!("cancelled: the answer was not 'yes'")))
    }
}

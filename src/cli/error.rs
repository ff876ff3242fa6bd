//! The one error type of the command line, and the one place errors are printed.
//!
//! A command returns `Err(CliError)` for anything that ends it short, carrying what to say (its
//! diagnostics, with the sources they point into, and hints) and what kind of failure it is; it
//! never prints the error itself. [`finish`] prints it and turns it into the exit code: 1 for
//! the user's problem, 101 for netform's own bug, 0 quietly for a reader that closed the pipe.

use crate::diag::{Diagnostic, Sources};
use crate::state::StateError;

use super::printer::Printer;

/// How a run that did its job ends: 0, or a code the command documents (`plan
/// --detailed-exitcode` 2, `fmt --check` 3, `validate` 1 with its findings as the product).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Exit(pub i32);

/// What kind of failure ended the run, which decides the exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Bad input, a refused change, a cloud that said no: exit 1.
    User,
    /// A bug in netform: exit 101, as a panic does.
    Internal,
    /// The reader of stdout went away (`netform state list | head -1`): exit 0, say nothing.
    BrokenPipe,
}

#[derive(Debug)]
pub struct CliError {
    pub kind: Kind,
    pub diagnostics: Vec<Diagnostic>,
    /// The files the diagnostics point into.
    pub sources: Sources,
    /// Lines printed after the diagnostics, each as `hint: …`.
    pub hints: Vec<String>,
}

impl CliError {
    /// One error not tied to a source line, with what to do about it.
    pub fn user(message: impl Into<String>, help: impl Into<String>) -> CliError {
        CliError::diags(
            vec![Diagnostic::error(message).with_help(help)],
            Sources::default(),
        )
    }

    /// Diagnostics (from the configuration, the checker, the cloud) pointing into `sources`;
    /// an internal error when one of them is a bug in netform.
    pub fn diags(diagnostics: Vec<Diagnostic>, sources: Sources) -> CliError {
        let bug = diagnostics.iter().any(|d| d.bug);
        CliError {
            kind: if bug { Kind::Internal } else { Kind::User },
            diagnostics,
            sources,
            hints: Vec::new(),
        }
    }

    /// A failure the person at the terminal has already been told about in the command's own
    /// words (`Apply cancelled.`): exit 1 and add nothing.
    pub fn already_said() -> CliError {
        CliError::diags(Vec::new(), Sources::default())
    }

    pub fn internal(what: impl Into<String>) -> CliError {
        CliError {
            kind: Kind::Internal,
            ..CliError::diags(vec![Diagnostic::error(what)], Sources::default())
        }
    }

    pub fn broken_pipe() -> CliError {
        CliError {
            kind: Kind::BrokenPipe,
            ..CliError::already_said()
        }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> CliError {
        self.hints.push(hint.into());
        self
    }

    pub fn exit_code(&self) -> i32 {
        match self.kind {
            Kind::User => 1,
            Kind::Internal => 101,
            Kind::BrokenPipe => 0,
        }
    }
}

impl From<StateError> for CliError {
    fn from(e: StateError) -> CliError {
        CliError::user(e.to_string(), e.help())
    }
}

/// Ends the run: prints the error, if any, and returns the process's exit code. A run that
/// succeeded still fails when its output could not be written (a full disk behind a redirect),
/// and ends quietly when the reader of its output went away.
pub fn finish(printer: &Printer, result: Result<Exit, CliError>) -> i32 {
    let result = match result {
        Ok(Exit(0)) => output_status(printer).map(|()| Exit(0)),
        other => other,
    };
    match result {
        Ok(Exit(code)) => code,
        Err(e) => {
            print(printer, &e);
            e.exit_code()
        }
    }
}

/// Whether everything the run meant to write to stdout got there.
fn output_status(printer: &Printer) -> Result<(), CliError> {
    if let Some(e) = printer.write_error() {
        return Err(CliError::user(
            format!("cannot write the output: {e}"),
            "check where stdout goes (a full disk, a closed file)",
        ));
    }
    if printer.stdout_closed() {
        return Err(CliError::broken_pipe());
    }
    Ok(())
}

fn print(printer: &Printer, e: &CliError) {
    match e.kind {
        Kind::BrokenPipe => return,
        Kind::Internal => {
            for d in &e.diagnostics {
                crate::errln!(printer, "internal error: {}", d.summary);
            }
        }
        Kind::User => printer.diags(&e.diagnostics, &e.sources),
    }
    for h in &e.hints {
        crate::errln!(printer, "hint: {h}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_map_to_the_documented_exit_codes() {
        assert_eq!(CliError::user("x", "y").exit_code(), 1);
        assert_eq!(CliError::already_said().exit_code(), 1);
        assert_eq!(CliError::internal("x").exit_code(), 101);
        assert_eq!(CliError::broken_pipe().exit_code(), 0);
    }

    #[test]
    fn diagnostics_holding_a_bug_end_as_an_internal_error() {
        let input = Diagnostic::error("unknown attribute");
        let bug = Diagnostic::bug("internal error in the operation graph: a -> b -> a");
        let e = CliError::diags(vec![input.clone()], Sources::default());
        assert_eq!(e.exit_code(), 1);
        let e = CliError::diags(vec![input, bug], Sources::default());
        assert_eq!((e.kind, e.exit_code()), (Kind::Internal, 101));
    }

    #[test]
    fn a_user_error_carries_its_help_on_the_diagnostic() {
        let e = CliError::user("no such output", "check the name").hint("see netform output");
        assert_eq!(e.kind, Kind::User);
        assert_eq!(e.diagnostics.len(), 1);
        assert!(e.diagnostics[0].is_error());
        assert_eq!(e.diagnostics[0].summary, "no such output");
        assert_eq!(e.diagnostics[0].help.as_deref(), Some("check the name"));
        assert_eq!(e.hints, ["see netform output"]);
    }

    #[test]
    fn state_errors_keep_their_help() {
        let e = CliError::from(StateError::Corrupt {
            path: "netform.tfstate".into(),
            what: "not JSON".into(),
        });
        assert!(e.diagnostics[0].summary.contains("netform.tfstate"));
        assert!(
            e.diagnostics[0]
                .help
                .as_deref()
                .is_some_and(|h| h.contains("backup"))
        );
    }
}

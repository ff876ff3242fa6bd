//! The printer: the only code in netform that writes to stdout or stderr (clippy's
//! `print_stdout`/`print_stderr` are denied everywhere else).
//!
//! It owns three decisions so that no command has to make them:
//! - **colour**, through anstream: `--color auto|always|never`, `-no-color`, and in `auto` the
//!   conventions `NO_COLOR`, `CLICOLOR`, `CLICOLOR_FORCE` and whether the stream is a terminal;
//! - **where a human line goes**: stdout normally, but stderr once the command's stdout carries a
//!   machine format (`--json`, `--format json|markdown`), so that stdout stays parseable;
//! - **closed pipes**: `netform state list | head -1` closes stdout early. A write that fails with
//!   `BrokenPipe` marks stdout closed and later writes are dropped; the command still finishes
//!   what it was doing (an apply never abandons operations in flight) and exits as it would have,
//!   quietly. Any other write error is remembered, and `cli::error::finish` fails the run.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use anstream::{AutoStream, ColorChoice};

use crate::diag::{Diagnostic, Sources};
use crate::render::{self, Style};

/// `--color`: Terraform has only `-no-color`; `--color` is the convention of cargo and git.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorWhen {
    #[default]
    Auto,
    Always,
    Never,
}

/// Shared by the command, the Ctrl-C handler and the heartbeat thread: cloning is cheap.
#[derive(Clone)]
pub struct Printer {
    inner: Arc<Inner>,
}

struct Inner {
    out: Mutex<AutoStream<std::io::Stdout>>,
    err: Mutex<AutoStream<std::io::Stderr>>,
    out_style: Style,
    err_style: Style,
    /// stdout was closed by its reader: drop what is written to it from now on.
    out_closed: AtomicBool,
    /// The first write error that was not a closed pipe (a full disk behind a redirect).
    write_error: Mutex<Option<String>>,
    /// stdout carries a machine format: human lines go to stderr.
    machine: AtomicBool,
    /// `--json`: diagnostics are `diagnostic` events on stdout.
    json_events: AtomicBool,
    /// `-compact-warnings`: warnings as one summary line each.
    compact_warnings: AtomicBool,
    /// A live progress line on a terminal: every write lifts it first, so lines never mix.
    progress: Mutex<Option<indicatif::ProgressBar>>,
}

impl Printer {
    pub fn new(color: ColorWhen) -> Printer {
        let choice = match color {
            ColorWhen::Auto => ColorChoice::Auto,
            ColorWhen::Always => ColorChoice::Always,
            ColorWhen::Never => ColorChoice::Never,
        };
        let out = AutoStream::new(std::io::stdout(), choice);
        let err = AutoStream::new(std::io::stderr(), choice);
        let style = |c: ColorChoice| Style {
            color: c != ColorChoice::Never,
        };
        Printer {
            inner: Arc::new(Inner {
                out_style: style(out.current_choice()),
                err_style: style(err.current_choice()),
                out: Mutex::new(out),
                err: Mutex::new(err),
                out_closed: AtomicBool::new(false),
                write_error: Mutex::new(None),
                machine: AtomicBool::new(false),
                json_events: AtomicBool::new(false),
                compact_warnings: AtomicBool::new(false),
                progress: Mutex::new(None),
            }),
        }
    }

    /// Colour for text bound for stdout (or for wherever human lines go now).
    pub fn style(&self) -> Style {
        if self.is_machine() {
            self.inner.err_style
        } else {
            self.inner.out_style
        }
    }

    /// Colour for text bound for stderr.
    pub fn err_style(&self) -> Style {
        self.inner.err_style
    }

    /// The command's stdout carries a machine format from now on.
    pub fn set_machine(&self, on: bool) {
        self.inner.machine.store(on, Ordering::SeqCst);
    }

    pub fn is_machine(&self) -> bool {
        self.inner.machine.load(Ordering::SeqCst)
    }

    /// `--json`: NDJSON events on stdout, diagnostics among them.
    pub fn set_json_events(&self, on: bool) {
        self.inner.json_events.store(on, Ordering::SeqCst);
        if on {
            self.set_machine(true);
        }
    }

    pub fn json_events(&self) -> bool {
        self.inner.json_events.load(Ordering::SeqCst)
    }

    pub fn set_compact_warnings(&self, on: bool) {
        self.inner.compact_warnings.store(on, Ordering::SeqCst);
    }

    /// Writes `text` to stdout as it is: the command's product (a plan, JSON, a list).
    pub fn out(&self, text: &str) {
        if self.inner.out_closed.load(Ordering::SeqCst) {
            return;
        }
        let res = self.lifted(|| match self.inner.out.lock() {
            Ok(mut o) => o.write_all(text.as_bytes()).and_then(|()| o.flush()),
            Err(_) => Ok(()),
        });
        if let Err(e) = res {
            self.write_failed(&e, true);
        }
    }

    /// Writes the command's product to stdout as `f` produces it, so that a plan of tens of
    /// megabytes is never held whole; a closed pipe or a failed write is handled as in
    /// [`Printer::out`].
    pub fn out_with(&self, f: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) {
        if self.inner.out_closed.load(Ordering::SeqCst) {
            return;
        }
        let res = self.lifted(|| match self.inner.out.lock() {
            Ok(mut o) => f(&mut *o).and_then(|()| o.flush()),
            Err(_) => Ok(()),
        });
        if let Err(e) = res {
            self.write_failed(&e, true);
        }
    }

    /// Writes `text` to stderr: diagnostics, progress, anything that is not the product.
    pub fn err(&self, text: &str) {
        let res = self.lifted(|| match self.inner.err.lock() {
            Ok(mut o) => o.write_all(text.as_bytes()).and_then(|()| o.flush()),
            Err(_) => Ok(()),
        });
        // Nowhere is left to report a failing stderr; a closed one is not an error.
        if let Err(e) = res {
            self.write_failed(&e, false);
        }
    }

    /// A line for the person at the terminal: stdout, or stderr while stdout is machine output.
    pub fn human(&self, text: &str) {
        if self.is_machine() {
            self.err(text);
        } else {
            self.out(text);
        }
    }

    /// One NDJSON event on stdout, in Terraform's machine-readable UI shape: `@level`,
    /// `@message`, `@module`, `@timestamp`, `type`, and the event's own fields.
    pub fn event(&self, level: &str, message: &str, ty: &str, extra: serde_json::Value) {
        self.out(&event_line(level, message, ty, extra));
    }

    /// Diagnostics: on stderr in rustc's layout, or as `diagnostic` events with `--json`.
    pub fn diags(&self, diags: &[Diagnostic], sources: &Sources) {
        if diags.is_empty() {
            return;
        }
        if self.json_events() {
            for d in diags {
                let (level, word) = if d.is_error() {
                    ("error", "Error")
                } else {
                    ("warn", "Warning")
                };
                self.event(
                    level,
                    &format!("{word}: {}", d.summary),
                    "diagnostic",
                    serde_json::json!({"diagnostic": sources.diagnostic_json(d)}),
                );
            }
            return;
        }
        if self.inner.compact_warnings.load(Ordering::SeqCst) {
            let (warnings, errors): (Vec<Diagnostic>, Vec<Diagnostic>) =
                diags.iter().cloned().partition(|d| !d.is_error());
            self.err(&render::diag::render_all(
                &errors,
                sources,
                self.err_style(),
            ));
            self.err(&compact(&warnings, sources));
            return;
        }
        self.err(&render::diag::render_all(diags, sources, self.err_style()));
    }

    /// One warning, not tied to a source line.
    pub fn warning(&self, msg: impl Into<String>) {
        self.diags(&[Diagnostic::warning(msg)], &Sources::default());
    }

    /// A live progress line for a run on a terminal: `None` when stderr is not one (a pipe, a
    /// log file, CI), or when stdout carries machine output, so it never reaches either.
    pub fn progress(&self, total: u64) -> Option<indicatif::ProgressBar> {
        use std::io::IsTerminal;
        if self.is_machine() || !std::io::stderr().is_terminal() {
            return None;
        }
        let style = indicatif::ProgressStyle::with_template(
            "{spinner} [{elapsed}] {pos}/{len} operations done, {msg}",
        )
        .ok()?;
        let bar = indicatif::ProgressBar::with_draw_target(
            Some(total),
            indicatif::ProgressDrawTarget::stderr(),
        )
        .with_style(style);
        bar.enable_steady_tick(std::time::Duration::from_millis(200));
        if let Ok(mut p) = self.inner.progress.lock() {
            *p = Some(bar.clone());
        }
        Some(bar)
    }

    /// Takes the progress line away for good.
    pub fn end_progress(&self) {
        let bar = self.inner.progress.lock().ok().and_then(|mut p| p.take());
        if let Some(b) = bar {
            b.finish_and_clear();
        }
    }

    /// Runs a write with the progress line (if any) lifted, then redrawn under it.
    fn lifted<T>(&self, f: impl FnOnce() -> T) -> T {
        let bar = self
            .inner
            .progress
            .lock()
            .ok()
            .and_then(|p| p.as_ref().cloned());
        match bar {
            Some(b) => b.suspend(f),
            None => f(),
        }
    }

    fn write_failed(&self, e: &std::io::Error, stdout: bool) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            if stdout {
                self.inner.out_closed.store(true, Ordering::SeqCst);
            }
            return;
        }
        if stdout && let Ok(mut w) = self.inner.write_error.lock() {
            w.get_or_insert_with(|| e.to_string());
        }
    }

    /// Whether the reader of stdout went away (a closed pipe).
    pub fn stdout_closed(&self) -> bool {
        self.inner.out_closed.load(Ordering::SeqCst)
    }

    /// The first write to stdout that failed for a reason other than a closed pipe (a full
    /// disk): the product is incomplete, so a run that would have succeeded fails.
    pub fn write_error(&self) -> Option<String> {
        self.inner.write_error.lock().ok().and_then(|w| w.clone())
    }

    /// Reads one line the user typed (prompts: approval, missing variables).
    pub fn ask(&self, prompt: &str) -> String {
        self.human(prompt);
        let mut line = String::new();
        let _ = std::io::stdin().read_line(&mut line);
        line.trim_end_matches(['\n', '\r']).to_string()
    }
}

static GLOBAL: std::sync::OnceLock<Printer> = std::sync::OnceLock::new();

/// Sets up the process's printer once, at start-up; later calls keep the first.
pub fn init(color: ColorWhen) -> &'static Printer {
    GLOBAL.get_or_init(|| Printer::new(color))
}

/// The process's printer (stdout and stderr are process-wide, so is it). Before `init`, one
/// with automatic colour.
pub fn get() -> &'static Printer {
    init(ColorWhen::Auto)
}

/// Terraform's `-compact-warnings`: each warning's summary and where it is, then a note.
fn compact(warnings: &[Diagnostic], sources: &Sources) -> String {
    if warnings.is_empty() {
        return String::new();
    }
    let mut s = String::from("Warnings:\n\n");
    for w in warnings {
        s.push_str(&format!("- {}\n", w.summary));
        if let Some(j) = sources.diagnostic_json(w).get("range") {
            let file = j.get("filename").and_then(|v| v.as_str()).unwrap_or("");
            let line = j.pointer("/start/line").and_then(|v| v.as_u64());
            if let Some(line) = line {
                s.push_str(&format!("  on {file} line {line}\n"));
            }
        }
    }
    s.push_str("\nTo see the full warning notes, run netform without -compact-warnings.\n");
    s
}

/// One NDJSON event line (newline included).
pub fn event_line(level: &str, message: &str, ty: &str, extra: serde_json::Value) -> String {
    let mut j = serde_json::json!({
        "@level": level,
        "@message": message,
        "@module": "netform.ui",
        "@timestamp": crate::clock::now_rfc3339(),
        "type": ty,
    });
    if let (Some(m), serde_json::Value::Object(x)) = (j.as_object_mut(), extra) {
        m.extend(x);
    }
    format!("{j}\n")
}

/// A bug is not the user's fault: say so, and exit 101 (Rust's panic exit code), after the
/// standard message with its location.
pub fn install_panic_hook() {
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        // The printer may be the thing that panicked: write directly.
        #[allow(clippy::print_stderr)]
        {
            eprintln!(
                "error: netform hit an internal error (a bug, not a problem with your configuration); state written so far is intact. Please report this with the message below."
            );
        }
        default_hook(info);
    }));
}

/// `netform_printer` macros: `outln!(p, "…", args)` writes a line to stdout, `errln!` to stderr,
/// `humanln!` where human lines go; they replace `println!`/`eprintln!`, which are denied.
#[macro_export]
#[doc(hidden)]
macro_rules! outln {
    ($p:expr) => { $p.out("\n") };
    ($p:expr, $($arg:tt)*) => { $p.out(&format!("{}\n", format_args!($($arg)*))) };
}

#[macro_export]
#[doc(hidden)]
macro_rules! errln {
    ($p:expr) => { $p.err("\n") };
    ($p:expr, $($arg:tt)*) => { $p.err(&format!("{}\n", format_args!($($arg)*))) };
}

#[macro_export]
#[doc(hidden)]
macro_rules! humanln {
    ($p:expr) => { $p.human("\n") };
    ($p:expr, $($arg:tt)*) => { $p.human(&format!("{}\n", format_args!($($arg)*))) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_carry_terraforms_envelope_fields() {
        let l = event_line("info", "hi", "version", serde_json::json!({"ui": "1.2"}));
        let j: serde_json::Value = serde_json::from_str(&l).expect("json");
        for k in ["@level", "@message", "@module", "@timestamp", "type", "ui"] {
            assert!(j.get(k).is_some(), "{k} in {l}");
        }
        assert!(l.ends_with('\n') && l.matches('\n').count() == 1);
    }

    #[test]
    fn compact_warnings_list_summaries_and_places() {
        let mut s = Sources::default();
        let f = s.add("main.hcl".to_string(), "a = 1\nb = 2\n".to_string());
        let w = Diagnostic::warning("deprecated thing").at(Some(crate::diag::SourceRange {
            file: f,
            start: 6,
            end: 7,
        }));
        let text = compact(&[w], &s);
        assert!(
            text.contains("- deprecated thing\n  on main.hcl line 2\n"),
            "{text}"
        );
        assert_eq!(compact(&[], &s), "");
    }
}

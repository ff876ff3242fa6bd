//! Logs, as Terraform's `TF_LOG` does them: `NETFORM_LOG=error|warn|info|debug|trace` (or
//! `TF_LOG`, the same values, `json` read as `trace`) turns them on, on stderr or appended to
//! `NETFORM_LOG_PATH` (`TF_LOG_PATH`). Engine modules log through the `log` facade; this is the
//! one place that writes the records.
//!
//! Without a level set, warnings are still shown (a mistyped tuning variable must not go
//! unnoticed), as plain `warning: …` lines. What is logged never holds a secret: callers log
//! actions, ids, codes and timings, never parameters or attribute values.

use std::io::Write;
use std::sync::Mutex;

use log::{Level, LevelFilter, Log, Metadata, Record};

use super::printer::Printer;

enum Sink {
    Stderr(Printer),
    File(Mutex<std::fs::File>),
}

struct Logger {
    sink: Sink,
    /// A level was asked for: full records with time, level and module.
    verbose: bool,
}

/// Reads the log settings and installs the logger. A setting it cannot use is reported (as a
/// warning) and logging falls back to warnings on stderr.
pub fn init(printer: &Printer) {
    let (level, bad) = level_from_env();
    let mut sink = Sink::Stderr(printer.clone());
    let path = var("NETFORM_LOG_PATH").or_else(|| var("TF_LOG_PATH"));
    if let (Some(path), Some(_)) = (&path, level) {
        match std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
        {
            Ok(f) => sink = Sink::File(Mutex::new(f)),
            Err(e) => printer.warning(format!(
                "cannot open the log file {path}: {e}; logging to stderr instead"
            )),
        }
    }
    let logger = Logger {
        sink,
        verbose: level.is_some(),
    };
    // A second init (a unit test that runs the CLI twice) keeps the first logger.
    if log::set_boxed_logger(Box::new(logger)).is_ok() {
        log::set_max_level(level.unwrap_or(LevelFilter::Warn));
    }
    if let Some((name, value)) = bad {
        log::warn!(
            "ignoring {name}={value:?}: use one of error, warn, info, debug, trace (or off)"
        );
    }
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// The level `NETFORM_LOG` (else `TF_LOG`) asks for, and a value that was not understood.
fn level_from_env() -> (Option<LevelFilter>, Option<(&'static str, String)>) {
    let (name, value) = match (var("NETFORM_LOG"), var("TF_LOG")) {
        (Some(v), _) => ("NETFORM_LOG", v),
        (None, Some(v)) => ("TF_LOG", v),
        (None, None) => return (None, None),
    };
    match parse_level(&value) {
        Some(LevelFilter::Off) => (None, None),
        Some(l) => (Some(l), None),
        None => (None, Some((name, value))),
    }
}

fn parse_level(s: &str) -> Option<LevelFilter> {
    Some(match s.trim().to_ascii_lowercase().as_str() {
        "off" | "0" | "false" => LevelFilter::Off,
        "error" => LevelFilter::Error,
        "warn" => LevelFilter::Warn,
        "info" => LevelFilter::Info,
        "debug" => LevelFilter::Debug,
        // Terraform's TF_LOG=json is trace in JSON; netform's records are text at trace.
        "trace" | "json" | "1" | "true" => LevelFilter::Trace,
        _ => return None,
    })
}

impl Log for Logger {
    /// netform's own records only: a dependency's trace (the HTTP client's) could carry
    /// request headers, and with them the signature and security token.
    fn enabled(&self, m: &Metadata) -> bool {
        m.level() <= log::max_level() && m.target().starts_with("netform")
    }

    fn log(&self, r: &Record) {
        if !self.enabled(r.metadata()) {
            return;
        }
        let line = if self.verbose {
            format!(
                "{} [{}] {}: {}\n",
                crate::clock::now_rfc3339_millis(),
                r.level(),
                r.target(),
                r.args()
            )
        } else {
            let word = if r.level() == Level::Error {
                "error"
            } else {
                "warning"
            };
            format!("{word}: {}\n", r.args())
        };
        match &self.sink {
            Sink::Stderr(p) => p.err(&line),
            Sink::File(f) => {
                if let Ok(mut f) = f.lock() {
                    let _ = f.write_all(line.as_bytes());
                }
            }
        }
    }

    fn flush(&self) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_read_as_terraform_reads_tf_log() {
        assert_eq!(parse_level("DEBUG"), Some(LevelFilter::Debug));
        assert_eq!(parse_level("json"), Some(LevelFilter::Trace));
        assert_eq!(parse_level("off"), Some(LevelFilter::Off));
        assert_eq!(parse_level("loud"), None);
    }
}

//! `fmt`: rewrites configuration files in the canonical style (`crate::fmt`), listing each file
//! it changes; `--check` changes nothing and exits 3 when a file would change, `--diff` shows
//! how. A file that cannot be read or parsed is left alone and reported at the end.

use std::path::PathBuf;

use crate::cli::context::Ctx;
use crate::cli::error::{CliError, Exit};
use crate::cli::ui;
use crate::diag::{Diagnostic, SourceRange, Sources};
use crate::outln;

pub fn run(ctx: &Ctx, check: bool, diff: bool, files: &[PathBuf]) -> Result<Exit, CliError> {
    let mut changed = false;
    let mut problems = Vec::new();
    let mut sources = Sources::default();
    for p in paths(ctx, files) {
        let shown = p.strip_prefix(&ctx.dir).unwrap_or(&p).display().to_string();
        let src = match std::fs::read_to_string(&p) {
            Ok(s) => s,
            Err(e) => {
                problems.push(Diagnostic::error(format!("cannot read {shown}: {e}")));
                continue;
            }
        };
        match crate::fmt::format_source(&src) {
            Ok(new) if new != src => {
                changed = true;
                outln!(ui(), "{shown}");
                if diff {
                    let d = similar::TextDiff::from_lines(&src, &new);
                    ui().out(
                        &d.unified_diff()
                            .header(&format!("old/{shown}"), &format!("new/{shown}"))
                            .to_string(),
                    );
                }
                if !check && let Err(e) = crate::state::write_atomic(&p, new.as_bytes()) {
                    problems.push(Diagnostic::error(format!("cannot write {shown}: {e}")));
                }
            }
            Ok(_) => {}
            Err(crate::fmt::FmtError::Parse {
                message,
                line,
                column,
            }) => {
                let f = sources.add(shown.clone(), src.clone());
                problems.push(syntax_error(&src, f, &message, line, column));
            }
        }
    }
    if !problems.is_empty() {
        return Err(CliError::diags(problems, sources));
    }
    Ok(Exit(if check && changed { 3 } else { 0 }))
}

/// The files named on the command line, or the directory's `.hcl` and `.tfvars` files, sorted.
fn paths(ctx: &Ctx, files: &[PathBuf]) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = if files.is_empty() {
        std::fs::read_dir(&ctx.dir)
            .map(|rd| {
                rd.filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|e| e == "hcl" || e == "tfvars"))
                    .collect()
            })
            .unwrap_or_default()
    } else {
        files.iter().map(|f| ctx.path(f)).collect()
    };
    paths.sort();
    paths
}

/// A parse error at `line`:`column` of file `file` (holding `src`), pointing at one character.
fn syntax_error(src: &str, file: usize, message: &str, line: usize, column: usize) -> Diagnostic {
    let byte = src
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum::<usize>()
        + column.saturating_sub(1);
    Diagnostic::error(format!(
        "syntax error: {}",
        message.lines().next().unwrap_or("")
    ))
    .at(Some(SourceRange {
        file,
        start: byte,
        end: (byte + 1).min(src.len()),
    }))
    .with_help("fix the syntax; fmt changes nothing in a file it cannot parse")
}

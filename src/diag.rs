//! Diagnostics: what went wrong, where, and what to do about it.
//!
//! Every user-facing error that can point at configuration carries a [`SourceRange`] into the
//! [`Sources`] it was read from; the renderer (`render::diag`) draws rustc's layout from it and
//! `validate --json` serialises the same fields, so both stay in step.

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// A byte range in one of the loaded files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceRange {
    pub file: usize,
    pub start: usize,
    pub end: usize,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub summary: String,
    pub detail: Option<String>,
    /// A rule id from rules.md, for rule violations.
    pub rule: Option<String>,
    pub range: Option<SourceRange>,
    /// The label under the underlined span.
    pub label: Option<String>,
    pub help: Option<String>,
    /// A bug in netform rather than in the input (an operation graph with a cycle): the run
    /// ends as an internal error.
    pub bug: bool,
}

impl Diagnostic {
    pub fn error(summary: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            summary: summary.into(),
            detail: None,
            rule: None,
            range: None,
            label: None,
            help: None,
            bug: false,
        }
    }

    /// An error that is netform's bug, not the input's.
    pub fn bug(summary: impl Into<String>) -> Diagnostic {
        Diagnostic {
            bug: true,
            ..Diagnostic::error(summary)
        }
    }

    pub fn warning(summary: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(summary)
        }
    }

    pub fn at(mut self, range: Option<SourceRange>) -> Self {
        self.range = range;
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    pub fn with_rule(mut self, rule: impl Into<String>) -> Self {
        self.rule = Some(rule.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// A batch of diagnostics; the error type of every stage that can report more than one problem.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }

    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }

    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }

    pub fn error_count(&self) -> usize {
        self.0.iter().filter(|d| d.is_error()).count()
    }

    pub fn warning_count(&self) -> usize {
        self.0.len() - self.error_count()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<Diagnostic> for Diagnostics {
    fn from(d: Diagnostic) -> Self {
        Diagnostics(vec![d])
    }
}

/// The loaded files, by index, with what is needed to turn byte offsets into lines and columns.
#[derive(Clone, Debug, Default)]
pub struct Sources {
    files: Vec<SourceFile>,
}

#[derive(Clone, Debug)]
pub struct SourceFile {
    /// The name shown to the user (relative to the configuration directory where possible).
    pub name: String,
    pub text: String,
    line_starts: Vec<usize>,
}

/// A 1-based line and column, and the byte offset they came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Pos {
    pub line: usize,
    pub column: usize,
    pub byte: usize,
}

impl Sources {
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> usize {
        let text = text.into();
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        self.files.push(SourceFile {
            name: name.into(),
            text,
            line_starts,
        });
        self.files.len() - 1
    }

    pub fn get(&self, file: usize) -> Option<&SourceFile> {
        self.files.get(file)
    }

    pub fn files(&self) -> &[SourceFile] {
        &self.files
    }

    /// Drops files added after the first `n` (variables files read by an attempt that is retried).
    pub fn truncate(&mut self, n: usize) {
        self.files.truncate(n);
    }

    pub fn pos(&self, file: usize, byte: usize) -> Pos {
        let Some(f) = self.files.get(file) else {
            return Pos {
                line: 1,
                column: 1,
                byte,
            };
        };
        // A range inside a multi-byte character counts from the character's start.
        let byte = f.text.floor_char_boundary(byte.min(f.text.len()));
        let line = f.line_starts.partition_point(|&s| s <= byte).max(1);
        let start = f.line_starts[line - 1];
        let column = f.text[start..byte].chars().count() + 1;
        Pos { line, column, byte }
    }

    /// `file:line:column` of a range's start, as the `-->` line and plain messages show it.
    pub fn location(&self, r: &SourceRange) -> String {
        let p = self.pos(r.file, r.start);
        let name = self
            .files
            .get(r.file)
            .map(|f| f.name.as_str())
            .unwrap_or("?");
        format!("{name}:{}:{}", p.line, p.column)
    }

    /// The JSON `range` object of Terraform's diagnostics.
    pub fn range_json(&self, r: &SourceRange) -> serde_json::Value {
        let name = self
            .files
            .get(r.file)
            .map(|f| f.name.as_str())
            .unwrap_or("?");
        serde_json::json!({
            "filename": name,
            "start": self.pos(r.file, r.start),
            "end": self.pos(r.file, r.end),
        })
    }

    pub fn diagnostic_json(&self, d: &Diagnostic) -> serde_json::Value {
        let mut detail = d.detail.clone().unwrap_or_default();
        if let Some(h) = &d.help {
            if !detail.is_empty() {
                detail.push('\n');
            }
            detail.push_str(h);
        }
        let mut j = serde_json::json!({
            "severity": d.severity,
            "summary": d.summary,
            "detail": detail,
        });
        if let Some(rule) = &d.rule {
            j["rule"] = serde_json::Value::String(rule.clone());
        }
        if let Some(r) = &d.range {
            j["range"] = self.range_json(r);
        }
        j
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_lines_and_char_columns() {
        let mut s = Sources::default();
        let f = s.add("main.hcl", "a = 1\nbé = 2\n");
        assert_eq!(
            s.pos(f, 0),
            Pos {
                line: 1,
                column: 1,
                byte: 0
            }
        );
        // "bé = 2": the '=' is the 4th character but the 5th byte of its line.
        let eq = s
            .get(f)
            .map(|x| x.text.rfind('=').unwrap_or(0))
            .unwrap_or(0);
        let p = s.pos(f, eq);
        assert_eq!((p.line, p.column), (2, 4));
        assert_eq!(
            s.location(&SourceRange {
                file: f,
                start: 6,
                end: 7
            }),
            "main.hcl:2:1"
        );
    }

    #[test]
    fn a_position_inside_a_character_is_that_characters_position() {
        // Found by fuzzing: `validate --json` sliced the text at an offset inside 'é' and panicked.
        let mut s = Sources::default();
        let f = s.add("main.hcl", "n=é");
        assert_eq!(
            s.pos(f, 3),
            Pos {
                line: 1,
                column: 3,
                byte: 2
            }
        );
        assert_eq!(s.pos(f, 4).column, 4);
    }

    #[test]
    fn counts_errors_and_warnings() {
        let mut d = Diagnostics::default();
        d.push(Diagnostic::error("x"));
        d.push(Diagnostic::warning("y"));
        assert!(d.has_errors());
        assert_eq!((d.error_count(), d.warning_count()), (1, 1));
    }
}

//! Diagnostics in rustc's layout (via annotate-snippets): `error[RULE]: summary`, `--> file:line:col`,
//! the source line with the span underlined, `= help: …`.

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};

use super::Style;
use crate::diag::{Diagnostic, Severity, Sources};

pub fn render(d: &Diagnostic, sources: &Sources, style: Style) -> String {
    let level = match d.severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
    };
    let mut title = level.primary_title(d.summary.as_str());
    if let Some(rule) = &d.rule {
        title = title.id(rule.as_str());
    }
    let mut group = Group::with_title(title);
    if let Some(r) = &d.range
        && let Some(f) = sources.get(r.file)
    {
        let start = r.start.min(f.text.len());
        let end = r.end.clamp(start, f.text.len());
        let mut ann = AnnotationKind::Primary.span(start..end);
        if let Some(l) = &d.label {
            ann = ann.label(l.as_str());
        }
        group = group.element(
            Snippet::source(f.text.as_str())
                .path(f.name.as_str())
                .annotation(ann),
        );
    }
    if let Some(detail) = &d.detail {
        group = group.element(Level::NOTE.message(detail.as_str()));
    }
    if let Some(h) = &d.help {
        group = group.element(Level::HELP.message(h.as_str()));
    }
    let renderer = if style.color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    renderer.render(&[group])
}

pub fn render_all(ds: &[Diagnostic], sources: &Sources, style: Style) -> String {
    let mut out = String::new();
    for d in ds {
        out.push_str(&render(d, sources, style));
        out.push_str("\n\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::SourceRange;

    #[test]
    fn rustc_layout_with_rule_id_span_and_help() {
        let mut s = Sources::default();
        let f = s.add("main.hcl", "resource \"x\" \"y\" {\n  bandwith = 5\n}\n");
        let d = Diagnostic::error("unknown attribute \"bandwith\"")
            .with_rule("ip-unique")
            .at(Some(SourceRange {
                file: f,
                start: 21,
                end: 29,
            }))
            .with_help("did you mean \"bandwidth\"?");
        let out = render(&d, &s, Style::PLAIN);
        assert!(
            out.starts_with("error[ip-unique]: unknown attribute \"bandwith\""),
            "{out}"
        );
        assert!(out.contains("--> main.hcl:2:3"), "{out}");
        assert!(out.contains("^^^^^^^^"), "{out}");
        assert!(out.contains("= help: did you mean \"bandwidth\"?"), "{out}");
    }
}

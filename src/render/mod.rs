//! Renderers: pure functions from netform's data (plans, diagnostics, state, graphs) to text.
//! Nothing here prints; the CLI decides where text goes and whether it is coloured.

pub mod diag;
pub mod graph;
pub mod json;
pub mod markdown;
pub mod plan;

/// Colour on or off; off renders plain text byte for byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Style {
    pub color: bool,
}

impl Style {
    pub const PLAIN: Style = Style { color: false };

    fn paint(self, style: anstyle::Style, s: &str) -> String {
        if self.color {
            format!("{style}{s}{style:#}")
        } else {
            s.to_string()
        }
    }

    fn fg(self, c: anstyle::AnsiColor, s: &str) -> String {
        self.paint(anstyle::Style::new().fg_color(Some(c.into())), s)
    }

    pub fn green(self, s: &str) -> String {
        self.fg(anstyle::AnsiColor::Green, s)
    }

    pub fn yellow(self, s: &str) -> String {
        self.fg(anstyle::AnsiColor::Yellow, s)
    }

    pub fn red(self, s: &str) -> String {
        self.fg(anstyle::AnsiColor::Red, s)
    }

    pub fn bold(self, s: &str) -> String {
        self.paint(anstyle::Style::new().bold(), s)
    }
}

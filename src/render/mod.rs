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

    fn paint(self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }

    pub fn green(self, s: &str) -> String {
        self.paint("32", s)
    }

    pub fn yellow(self, s: &str) -> String {
        self.paint("33", s)
    }

    pub fn red(self, s: &str) -> String {
        self.paint("31", s)
    }

    pub fn bold(self, s: &str) -> String {
        self.paint("1", s)
    }
}

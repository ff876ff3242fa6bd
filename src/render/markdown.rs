//! The plan as a pull-request comment: a summary table, a banner when anything is destroyed or
//! replaced, and the full plan in a `diff` fence inside `<details>`, cut to fit GitHub's 65,000
//! characters with a note saying what was cut.

use std::fmt::Write;

use super::Style;
use crate::plan::{Action, Plan};

pub const LIMIT: usize = 65_000;

pub fn render(p: &Plan) -> String {
    let (add, change, destroy) = p.counts();
    let replaced = p
        .changes
        .iter()
        .filter(|c| c.action == Action::Replace)
        .count();
    let mut s = String::new();
    let _ = writeln!(s, "### netform plan\n");
    let _ = writeln!(
        s,
        "| add | change | destroy |\n| ---: | ---: | ---: |\n| {add} | {change} | {destroy} |\n"
    );
    if destroy > 0 {
        let _ = writeln!(
            s,
            "> [!WARNING]\n> This plan destroys {destroy} resource{}{}.\n",
            if destroy == 1 { "" } else { "s" },
            if replaced > 0 {
                format!(" ({replaced} replaced)")
            } else {
                String::new()
            }
        );
    }
    // Terraform's symbols, moved to the first column so the diff fence colours them.
    let body: String = super::plan::render(p, Style::PLAIN)
        .lines()
        .map(|l| {
            let t = l.trim_start();
            let lead = l.len() - t.len();
            match t.chars().next() {
                Some('+') | Some('-') | Some('~') if lead > 0 => {
                    let sym = if t.starts_with('~') {
                        '!'
                    } else {
                        t.chars().next().unwrap_or(' ')
                    };
                    format!("{sym}{}{}", " ".repeat(lead.saturating_sub(1)), &t[1..])
                }
                _ => l.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let open = "<details><summary>Show plan</summary>\n\n```diff\n";
    let close = "\n```\n\n</details>\n";
    let room = LIMIT.saturating_sub(s.len() + open.len() + close.len() + 200);
    let mut body = body;
    let mut note = String::new();
    if body.len() > room {
        let mut cut = room;
        while !body.is_char_boundary(cut) {
            cut -= 1;
        }
        let cut_at = body[..cut].rfind('\n').unwrap_or(cut);
        let dropped = body[cut_at..].lines().count();
        body.truncate(cut_at);
        note = format!(
            "\n_The plan was cut to fit a comment: {dropped} more lines were left out. Run `netform plan` to see all of it._\n"
        );
    }
    s.push_str(open);
    s.push_str(&body);
    s.push_str(close);
    s.push_str(&note);
    s
}

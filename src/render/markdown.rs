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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::{Address, InstanceKey};
    use crate::lang::Value;
    use crate::plan::{Change, Plan};
    use crate::schema::Kind;

    fn plan_with(n: usize, action: Action) -> Plan {
        let changes = (0..n)
            .map(|i| Change {
                address: Address::managed("alicloud_eip_address", "e", InstanceKey::Int(i as i64)),
                kind: Kind::Eip,
                action,
                before: (action == Action::Delete).then(|| {
                    [("address_name".to_string(), Value::string("x".repeat(40)))]
                        .into_iter()
                        .collect()
                }),
                after: (action != Action::Delete).then(|| {
                    [("address_name".to_string(), Value::string("x".repeat(40)))]
                        .into_iter()
                        .collect()
                }),
                replace_paths: Vec::new(),
                create_before_destroy: false,
                dependencies: Vec::new(),
                provider: None,
                each: None,
                sensitive: Default::default(),
            })
            .collect();
        Plan::of_changes(changes)
    }

    #[test]
    fn small_plans_fit_whole_with_a_summary_table() {
        let md = render(&plan_with(2, Action::Create));
        assert!(md.contains("| 2 | 0 | 0 |"));
        assert!(!md.contains("[!WARNING]"));
        assert!(
            md.contains("+  resource \"alicloud_eip_address\" \"e\""),
            "{md}"
        );
    }

    #[test]
    fn destroying_plans_get_a_banner_and_huge_plans_are_cut_with_a_note() {
        let md = render(&plan_with(3000, Action::Delete));
        assert!(md.contains("[!WARNING]") && md.contains("destroys 3000 resources"));
        assert!(md.len() <= LIMIT, "{} characters", md.len());
        assert!(md.contains("more lines were left out"), "the cut is said");
        assert!(md.trim_end().ends_with("</details>") || md.contains("</details>"));
    }
}

//! `output [NAME]`: the root module's outputs from the state, as HCL values, `--json` or
//! `--raw`; sensitive ones are hidden unless asked for by name.

use crate::cli::context::Ctx;
use crate::cli::error::{CliError, Exit};
use crate::cli::{state_view, ui};
use crate::lang::Value;
use crate::outln;
use crate::state::State;

pub fn run(ctx: &Ctx, name: Option<&str>, json: bool, raw: bool) -> Result<Exit, CliError> {
    let s = ctx.state_or_empty()?;
    match name {
        Some(n) => one(&s, n, json, raw)?,
        None if json => outln!(
            ui(),
            "{}",
            serde_json::to_string_pretty(&state_view::outputs(&s)).unwrap_or_default()
        ),
        None => {
            for (k, o) in &s.outputs {
                let v = if o.sensitive {
                    "<sensitive>".into()
                } else {
                    Value::from_json(&o.value).to_string()
                };
                outln!(ui(), "{k} = {v}");
            }
        }
    }
    Ok(Exit(0))
}

fn one(s: &State, n: &str, json: bool, raw: bool) -> Result<(), CliError> {
    let Some(o) = s.outputs.get(n) else {
        return Err(CliError::user(
            format!("output \"{n}\" not found"),
            "the state has no such output: check the name, or run netform apply first",
        ));
    };
    if json {
        outln!(ui(), "{}", o.value);
    } else if raw {
        let Some(v) = Value::from_json(&o.value).coerce_string() else {
            return Err(CliError::user(
                format!("output \"{n}\" is not a string, number or bool"),
                "use --json for structured values",
            ));
        };
        ui().out(&v);
    } else {
        outln!(ui(), "{}", Value::from_json(&o.value));
    }
    Ok(())
}

//! Commands about netform itself: `version [-json]`, `completions SHELL` (clap_complete) and
//! `man` (clap_mangen), generated from the same clap definitions the parser uses, so they
//! never drift from the real flags.

use std::path::Path;

use clap::CommandFactory;

use crate::cli::args::Cli;
use crate::cli::error::{CliError, Exit};
use crate::cli::ui;

/// Terraform's platform spelling: `linux_amd64`, `darwin_arm64`.
pub fn platform() -> String {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        other => other,
    };
    format!("{}_{arch}", std::env::consts::OS)
}

pub fn version(json: bool) -> Result<Exit, CliError> {
    let version = env!("CARGO_PKG_VERSION");
    let commit = env!("NETFORM_COMMIT");
    if json {
        let j = serde_json::json!({
            "netform_version": version,
            "commit": commit,
            "platform": platform(),
        });
        ui().out(&format!(
            "{}\n",
            serde_json::to_string_pretty(&j).unwrap_or_default()
        ));
    } else {
        ui().out(&format!(
            "netform v{version} ({commit})\non {}\n",
            platform()
        ));
    }
    Ok(Exit(0))
}

pub fn completions(shell: clap_complete::Shell) -> Result<Exit, CliError> {
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "netform", &mut buf);
    ui().out(&String::from_utf8_lossy(&buf));
    Ok(Exit(0))
}

/// The man page of `netform` on stdout, or with `--out DIR` one page per command
/// (`netform.1`, `netform-plan.1`, …) written there.
pub fn man(out: Option<&Path>) -> Result<Exit, CliError> {
    let cmd = Cli::command();
    match out {
        None => {
            let mut buf = Vec::new();
            clap_mangen::Man::new(cmd)
                .render(&mut buf)
                .map_err(|e| CliError::internal(format!("cannot render the man page: {e}")))?;
            ui().out(&String::from_utf8_lossy(&buf));
        }
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .and_then(|()| clap_mangen::generate_to(cmd, dir))
                .map_err(|e| {
                    CliError::user(
                        format!("cannot write man pages to {}: {e}", dir.display()),
                        "check that the directory is writable",
                    )
                })?;
            ui().human(&format!("Wrote the man pages to {}.\n", dir.display()));
        }
    }
    Ok(Exit(0))
}

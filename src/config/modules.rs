//! Module calls: `module "NAME" { source = "./modules/eni" … }`. A call's module is loaded with
//! the configuration that calls it, into a tree of [`Config`]s sharing one set of source files, so
//! that every error of every module is reported in one run. Sources are local directories (read
//! as they are) and git repositories (`git::URL?ref=REF`) that `netform init` cloned into
//! `.netform/modules`; registry sources are refused, as netform downloads nothing by itself.

use std::path::{Path, PathBuf};

use hcl_edit::Span;
use hcl_edit::expr::Expression;
use hcl_edit::structure::{Block, Structure};

use super::{
    Attr, Config, Expr, block_header_range, decode_depends_on, expect_labels, label_str, range,
};
use crate::diag::{Diagnostic, Diagnostics, SourceRange};
use crate::lang::eval::{Ref, suggest};

/// How deep modules may call modules: far more than any real configuration, and a stop for a
/// module that (through others) calls itself.
const MAX_DEPTH: usize = 16;

/// Where `netform init` puts the modules it fetched, under the configuration directory.
pub const MODULES_DIR: &str = ".netform/modules";

/// A `module` block and the configuration of the module it calls.
#[derive(Clone, Debug)]
pub struct ModuleCall {
    pub name: String,
    pub source: String,
    pub range: SourceRange,
    /// Input variables, as written.
    pub args: Vec<Attr>,
    pub count: Option<Expr>,
    pub for_each: Option<Expr>,
    pub depends_on: Vec<(Ref, SourceRange)>,
    /// The called module (empty until loaded; stays empty when it could not be).
    pub body: Box<Config>,
}

impl ModuleCall {
    /// References the call's own expressions make (count, for_each, depends_on): what must be
    /// known before its instances are.
    pub fn meta_refs(&self) -> Vec<(Ref, Option<SourceRange>)> {
        let mut out: Vec<(Ref, Option<SourceRange>)> = Vec::new();
        for e in self.count.iter().chain(self.for_each.iter()) {
            out.extend(e.refs());
        }
        for (r, s) in &self.depends_on {
            out.push((r.clone(), Some(s.clone())));
        }
        out
    }
}

/// Where a module's source says its files are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// `./dir` or `../dir`, relative to the calling module's directory.
    Local(String),
    /// `git::URL[//SUBDIR][?ref=REF]`.
    Git {
        url: String,
        subdir: Option<String>,
        reference: Option<String>,
    },
}

/// Reads a `source` string; the error says what to write instead.
pub fn parse_source(s: &str) -> Result<Source, String> {
    if s.starts_with("./") || s.starts_with("../") || s == "." || s == ".." {
        return Ok(Source::Local(s.to_string()));
    }
    if let Some(rest) = s.strip_prefix("git::") {
        let (rest, reference) = match rest.split_once("?ref=") {
            Some((r, x)) if !x.is_empty() && !x.contains('&') => (r, Some(x.to_string())),
            Some(_) => {
                return Err(format!(
                    "module source \"{s}\": ?ref= needs one branch, tag or commit"
                ));
            }
            None if rest.contains('?') => {
                return Err(format!(
                    "module source \"{s}\": the only query git sources take is ?ref=REF"
                ));
            }
            None => (rest, None),
        };
        // `//` separates a subdirectory, except the `//` of `scheme://`.
        let split = rest
            .match_indices("//")
            .find(|(i, _)| *i == 0 || rest.as_bytes()[i - 1] != b':')
            .map(|(i, _)| i);
        let (url, subdir) = match split {
            Some(i) => (&rest[..i], Some(rest[i + 2..].to_string())),
            None => (rest, None),
        };
        if url.is_empty() {
            return Err(format!("module source \"{s}\" names no repository"));
        }
        return Ok(Source::Git {
            url: url.to_string(),
            subdir: subdir.filter(|d| !d.is_empty()),
            reference,
        });
    }
    let parts: Vec<&str> = s.split('/').collect();
    let registry = (parts.len() == 3 || parts.len() == 4) && !s.contains("::") && !s.contains(':');
    if registry {
        return Err(format!(
            "module source \"{s}\" is a module registry address; netform does not download from registries"
        ));
    }
    Err(format!(
        "module source \"{s}\" is not one netform can use: write a local path (\"./modules/NAME\") or a git source (\"git::https://host/repo.git?ref=v1.0\")"
    ))
}

/// The directory `netform init` clones a git module into: one per call path (`net.sub`), as
/// Terraform's `.terraform/modules` does.
pub fn fetched_dir(root: &Path, call_path: &[String]) -> PathBuf {
    root.join(MODULES_DIR).join(call_path.join("."))
}

/// Decodes a `module "NAME" { … }` block into `cfg.modules` (its module is loaded later).
pub(super) fn decode_module(cfg: &mut Config, file: usize, b: &Block, diags: &mut Diagnostics) {
    if !expect_labels(file, b, 1, "\"NAME\"", diags) {
        return;
    }
    let name = label_str(&b.labels[0]);
    let header = block_header_range(file, b);
    let mut call = ModuleCall {
        name: name.clone(),
        source: String::new(),
        range: header.clone(),
        args: Vec::new(),
        count: None,
        for_each: None,
        depends_on: Vec::new(),
        body: Box::default(),
    };
    let mut has_source = false;
    for s in b.body.iter() {
        let a = match s {
            Structure::Attribute(a) => a,
            Structure::Block(x) => {
                diags.push(
                    Diagnostic::error(format!("unexpected block \"{}\" in module", x.ident.as_str()))
                        .at(Some(block_header_range(file, x)))
                        .with_help("a module block takes source, count, for_each, depends_on, providers and the module's input variables"),
                );
                continue;
            }
        };
        let key = a.key.as_str();
        let value = Expr {
            file,
            expr: a.value.clone(),
        };
        match key {
            "source" => match a.value.as_str() {
                Some(src) => {
                    has_source = true;
                    call.source = src.to_string();
                    if let Err(m) = parse_source(src) {
                        diags.push(Diagnostic::error(m).at(value.range()).with_help(
                            "copy the module into a directory of the configuration and write source = \"./modules/NAME\", or use a git source that netform init fetches",
                        ));
                    }
                }
                None => diags.push(
                    Diagnostic::error("a module's source must be a literal string")
                        .at(value.range())
                        .with_help("write source = \"./modules/NAME\""),
                ),
            },
            "version" => diags.push(
                Diagnostic::error(
                    "version applies to registry modules, which netform does not download",
                )
                .at(Some(range(file, a.key.span())))
                .with_help("remove version; pin a git source with ?ref=TAG instead"),
            ),
            "count" => call.count = Some(value),
            "for_each" => call.for_each = Some(value),
            "depends_on" => call.depends_on = decode_depends_on(file, &a.value, diags),
            "providers" => check_providers(file, &a.value, diags),
            _ => call.args.push(Attr {
                name: key.to_string(),
                key_range: range(file, a.key.span()),
                value,
            }),
        }
    }
    if !has_source && !diags.has_errors() {
        diags.push(
            Diagnostic::error(format!("module \"{name}\" has no source"))
                .at(Some(header.clone()))
                .with_help("add source = \"./modules/NAME\""),
        );
    }
    if call.count.is_some() && call.for_each.is_some() {
        diags.push(
            Diagnostic::error("count and for_each cannot both be set")
                .at(call.for_each.as_ref().and_then(Expr::range))
                .with_help("use one of them"),
        );
    }
    if cfg.modules.contains_key(&name) {
        diags.push(
            Diagnostic::error(format!("duplicate module call \"{name}\""))
                .at(Some(header))
                .with_help("each module call has its own name"),
        );
        return;
    }
    cfg.modules.insert(name, call);
}

/// `providers = { alicloud = alicloud }` (or `alicloud.ALIAS`): netform has one provider, which
/// every module shares, so the map is checked and otherwise needs nothing.
fn check_providers(file: usize, e: &Expression, diags: &mut Diagnostics) {
    let ok = match e {
        Expression::Object(o) => o.iter().all(|(k, v)| {
            let key_ok = match k {
                hcl_edit::expr::ObjectKey::Ident(i) => i.as_str().starts_with("alicloud"),
                hcl_edit::expr::ObjectKey::Expression(Expression::Traversal(_)) => true,
                _ => false,
            };
            key_ok && super::provider_ref(v.expr()).is_some()
        }),
        _ => false,
    };
    if !ok {
        diags.push(
            Diagnostic::error(
                "providers must map the module's provider to alicloud or alicloud.ALIAS",
            )
            .at(Some(range(file, e.span())))
            .with_help("write providers = { alicloud = alicloud }"),
        );
    }
}

/// Loads the module of every call of `cfg`, recursively. `cfg.sources` holds every file read so
/// far and gets the modules' files; `ancestors` are the directories of the calling modules.
pub(super) fn load_children(
    cfg: &mut Config,
    root: &Path,
    hasher: &mut sha2::Sha256,
    diags: &mut Diagnostics,
    ancestors: &[PathBuf],
) {
    let names: Vec<String> = cfg.modules.keys().cloned().collect();
    for name in names {
        let Some(call) = cfg.modules.get(&name) else {
            continue;
        };
        let mut path = cfg.path.clone();
        path.push(name.clone());
        let dir = match parse_source(&call.source) {
            Ok(Source::Local(rel)) => cfg.dir.join(rel),
            Ok(Source::Git { subdir, .. }) => {
                let d = fetched_dir(root, &path);
                if !d.is_dir() {
                    diags.push(
                        Diagnostic::error(format!("module \"{name}\" is not installed"))
                            .at(Some(call.range.clone()))
                            .with_help(
                                "run netform init to fetch its git source into .netform/modules",
                            ),
                    );
                    continue;
                }
                subdir.map_or(d.clone(), |s| d.join(s))
            }
            // Reported when the block was decoded.
            Err(_) => continue,
        };
        let range = call.range.clone();
        let canonical = dir.canonicalize().unwrap_or_else(|_| dir.clone());
        if ancestors.contains(&canonical) || path.len() > MAX_DEPTH {
            diags.push(
                Diagnostic::error(format!("module \"{name}\" calls itself"))
                    .at(Some(range))
                    .with_help("a module cannot call itself, directly or through other modules"),
            );
            continue;
        }
        let rel = relative(root, &dir);
        let mut child = Config {
            dir: dir.clone(),
            path,
            rel_dir: rel.clone(),
            sources: std::mem::take(&mut cfg.sources),
            ..Config::default()
        };
        match read_module_files(&dir, &rel) {
            Ok(files) => {
                let mut chain = ancestors.to_vec();
                chain.push(canonical);
                super::load_tree(&mut child, files, root, hasher, diags, &chain);
            }
            Err(m) => diags.push(
                Diagnostic::error(format!("module \"{name}\": {m}"))
                    .at(Some(range))
                    .with_help("check the module's source path"),
            ),
        }
        cfg.sources = std::mem::take(&mut child.sources);
        if let Some(call) = cfg.modules.get_mut(&name) {
            check_args(call, &child, diags);
            *call.body = child;
        }
    }
}

/// Input variables the call sets that the module does not declare, and required ones it omits.
fn check_args(call: &ModuleCall, child: &Config, diags: &mut Diagnostics) {
    if child.sources.files().is_empty() && child.variables.is_empty() && child.resources.is_empty()
    {
        return;
    }
    for a in &call.args {
        if !child.variables.contains_key(&a.name) {
            let d = Diagnostic::error(format!(
                "module \"{}\" has no input variable \"{}\"",
                call.name, a.name
            ))
            .at(Some(a.key_range.clone()));
            diags.push(
                match suggest(&a.name, child.variables.keys().map(String::as_str)) {
                    Some(s) => d.with_help(format!("did you mean \"{s}\"?")),
                    None => d.with_help(format!(
                        "declare variable \"{}\" in {}, or remove the argument",
                        a.name, child.rel_dir
                    )),
                },
            );
        }
    }
    for (n, v) in &child.variables {
        if v.default.is_none() && !call.args.iter().any(|a| &a.name == n) {
            diags.push(
                Diagnostic::error(format!(
                    "module \"{}\" needs a value for its input variable \"{n}\"",
                    call.name
                ))
                .at(Some(call.range.clone()))
                .with_help(format!("add {n} = VALUE to the module block")),
            );
        }
    }
}

/// `dir` relative to the root directory, as path.module shows it and file names are written.
fn relative(root: &Path, dir: &Path) -> String {
    let clean = |p: &Path| -> PathBuf {
        let mut out = PathBuf::new();
        for c in p.components() {
            match c {
                std::path::Component::CurDir => {}
                std::path::Component::ParentDir if out.file_name().is_some() => {
                    out.pop();
                }
                other => out.push(other),
            }
        }
        out
    };
    let (root, dir) = (clean(root), clean(dir));
    match dir.strip_prefix(&root) {
        Ok(r) if r.as_os_str().is_empty() => ".".to_string(),
        Ok(r) => r.to_string_lossy().into_owned(),
        Err(_) => dir.to_string_lossy().into_owned(),
    }
}

/// The `*.hcl` files of a module directory, named relative to the root (`modules/eni/main.hcl`).
fn read_module_files(dir: &Path, rel: &str) -> Result<Vec<(String, String)>, String> {
    let rd = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot read the module directory {}: {e}", dir.display()))?;
    let mut paths: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "hcl") && !p.is_dir())
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(format!("{} has no *.hcl files", dir.display()));
    }
    let mut out = Vec::new();
    for p in paths {
        let file = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let text = std::fs::read_to_string(&p).map_err(|e| format!("cannot read {file}: {e}"))?;
        out.push((format!("{rel}/{file}"), text));
    }
    Ok(out)
}

/// What `netform init` did for one git module.
#[derive(Debug, PartialEq, Eq)]
pub struct Installed {
    pub key: String,
    pub source: String,
    /// False when the module was already there, from the same source.
    pub fetched: bool,
}

/// Fetches every git module the configuration calls (and those they call) with the `git`
/// command into `.netform/modules/KEY`. A module already fetched from the same source is kept.
pub fn install(root: &Path) -> Result<Vec<Installed>, String> {
    let mut out = Vec::new();
    install_dir(root, root, &[], &mut out, 0)?;
    Ok(out)
}

fn install_dir(
    root: &Path,
    dir: &Path,
    path: &[String],
    out: &mut Vec<Installed>,
    depth: usize,
) -> Result<(), String> {
    if depth > MAX_DEPTH {
        return Err(format!(
            "modules nest deeper than {MAX_DEPTH} levels (does one call itself?)"
        ));
    }
    for (name, source) in module_sources(dir)? {
        let mut p = path.to_vec();
        p.push(name);
        let child = match parse_source(&source)? {
            Source::Local(rel) => dir.join(rel),
            Source::Git {
                url,
                subdir,
                reference,
            } => {
                let dest = fetched_dir(root, &p);
                let fetched = clone(&url, reference.as_deref(), &source, &dest)?;
                out.push(Installed {
                    key: p.join("."),
                    source: source.clone(),
                    fetched,
                });
                subdir.map_or(dest.clone(), |s| dest.join(s))
            }
        };
        install_dir(root, &child, &p, out, depth + 1)?;
    }
    Ok(())
}

/// `(NAME, source)` of each module block in a directory's files, read without decoding the rest
/// (init runs before the modules it fetches can be loaded).
fn module_sources(dir: &Path) -> Result<Vec<(String, String)>, String> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Ok(Vec::new());
    };
    let mut paths: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "hcl"))
        .collect();
    paths.sort();
    let mut out = Vec::new();
    for p in paths {
        let Ok(text) = std::fs::read_to_string(&p) else {
            continue;
        };
        let Ok(body) = hcl_edit::parser::parse_body(&text) else {
            continue;
        };
        for b in body.iter().filter_map(Structure::as_block) {
            if b.ident.as_str() != "module" || b.labels.len() != 1 {
                continue;
            }
            let source = b
                .body
                .iter()
                .filter_map(Structure::as_attribute)
                .find(|a| a.key.as_str() == "source")
                .and_then(|a| a.value.as_str().map(str::to_string));
            if let Some(s) = source {
                out.push((label_str(&b.labels[0]), s));
            }
        }
    }
    Ok(out)
}

/// Clones `url` at `reference` into `dest`, unless `dest` already holds that source (a marker
/// file records it). Returns whether it cloned.
fn clone(url: &str, reference: Option<&str>, source: &str, dest: &Path) -> Result<bool, String> {
    let marker = dest.join(".netform-source");
    if std::fs::read_to_string(&marker).is_ok_and(|s| s == source) {
        return Ok(false);
    }
    if dest.exists() {
        std::fs::remove_dir_all(dest)
            .map_err(|e| format!("cannot replace {}: {e}", dest.display()))?;
    }
    if let Some(parent) = dest.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    let git = |args: &[&std::ffi::OsStr]| -> Result<(), String> {
        let o = std::process::Command::new("git")
            .args(args)
            .env("GIT_TERMINAL_PROMPT", "0")
            .output()
            .map_err(|e| format!("cannot run git (is it installed?): {e}"))?;
        if o.status.success() {
            Ok(())
        } else {
            Err(format!(
                "git failed for {source}: {}",
                String::from_utf8_lossy(&o.stderr).trim()
            ))
        }
    };
    git(&[
        "clone".as_ref(),
        "--quiet".as_ref(),
        url.as_ref(),
        dest.as_os_str(),
    ])?;
    if let Some(r) = reference {
        let checkout = git(&[
            "-C".as_ref(),
            dest.as_os_str(),
            "checkout".as_ref(),
            "--quiet".as_ref(),
            r.as_ref(),
        ]);
        if let Err(e) = checkout {
            let _ = std::fs::remove_dir_all(dest);
            return Err(e);
        }
    }
    std::fs::write(&marker, source)
        .map_err(|e| format!("cannot write {}: {e}", marker.display()))?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_local_git_or_refused() {
        assert_eq!(
            parse_source("./modules/eni"),
            Ok(Source::Local("./modules/eni".into()))
        );
        assert_eq!(
            parse_source("git::file:///tmp/r.git//eni?ref=v1"),
            Ok(Source::Git {
                url: "file:///tmp/r.git".into(),
                subdir: Some("eni".into()),
                reference: Some("v1".into())
            })
        );
        assert_eq!(
            parse_source("git::https://h/r.git"),
            Ok(Source::Git {
                url: "https://h/r.git".into(),
                subdir: None,
                reference: None
            })
        );
        let e = parse_source("hashicorp/consul/aws").unwrap_err();
        assert!(e.contains("registry"), "{e}");
        assert!(parse_source("s3::https://b/k").is_err());
        assert!(parse_source("git::").is_err());
    }

    #[test]
    fn relative_paths_are_cleaned() {
        assert_eq!(relative(Path::new("/a"), Path::new("/a/./m/../n")), "n");
        assert_eq!(relative(Path::new("/a"), Path::new("/a/.")), ".");
    }
}

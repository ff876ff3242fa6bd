//! Loading a configuration directory: every `*.hcl` file, parsed with hcl-edit (which keeps spans),
//! decoded into the blocks netform knows. Nothing is evaluated here; `config::eval` does that.
//! Every problem in every file is collected, so one run reports them all.

pub mod blocks;
pub mod eval;
pub mod modules;
mod validate;
pub mod vars;

pub use validate::{validate_config, validate_text};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use hcl_edit::Span;
use hcl_edit::expr::Expression;
use hcl_edit::structure::{Block, BlockLabel, Body, Structure};

use crate::diag::{Diagnostic, Diagnostics, SourceRange, Sources};
use crate::lang::eval::{Ref, references, suggest};
use crate::lang::types::Type;
use crate::schema;

/// An expression and the file it came from.
#[derive(Clone, Debug)]
pub struct Expr {
    pub file: usize,
    pub expr: Expression,
}

impl Expr {
    pub fn range(&self) -> Option<SourceRange> {
        self.expr.span().map(|s| SourceRange {
            file: self.file,
            start: s.start,
            end: s.end,
        })
    }

    /// Spans inside the expression belong to the same file.
    pub fn range_of(&self, span: Option<std::ops::Range<usize>>) -> Option<SourceRange> {
        span.map(|s| SourceRange {
            file: self.file,
            start: s.start,
            end: s.end,
        })
        .or_else(|| self.range())
    }

    pub fn refs(&self) -> Vec<(Ref, Option<SourceRange>)> {
        references(&self.expr)
            .into_iter()
            .map(|(r, s)| (r, self.range_of(s)))
            .collect()
    }
}

/// An attribute as written: its name, where the name is, and its value.
#[derive(Clone, Debug)]
pub struct Attr {
    pub name: String,
    pub key_range: SourceRange,
    pub value: Expr,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Mode {
    Managed,
    Data,
}

#[derive(Clone, Debug, Default)]
pub struct Lifecycle {
    pub prevent_destroy: bool,
    pub create_before_destroy: bool,
    pub ignore_changes: Vec<String>,
    pub preconditions: Vec<blocks::Condition>,
    pub postconditions: Vec<blocks::Condition>,
    /// References whose change replaces this resource.
    pub replace_triggered_by: Vec<Expr>,
}

#[derive(Clone, Debug)]
pub struct Resource {
    pub mode: Mode,
    /// The type as written (an alias such as `alicloud_eip` stays as written: it is the address).
    pub ty: String,
    pub name: String,
    /// The schema type the written type resolves to.
    pub kind: &'static schema::ResourceSchema,
    pub range: SourceRange,
    pub attrs: Vec<Attr>,
    pub count: Option<Expr>,
    pub for_each: Option<Expr>,
    pub depends_on: Vec<(Ref, SourceRange)>,
    pub lifecycle: Lifecycle,
    pub provider: Option<String>,
}

impl Resource {
    /// `TYPE.NAME` or `data.TYPE.NAME`.
    pub fn key(&self) -> String {
        match self.mode {
            Mode::Managed => format!("{}.{}", self.ty, self.name),
            Mode::Data => format!("data.{}.{}", self.ty, self.name),
        }
    }

    pub fn attr(&self, name: &str) -> Option<&Attr> {
        self.attrs.iter().find(|a| a.name == name)
    }

    /// Every reference the resource's expressions and `depends_on` make.
    pub fn refs(&self) -> Vec<(Ref, Option<SourceRange>)> {
        let mut out: Vec<(Ref, Option<SourceRange>)> = Vec::new();
        for a in &self.attrs {
            out.extend(a.value.refs());
        }
        for e in self.count.iter().chain(self.for_each.iter()) {
            out.extend(e.refs());
        }
        for (r, s) in &self.depends_on {
            out.push((r.clone(), Some(s.clone())));
        }
        let l = &self.lifecycle;
        for e in l.replace_triggered_by.iter() {
            out.extend(e.refs());
        }
        for c in l.preconditions.iter().chain(l.postconditions.iter()) {
            out.extend(c.condition.refs());
            out.extend(c.error_message.refs());
        }
        out
    }
}

#[derive(Clone, Debug)]
pub struct Variable {
    pub name: String,
    pub ty: Type,
    pub default: Option<Expr>,
    pub description: Option<String>,
    pub sensitive: bool,
    pub validations: Vec<(Expr, Expr)>,
    pub range: SourceRange,
}

#[derive(Clone, Debug)]
pub struct Local {
    pub name: String,
    pub value: Expr,
    pub range: SourceRange,
}

#[derive(Clone, Debug)]
pub struct Output {
    pub name: String,
    pub value: Expr,
    pub preconditions: Vec<blocks::Condition>,
    pub sensitive: bool,
    pub description: Option<String>,
    pub depends_on: Vec<(Ref, SourceRange)>,
    pub range: SourceRange,
}

#[derive(Clone, Debug)]
pub struct Provider {
    pub alias: Option<String>,
    pub attrs: Vec<Attr>,
    /// `Some` when a `simulator {}` block selects the embedded simulator; holds its `world`.
    pub simulator: Option<Option<Expr>>,
    /// `endpoints { ecs = …, vpc = …, slb = … }`: one endpoint per product, named by
    /// [`ENDPOINT_KEYS`] (terraform-provider-alicloud's spelling).
    pub endpoints: Vec<Attr>,
    pub range: SourceRange,
}

#[derive(Clone, Debug, Default)]
pub struct Config {
    pub dir: PathBuf,
    pub sources: Sources,
    pub providers: Vec<Provider>,
    pub variables: BTreeMap<String, Variable>,
    pub locals: BTreeMap<String, Local>,
    pub resources: Vec<Resource>,
    pub outputs: BTreeMap<String, Output>,
    /// Warnings found while loading (deprecated names, ignored blocks).
    pub warnings: Diagnostics,
    /// SHA-256 of the files' names and contents, for the saved plan's "configuration changed" check.
    pub hash: String,
    /// `terraform { backend "…" { … } }`; none means the local backend's defaults.
    pub backend: Option<crate::backend::settings::BackendDecl>,
    /// `module "NAME" { … }` calls, each with the configuration of the module it calls.
    pub modules: BTreeMap<String, modules::ModuleCall>,
    /// The call names leading to this module (`["net", "eni"]`); empty for the root module.
    pub path: Vec<String>,
    /// `path.module`: this module's directory relative to the root's ("." for the root).
    pub rel_dir: String,
    /// `moved` blocks, in the order written; addresses relative to this module.
    pub moved: Vec<blocks::Moved>,
    /// `removed` blocks.
    pub removed: Vec<blocks::Removed>,
    /// `import` blocks (root module only).
    pub imports: Vec<blocks::Import>,
    /// `check` blocks.
    pub checks: Vec<blocks::Check>,
}

impl Config {
    /// The module at a static call path (`["net", "eni"]`), the root for an empty one.
    pub fn module(&self, path: &[String]) -> Option<&Config> {
        match path.split_first() {
            None => Some(self),
            Some((first, rest)) => self.modules.get(first)?.body.module(rest),
        }
    }

    /// The resource an address names, in the module its path leads to.
    pub fn resource_at(&self, addr: &crate::address::Address) -> Option<&Resource> {
        let path: Vec<String> = addr.module.iter().map(|s| s.name.clone()).collect();
        self.module(&path)?
            .resource(addr.mode, &addr.ty, &addr.name)
    }

    /// This module and every module it calls, depth first, callers before callees.
    pub fn all_modules(&self) -> Vec<&Config> {
        let mut out = vec![self];
        for m in self.modules.values() {
            out.extend(m.body.all_modules());
        }
        out
    }

    pub fn resource(&self, mode: Mode, ty: &str, name: &str) -> Option<&Resource> {
        self.resources
            .iter()
            .find(|r| r.mode == mode && r.ty == ty && r.name == name)
    }
}

/// Why a configuration did not load, with the files it read so the diagnostics can show them.
#[derive(Debug)]
pub struct LoadFailure {
    pub diags: Diagnostics,
    pub sources: Sources,
}

impl From<Diagnostic> for LoadFailure {
    fn from(d: Diagnostic) -> Self {
        LoadFailure {
            diags: d.into(),
            sources: Sources::default(),
        }
    }
}

/// Reads every `*.hcl` file of `dir` (not subdirectories), in name order.
pub fn load_dir(dir: &Path) -> Result<Config, LoadFailure> {
    let mut names: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            // Not `is_file()`: a dangling symlink must be reported, not silently skipped.
            .filter(|p| p.extension().is_some_and(|e| e == "hcl") && !p.is_dir())
            .collect(),
        Err(e) => {
            return Err(LoadFailure::from(Diagnostic::error(format!(
                "cannot read the configuration directory {}: {e}",
                dir.display()
            ))));
        }
    };
    names.sort();
    if names.is_empty() {
        return Err(LoadFailure::from(
            Diagnostic::error(format!(
                "no configuration files: {} has no *.hcl files",
                dir.display()
            ))
            .with_help("run netform in a directory with .hcl files, or pass -C DIR"),
        ));
    }
    let mut files = Vec::new();
    let mut diags = Diagnostics::default();
    let mut unreadable = Sources::default();
    for p in names {
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        match read_source(&p, &name, &mut unreadable) {
            Ok(text) => files.push((name, text)),
            Err(d) => diags.push(*d),
        }
    }
    if diags.has_errors() {
        return Err(LoadFailure {
            diags,
            sources: unreadable,
        });
    }
    load_sources(dir, files)
}

/// One configuration file's text. A file that cannot be read (a dangling symlink, no
/// permission) is named; one that is not UTF-8 is shown at its first bad byte.
fn read_source(path: &Path, name: &str, sources: &mut Sources) -> Result<String, Box<Diagnostic>> {
    let bytes = std::fs::read(path).map_err(|e| {
        let dangling = e.kind() == std::io::ErrorKind::NotFound && path.is_symlink();
        let d = Diagnostic::error(format!("cannot read {name}: {e}"));
        if dangling {
            d.with_help(
                "it is a symbolic link to a file that does not exist; fix or remove the link",
            )
        } else {
            d.with_help("make the file readable, or move it out of the configuration directory")
        }
    })?;
    String::from_utf8(bytes).map_err(|e| {
        let bad = e.utf8_error().valid_up_to();
        let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
        // The lossy text keeps the valid prefix byte for byte; the bad byte became U+FFFD.
        let end = bad + text[bad..].chars().next().map_or(0, char::len_utf8);
        let file = sources.add(name, text);
        Box::new(
            Diagnostic::error(format!("{name} is not UTF-8 text"))
                .at(Some(SourceRange {
                    file,
                    start: bad,
                    end,
                }))
                .with_help("configuration files must be UTF-8; re-save the file in that encoding"),
        )
    })
}

/// Loads configuration from in-memory files (name, text); the directory is where relative paths
/// (`file()`, world files) resolve.
pub fn load_sources(dir: &Path, files: Vec<(String, String)>) -> Result<Config, LoadFailure> {
    use sha2::Digest;
    let mut cfg = Config {
        dir: dir.to_path_buf(),
        rel_dir: ".".to_string(),
        ..Config::default()
    };
    let mut diags = Diagnostics::default();
    let mut hasher = sha2::Sha256::new();
    load_tree(&mut cfg, files, dir, &mut hasher, &mut diags, &[]);
    cfg.hash = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    if let Err(cycles) = crate::graph::build(&cfg) {
        diags.extend(cycles);
    }
    let warnings = std::mem::take(&mut cfg.warnings);
    diags.extend(warnings);
    // One report in source order (file, then position), whichever check found each problem.
    diags.0.sort_by_key(|d| {
        d.range
            .as_ref()
            .map_or((usize::MAX, usize::MAX), |r| (r.file, r.start))
    });
    if diags.has_errors() {
        return Err(LoadFailure {
            diags,
            sources: cfg.sources,
        });
    }
    cfg.warnings = diags;
    Ok(cfg)
}

/// Parses and decodes one module's files into `cfg` (whose `sources` gets them), loads the
/// modules it calls, and checks what can be checked without evaluating.
fn load_tree(
    cfg: &mut Config,
    files: Vec<(String, String)>,
    root: &Path,
    hasher: &mut sha2::Sha256,
    diags: &mut Diagnostics,
    ancestors: &[PathBuf],
) {
    use sha2::Digest;
    let mut bodies = Vec::new();
    for (name, text) in files {
        hasher.update(name.as_bytes());
        hasher.update([0]);
        hasher.update(text.as_bytes());
        hasher.update([0]);
        let file = cfg.sources.add(name, text.clone());
        match hcl_edit::parser::parse_body(&text) {
            Ok(body) => bodies.push((file, body)),
            Err(e) => {
                let loc = e.location();
                // hcl-edit can place an error inside a multi-byte character (`n=é` at the end of
                // a file); a range there made every renderer of it panic.
                let start = text.floor_char_boundary(loc.offset().min(text.len()));
                let end = next_char_boundary(&text, start);
                diags.push(
                    Diagnostic::error(format!("syntax error: {}", first_line(e.message())))
                        .at(Some(SourceRange { file, start, end }))
                        .with_label(first_line(e.message()))
                        .with_help("fix the HCL syntax at the marked position"),
                );
            }
        }
    }
    for (file, body) in &bodies {
        decode_body(cfg, *file, body, diags);
    }
    if !cfg.path.is_empty() {
        root_only_blocks(cfg);
    }
    modules::load_children(cfg, root, hasher, diags, ancestors);
    check_duplicates(cfg, diags);
    check_references(cfg, diags);
    check_literal_values(cfg, diags);
    blocks::check_removed(cfg, diags);
}

/// A called module uses the root's provider and state: its own provider and backend blocks are
/// dropped with a warning, as netform has one provider configuration per run.
fn root_only_blocks(cfg: &mut Config) {
    let mut dropped: Vec<(Option<SourceRange>, &str)> = cfg
        .providers
        .drain(..)
        .map(|p| (Some(p.range), "provider"))
        .collect();
    if cfg.backend.take().is_some() {
        dropped.push((None, "backend"));
    }
    for (at, what) in dropped {
        cfg.warnings.push(
            Diagnostic::warning(format!(
                "the {what} block of module {} is ignored",
                cfg.rel_dir
            ))
            .at(at)
            .with_help(format!(
                "modules use the root module's {what}; move the block to the root"
            )),
        );
    }
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or(s).trim().to_string()
}

fn next_char_boundary(text: &str, start: usize) -> usize {
    let mut end = (start + 1).min(text.len());
    while end < text.len() && !text.is_char_boundary(end) {
        end += 1;
    }
    end
}

fn range(file: usize, span: Option<std::ops::Range<usize>>) -> SourceRange {
    let s = span.unwrap_or(0..0);
    SourceRange {
        file,
        start: s.start,
        end: s.end,
    }
}

fn block_header_range(file: usize, b: &Block) -> SourceRange {
    let start = b.ident.span().map(|s| s.start).unwrap_or(0);
    let end = b
        .labels
        .last()
        .and_then(|l| l.span())
        .or_else(|| b.ident.span())
        .map(|s| s.end)
        .unwrap_or(start);
    SourceRange { file, start, end }
}

fn label_str(l: &BlockLabel) -> String {
    match l {
        BlockLabel::Ident(i) => i.as_str().to_string(),
        BlockLabel::String(s) => s.value().clone(),
    }
}

const TOP_BLOCKS: &[&str] = &[
    "terraform",
    "provider",
    "variable",
    "locals",
    "resource",
    "data",
    "output",
    "module",
    "moved",
    "removed",
    "import",
    "check",
];

fn decode_body(cfg: &mut Config, file: usize, body: &Body, diags: &mut Diagnostics) {
    for s in body.iter() {
        match s {
            Structure::Attribute(a) => diags.push(
                Diagnostic::error(format!(
                    "unexpected attribute \"{}\" at the top level",
                    a.key.as_str()
                ))
                .at(Some(range(file, a.key.span())))
                .with_help("attributes belong inside a block such as resource, variable or locals"),
            ),
            Structure::Block(b) => decode_block(cfg, file, b, diags),
        }
    }
}

/// `terraform { backend "KIND" { … } }` is read; the rest of the block (required_providers,
/// required_version) means nothing to netform and is ignored with a warning.
fn decode_terraform(cfg: &mut Config, file: usize, b: &Block, diags: &mut Diagnostics) {
    let mut ignored = false;
    for s in b.body.iter() {
        match s {
            Structure::Block(inner) if inner.ident.as_str() == "backend" => {
                decode_backend(cfg, file, inner, diags)
            }
            Structure::Block(inner) if inner.ident.as_str() == "cloud" => diags.push(
                Diagnostic::error(
                    "a cloud block selects HCP Terraform, a backend netform does not have",
                )
                .at(Some(block_header_range(file, inner)))
                .with_help(format!(
                    "netform supports the {} backends: write backend \"pg\" {{ … }} instead",
                    crate::backend::settings::supported()
                )),
            ),
            _ => ignored = true,
        }
    }
    if ignored {
        cfg.warnings.push(
            Diagnostic::warning("the terraform block's settings other than backend are ignored")
                .at(Some(block_header_range(file, b)))
                .with_help("netform needs no required_providers or required_version; they can go"),
        );
    }
}

/// A backend block: its type must be one netform has and its settings literals it knows. A
/// message about `conn_str` names its place in words and never shows the line, which may hold a
/// password.
fn decode_backend(cfg: &mut Config, file: usize, b: &Block, diags: &mut Diagnostics) {
    use crate::backend::settings::{BackendDecl, KINDS, literal, settings_of, supported};
    if !expect_labels(file, b, 1, "\"pg\" or \"local\"", diags) {
        return;
    }
    let header = block_header_range(file, b);
    let kind = label_str(&b.labels[0]);
    if !KINDS.contains(&kind.as_str()) {
        diags.push(
            Diagnostic::error(format!("unknown backend type \"{kind}\""))
                .at(Some(header))
                .with_help(format!(
                    "netform supports the {} backends; keep state elsewhere with backend \"pg\" (PostgreSQL) instead",
                    supported()
                )),
        );
        return;
    }
    if let Some(first) = &cfg.backend {
        diags.push(
            Diagnostic::error(format!(
                "a second backend block (the first is at {})",
                first.at
            ))
            .at(Some(header))
            .with_help("a configuration has one backend"),
        );
        return;
    }
    let mut settings = std::collections::BTreeMap::new();
    for s in b.body.iter() {
        let Some(a) = s.as_attribute() else {
            diags.push(
                Diagnostic::error("a backend block holds settings, not blocks")
                    .at(Some(header.clone()))
                    .with_help(format!(
                        "the {kind} backend takes {}",
                        settings_of(&kind).join(", ")
                    )),
            );
            continue;
        };
        let key = a.key.as_str();
        let key_range = range(file, a.key.span());
        let place = cfg.sources.location(&key_range);
        // Only conn_str may carry a credential; other settings are shown at their line.
        let at = |d: Diagnostic| {
            if key == "conn_str" {
                d
            } else {
                d.at(Some(key_range.clone()))
            }
        };
        if !settings_of(&kind).contains(&key) {
            diags.push(
                at(Diagnostic::error(format!(
                    "the {kind} backend has no setting \"{key}\" ({place})"
                )))
                .with_help(format!(
                    "the {kind} backend takes {}",
                    settings_of(&kind).join(", ")
                )),
            );
            continue;
        }
        match literal(&a.value) {
            Some(v) => {
                settings.insert(key.to_string(), v);
            }
            None => diags.push(
                at(Diagnostic::error(format!("backend setting {key} ({place}) is not a literal")))
                    .with_help("backend settings cannot refer to variables (as in Terraform); pass them with -backend-config KEY=VALUE or the environment (PG_CONN_STR)"),
            ),
        }
    }
    cfg.backend = Some(BackendDecl {
        kind,
        settings,
        at: cfg.sources.location(&header),
    });
}

fn expect_labels(file: usize, b: &Block, n: usize, what: &str, diags: &mut Diagnostics) -> bool {
    if b.labels.len() == n {
        return true;
    }
    diags.push(
        Diagnostic::error(format!(
            "a {} block takes {n} label{} ({what}), found {}",
            b.ident.as_str(),
            if n == 1 { "" } else { "s" },
            b.labels.len()
        ))
        .at(Some(block_header_range(file, b)))
        .with_help(format!("write it as {} {what} {{ … }}", b.ident.as_str())),
    );
    false
}

fn decode_block(cfg: &mut Config, file: usize, b: &Block, diags: &mut Diagnostics) {
    let kind = b.ident.as_str();
    let header = block_header_range(file, b);
    match kind {
        "terraform" => decode_terraform(cfg, file, b, diags),
        "module" => modules::decode_module(cfg, file, b, diags),
        "moved" => blocks::decode_moved(cfg, file, b, diags),
        "removed" => blocks::decode_removed(cfg, file, b, diags),
        "import" => blocks::decode_import(cfg, file, b, diags),
        "check" => blocks::decode_check(cfg, file, b, diags),
        "provider" => decode_provider(cfg, file, b, header, diags),
        "variable" => decode_variable(cfg, file, b, header, diags),
        "locals" => decode_locals(cfg, file, b, diags),
        "resource" | "data" => {
            if let Some(r) = decode_resource(cfg, file, b, header, diags) {
                cfg.resources.push(r);
            }
        }
        "output" => decode_output(cfg, file, b, header, diags),
        other => {
            let mut d = Diagnostic::error(format!("unknown block type \"{other}\""))
                .at(Some(range(file, b.ident.span())));
            d = match suggest(other, TOP_BLOCKS.iter().copied()) {
                Some(s) => d.with_help(format!("did you mean \"{s}\"?")),
                None => d.with_help(format!(
                    "blocks at the top level are: {}",
                    TOP_BLOCKS.join(", ")
                )),
            };
            diags.push(d);
        }
    }
}

/// A `variable` block.
fn decode_variable(
    cfg: &mut Config,
    file: usize,
    b: &Block,
    header: SourceRange,
    diags: &mut Diagnostics,
) {
    if !expect_labels(file, b, 1, "\"NAME\"", diags) {
        return;
    }
    let name = label_str(&b.labels[0]);
    let mut v = Variable {
        name: name.clone(),
        ty: Type::Any,
        default: None,
        description: None,
        sensitive: false,
        validations: Vec::new(),
        range: header,
    };
    const VAR_ATTRS: &[&str] = &["type", "default", "description", "sensitive", "nullable"];
    for s in b.body.iter() {
        match s {
            Structure::Attribute(a) => {
                let n = a.key.as_str();
                let e = Expr {
                    file,
                    expr: a.value.clone(),
                };
                match n {
                    "type" => match Type::parse(&a.value) {
                        Ok(t) => v.ty = t,
                        Err(m) => diags.push(
                            Diagnostic::error(format!("invalid type constraint: {m}"))
                                .at(e.range())
                                .with_help("use string, number, bool, list(T), set(T), map(T), object({…}), tuple([…]) or any"),
                        ),
                    },
                    "default" => v.default = Some(e),
                    "description" => v.description = a.value.as_str().map(str::to_string),
                    "sensitive" => v.sensitive = matches!(a.value, Expression::Bool(ref b) if *b.value()),
                    "nullable" => {}
                    _ => diags.push(unknown_attr(n, range(file, a.key.span()), VAR_ATTRS.iter().copied(), "variable")),
                }
            }
            Structure::Block(vb) if vb.ident.as_str() == "validation" => {
                v.validations.extend(decode_validation(file, vb, diags))
            }
            Structure::Block(x) => diags.push(
                Diagnostic::error(format!(
                    "unexpected block \"{}\" in variable",
                    x.ident.as_str()
                ))
                .at(Some(block_header_range(file, x)))
                .with_help("a variable takes validation blocks only"),
            ),
        }
    }
    match cfg.variables.entry(name.clone()) {
        std::collections::btree_map::Entry::Occupied(_) => diags.push(
            Diagnostic::error(format!("duplicate variable \"{name}\""))
                .at(Some(v.range.clone()))
                .with_help("each variable is declared once; rename or remove one"),
        ),
        std::collections::btree_map::Entry::Vacant(e) => {
            e.insert(v);
        }
    }
}

/// A variable's `validation` block: its condition and error message.
fn decode_validation(file: usize, vb: &Block, diags: &mut Diagnostics) -> Option<(Expr, Expr)> {
    let mut cond = None;
    let mut msg = None;
    for s in vb.body.iter() {
        if let Structure::Attribute(a) = s {
            match a.key.as_str() {
                "condition" => {
                    cond = Some(Expr {
                        file,
                        expr: a.value.clone(),
                    })
                }
                "error_message" => {
                    msg = Some(Expr {
                        file,
                        expr: a.value.clone(),
                    })
                }
                other => diags.push(unknown_attr(
                    other,
                    range(file, a.key.span()),
                    ["condition", "error_message"].into_iter(),
                    "validation",
                )),
            }
        }
    }
    match (cond, msg) {
        (Some(c), Some(m)) => Some((c, m)),
        _ => {
            diags.push(
                Diagnostic::error("a validation block needs both condition and error_message")
                    .at(Some(block_header_range(file, vb))),
            );
            None
        }
    }
}

/// A `locals` block: each attribute a local, defined once across all blocks.
fn decode_locals(cfg: &mut Config, file: usize, b: &Block, diags: &mut Diagnostics) {
    for s in b.body.iter() {
        match s {
            Structure::Attribute(a) => {
                let n = a.key.as_str().to_string();
                let kr = range(file, a.key.span());
                if cfg.locals.contains_key(&n) {
                    diags.push(
                        Diagnostic::error(format!("duplicate local value \"{n}\""))
                            .at(Some(kr))
                            .with_help("each local is defined once across all locals blocks"),
                    );
                    continue;
                }
                cfg.locals.insert(
                    n.clone(),
                    Local {
                        name: n,
                        value: Expr {
                            file,
                            expr: a.value.clone(),
                        },
                        range: kr,
                    },
                );
            }
            Structure::Block(x) => diags.push(
                Diagnostic::error(format!(
                    "unexpected block \"{}\" in locals",
                    x.ident.as_str()
                ))
                .at(Some(block_header_range(file, x))),
            ),
        }
    }
}

/// An `output` block.
fn decode_output(
    cfg: &mut Config,
    file: usize,
    b: &Block,
    header: SourceRange,
    diags: &mut Diagnostics,
) {
    if !expect_labels(file, b, 1, "\"NAME\"", diags) {
        return;
    }
    let name = label_str(&b.labels[0]);
    let mut value = None;
    let mut o_sensitive = false;
    let mut description = None;
    let mut depends_on = Vec::new();
    let mut preconditions = Vec::new();
    for s in b.body.iter() {
        match s {
            Structure::Attribute(a) => match a.key.as_str() {
                "value" => {
                    value = Some(Expr {
                        file,
                        expr: a.value.clone(),
                    })
                }
                "sensitive" => {
                    o_sensitive = matches!(a.value, Expression::Bool(ref b) if *b.value())
                }
                "description" => description = a.value.as_str().map(str::to_string),
                "depends_on" => depends_on = decode_depends_on(file, &a.value, diags),
                other => diags.push(unknown_attr(
                    other,
                    range(file, a.key.span()),
                    ["value", "sensitive", "description", "depends_on"].into_iter(),
                    "output",
                )),
            },
            Structure::Block(x) if x.ident.as_str() == "precondition" => {
                preconditions.extend(blocks::decode_condition(file, x, diags))
            }
            Structure::Block(x) => diags.push(
                Diagnostic::error(format!(
                    "unexpected block \"{}\" in output",
                    x.ident.as_str()
                ))
                .at(Some(block_header_range(file, x)))
                .with_help("an output takes precondition blocks only"),
            ),
        }
    }
    let Some(value) = value else {
        diags.push(
            Diagnostic::error(format!("output \"{name}\" has no value"))
                .at(Some(header))
                .with_help("add value = EXPRESSION"),
        );
        return;
    };
    if cfg.outputs.contains_key(&name) {
        diags.push(Diagnostic::error(format!("duplicate output \"{name}\"")).at(Some(header)));
        return;
    }
    cfg.outputs.insert(
        name.clone(),
        Output {
            name,
            value,
            preconditions,
            sensitive: o_sensitive,
            description,
            depends_on,
            range: header,
        },
    );
}

/// A `resource` or `data` block (also a `check` block's scoped data source).
fn decode_resource(
    cfg: &mut Config,
    file: usize,
    b: &Block,
    header: SourceRange,
    diags: &mut Diagnostics,
) -> Option<Resource> {
    if !expect_labels(file, b, 2, "\"TYPE\" \"NAME\"", diags) {
        return None;
    }
    let mode = if b.ident.as_str() == "data" {
        Mode::Data
    } else {
        Mode::Managed
    };
    let ty = label_str(&b.labels[0]);
    let name = label_str(&b.labels[1]);
    let type_range = range(file, b.labels[0].span());
    let Some((schema, alias_warning)) = schema::lookup(mode, &ty) else {
        let known = schema::type_names(mode);
        let mut d = Diagnostic::error(format!(
            "unknown {} type \"{ty}\"",
            if mode == Mode::Data {
                "data source"
            } else {
                "resource"
            }
        ))
        .at(Some(type_range));
        d = match suggest(&ty, known.iter().copied()) {
            Some(s) => d.with_help(format!("did you mean \"{s}\"?")),
            None => d.with_help(format!("netform knows: {}", known.join(", "))),
        };
        diags.push(d);
        return None;
    };
    if let Some(w) = alias_warning {
        cfg.warnings.push(
            Diagnostic::warning(format!("\"{ty}\" is deprecated"))
                .at(Some(type_range))
                .with_help(w),
        );
    }
    let mut r = Resource {
        mode,
        ty,
        name,
        kind: schema,
        range: header,
        attrs: Vec::new(),
        count: None,
        for_each: None,
        depends_on: Vec::new(),
        lifecycle: Lifecycle::default(),
        provider: None,
    };
    decode_resource_body(cfg, file, b, &mut r, diags);
    if r.count.is_some() && r.for_each.is_some() {
        diags.push(
            Diagnostic::error("count and for_each cannot both be set")
                .at(r.for_each.as_ref().and_then(Expr::range))
                .with_help("use one of them"),
        );
    }
    Some(r)
}

/// The attributes a provider block takes (credentials are refused separately, with their own
/// message).
const PROVIDER_ATTRS: &[&str] = &[
    "region",
    "alias",
    "endpoint",
    "signature_version",
    "profile",
    "access_key",
    "secret_key",
    "security_token",
    "limits_profile",
    "limits",
];

/// The values `signature_version` takes: V1 (HMAC-SHA1) or V3 (`ACS3-HMAC-SHA256`, the default).
pub const SIGNATURE_VERSIONS: &[&str] = &["v1", "v3"];

/// Checks a literal `signature_version` now, so `validate` catches it; an expression (a variable)
/// is checked the same way once evaluated, when the provider is assembled.
pub fn signature_version_problem(value: &str) -> Option<String> {
    (!SIGNATURE_VERSIONS.contains(&value))
        .then(|| format!("signature_version must be \"v1\" or \"v3\", not \"{value}\""))
}

fn decode_provider(
    cfg: &mut Config,
    file: usize,
    b: &Block,
    header: SourceRange,
    diags: &mut Diagnostics,
) {
    if !expect_labels(file, b, 1, "\"alicloud\"", diags) {
        return;
    }
    let name = label_str(&b.labels[0]);
    if name != "alicloud" {
        diags.push(
            Diagnostic::error(format!("unknown provider \"{name}\""))
                .at(Some(header))
                .with_help("netform has one provider: \"alicloud\""),
        );
        return;
    }
    let mut p = Provider {
        alias: None,
        attrs: Vec::new(),
        simulator: None,
        endpoints: Vec::new(),
        range: header,
    };
    let mut seen_endpoints = false;
    for s in b.body.iter() {
        match s {
            Structure::Attribute(a) => decode_provider_attr(&mut p, file, a, diags),
            Structure::Block(sb) if sb.ident.as_str() == "simulator" => {
                p.simulator = Some(decode_simulator(file, sb, diags));
            }
            Structure::Block(sb) if sb.ident.as_str() == "endpoints" => {
                if seen_endpoints {
                    diags.push(
                        Diagnostic::error("a second endpoints block in one provider")
                            .at(Some(block_header_range(file, sb)))
                            .with_help("write every product's endpoint in one endpoints { … } block"),
                    );
                    continue;
                }
                seen_endpoints = true;
                p.endpoints = decode_endpoints(file, sb, diags);
            }
            Structure::Block(sb) => diags.push(
                Diagnostic::error(format!("unexpected block \"{}\" in provider", sb.ident.as_str()))
                    .at(Some(block_header_range(file, sb)))
                    .with_help("the provider block takes the nested blocks simulator { world = \"FILE\" } and endpoints { ecs = \"…\", vpc = \"…\", slb = \"…\" }"),
            ),
        }
    }
    cfg.providers.push(p);
}

fn decode_provider_attr(
    p: &mut Provider,
    file: usize,
    a: &hcl_edit::structure::Attribute,
    diags: &mut Diagnostics,
) {
    let n = a.key.as_str();
    let kr = range(file, a.key.span());
    if n == "access_key" || n == "secret_key" || n == "security_token" {
        diags.push(
            Diagnostic::error(format!("\"{n}\" may not be written in configuration"))
                .at(Some(kr))
                .with_help("credentials come from ALIBABA_CLOUD_ACCESS_KEY_ID / ALIBABA_CLOUD_ACCESS_KEY_SECRET, so they never land in files, state or plans"),
        );
        return;
    }
    if !PROVIDER_ATTRS.contains(&n) {
        diags.push(unknown_attr(
            n,
            kr,
            PROVIDER_ATTRS.iter().copied(),
            "provider \"alicloud\"",
        ));
        return;
    }
    let value = Expr {
        file,
        expr: a.value.clone(),
    };
    if n == "alias" {
        match a.value.as_str() {
            Some(s) => p.alias = Some(s.to_string()),
            None => {
                diags.push(Diagnostic::error("alias must be a literal string").at(value.range()))
            }
        }
    }
    if n == "signature_version"
        && let Some(problem) = a.value.as_str().and_then(signature_version_problem)
    {
        diags.push(
            Diagnostic::error(problem)
                .at(value.range())
                .with_help("write signature_version = \"v3\" (ACS3-HMAC-SHA256, the default) or \"v1\" (HMAC-SHA1)"),
        );
    }
    p.attrs.push(Attr {
        name: n.to_string(),
        key_range: kr,
        value,
    });
}

/// The products an `endpoints` block names, as terraform-provider-alicloud spells them.
pub const ENDPOINT_KEYS: &[&str] = &["ecs", "vpc", "slb"];

/// `endpoints { ecs = "…", vpc = "…", slb = "…" }`: one attribute per product, each at most once.
fn decode_endpoints(file: usize, sb: &Block, diags: &mut Diagnostics) -> Vec<Attr> {
    let mut out: Vec<Attr> = Vec::new();
    for s in sb.body.iter() {
        match s {
            Structure::Attribute(a) => {
                let n = a.key.as_str();
                let kr = range(file, a.key.span());
                if !ENDPOINT_KEYS.contains(&n) {
                    let d = Diagnostic::error(format!("unknown product \"{n}\" in endpoints"))
                        .at(Some(kr))
                        .with_label("unknown product");
                    let d = match suggest(n, ENDPOINT_KEYS.iter().copied()) {
                        Some(s) => d.with_help(format!(
                            "did you mean \"{s}\"? endpoints takes ecs, vpc and slb (the products netform calls)"
                        )),
                        None => d.with_help(
                            "endpoints takes ecs, vpc and slb (the products netform calls)",
                        ),
                    };
                    diags.push(d);
                    continue;
                }
                if out.iter().any(|x| x.name == n) {
                    diags.push(
                        Diagnostic::error(format!("the {n} endpoint is given twice"))
                            .at(Some(kr))
                            .with_help("keep one"),
                    );
                    continue;
                }
                out.push(Attr {
                    name: n.to_string(),
                    key_range: kr,
                    value: Expr {
                        file,
                        expr: a.value.clone(),
                    },
                });
            }
            Structure::Block(x) => diags.push(
                Diagnostic::error(format!(
                    "unexpected block \"{}\" in endpoints",
                    x.ident.as_str()
                ))
                .at(Some(block_header_range(file, x)))
                .with_help(
                    "write endpoints { ecs = \"https://host\" } with one attribute per product",
                ),
            ),
        }
    }
    out
}

/// `simulator { world = "FILE" }`: the world, if given.
fn decode_simulator(file: usize, sb: &Block, diags: &mut Diagnostics) -> Option<Expr> {
    let mut world = None;
    for s in sb.body.iter() {
        match s {
            Structure::Attribute(a) if a.key.as_str() == "world" => {
                world = Some(Expr {
                    file,
                    expr: a.value.clone(),
                })
            }
            Structure::Attribute(a) => diags.push(unknown_attr(
                a.key.as_str(),
                range(file, a.key.span()),
                ["world"].into_iter(),
                "simulator",
            )),
            Structure::Block(x) => diags.push(
                Diagnostic::error(format!(
                    "unexpected block \"{}\" in simulator",
                    x.ident.as_str()
                ))
                .at(Some(block_header_range(file, x))),
            ),
        }
    }
    world
}

fn unknown_attr<'a>(
    name: &str,
    at: SourceRange,
    known: impl Iterator<Item = &'a str> + Clone,
    what: &str,
) -> Diagnostic {
    let d = Diagnostic::error(format!("unknown attribute \"{name}\" in {what}")).at(Some(at));
    match suggest(name, known.clone()) {
        Some(s) => d
            .with_label("unknown attribute")
            .with_help(format!("did you mean \"{s}\"?")),
        None => d.with_help(format!(
            "{what} takes: {}",
            known.collect::<Vec<_>>().join(", ")
        )),
    }
}

fn decode_depends_on(
    file: usize,
    e: &Expression,
    diags: &mut Diagnostics,
) -> Vec<(Ref, SourceRange)> {
    let mut out = Vec::new();
    let Expression::Array(items) = e else {
        diags.push(
            Diagnostic::error("depends_on must be a list of resource references")
                .at(Some(range(file, e.span())))
                .with_help("write depends_on = [TYPE.NAME, …]"),
        );
        return out;
    };
    for item in items.iter() {
        let refs = references(item);
        match (item, refs.as_slice()) {
            (Expression::Traversal(_), [(r @ (Ref::Resource(..) | Ref::Module(_, None)), _)]) => {
                out.push((r.clone(), range(file, item.span())))
            }
            _ => diags.push(
                Diagnostic::error(
                    "depends_on items must be references to resources or data sources",
                )
                .at(Some(range(file, item.span())))
                .with_help(
                    "write TYPE.NAME, data.TYPE.NAME or module.NAME, without an index or attribute",
                ),
            ),
        }
    }
    out
}

/// `alicloud` → `Some(None)`, `alicloud.ALIAS` → `Some(Some(ALIAS))`, anything else `None`.
fn provider_ref(e: &Expression) -> Option<Option<String>> {
    match e {
        Expression::Variable(v) if v.as_str() == "alicloud" => Some(None),
        Expression::Traversal(t) => match (&t.expr, t.operators.as_slice()) {
            (Expression::Variable(v), [op]) if v.as_str() == "alicloud" => match op.value() {
                hcl_edit::expr::TraversalOperator::GetAttr(alias) => {
                    Some(Some(alias.as_str().to_string()))
                }
                _ => None,
            },
            _ => None,
        },
        _ => None,
    }
}

fn decode_resource_body(
    cfg: &mut Config,
    file: usize,
    b: &Block,
    r: &mut Resource,
    diags: &mut Diagnostics,
) {
    let _ = &cfg;
    let what = format!("{} \"{}\"", r.ty, r.name);
    for s in b.body.iter() {
        match s {
            Structure::Attribute(a) => {
                let n = a.key.as_str();
                let kr = range(file, a.key.span());
                let value = Expr {
                    file,
                    expr: a.value.clone(),
                };
                match n {
                    "count" => r.count = Some(value),
                    "for_each" => r.for_each = Some(value),
                    "depends_on" => r.depends_on = decode_depends_on(file, &a.value, diags),
                    "provider" => match provider_ref(&a.value) {
                        Some(alias) => r.provider = alias,
                        None => diags.push(
                            Diagnostic::error("provider must be alicloud or alicloud.ALIAS")
                                .at(value.range())
                                .with_help("name a provider block: alicloud for the default, alicloud.ALIAS for one with alias = \"ALIAS\""),
                        ),
                    },
                    _ => match r.kind.attr(n) {
                        Some(_) => {
                            if r.attrs.iter().any(|x| x.name == n) {
                                diags.push(
                                    Diagnostic::error(format!("attribute \"{n}\" is set twice"))
                                        .at(Some(kr)),
                                );
                                continue;
                            }
                            r.attrs.push(Attr {
                                name: n.to_string(),
                                key_range: kr,
                                value,
                            });
                        }
                        None => {
                            let known: Vec<&str> = r.kind.settable_names().collect();
                            diags.push(unknown_attr(n, kr, known.iter().copied(), &what));
                        }
                    },
                }
            }
            Structure::Block(lb) if lb.ident.as_str() == "lifecycle" && r.mode == Mode::Managed => {
                for s in lb.body.iter() {
                    match s {
                        Structure::Attribute(a) => {
                            let bool_of = |diags: &mut Diagnostics| match &a.value {
                                Expression::Bool(b) => *b.value(),
                                other => {
                                    diags.push(
                                        Diagnostic::error(format!(
                                            "{} must be true or false",
                                            a.key.as_str()
                                        ))
                                        .at(Some(range(file, other.span()))),
                                    );
                                    false
                                }
                            };
                            match a.key.as_str() {
                                "prevent_destroy" => r.lifecycle.prevent_destroy = bool_of(diags),
                                "create_before_destroy" => r.lifecycle.create_before_destroy = bool_of(diags),
                                "ignore_changes" => match &a.value {
                                    Expression::Array(items) => {
                                        for it in items.iter() {
                                            match it {
                                                Expression::Variable(v) => {
                                                    let n = v.as_str();
                                                    if r.kind.attr(n).is_none() {
                                                        diags.push(unknown_attr(n, range(file, it.span()), r.kind.settable_names(), &what));
                                                    }
                                                    r.lifecycle.ignore_changes.push(r.kind.canonical(n).to_string());
                                                }
                                                other => diags.push(
                                                    Diagnostic::error("ignore_changes lists attribute names")
                                                        .at(Some(range(file, other.span())))
                                                        .with_help("write ignore_changes = [tags, description]"),
                                                ),
                                            }
                                        }
                                    }
                                    Expression::Variable(v) if v.as_str() == "all" => {
                                        r.lifecycle.ignore_changes = r.kind.settable_names().map(str::to_string).collect();
                                    }
                                    other => diags.push(
                                        Diagnostic::error("ignore_changes must be a list of attribute names or all")
                                            .at(Some(range(file, other.span()))),
                                    ),
                                },
                                "replace_triggered_by" => match &a.value {
                                    Expression::Array(items) => r.lifecycle.replace_triggered_by.extend(items.iter().map(|it| Expr { file, expr: it.clone() })),
                                    other => diags.push(
                                        Diagnostic::error("replace_triggered_by must be a list of resource references")
                                            .at(Some(range(file, other.span())))
                                            .with_help("write replace_triggered_by = [TYPE.NAME]"),
                                    ),
                                },
                                other => diags.push(unknown_attr(
                                    other,
                                    range(file, a.key.span()),
                                    ["prevent_destroy", "create_before_destroy", "ignore_changes", "replace_triggered_by"].into_iter(),
                                    "lifecycle",
                                )),
                            }
                        }
                        Structure::Block(x) if x.ident.as_str() == "precondition" => r
                            .lifecycle
                            .preconditions
                            .extend(blocks::decode_condition(file, x, diags)),
                        Structure::Block(x) if x.ident.as_str() == "postcondition" => r
                            .lifecycle
                            .postconditions
                            .extend(blocks::decode_condition(file, x, diags)),
                        Structure::Block(x) => diags.push(
                            Diagnostic::error(format!(
                                "unexpected block \"{}\" in lifecycle",
                                x.ident.as_str()
                            ))
                            .at(Some(block_header_range(file, x))),
                        ),
                    }
                }
            }
            Structure::Block(x) => diags.push(
                Diagnostic::error(format!(
                    "unexpected block \"{}\" in {what}",
                    x.ident.as_str()
                ))
                .at(Some(block_header_range(file, x)))
                .with_help(if r.mode == Mode::Managed {
                    "resources take a lifecycle block only"
                } else {
                    "data sources take no blocks"
                }),
            ),
        }
    }
}

/// Attribute values written as literals (no reference to anything) are checked against their
/// type and format at load, so that a type error (`isp = ["BGP"]`) is reported in the same run as
/// unknown attributes and undeclared references, not in a later one. Values that refer to
/// something are checked when they are evaluated, at plan.
fn check_literal_values(cfg: &Config, diags: &mut Diagnostics) {
    let scope = eval::Scope::default();
    for r in &cfg.resources {
        let values: Vec<(String, crate::lang::Value, SourceRange, SourceRange)> = r
            .attrs
            .iter()
            .filter(|a| a.value.refs().is_empty())
            .filter_map(|a| {
                let v = crate::lang::eval::Evaluator::new(&scope, &cfg.dir)
                    .eval(&a.value.expr)
                    .ok()?;
                let at = a.value.range()?;
                Some((a.name.clone(), v, a.key_range.clone(), at))
            })
            .collect();
        let (_, found) = schema::check(r.kind, &r.key(), values);
        diags.extend(Diagnostics(
            found
                .into_iter()
                .filter(|d| d.is_error() && d.summary.starts_with("invalid value"))
                .collect(),
        ));
    }
}

/// References to names nobody declared, found without evaluating anything, so they are reported
/// with every other configuration error of the run.
fn check_references(cfg: &Config, diags: &mut Diagnostics) {
    let mut exprs: Vec<&Expr> = Vec::new();
    for l in cfg.locals.values() {
        exprs.push(&l.value);
    }
    for o in cfg.outputs.values() {
        exprs.push(&o.value);
    }
    for r in &cfg.resources {
        exprs.extend(r.attrs.iter().map(|a| &a.value));
        exprs.extend(r.count.iter().chain(r.for_each.iter()));
    }
    // `depends_on` names resources without an expression around them; check those too.
    let explicit = cfg
        .resources
        .iter()
        .flat_map(|r| r.depends_on.iter())
        .chain(cfg.outputs.values().flat_map(|o| o.depends_on.iter()))
        .map(|(r, range)| (r.clone(), Some(range.clone())));
    let refs = exprs.into_iter().flat_map(|e| e.refs()).chain(explicit);
    let resource_keys: Vec<String> = cfg.resources.iter().map(Resource::key).collect();
    let declared_keys: std::collections::BTreeSet<&str> =
        resource_keys.iter().map(String::as_str).collect();
    {
        for (r, range) in refs {
            let (declared, what, name, candidates): (bool, &str, String, Vec<String>) = match &r {
                Ref::Module(m, out) => {
                    let call = cfg.modules.get(m);
                    match (call, out) {
                        // A module that did not load is reported where it is called.
                        (Some(c), Some(o))
                            if !c.body.outputs.contains_key(o) && !c.body.rel_dir.is_empty() =>
                        {
                            (
                                false,
                                "output",
                                format!("module.{m}.{o}"),
                                c.body
                                    .outputs
                                    .keys()
                                    .map(|k| format!("module.{m}.{k}"))
                                    .collect(),
                            )
                        }
                        (Some(_), _) => (true, "", String::new(), Vec::new()),
                        (None, _) => (
                            false,
                            "module",
                            format!("module.{m}"),
                            cfg.modules.keys().map(|k| format!("module.{k}")).collect(),
                        ),
                    }
                }
                Ref::Var(n) => (
                    cfg.variables.contains_key(n),
                    "input variable",
                    format!("var.{n}"),
                    cfg.variables.keys().map(|k| format!("var.{k}")).collect(),
                ),
                Ref::Local(n) => (
                    cfg.locals.contains_key(n),
                    "local value",
                    format!("local.{n}"),
                    cfg.locals.keys().map(|k| format!("local.{k}")).collect(),
                ),
                Ref::Resource(data, t, n) => {
                    let key = if *data {
                        format!("data.{t}.{n}")
                    } else {
                        format!("{t}.{n}")
                    };
                    // A resource of an unknown type is already reported where it is declared.
                    let unknown_type =
                        schema::lookup(if *data { Mode::Data } else { Mode::Managed }, t).is_none();
                    (
                        declared_keys.contains(key.as_str()) || unknown_type,
                        if *data { "data source" } else { "resource" },
                        key,
                        resource_keys.clone(),
                    )
                }
            };
            if declared {
                continue;
            }
            let mut d =
                Diagnostic::error(format!("reference to undeclared {what} \"{name}\"")).at(range);
            d = match suggest(&name, candidates.iter().map(String::as_str)) {
                Some(s) => d.with_help(format!("did you mean \"{s}\"?")),
                None => d.with_help(format!("declare {name}, or fix the reference")),
            };
            diags.push(d);
        }
    }
}

fn check_duplicates(cfg: &Config, diags: &mut Diagnostics) {
    let mut seen: BTreeMap<String, &Resource> = BTreeMap::new();
    for r in &cfg.resources {
        let key = r.key();
        if let Some(first) = seen.get(&key) {
            diags.push(
                Diagnostic::error(format!(
                    "duplicate {} \"{}\" \"{}\"",
                    if r.mode == Mode::Data {
                        "data source"
                    } else {
                        "resource"
                    },
                    r.ty,
                    r.name
                ))
                .at(Some(r.range.clone()))
                .with_help(format!(
                    "{key} is already declared at {}; give one of them another name",
                    cfg.sources.location(&first.range)
                )),
            );
        } else {
            seen.insert(key, r);
        }
    }
    let aliases: Vec<Option<&String>> = cfg.providers.iter().map(|p| p.alias.as_ref()).collect();
    // A module's resources use the root's providers, checked when the tree is whole.
    for r in cfg.resources.iter().filter(|_| cfg.path.is_empty()) {
        if let Some(a) = &r.provider
            && !aliases.contains(&Some(a))
        {
            diags.push(
                Diagnostic::error(format!(
                    "{} uses provider alicloud.{a}, which is not declared",
                    r.key()
                ))
                .at(Some(r.range.clone()))
                .with_help(format!(
                    "add provider \"alicloud\" {{ alias = \"{a}\" region = \"…\" }}"
                )),
            );
        }
    }
    for (i, a) in aliases.iter().enumerate() {
        if aliases[..i].contains(a) {
            diags.push(
                Diagnostic::error(match a {
                    Some(a) => format!("duplicate provider alias \"{a}\""),
                    None => "duplicate default provider \"alicloud\"".to_string(),
                })
                .at(Some(cfg.providers[i].range.clone()))
                .with_help("give each additional provider block a distinct alias"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_syntax_error_is_located_on_a_character_boundary() {
        // Found by fuzzing: hcl-edit puts this error inside the 'é', and `netform validate`
        // exited 101 rendering it.
        let text = "#\ne\"\"{\ns=\"\"\nn=é";
        let Err(f) = load_sources(Path::new("."), vec![("main.hcl".into(), text.into())]) else {
            panic!("a syntax error");
        };
        let r = f.diags.0[0]
            .range
            .clone()
            .unwrap_or_else(|| panic!("a range"));
        assert!(
            text.is_char_boundary(r.start) && text.is_char_boundary(r.end),
            "{r:?}"
        );
        assert!(r.start < r.end, "{r:?}");
        let shown =
            crate::render::diag::render_all(&f.diags.0, &f.sources, crate::render::Style::PLAIN);
        assert!(shown.contains("main.hcl:4:3"), "{shown}");
    }
}

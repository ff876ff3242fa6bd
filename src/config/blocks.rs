//! The blocks that change how state maps to configuration rather than what exists: `moved`
//! (an object's address changed; plan moves it in state instead of destroying and recreating)
//! and `removed` (an object leaves the configuration; with `destroy = false` it is forgotten, not
//! deleted).

use hcl_edit::Span;
use hcl_edit::expr::Expression;
use hcl_edit::structure::{Block, Structure};

use super::{Config, block_header_range, range, unknown_attr};
use crate::address::Endpoint;
use crate::diag::{Diagnostic, Diagnostics, SourceRange};

#[derive(Clone, Debug)]
pub struct Moved {
    pub from: Endpoint,
    pub to: Endpoint,
    pub range: SourceRange,
}

#[derive(Clone, Debug)]
pub struct Removed {
    pub from: Endpoint,
    /// `lifecycle { destroy = false }` forgets the objects instead of deleting them.
    pub destroy: bool,
    pub range: SourceRange,
}

/// A reference written as an address (`from = module.a.TYPE.NAME[0]`), not a string.
fn endpoint(file: usize, e: &Expression, diags: &mut Diagnostics) -> Option<Endpoint> {
    let at = range(file, e.span());
    if let Some(s) = e.as_str() {
        diags.push(
            Diagnostic::error(format!(
                "an address is written without quotes: {s}, not \"{s}\""
            ))
            .at(Some(at))
            .with_help("remove the quotes"),
        );
        return None;
    }
    let text = e.to_string();
    match Endpoint::parse(text.trim()) {
        Ok(ep) => Some(ep),
        Err(m) => {
            diags.push(
                Diagnostic::error(m)
                    .at(Some(at))
                    .with_help("write TYPE.NAME, TYPE.NAME[KEY] or module.NAME[KEY], optionally inside module.NAME."),
            );
            None
        }
    }
}

/// `moved { from = … to = … }`.
pub(super) fn decode_moved(cfg: &mut Config, file: usize, b: &Block, diags: &mut Diagnostics) {
    let header = block_header_range(file, b);
    let (mut from, mut to) = (None, None);
    for s in b.body.iter() {
        match s {
            Structure::Attribute(a) => match a.key.as_str() {
                "from" => from = endpoint(file, &a.value, diags),
                "to" => to = endpoint(file, &a.value, diags),
                other => diags.push(unknown_attr(
                    other,
                    range(file, a.key.span()),
                    ["from", "to"].into_iter(),
                    "moved",
                )),
            },
            Structure::Block(x) => diags.push(
                Diagnostic::error(format!(
                    "unexpected block \"{}\" in moved",
                    x.ident.as_str()
                ))
                .at(Some(block_header_range(file, x))),
            ),
        }
    }
    let (Some(from), Some(to)) = (from, to) else {
        if !diags.has_errors() {
            diags.push(
                Diagnostic::error("a moved block needs both from and to")
                    .at(Some(header))
                    .with_help("write moved { from = OLD_ADDRESS  to = NEW_ADDRESS }"),
            );
        }
        return;
    };
    let problem = match (&from.resource, &to.resource) {
        (Some(f), Some(t))
            if f.1 != t.1
                && crate::schema::lookup(f.0, &f.1).map(|x| x.0.kind)
                    != crate::schema::lookup(t.0, &t.1).map(|x| x.0.kind) =>
        {
            Some(format!(
                "a moved block cannot change the resource type ({} to {})",
                f.1, t.1
            ))
        }
        (Some(f), Some(t)) if f.3.is_none() != t.3.is_none() => Some(
            "from and to must both name one instance (with a key) or both a whole resource".into(),
        ),
        (Some(_), None) | (None, Some(_)) => {
            Some("a moved block moves a resource to a resource, or a module to a module".into())
        }
        _ if from == to => Some("from and to are the same address".into()),
        _ => None,
    };
    if let Some(p) = problem {
        diags.push(Diagnostic::error(p).at(Some(header)));
        return;
    }
    cfg.moved.push(Moved {
        from,
        to,
        range: header,
    });
}

/// `removed { from = …  lifecycle { destroy = false } }`.
pub(super) fn decode_removed(cfg: &mut Config, file: usize, b: &Block, diags: &mut Diagnostics) {
    let header = block_header_range(file, b);
    let mut from = None;
    let mut destroy = true;
    for s in b.body.iter() {
        match s {
            Structure::Attribute(a) if a.key.as_str() == "from" => {
                from = endpoint(file, &a.value, diags)
            }
            Structure::Attribute(a) => diags.push(unknown_attr(
                a.key.as_str(),
                range(file, a.key.span()),
                ["from"].into_iter(),
                "removed",
            )),
            Structure::Block(lb) if lb.ident.as_str() == "lifecycle" => {
                for a in lb.body.iter().filter_map(Structure::as_attribute) {
                    match (a.key.as_str(), &a.value) {
                        ("destroy", Expression::Bool(v)) => destroy = *v.value(),
                        (k, _) => diags.push(
                            Diagnostic::error(format!("{k} in a removed block's lifecycle"))
                                .at(Some(range(file, a.key.span())))
                                .with_help(
                                    "a removed block's lifecycle takes destroy = true or false",
                                ),
                        ),
                    }
                }
            }
            Structure::Block(x) => diags.push(
                Diagnostic::error(format!(
                    "unexpected block \"{}\" in removed",
                    x.ident.as_str()
                ))
                .at(Some(block_header_range(file, x)))
                .with_help("a removed block takes from and lifecycle { destroy = false }"),
            ),
        }
    }
    let Some(from) = from else {
        if !diags.has_errors() {
            diags.push(
                Diagnostic::error("a removed block needs from")
                    .at(Some(header))
                    .with_help("write removed { from = ADDRESS }"),
            );
        }
        return;
    };
    if from.resource.as_ref().is_some_and(|r| !r.3.is_none()) {
        diags.push(
            Diagnostic::error("a removed block names a whole resource or module, not one instance")
                .at(Some(header))
                .with_help("remove the [KEY]"),
        );
        return;
    }
    cfg.removed.push(Removed {
        from,
        destroy,
        range: header,
    });
}

/// A `removed` block must name something the configuration no longer declares.
pub(super) fn check_removed(cfg: &Config, diags: &mut Diagnostics) {
    for r in &cfg.removed {
        let declared = match &r.from.resource {
            Some((mode, ty, name, _)) => {
                let path: Vec<String> = r.from.module.iter().map(|s| s.name.clone()).collect();
                cfg.module(&path)
                    .and_then(|m| m.resource(*mode, ty, name))
                    .is_some()
            }
            None => {
                let path: Vec<String> = r.from.module.iter().map(|s| s.name.clone()).collect();
                cfg.module(&path).is_some()
            }
        };
        if declared {
            diags.push(
                Diagnostic::error(format!(
                    "removed block for {}, which the configuration still declares",
                    r.from
                ))
                .at(Some(r.range.clone()))
                .with_help("remove the resource (or module) block, or the removed block"),
            );
        }
    }
}

/// `import { to = ADDR  id = EXPR  for_each = EXPR }` (root module only, as in Terraform).
#[derive(Clone, Debug)]
pub struct Import {
    /// The target; its key is in `to_key` when it is an expression (`[each.key]`).
    pub to: Endpoint,
    pub to_key: Option<super::Expr>,
    pub id: super::Expr,
    pub for_each: Option<super::Expr>,
    pub range: SourceRange,
}

/// `to = TYPE.NAME[each.key]`: the address and, when the last index is not a literal, that
/// index's expression.
fn import_target(
    file: usize,
    e: &Expression,
    diags: &mut Diagnostics,
) -> Option<(Endpoint, Option<super::Expr>)> {
    if let Expression::Traversal(t) = e
        && let Some(last) = t.operators.last()
        && let hcl_edit::expr::TraversalOperator::Index(ix) = last.value()
        && ix.as_str().is_none()
        && !matches!(ix, Expression::Number(_))
    {
        let text = e.to_string();
        let text = text.trim();
        let head = &text[..text.rfind('[').unwrap_or(text.len())];
        return match Endpoint::parse(head) {
            Ok(ep) => Some((
                ep,
                Some(super::Expr {
                    file,
                    expr: ix.clone(),
                }),
            )),
            Err(m) => {
                diags.push(Diagnostic::error(m).at(Some(range(file, e.span()))));
                None
            }
        };
    }
    endpoint(file, e, diags).map(|ep| (ep, None))
}

pub(super) fn decode_import(cfg: &mut Config, file: usize, b: &Block, diags: &mut Diagnostics) {
    let header = block_header_range(file, b);
    if !cfg.path.is_empty() {
        // Terraform's wording (configs: "Invalid import configuration").
        let module: String = cfg.path.iter().map(|n| format!("module.{n}.")).collect();
        diags.push(
            Diagnostic::error("Invalid import configuration")
                .at(Some(header))
                .with_detail(format!(
                    "An import block was detected in \"{}\". Import blocks are only allowed in the root module.",
                    module.trim_end_matches('.')
                ))
                .with_help(
                    "move the block to the root module and write to = module.NAME.TYPE.NAME",
                ),
        );
        return;
    }
    let (mut to, mut id, mut for_each) = (None, None, None);
    for s in b.body.iter() {
        match s {
            Structure::Attribute(a) => {
                let value = super::Expr {
                    file,
                    expr: a.value.clone(),
                };
                match a.key.as_str() {
                    "to" => to = import_target(file, &a.value, diags),
                    "id" => id = Some(value),
                    "for_each" => for_each = Some(value),
                    // One provider: `provider = alicloud` needs nothing.
                    "provider" => {}
                    other => diags.push(unknown_attr(
                        other,
                        range(file, a.key.span()),
                        ["to", "id", "for_each", "provider"].into_iter(),
                        "import",
                    )),
                }
            }
            Structure::Block(x) => diags.push(
                Diagnostic::error(format!(
                    "unexpected block \"{}\" in import",
                    x.ident.as_str()
                ))
                .at(Some(block_header_range(file, x))),
            ),
        }
    }
    let (Some((to, to_key)), Some(id)) = (to, id) else {
        if !diags.has_errors() {
            diags.push(
                Diagnostic::error("an import block needs to and id")
                    .at(Some(header))
                    .with_help("write import { to = TYPE.NAME  id = \"ID\" }"),
            );
        }
        return;
    };
    if to
        .resource
        .as_ref()
        .is_none_or(|r| r.0 != crate::config::Mode::Managed)
    {
        diags.push(
            Diagnostic::error(format!("{to} is not a managed resource"))
                .at(Some(header))
                .with_help("import into a resource: to = TYPE.NAME"),
        );
        return;
    }
    cfg.imports.push(Import {
        to,
        to_key,
        id,
        for_each,
        range: header,
    });
}

/// A `precondition`, `postcondition` or `assert` block.
#[derive(Clone, Debug)]
pub struct Condition {
    pub condition: super::Expr,
    pub error_message: super::Expr,
    pub range: SourceRange,
}

pub(super) fn decode_condition(
    file: usize,
    b: &Block,
    diags: &mut Diagnostics,
) -> Option<Condition> {
    let (mut condition, mut error_message) = (None, None);
    for s in b.body.iter() {
        match s {
            Structure::Attribute(a) => {
                let e = super::Expr {
                    file,
                    expr: a.value.clone(),
                };
                match a.key.as_str() {
                    "condition" => condition = Some(e),
                    "error_message" => error_message = Some(e),
                    other => diags.push(unknown_attr(
                        other,
                        range(file, a.key.span()),
                        ["condition", "error_message"].into_iter(),
                        b.ident.as_str(),
                    )),
                }
            }
            Structure::Block(x) => diags.push(
                Diagnostic::error(format!(
                    "unexpected block \"{}\" in {}",
                    x.ident.as_str(),
                    b.ident.as_str()
                ))
                .at(Some(block_header_range(file, x))),
            ),
        }
    }
    match (condition, error_message) {
        (Some(condition), Some(error_message)) => Some(Condition {
            condition,
            error_message,
            range: block_header_range(file, b),
        }),
        _ => {
            diags.push(
                Diagnostic::error(format!(
                    "a {} block needs condition and error_message",
                    b.ident.as_str()
                ))
                .at(Some(block_header_range(file, b))),
            );
            None
        }
    }
}

/// `check "NAME" { data "T" "N" { … }  assert { … } }`: failed assertions are warnings.
#[derive(Clone, Debug)]
pub struct Check {
    pub name: String,
    pub data: Vec<super::Resource>,
    pub asserts: Vec<Condition>,
    pub range: SourceRange,
}

pub(super) fn decode_check(cfg: &mut Config, file: usize, b: &Block, diags: &mut Diagnostics) {
    if !super::expect_labels(file, b, 1, "\"NAME\"", diags) {
        return;
    }
    let header = block_header_range(file, b);
    let mut check = Check {
        name: super::label_str(&b.labels[0]),
        data: Vec::new(),
        asserts: Vec::new(),
        range: header.clone(),
    };
    for s in b.body.iter() {
        match s {
            Structure::Block(x) if x.ident.as_str() == "assert" => {
                check.asserts.extend(decode_condition(file, x, diags))
            }
            Structure::Block(x) if x.ident.as_str() == "data" => {
                let h = block_header_range(file, x);
                check
                    .data
                    .extend(super::decode_resource(cfg, file, x, h, diags));
            }
            _ => diags.push(
                Diagnostic::error("a check block takes data and assert blocks")
                    .at(Some(header.clone()))
                    .with_help(
                        "write check \"NAME\" { assert { condition = …  error_message = \"…\" } }",
                    ),
            ),
        }
    }
    if check.asserts.is_empty() {
        diags.push(
            Diagnostic::error(format!("check \"{}\" has no assert block", check.name))
                .at(Some(header)),
        );
        return;
    }
    cfg.checks.push(check);
}

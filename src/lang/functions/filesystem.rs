//! Filesystem functions: files of the configuration, read relative to its directory.

use std::path::{Path, PathBuf};

use super::{FnResult, Func, FuncCtx, FuncError, Param, quote, string};
use crate::lang::value::Value;

const PATH: Param = Param::new("path");

pub(super) const FUNCS: &[Func] = &[
    Func::new("file", &[PATH], file),
    Func::new("filebase64", &[PATH], |a, ctx| {
        use base64::Engine;
        let bytes = read_bytes(a, 0, ctx)?;
        Ok(Value::String(
            base64::engine::general_purpose::STANDARD.encode(bytes),
        ))
    }),
    Func::new("fileexists", &[PATH], fileexists),
    Func::new("fileset", &[PATH, Param::new("pattern")], fileset),
    Func::new("templatefile", &[PATH, Param::new("vars")], templatefile),
    // The template is an expression whose value is the template's text, which only the
    // evaluator can read unrendered.
    Func::new(
        "templatestring",
        &[Param::new("template"), Param::new("vars")],
        |_, _| super::unknown(),
    )
    .lazy(),
    Func::new("abspath", &[PATH], |a, _| abspath(a)),
    Func::new("dirname", &[PATH], |a, _| {
        Ok(Value::String(dirname(&string(a, 0)?)))
    }),
    Func::new("basename", &[PATH], |a, _| {
        Ok(Value::String(basename(&string(a, 0)?)))
    }),
    Func::new("pathexpand", &[PATH], |a, _| {
        Ok(Value::String(expand_home(&string(a, 0)?)))
    }),
];

/// `~` and `~/…` name the home directory, as Go's go-homedir expands them.
fn expand_home(p: &str) -> String {
    if (p == "~" || p.starts_with("~/"))
        && let Some(home) = std::env::var_os("HOME")
    {
        return format!("{}{}", home.to_string_lossy(), &p[1..]);
    }
    p.to_string()
}

/// The path a file function reads: the home directory expanded, then relative to the
/// configuration's directory.
fn resolve(ctx: &FuncCtx, given: &str) -> PathBuf {
    let p = PathBuf::from(expand_home(given));
    if p.is_absolute() {
        p
    } else {
        ctx.base_dir.join(p)
    }
}

/// The largest file `file()` reads: far beyond any text a configuration embeds.
pub(super) const FILE_LIMIT: u64 = 16 << 20;

/// A regular file's bytes, up to [`FILE_LIMIT`]: `/dev/zero` or a FIFO is refused instead of read
/// until memory runs out, or forever. `Ok(Err(why))` is such a refusal.
fn read_text_file(path: &std::path::Path, shown: &str) -> std::io::Result<Result<Vec<u8>, String>> {
    use std::io::Read;
    let f = std::fs::File::open(path)?;
    if !f.metadata()?.is_file() {
        return Ok(Err(format!(
            "{shown} is not a regular file; file() reads text files only"
        )));
    }
    let mut bytes = Vec::new();
    f.take(FILE_LIMIT + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > FILE_LIMIT {
        return Ok(Err(format!(
            "{shown} is larger than {} MiB; file() reads the text files of a configuration",
            FILE_LIMIT >> 20
        )));
    }
    Ok(Ok(bytes))
}

/// The bytes of the file named by argument `i`, with Terraform's errors.
pub(super) fn read_bytes(a: &[Value], i: usize, ctx: &FuncCtx) -> Result<Vec<u8>, FuncError> {
    let given = string(a, i)?;
    let path = resolve(ctx, &given);
    let shown = quote(&path.display().to_string());
    match read_text_file(&path, &shown) {
        Ok(Err(why)) => Err(FuncError::arg(i, why)),
        Ok(Ok(bytes)) => Ok(bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(FuncError::arg(
            i,
            format!(
                "no file exists at {shown}; this function works only with files that are \
                 distributed as part of the configuration source code, so if this file will be \
                 created by a resource in this configuration you must instead obtain this result \
                 from an attribute of that resource"
            ),
        )),
        Err(e) => Err(FuncError::arg(i, format!("failed to read {shown}: {e}"))),
    }
}

fn read_text(a: &[Value], i: usize, ctx: &FuncCtx) -> Result<String, FuncError> {
    let bytes = read_bytes(a, i, ctx)?;
    String::from_utf8(bytes).map_err(|_| {
        let shown = quote(
            &resolve(ctx, &string(a, i).unwrap_or_default())
                .display()
                .to_string(),
        );
        FuncError::arg(
            i,
            format!(
                "contents of {shown} are not valid UTF-8; use the filebase64 function to obtain \
                 the Base64 encoded contents or the other file functions (e.g. filemd5, \
                 filesha256) to obtain file hashing results instead"
            ),
        )
    })
}

fn file(a: &[Value], ctx: &FuncCtx) -> FnResult {
    read_text(a, 0, ctx).map(Value::String)
}

fn fileexists(a: &[Value], ctx: &FuncCtx) -> FnResult {
    let given = string(a, 0)?;
    let path = resolve(ctx, &given);
    let shown = path.display().to_string();
    match std::fs::metadata(&path) {
        Ok(m) if m.is_file() => Ok(Value::Bool(true)),
        Ok(m) if m.is_dir() => Err(FuncError::arg(
            0,
            format!("{shown} is a directory, not a file"),
        )),
        Ok(_) => Err(FuncError::arg(0, format!("{shown} is not a regular file"))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Value::Bool(false)),
        Err(_) => Err(FuncError::arg(
            0,
            format!("failed to stat {}", quote(&shown)),
        )),
    }
}

/// Directories deeper than this are not searched by `fileset`, and it stops after this many
/// entries: a pattern over a home directory must not walk the whole disk.
const FILESET_DEPTH: usize = 64;
const FILESET_ENTRIES: usize = 20_000;

/// `fileset(path, pattern)`: the regular files under `path` whose path relative to it matches
/// the glob (`*`, `**`, `?`, `[…]`, `{a,b}`), with forward slashes.
fn fileset(a: &[Value], ctx: &FuncCtx) -> FnResult {
    let root = resolve(ctx, &string(a, 0)?);
    let pattern = string(a, 1)?;
    let alternatives = expand_braces(&pattern);
    let mut out = Vec::new();
    let mut seen = 0usize;
    walk(&root, "", 0, &mut seen, &mut |rel| {
        let segs: Vec<&str> = rel.split('/').collect();
        if alternatives.iter().any(|p| {
            let ps: Vec<&str> = p
                .split('/')
                .filter(|s| !s.is_empty() && *s != ".")
                .collect();
            match_segments(&ps, &segs)
        }) {
            out.push(Value::string(rel));
        }
    })
    .map_err(|e| FuncError::call(format!("failed to glob pattern {}: {e}", quote(&pattern))))?;
    Ok(Value::set(out))
}

fn walk(
    dir: &Path,
    prefix: &str,
    depth: usize,
    seen: &mut usize,
    found: &mut dyn FnMut(&str),
) -> Result<(), String> {
    if depth > FILESET_DEPTH {
        return Ok(());
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        *seen += 1;
        if *seen > FILESET_ENTRIES {
            return Err(format!("more than {FILESET_ENTRIES} entries to search"));
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        let rel = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        // Symbolic links to directories are not followed: they can loop.
        let Ok(meta) = std::fs::metadata(entry.path()) else {
            continue;
        };
        let linked = entry.file_type().is_ok_and(|t| t.is_symlink());
        if meta.is_dir() && !linked {
            walk(&entry.path(), &rel, depth + 1, seen, found)?;
        } else if meta.is_file() {
            found(&rel);
        }
    }
    Ok(())
}

/// `{a,b}` alternatives expanded into separate patterns.
fn expand_braces(p: &str) -> Vec<String> {
    let Some(open) = p.find('{') else {
        return vec![p.to_string()];
    };
    let mut depth = 0;
    let mut close = None;
    let mut commas = Vec::new();
    for (i, c) in p[open..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    close = Some(open + i);
                    break;
                }
            }
            ',' if depth == 1 => commas.push(open + i),
            _ => {}
        }
    }
    let Some(close) = close else {
        return vec![p.to_string()];
    };
    let mut bounds = vec![open];
    bounds.extend(commas);
    bounds.push(close);
    bounds
        .windows(2)
        .flat_map(|w| {
            expand_braces(&format!(
                "{}{}{}",
                &p[..open],
                &p[w[0] + 1..w[1]],
                &p[close + 1..]
            ))
        })
        .collect()
}

fn match_segments(pat: &[&str], path: &[&str]) -> bool {
    match (pat.first(), path.first()) {
        (None, None) => true,
        (Some(&"**"), _) => {
            match_segments(&pat[1..], path) || (!path.is_empty() && match_segments(pat, &path[1..]))
        }
        (Some(p), Some(s)) => {
            glob_segment(p.as_bytes(), s.as_bytes()) && match_segments(&pat[1..], &path[1..])
        }
        _ => false,
    }
}

/// One path segment against `*`, `?` and `[…]` (with `^` or `!` negation and ranges).
fn glob_segment(p: &[u8], s: &[u8]) -> bool {
    match p.first() {
        None => s.is_empty(),
        Some(b'*') => (0..=s.len()).any(|k| glob_segment(&p[1..], &s[k..])),
        Some(b'?') => !s.is_empty() && glob_segment(&p[1..], &s[char_len(s[0])..]),
        Some(b'[') => {
            let Some(end) = p.iter().skip(1).position(|b| *b == b']').map(|e| e + 1) else {
                return s.first() == Some(&b'[') && glob_segment(&p[1..], &s[1..]);
            };
            let Some(&c) = s.first() else { return false };
            let class = &p[1..end];
            let (neg, class) = match class.first() {
                Some(b'^' | b'!') => (true, &class[1..]),
                _ => (false, class),
            };
            let mut hit = false;
            let mut i = 0;
            while i < class.len() {
                if i + 2 < class.len() && class[i + 1] == b'-' {
                    hit |= (class[i]..=class[i + 2]).contains(&c);
                    i += 3;
                } else {
                    hit |= class[i] == c;
                    i += 1;
                }
            }
            hit != neg && glob_segment(&p[end + 1..], &s[1..])
        }
        Some(b'\\') if p.len() > 1 => s.first() == Some(&p[1]) && glob_segment(&p[2..], &s[1..]),
        Some(c) => s.first() == Some(c) && glob_segment(&p[1..], &s[1..]),
    }
}

fn char_len(first: u8) -> usize {
    match first {
        0xF0.. => 4,
        0xE0.. => 3,
        0xC0.. => 2,
        _ => 1,
    }
}

fn abspath(a: &[Value]) -> FnResult {
    let p = PathBuf::from(string(a, 0)?);
    let abs = if p.is_absolute() {
        p
    } else {
        std::env::current_dir()
            .map_err(|e| FuncError::call(format!("failed to read the current directory: {e}")))?
            .join(p)
    };
    Ok(Value::String(clean(&abs.to_string_lossy())))
}

/// Go's `filepath.Clean`: no `.` segments, `..` resolved lexically, no doubled or final `/`.
fn clean(p: &str) -> String {
    let rooted = p.starts_with('/');
    let mut out: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." if out.last().is_some_and(|l| *l != "..") => {
                out.pop();
            }
            ".." if rooted => {}
            s => out.push(s),
        }
    }
    let body = out.join("/");
    match (rooted, body.is_empty()) {
        (true, _) => format!("/{body}"),
        (false, true) => ".".into(),
        (false, false) => body,
    }
}

/// Go's `filepath.Dir`.
fn dirname(p: &str) -> String {
    match p.rfind('/') {
        None => ".".into(),
        Some(i) => clean(&p[..=i]),
    }
}

/// Go's `filepath.Base`.
fn basename(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let trimmed = p.trim_end_matches('/');
    if trimmed.is_empty() {
        return "/".into();
    }
    trimmed.rsplit('/').next().unwrap_or(trimmed).to_string()
}

fn templatefile(a: &[Value], ctx: &FuncCtx) -> FnResult {
    let src = read_text(a, 0, ctx)?;
    let vars = template_vars(a, 1)?;
    let shown = string(a, 0)?;
    crate::lang::eval::render_template(&src, vars, ctx.base_dir)
        .map_err(|e| FuncError::arg(0, format!("{shown}:{e}")))
}

/// The variables of a template: a map or object whose keys are identifiers.
pub(crate) fn template_vars(
    a: &[Value],
    i: usize,
) -> Result<std::collections::BTreeMap<String, Value>, FuncError> {
    let vars = match &a[i] {
        Value::Map(m) => m.clone().into_inner(),
        _ => return Err(FuncError::arg(i, "invalid vars value: must be a map")),
    };
    for k in vars.keys() {
        let mut chars = k.chars();
        let ok = chars.next().is_some_and(char::is_alphabetic)
            && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '-');
        if !ok {
            return Err(FuncError::arg(
                i,
                format!(
                    "invalid template variable name {}: must start with a letter, followed by \
                     zero or more letters, digits, and underscores",
                    quote(k)
                ),
            ));
        }
    }
    Ok(vars)
}

//! The canonical formatter behind `netform fmt`, following `terraform fmt`.
//!
//! The source is first parsed with `hcl-edit` purely to reject invalid input with a precise
//! position. Formatting itself is a port of the algorithm in HashiCorp's `hclwrite` (the code
//! behind `terraform fmt`): the file is split into tokens, the tokens into lines, and only the
//! whitespace *between* tokens is rewritten:
//!
//! - indentation is two spaces per net open bracket level, computed line by line;
//! - spacing between tokens inside a line follows `hclwrite`'s rules (`a = 1 + 2`, `f(a, b)`,
//!   `a.b[0]`, `{ a = 1 }`, `[1, 2]`, ...);
//! - in a run of consecutive single-line attributes the `=` signs are aligned, and trailing
//!   comments on consecutive lines are aligned too. As in `terraform fmt`, any line that is not a
//!   single-line attribute (a blank line, a comment on its own line, a block header or brace, a
//!   line that opens a multi-line value) ends the run.
//!
//! Two deliberate additions to `terraform fmt`: runs of blank lines collapse to one (and leading and
//! trailing blank lines go), and the output always ends with exactly one newline.
//!
//! Token texts are never changed (except that trailing whitespace is trimmed from line comments),
//! heredoc bodies and block comments are copied verbatim, and no line is split or joined, so
//! formatting cannot change meaning. As a belt-and-braces check the output is re-tokenized and
//! compared with the input; should that ever disagree, the source is returned unchanged rather
//! than risk a wrong rewrite.

use hcl_edit::parser::parse_body;

/// Why a file could not be formatted.
#[derive(Debug, thiserror::Error)]
pub enum FmtError {
    /// The source is not valid HCL; `line` and `column` are one-based.
    #[error("{message}")]
    Parse {
        message: String,
        line: usize,
        column: usize,
    },
}

/// Returns the canonical form of one HCL file's source.
pub fn format_source(src: &str) -> Result<String, FmtError> {
    parse_body(src).map_err(|e| FmtError::Parse {
        message: e.message().to_string(),
        line: e.location().line(),
        column: e.location().column(),
    })?;

    // The parser accepted the input, so the lexer can only fail on constructs it does not
    // model; leaving such a file alone is better than guessing.
    let Some(tokens) = lex(src) else {
        return Ok(src.to_string());
    };
    let expected = significant(&tokens);
    let out = format_tokens(tokens);

    let unchanged_meaning = lex(&out).is_some_and(|after| significant(&after) == expected);
    if !unchanged_meaning || parse_body(&out).is_err() {
        return Ok(src.to_string());
    }
    Ok(out)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Ident,
    Number,
    Equal,
    EqualOp,
    NotEqual,
    Lt,
    Lte,
    Gt,
    Gte,
    And,
    Or,
    Bang,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    Question,
    Colon,
    DoubleColon,
    Dot,
    Comma,
    Ellipsis,
    FatArrow,
    OBrace,
    CBrace,
    OBrack,
    CBrack,
    OParen,
    CParen,
    OQuote,
    CQuote,
    QuotedLit,
    TemplateInterp,
    TemplateControl,
    TemplateSeqEnd,
    /// A whole heredoc, from `<<EOT` through the closing marker, kept verbatim.
    Heredoc,
    Comment,
    Newline,
    Other,
}

impl Kind {
    fn bracket_change(self) -> i32 {
        match self {
            Kind::OBrace
            | Kind::OBrack
            | Kind::OParen
            | Kind::TemplateInterp
            | Kind::TemplateControl => 1,
            Kind::CBrace | Kind::CBrack | Kind::CParen | Kind::TemplateSeqEnd => -1,
            _ => 0,
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Tok<'a> {
    kind: Kind,
    text: &'a str,
    /// Spaces emitted before the token; for a line's first token, its indentation.
    spaces: usize,
}

impl Tok<'_> {
    fn width(&self) -> usize {
        self.spaces + self.text.chars().count()
    }
}

/// The token stream with formatting stripped: what must survive formatting untouched.
/// Runs of newlines count as one because blank lines carry no meaning.
fn significant<'a>(tokens: &[Tok<'a>]) -> Vec<(Kind, &'a str)> {
    let mut out: Vec<(Kind, &'a str)> = Vec::with_capacity(tokens.len());
    for t in tokens {
        if t.kind == Kind::Newline && out.last().is_none_or(|(k, _)| *k == Kind::Newline) {
            continue;
        }
        out.push((t.kind, t.text));
    }
    if out.last().is_some_and(|(k, _)| *k == Kind::Newline) {
        out.pop();
    }
    out
}

fn lex(src: &str) -> Option<Vec<Tok<'_>>> {
    let mut lexer = Lexer {
        src,
        pos: 0,
        out: Vec::new(),
    };
    lexer.exprs(false)?;
    Some(lexer.out)
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    out: Vec<Tok<'a>>,
}

fn is_ident_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

fn is_ident_continue(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '-'
}

impl<'a> Lexer<'a> {
    fn rest(&self) -> &'a str {
        &self.src[self.pos..]
    }

    fn push(&mut self, kind: Kind, len: usize) {
        let text = &self.src[self.pos..self.pos + len];
        self.out.push(Tok {
            kind,
            text,
            spaces: 0,
        });
        self.pos += len;
    }

    /// Expression-level tokens, up to the end of input or, inside a template sequence
    /// (`${ ... }` / `%{ ... }`), up to and including its closing brace.
    fn exprs(&mut self, in_template: bool) -> Option<()> {
        // Object braces inside a template sequence must not be mistaken for its end.
        let mut depth = 0usize;
        loop {
            let rest = self.rest();
            let Some(c) = rest.chars().next() else {
                return if in_template { None } else { Some(()) };
            };
            match c {
                ' ' | '\t' | '\r' => self.pos += 1,
                '\n' => self.push(Kind::Newline, 1),
                '#' => self.line_comment(),
                '/' if rest.starts_with("//") => self.line_comment(),
                '/' if rest.starts_with("/*") => {
                    let end = rest[2..].find("*/")? + 4;
                    self.push(Kind::Comment, end);
                }
                '"' => self.quoted()?,
                '<' if rest.starts_with("<<") => self.heredoc()?,
                '0'..='9' => self.number(),
                c if is_ident_start(c) => {
                    let len = rest
                        .char_indices()
                        .find(|&(_, c)| !is_ident_continue(c))
                        .map_or(rest.len(), |(i, _)| i);
                    self.push(Kind::Ident, len);
                }
                '{' => {
                    depth += 1;
                    self.push(Kind::OBrace, 1);
                }
                '}' if in_template && depth == 0 => {
                    self.push(Kind::TemplateSeqEnd, 1);
                    return Some(());
                }
                '~' if in_template && depth == 0 && rest.starts_with("~}") => {
                    self.push(Kind::TemplateSeqEnd, 2);
                    return Some(());
                }
                '}' => {
                    depth = depth.saturating_sub(1);
                    self.push(Kind::CBrace, 1);
                }
                _ => {
                    let (kind, len) = operator(rest, c);
                    self.push(kind, len);
                }
            }
        }
    }

    fn line_comment(&mut self) {
        let rest = self.rest();
        let line = rest.find('\n').map_or(rest, |i| &rest[..i]);
        // Trailing whitespace (including a CR of a CRLF ending) is not part of the comment.
        self.push(Kind::Comment, line.trim_end().len());
        self.pos += line.len() - line.trim_end().len();
    }

    fn number(&mut self) {
        let bytes = self.rest().as_bytes();
        let digits = |from: usize| {
            bytes[from..]
                .iter()
                .position(|b| !b.is_ascii_digit())
                .map_or(bytes.len(), |n| from + n)
        };
        let mut len = digits(0);
        if bytes.get(len) == Some(&b'.') && bytes.get(len + 1).is_some_and(u8::is_ascii_digit) {
            len = digits(len + 1);
        }
        if matches!(bytes.get(len), Some(b'e' | b'E')) {
            let mut exp = len + 1;
            if matches!(bytes.get(exp), Some(b'+' | b'-')) {
                exp += 1;
            }
            if bytes.get(exp).is_some_and(u8::is_ascii_digit) {
                len = digits(exp);
            }
        }
        self.push(Kind::Number, len);
    }

    fn quoted(&mut self) -> Option<()> {
        self.push(Kind::OQuote, 1);
        let mut lit_start = self.pos;
        loop {
            let rest = self.rest();
            let c = rest.chars().next()?;
            let flush = |lexer: &mut Self, start: usize| {
                if lexer.pos > start {
                    lexer.out.push(Tok {
                        kind: Kind::QuotedLit,
                        text: &lexer.src[start..lexer.pos],
                        spaces: 0,
                    });
                }
            };
            match c {
                '\n' => return None,
                '\\' => {
                    let next = rest[1..].chars().next()?;
                    self.pos += 1 + next.len_utf8();
                }
                '$' | '%' if rest[1..].starts_with(c) && rest[2..].starts_with('{') => {
                    self.pos += 3;
                }
                '$' | '%' if rest[1..].starts_with('{') => {
                    flush(self, lit_start);
                    let kind = if c == '$' {
                        Kind::TemplateInterp
                    } else {
                        Kind::TemplateControl
                    };
                    let len = if rest[2..].starts_with('~') { 3 } else { 2 };
                    self.push(kind, len);
                    self.exprs(true)?;
                    lit_start = self.pos;
                }
                '"' => {
                    flush(self, lit_start);
                    self.push(Kind::CQuote, 1);
                    return Some(());
                }
                _ => self.pos += c.len_utf8(),
            }
        }
    }

    fn heredoc(&mut self) -> Option<()> {
        let rest = self.rest();
        let after_arrows = rest[2..].strip_prefix('-').unwrap_or(&rest[2..]);
        let marker_len = after_arrows
            .char_indices()
            .find(|&(_, c)| !is_ident_continue(c))
            .map_or(after_arrows.len(), |(i, _)| i);
        let marker = &after_arrows[..marker_len];
        if marker.is_empty() {
            return None;
        }
        let header_end = rest.find('\n')?;
        if !rest[rest.len() - after_arrows.len() + marker_len..header_end]
            .trim()
            .is_empty()
        {
            return None;
        }
        let mut line_start = header_end + 1;
        while line_start < rest.len() {
            let line_end = rest[line_start..]
                .find('\n')
                .map_or(rest.len(), |i| line_start + i);
            let line = &rest[line_start..line_end];
            if line.trim() == marker {
                self.push(Kind::Heredoc, line_start + line.trim_end().len());
                return Some(());
            }
            line_start = line_end + 1;
        }
        None
    }
}

fn operator(rest: &str, c: char) -> (Kind, usize) {
    const TWO: [(&str, Kind); 8] = [
        ("==", Kind::EqualOp),
        ("!=", Kind::NotEqual),
        ("<=", Kind::Lte),
        (">=", Kind::Gte),
        ("&&", Kind::And),
        ("||", Kind::Or),
        ("=>", Kind::FatArrow),
        ("::", Kind::DoubleColon),
    ];
    if rest.starts_with("...") {
        return (Kind::Ellipsis, 3);
    }
    if let Some((_, kind)) = TWO.iter().find(|(op, _)| rest.starts_with(op)) {
        return (*kind, 2);
    }
    let kind = match c {
        '=' => Kind::Equal,
        '<' => Kind::Lt,
        '>' => Kind::Gt,
        '!' => Kind::Bang,
        '+' => Kind::Plus,
        '-' => Kind::Minus,
        '*' => Kind::Star,
        '/' => Kind::Slash,
        '%' => Kind::Percent,
        '?' => Kind::Question,
        ':' => Kind::Colon,
        '.' => Kind::Dot,
        ',' => Kind::Comma,
        '[' => Kind::OBrack,
        ']' => Kind::CBrack,
        '(' => Kind::OParen,
        ')' => Kind::CParen,
        _ => Kind::Other,
    };
    (kind, c.len_utf8())
}

/// One output line, split into `hclwrite`'s three cells: `tokens[..assign]` is the lead,
/// `tokens[assign..comment]` the `= value` of a single-line attribute (empty if there is
/// none) and `tokens[comment..]` a trailing comment (empty if there is none).
struct Line<'a> {
    tokens: Vec<Tok<'a>>,
    assign: usize,
    comment: usize,
}

impl Line<'_> {
    fn has_assign(&self) -> bool {
        self.assign < self.comment
    }

    fn has_comment(&self) -> bool {
        self.comment < self.tokens.len()
    }

    fn width(&self, range: std::ops::Range<usize>) -> usize {
        self.tokens[range].iter().map(Tok::width).sum()
    }
}

fn format_tokens(tokens: Vec<Tok<'_>>) -> String {
    let mut lines = split_lines(tokens);
    format_indent(&mut lines);
    format_spaces(&mut lines);
    align(&mut lines, |l| l.has_assign(), |l| (l.assign, 0..l.assign));
    align(
        &mut lines,
        |l| l.has_comment(),
        |l| (l.comment, 0..l.comment),
    );

    let mut out = String::new();
    for line in &lines {
        for tok in &line.tokens {
            out.extend(std::iter::repeat_n(' ', tok.spaces));
            out.push_str(tok.text);
        }
        out.push('\n');
    }
    out
}

/// Splits the stream at newlines, dropping blank lines beyond the first of a run and any at the
/// start or end of the file.
fn split_lines(tokens: Vec<Tok<'_>>) -> Vec<Line<'_>> {
    fn finish<'a>(current: Vec<Tok<'a>>, lines: &mut Vec<Line<'a>>) {
        if current.is_empty() && lines.last().is_none_or(|l| l.tokens.is_empty()) {
            return;
        }
        lines.push(cells(current));
    }
    let mut lines = Vec::new();
    let mut current = Vec::new();
    for tok in tokens {
        if tok.kind == Kind::Newline {
            finish(std::mem::take(&mut current), &mut lines);
        } else {
            current.push(tok);
        }
    }
    finish(current, &mut lines);
    while lines.last().is_some_and(|l| l.tokens.is_empty()) {
        lines.pop();
    }
    lines
}

fn cells(tokens: Vec<Tok<'_>>) -> Line<'_> {
    // Only `#` and `//` comments count as trailing comments: `hclwrite` sees a `/* */` comment
    // as followed by the newline token, so it stays part of the line's last cell.
    let comment = match tokens.last() {
        Some(t) if t.kind == Kind::Comment && !t.text.starts_with("/*") && tokens.len() > 1 => {
            tokens.len() - 1
        }
        _ => tokens.len(),
    };
    // Only the first `=` can start the value, and only a value that closes every bracket it
    // opens on this line is a single-line attribute that takes part in alignment.
    let assign = tokens[..comment]
        .iter()
        .enumerate()
        .skip(1)
        .find(|(_, t)| t.kind == Kind::Equal)
        .map(|(i, _)| i)
        .filter(|&i| {
            tokens[i..comment]
                .iter()
                .map(|t| t.kind.bracket_change())
                .sum::<i32>()
                == 0
        })
        .unwrap_or(comment);
    Line {
        tokens,
        assign,
        comment,
    }
}

/// Indents each line by its bracket depth. A line that opens several brackets indents the next
/// lines by only one level, and the closers of that line's brackets undo that one level together,
/// so `foo({` ... `})` nests once; this matches `hclwrite` including on lopsided input.
fn format_indent(lines: &mut [Line<'_>]) {
    let mut indents: Vec<i32> = Vec::new();
    for line in lines.iter_mut() {
        let net: i32 = line.tokens.iter().map(|t| t.kind.bracket_change()).sum();
        let Some(first) = line.tokens.first_mut() else {
            continue;
        };
        if net > 0 {
            first.spaces = 2 * indents.len();
            indents.push(net);
            continue;
        }
        let mut closed = -net;
        while closed > 0 {
            let Some(top) = indents.last_mut() else {
                break;
            };
            if closed >= *top {
                closed -= *top;
                indents.pop();
            } else {
                *top -= closed;
                closed = 0;
            }
        }
        first.spaces = 2 * indents.len();
    }
}

fn format_spaces(lines: &mut [Line<'_>]) {
    for line in lines.iter_mut() {
        let (assign, comment) = (line.assign, line.comment);
        for cell in [0..assign, assign..comment] {
            let toks = &mut line.tokens[cell];
            for i in 1..toks.len() {
                let before = i.checked_sub(2).map(|j| toks[j]);
                toks[i].spaces = usize::from(space_between(before, &toks[i - 1], &toks[i]));
            }
        }
        if line.has_assign() {
            line.tokens[assign].spaces = 1;
        }
    }
}

/// Pads the start of a cell (the `=` or the trailing comment) so that it lines up across each run
/// of consecutive lines that have that cell.
fn align<'a>(
    lines: &mut [Line<'a>],
    has_cell: impl Fn(&Line<'a>) -> bool,
    cell: impl Fn(&Line<'a>) -> (usize, std::ops::Range<usize>),
) {
    let mut start = 0;
    while start < lines.len() {
        if !has_cell(&lines[start]) {
            start += 1;
            continue;
        }
        let end = lines[start..]
            .iter()
            .position(|l| !has_cell(l))
            .map_or(lines.len(), |n| start + n);
        let run = &mut lines[start..end];
        let widest = run.iter().map(|l| l.width(cell(l).1)).max().unwrap_or(0);
        for line in run {
            let (at, before) = cell(line);
            let width = line.width(before);
            line.tokens[at].spaces = widest - width + 1;
        }
        start = end;
    }
}

/// Whether one space separates `subject` from the following token `after` on the same line,
/// `before` being the token preceding `subject` in the same cell. Mirrors `hclwrite`'s
/// `spaceAfterToken`, rule for rule and in the same order.
fn space_between(before: Option<Tok<'_>>, subject: &Tok<'_>, after: &Tok<'_>) -> bool {
    use Kind::*;
    let (s, a) = (subject.kind, after.kind);
    let before = before.map(|t| t.kind);
    match () {
        _ if s == Ident && a == OParen => false,
        _ if (s == Ident && a == DoubleColon) || (s == DoubleColon && a == Ident) => false,
        _ if s == Dot || a == Dot => false,
        _ if a == Comma || a == Ellipsis => false,
        _ if s == Comma => true,
        _ if matches!(s, QuotedLit | OQuote | Heredoc) || matches!(a, QuotedLit | CQuote) => false,
        _ if s == Ident && subject.text == "in" && before == Some(Ident) => true,
        _ if a == OBrack && (matches!(s, Ident | Number) || s.bracket_change() < 0) => false,
        _ if s == Minus => !matches!(
            before,
            None | Some(
                OParen
                    | OBrace
                    | OBrack
                    | Equal
                    | Colon
                    | Comma
                    | Question
                    | Plus
                    | Star
                    | Slash
                    | Percent
                    | Minus
                    | EqualOp
                    | NotEqual
                    | Gt
                    | Gte
                    | Lt
                    | Lte
                    | And
                    | Or
                    | Bang
            )
        ),
        _ if s == Bang => false,
        _ if s == OBrace || a == CBrace => !(s == OBrace && a == CBrace),
        _ if matches!(s, TemplateInterp | TemplateControl) && a == OBrace => true,
        _ if s == CBrace && a == TemplateSeqEnd => true,
        _ if s == TemplateSeqEnd && matches!(a, TemplateInterp | TemplateControl) => false,
        _ if s.bracket_change() > 0 => false,
        _ if a.bracket_change() < 0 => false,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `(input, expected)` pair below. Unless a test says otherwise, `expected` is exactly
    /// what `terraform fmt -` (Terraform v1.11.4) printed for `input`.
    const CASES: &[(&str, &str)] = &[
        (ALIGN_IN, ALIGN_OUT),
        (COMMENT_BREAKS_IN, COMMENT_BREAKS_IN),
        (NESTED_IN, NESTED_OUT),
        (TRAILING_IN, TRAILING_OUT),
        (MULTILINE_IN, MULTILINE_OUT),
        (HEREDOC_IN, HEREDOC_OUT),
        (SPACING_IN, SPACING_OUT),
        (FOR_IN, FOR_OUT),
        (BLANK_IN, BLANK_OUT),
        (CRLF_IN, CRLF_OUT),
        (NO_FINAL_NEWLINE_IN, NO_FINAL_NEWLINE_OUT),
        (NESTED_BRACKETS_IN, NESTED_BRACKETS_OUT),
        (TEMPLATES_IN, TEMPLATES_IN),
    ];

    const ALIGN_IN: &str = "a = 1\nbbb = 2\ncc=\"x\"\n\nlonger_name = 3\nd = 4\n";
    const ALIGN_OUT: &str = "a   = 1\nbbb = 2\ncc  = \"x\"\n\nlonger_name = 3\nd           = 4\n";

    // A comment on its own line ends the alignment group in terraform fmt.
    const COMMENT_BREAKS_IN: &str = "a = 1\n# note\nbbb = 2\n";

    const NESTED_IN: &str = "resource \"alicloud_vpc\" \"main\" {\nvpc_name = \"main\"\n    \
        cidr_block = \"10.0.0.0/8\"\n  timeouts {\n  create = \"5m\"\n  \
        delete_after_a_while = \"10m\"\n  }\n  description = \"x\"\n}\n";
    const NESTED_OUT: &str = "resource \"alicloud_vpc\" \"main\" {\n  vpc_name   = \"main\"\n  \
        cidr_block = \"10.0.0.0/8\"\n  timeouts {\n    create               = \"5m\"\n    \
        delete_after_a_while = \"10m\"\n  }\n  description = \"x\"\n}\n";

    const TRAILING_IN: &str = "a = 1 # one\nbbbb = 22 // two\nc = \"x\" /* three */\nd = 4\n";
    const TRAILING_OUT: &str =
        "a    = 1  # one\nbbbb = 22 // two\nc    = \"x\" /* three */\nd    = 4\n";

    const MULTILINE_IN: &str = "tags = {\nName = \"eni\"\n  \"kubernetes.io/role\" = \"node\"\n}\n\
        ips = [\n\"10.0.0.1\",   # primary\n  \"10.0.0.2\", // secondary\n]\n\
        x = merge(var.a, {\nb = 1\n})\n";
    const MULTILINE_OUT: &str = "tags = {\n  Name                 = \"eni\"\n  \
        \"kubernetes.io/role\" = \"node\"\n}\nips = [\n  \"10.0.0.1\", # primary\n  \
        \"10.0.0.2\", // secondary\n]\nx = merge(var.a, {\n  b = 1\n})\n";

    const HEREDOC_IN: &str = "policy = <<EOT\n{\n    \"Version\":   \"1\"\n}\n  EOT\nx {\n    \
        script = <<-EOS\n      echo  hi   \n    EOS\n  n = 1\n}\n";
    const HEREDOC_OUT: &str = "policy = <<EOT\n{\n    \"Version\":   \"1\"\n}\n  EOT\nx {\n  \
        script = <<-EOS\n      echo  hi   \n    EOS\n  n      = 1\n}\n";

    const SPACING_IN: &str = "a=1+2\nb = [ 1,2 , 3 ]\nc = foo( 1 , -2, a - -3)\n\
        d = \"${ a+b }-x\"\ne = { a=1 }\nf = {}\ng = a . b [0]\nh = x ? -1 : ! y\n\
        block   \"l1\"    \"l2\"{\n}\n";
    const SPACING_OUT: &str = "a = 1 + 2\nb = [1, 2, 3]\nc = foo(1, -2, a - -3)\n\
        d = \"${a + b}-x\"\ne = { a = 1 }\nf = {}\ng = a.b[0]\nh = x ? -1 : !y\n\
        block \"l1\" \"l2\" {\n}\n";

    const FOR_IN: &str = "a = [for x in [1,2]: x*2 if x>1]\nb = {for k, v in m : k => v...}\n";
    const FOR_OUT: &str =
        "a = [for x in [1, 2] : x * 2 if x > 1]\nb = { for k, v in m : k => v... }\n";

    // Not terraform's output: terraform fmt keeps every blank line; netform collapses runs and
    // drops leading and trailing ones. The rest matches terraform.
    const BLANK_IN: &str = "\n\n# header\n\n\n\na = 1\n\n\n\nb {\n\n\n  c = 1\n}\n\n\n";
    const BLANK_OUT: &str = "# header\n\na = 1\n\nb {\n\n  c = 1\n}\n";

    // Not terraform's output: terraform keeps CRLF line endings, netform writes LF. Trailing
    // whitespace in comments is dropped too, which terraform keeps.
    const CRLF_IN: &str = "a = 1 # x  \r\nbb = 2\r\n";
    const CRLF_OUT: &str = "a  = 1 # x\nbb = 2\n";

    const NO_FINAL_NEWLINE_IN: &str = "a = 1\nbbb = 2";
    const NO_FINAL_NEWLINE_OUT: &str = "a   = 1\nbbb = 2\n";

    const NESTED_BRACKETS_IN: &str = "x = [\n{\na = 1\nbb = 2\n},\n{\nccc = cond ? {\n\
        y = 1\n} : {}\n},\n]\nz = 3\n";
    const NESTED_BRACKETS_OUT: &str = "x = [\n  {\n    a  = 1\n    bb = 2\n  },\n  {\n    \
        ccc = cond ? {\n      y = 1\n    } : {}\n  },\n]\nz = 3\n";

    const TEMPLATES_IN: &str = "a = \"a${x~}b${~y}c\"\nb = \"%{for x in xs~}${x},%{endfor~}\"\n\
        c = \"$${literal} %%{literal}\"\nd = \"${foo(\"a}b\")}x # not a comment\"\n";

    fn fmt(src: &str) -> String {
        match format_source(src) {
            Ok(out) => out,
            Err(e) => panic!("unexpected error for {src:?}: {e:?}"),
        }
    }

    #[test]
    fn matches_expected_output() {
        for (input, expected) in CASES {
            assert_eq!(fmt(input), *expected, "input: {input:?}");
        }
    }

    #[test]
    fn idempotent_over_every_case() {
        for (input, _) in CASES {
            let once = fmt(input);
            assert_eq!(fmt(&once), once, "input: {input:?}");
        }
    }

    #[test]
    fn indentation_is_recomputed_from_scratch() {
        for expected in [NESTED_OUT, MULTILINE_OUT, NESTED_BRACKETS_OUT] {
            let flattened: String = expected
                .lines()
                .map(|l| format!("{}\n", l.trim_start()))
                .collect();
            assert_eq!(fmt(&flattened), expected);
        }
    }

    #[test]
    fn empty_and_whitespace_only_files() {
        assert_eq!(fmt(""), "");
        assert_eq!(fmt("\n\n  \n"), "");
        assert_eq!(fmt("# only a comment"), "# only a comment\n");
    }

    #[test]
    fn syntax_error_reports_position() {
        match format_source("a = 1\nb = 2 3\n") {
            Err(FmtError::Parse { line, column, .. }) => assert_eq!((line, column), (2, 7)),
            other => panic!("expected a parse error, got {other:?}"),
        }
        match format_source("x {\n  = 2\n}\n") {
            Err(FmtError::Parse { line, column, .. }) => assert_eq!((line, column), (2, 3)),
            other => panic!("expected a parse error, got {other:?}"),
        }
    }

    #[test]
    fn formatting_keeps_every_token() {
        for (input, _) in CASES {
            let out = fmt(input);
            let (Some(a), Some(b)) = (lex(input), lex(&out)) else {
                panic!("lexing failed for {input:?}");
            };
            assert_eq!(significant(&a), significant(&b), "input: {input:?}");
        }
    }
}

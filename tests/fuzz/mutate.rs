//! Mutations of real seed files, as proptest strategies (so that a failing case shrinks to fewer,
//! smaller mutations): byte- and token-level edits (delete, insert, duplicate, replace, splice
//! two seeds, repeat, flip bits), numbers swapped for huge, negative and NaN-like literals, deep
//! nesting (up to 20,000 brackets), and for JSON, structure-aware edits on the parsed tree
//! (replace a node with a generated value, drop or duplicate it, change its type, reshape a
//! subtree at random keeping the seed's keys).

use std::sync::Arc;

use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::Value as J;

/// No mutated input grows past this; a bigger one is cut (itself a mutation).
pub const MAX_LEN: usize = 512 * 1024;

/// Literals that break naive number handling, in HCL and JSON syntax alike.
pub const NUMBERS: &[&str] = &[
    "0",
    "-0",
    "1",
    "-1",
    "0.5",
    "-0.0",
    "255",
    "256",
    "65535",
    "65536",
    "100000",
    "100001",
    "2147483647",
    "2147483648",
    "-2147483649",
    "4294967295",
    "4294967296",
    "9007199254740993",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "-9223372036854775809",
    "18446744073709551615",
    "18446744073709551616",
    "-18446744073709551616",
    "340282366920938463463374607431768211456",
    "99999999999999999999999999999999999999999999999999",
    "1e6",
    "1e15",
    "1e19",
    "1e20",
    "1e308",
    "1e309",
    "-1e309",
    "1.7976931348623157e308",
    "-1.7976931348623157e308",
    "4.9e-324",
    "1e-400",
    "0.1",
    "1.5",
    "-1.5",
    "3.999999999999999999",
    "NaN",
    "-NaN",
    "Infinity",
    "-Infinity",
    "inf",
    "0x10",
    "0b1",
    "1_000",
    "1.",
    ".5",
    "1e",
    "1e+",
    "00",
    "-",
    "+1",
    "--1",
];

/// JSON numbers `serde_json::Number` can hold, for the structure-aware edits.
fn json_number(i: usize) -> J {
    match i % 16 {
        0 => J::from(0),
        1 => J::from(-1),
        2 => J::from(u64::MAX),
        3 => J::from(i64::MIN),
        4 => J::from(i64::MAX),
        5 => J::from(u32::MAX as u64 + 1),
        6 => J::from(f64::MAX),
        7 => J::from(f64::MIN_POSITIVE),
        8 => J::from(-0.0),
        9 => J::from(0.5),
        10 => J::from(1e19),
        11 => J::from(-1e300),
        12 => J::from(100_001),
        13 => J::from(1),
        14 => J::from(65536),
        _ => J::from(2.5e-308),
    }
}

/// What a seed's mutations draw on: the seeds themselves (for splicing) and a token dictionary.
#[derive(Clone)]
pub struct Pool {
    pub seeds: Arc<Vec<Vec<u8>>>,
    pub tokens: Arc<Vec<Vec<u8>>>,
    /// For JSON seeds: strings and keys seen in the seeds, for generated values.
    pub words: Arc<Vec<String>>,
}

impl Pool {
    /// A pool over `seeds`, with `extra` tokens (the format's syntax) and every word and
    /// number literal of the seeds.
    pub fn new(seeds: Vec<Vec<u8>>, extra: &[&str]) -> Pool {
        let mut words: Vec<String> = Vec::new();
        for s in &seeds {
            let text = String::from_utf8_lossy(s);
            let mut cur = String::new();
            for c in text.chars().chain(std::iter::once(' ')) {
                if c.is_alphanumeric() || "_-.:/*$".contains(c) {
                    cur.push(c);
                } else if !cur.is_empty() {
                    if cur.len() <= 64 {
                        words.push(std::mem::take(&mut cur));
                    }
                    cur.clear();
                }
            }
        }
        words.sort();
        words.dedup();
        words.truncate(4000);
        let mut tokens: Vec<Vec<u8>> = extra.iter().map(|t| t.as_bytes().to_vec()).collect();
        tokens.extend(NUMBERS.iter().map(|t| t.as_bytes().to_vec()));
        tokens.extend(words.iter().map(|w| w.as_bytes().to_vec()));
        Pool {
            seeds: Arc::new(seeds),
            tokens: Arc::new(tokens),
            words: Arc::new(words),
        }
    }
}

/// One text edit. Positions and indices are taken modulo what they index, so any value is valid
/// and shrinking toward 0 keeps the edit meaningful.
#[derive(Clone, Debug)]
pub enum Edit {
    Delete {
        at: u32,
        len: u16,
    },
    Insert {
        at: u32,
        token: Index,
    },
    InsertBytes {
        at: u32,
        bytes: Vec<u8>,
    },
    Replace {
        at: u32,
        len: u16,
        token: Index,
    },
    Duplicate {
        from: u32,
        len: u16,
        to: u32,
    },
    Repeat {
        from: u32,
        len: u8,
        times: u16,
    },
    Splice {
        other: Index,
        cut: u32,
        other_cut: u32,
    },
    Number {
        nth: u16,
        lit: Index,
    },
    Nest {
        at: u32,
        depth: u16,
        kind: u8,
        close: bool,
    },
    TokenSwap {
        a: u16,
        b: u16,
    },
    TokenDelete {
        nth: u16,
    },
    TokenDup {
        nth: u16,
    },
    LineDelete {
        nth: u16,
    },
    LineDup {
        nth: u16,
    },
    LineSwap {
        a: u16,
        b: u16,
    },
    FlipBit {
        at: u32,
        bit: u8,
    },
    Truncate {
        at: u32,
    },
}

fn depth() -> impl Strategy<Value = u16> {
    prop_oneof![
        4 => 1u16..64,
        2 => 64u16..1024,
        1 => 1024u16..20_000,
        1 => Just(10_000u16),
    ]
}

pub fn edit() -> impl Strategy<Value = Edit> {
    let at = any::<u32>();
    prop_oneof![
        3 => (at, 1u16..64).prop_map(|(at, len)| Edit::Delete { at, len }),
        4 => (at, any::<Index>()).prop_map(|(at, token)| Edit::Insert { at, token }),
        1 => (at, prop::collection::vec(any::<u8>(), 1..8))
            .prop_map(|(at, bytes)| Edit::InsertBytes { at, bytes }),
        4 => (at, 1u16..16, any::<Index>())
            .prop_map(|(at, len, token)| Edit::Replace { at, len, token }),
        2 => (at, 1u16..256, any::<u32>())
            .prop_map(|(from, len, to)| Edit::Duplicate { from, len, to }),
        1 => (at, 1u8..64, prop_oneof![4 => 2u16..50, 1 => 50u16..2000])
            .prop_map(|(from, len, times)| Edit::Repeat { from, len, times }),
        2 => (any::<Index>(), at, any::<u32>())
            .prop_map(|(other, cut, other_cut)| Edit::Splice { other, cut, other_cut }),
        4 => (any::<u16>(), any::<Index>()).prop_map(|(nth, lit)| Edit::Number { nth, lit }),
        1 => (at, depth(), any::<u8>(), any::<bool>())
            .prop_map(|(at, depth, kind, close)| Edit::Nest { at, depth, kind, close }),
        2 => (any::<u16>(), any::<u16>()).prop_map(|(a, b)| Edit::TokenSwap { a, b }),
        2 => any::<u16>().prop_map(|nth| Edit::TokenDelete { nth }),
        2 => any::<u16>().prop_map(|nth| Edit::TokenDup { nth }),
        1 => any::<u16>().prop_map(|nth| Edit::LineDelete { nth }),
        1 => any::<u16>().prop_map(|nth| Edit::LineDup { nth }),
        1 => (any::<u16>(), any::<u16>()).prop_map(|(a, b)| Edit::LineSwap { a, b }),
        1 => (at, any::<u8>()).prop_map(|(at, bit)| Edit::FlipBit { at, bit }),
        1 => at.prop_map(|at| Edit::Truncate { at }),
    ]
}

/// Token boundaries: runs of word characters, runs of whitespace, and single other bytes.
fn tokens(s: &[u8]) -> Vec<std::ops::Range<usize>> {
    let class = |b: u8| -> u8 {
        if b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80 {
            0
        } else if b.is_ascii_whitespace() {
            1
        } else {
            2
        }
    };
    let mut out = Vec::new();
    let mut i = 0;
    while i < s.len() {
        let c = class(s[i]);
        let mut j = i + 1;
        if c != 2 {
            while j < s.len() && class(s[j]) == c {
                j += 1;
            }
        }
        out.push(i..j);
        i = j;
    }
    out
}

fn lines(s: &[u8]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, b) in s.iter().enumerate() {
        if *b == b'\n' {
            out.push(start..i + 1);
            start = i + 1;
        }
    }
    if start < s.len() {
        out.push(start..s.len());
    }
    out
}

/// Number literals: a digit run (with sign, point and exponent) not inside a word.
fn numbers(s: &[u8]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < s.len() {
        let word_before = i > 0 && (s[i - 1].is_ascii_alphanumeric() || s[i - 1] == b'_');
        if s[i].is_ascii_digit() && !word_before {
            let start = if i > 0 && s[i - 1] == b'-' { i - 1 } else { i };
            let mut j = i;
            while j < s.len()
                && (s[j].is_ascii_digit()
                    || s[j] == b'.'
                    || s[j] == b'e'
                    || s[j] == b'E'
                    || ((s[j] == b'-' || s[j] == b'+') && (s[j - 1] == b'e' || s[j - 1] == b'E')))
            {
                j += 1;
            }
            if j == s.len() || !(s[j].is_ascii_alphabetic() || s[j] == b'_') {
                out.push(start..j);
            }
            i = j.max(i + 1);
        } else {
            i += 1;
        }
    }
    out
}

fn pick(n: u32, len: usize) -> usize {
    n as usize % (len + 1)
}

const OPEN: &[&str] = &[
    "[",
    "{",
    "(",
    "\"${",
    "[for x in ",
    "{\"a\":",
    "[[",
    "-",
    "!",
];
const CLOSE: &[&str] = &["]", "}", ")", "}\"", " : x]", "}", "]]", "", ""];

pub fn apply_edit(s: &mut Vec<u8>, e: &Edit, pool: &Pool) {
    let len = s.len();
    match e {
        Edit::Delete { at, len: n } => {
            let a = pick(*at, len);
            let b = (a + *n as usize).min(len);
            s.drain(a..b);
        }
        Edit::Insert { at, token } => {
            let a = pick(*at, len);
            let t = &pool.tokens[token.index(pool.tokens.len())];
            s.splice(a..a, t.iter().copied());
        }
        Edit::InsertBytes { at, bytes } => {
            let a = pick(*at, len);
            s.splice(a..a, bytes.iter().copied());
        }
        Edit::Replace { at, len: n, token } => {
            let a = pick(*at, len);
            let b = (a + *n as usize).min(len);
            let t = &pool.tokens[token.index(pool.tokens.len())];
            s.splice(a..b, t.iter().copied());
        }
        Edit::Duplicate { from, len: n, to } => {
            let a = pick(*from, len);
            let b = (a + *n as usize).min(len);
            let chunk = s[a..b].to_vec();
            let t = pick(*to, len);
            s.splice(t..t, chunk);
        }
        Edit::Repeat {
            from,
            len: n,
            times,
        } => {
            let a = pick(*from, len);
            let b = (a + *n as usize).min(len);
            let chunk = s[a..b].to_vec();
            let times = (*times as usize).min(MAX_LEN / chunk.len().max(1));
            let rep: Vec<u8> = chunk.repeat(times);
            s.splice(b..b, rep);
        }
        Edit::Splice {
            other,
            cut,
            other_cut,
        } => {
            let o = &pool.seeds[other.index(pool.seeds.len())];
            let a = pick(*cut, len);
            let b = pick(*other_cut, o.len());
            s.truncate(a);
            s.extend_from_slice(&o[b..]);
        }
        Edit::Number { nth, lit } => {
            let nums = numbers(s);
            if nums.is_empty() {
                return;
            }
            let r = nums[*nth as usize % nums.len()].clone();
            let lit = NUMBERS[lit.index(NUMBERS.len())];
            s.splice(r, lit.bytes());
        }
        Edit::Nest {
            at,
            depth,
            kind,
            close,
        } => {
            let k = *kind as usize % OPEN.len();
            let a = pick(*at, len);
            let d = (*depth as usize).min(MAX_LEN / 8);
            if *close {
                let tail = CLOSE[k].repeat(d);
                s.splice(a..a, tail.into_bytes());
            }
            let head = OPEN[k].repeat(d);
            s.splice(a..a, head.into_bytes());
        }
        Edit::TokenSwap { a, b } => {
            let t = tokens(s);
            if t.len() < 2 {
                return;
            }
            let (x, y) = (
                t[*a as usize % t.len()].clone(),
                t[*b as usize % t.len()].clone(),
            );
            let (x, y) = if x.start <= y.start { (x, y) } else { (y, x) };
            if x == y || x.end > y.start {
                return;
            }
            let (xs, ys) = (s[x.clone()].to_vec(), s[y.clone()].to_vec());
            s.splice(y, xs);
            s.splice(x, ys);
        }
        Edit::TokenDelete { nth } => {
            let t = tokens(s);
            if !t.is_empty() {
                s.drain(t[*nth as usize % t.len()].clone());
            }
        }
        Edit::TokenDup { nth } => {
            let t = tokens(s);
            if !t.is_empty() {
                let r = t[*nth as usize % t.len()].clone();
                let chunk = s[r.clone()].to_vec();
                s.splice(r.end..r.end, chunk);
            }
        }
        Edit::LineDelete { nth } => {
            let l = lines(s);
            if !l.is_empty() {
                s.drain(l[*nth as usize % l.len()].clone());
            }
        }
        Edit::LineDup { nth } => {
            let l = lines(s);
            if !l.is_empty() {
                let r = l[*nth as usize % l.len()].clone();
                let chunk = s[r.clone()].to_vec();
                s.splice(r.end..r.end, chunk);
            }
        }
        Edit::LineSwap { a, b } => {
            let l = lines(s);
            if l.len() < 2 {
                return;
            }
            let (x, y) = (
                l[*a as usize % l.len()].clone(),
                l[*b as usize % l.len()].clone(),
            );
            let (x, y) = if x.start <= y.start { (x, y) } else { (y, x) };
            if x == y {
                return;
            }
            let (xs, ys) = (s[x.clone()].to_vec(), s[y.clone()].to_vec());
            s.splice(y, xs);
            s.splice(x, ys);
        }
        Edit::FlipBit { at, bit } => {
            if len > 0 {
                let a = *at as usize % len;
                s[a] ^= 1 << (bit % 8);
            }
        }
        Edit::Truncate { at } => {
            let a = pick(*at, len);
            s.truncate(a);
        }
    }
    s.truncate(MAX_LEN);
}

// ---- JSON, structure-aware --------------------------------------------------------------------

/// One edit of a parsed JSON document; `node` picks a node in pre-order (modulo their number).
#[derive(Clone, Debug)]
pub enum JsonEdit {
    Replace { node: u32, with: J },
    Remove { node: u32 },
    Duplicate { node: u32 },
    Retype { node: u32, to: u8 },
    Number { node: u32, which: u8 },
    Reshape { node: u32, seed: u64 },
    Wrap { node: u32, depth: u8 },
    Swap { a: u32, b: u32 },
}

/// A random JSON value: leaves from the seeds' own words and the troublesome numbers, nested a
/// few levels.
pub fn json_value(words: Arc<Vec<String>>) -> BoxedStrategy<J> {
    let w = words.clone();
    let word = any::<Index>().prop_map(move |i| {
        if w.is_empty() {
            J::String(String::new())
        } else {
            J::String(w[i.index(w.len())].clone())
        }
    });
    let leaf = prop_oneof![
        1 => Just(J::Null),
        1 => any::<bool>().prop_map(J::Bool),
        1 => any::<i64>().prop_map(J::from),
        1 => any::<u64>().prop_map(J::from),
        1 => any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(J::Null, J::Number)),
        2 => any::<u8>().prop_map(|i| json_number(i as usize)),
        4 => word,
        1 => prop::collection::vec(any::<char>(), 0..12).prop_map(|c| J::String(c.into_iter().collect())),
        1 => (0usize..5000).prop_map(|n| J::String("x".repeat(n))),
    ];
    let w = words;
    leaf.prop_recursive(4, 48, 6, move |inner| {
        let w = w.clone();
        let key = any::<Index>().prop_map(move |i| {
            if w.is_empty() {
                String::new()
            } else {
                w[i.index(w.len())].clone()
            }
        });
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(J::Array),
            prop::collection::vec((key, inner), 0..6)
                .prop_map(|kv| J::Object(kv.into_iter().collect())),
        ]
    })
    .boxed()
}

pub fn json_edit(words: Arc<Vec<String>>) -> impl Strategy<Value = JsonEdit> {
    let node = any::<u32>();
    prop_oneof![
        4 => (node, json_value(words)).prop_map(|(node, with)| JsonEdit::Replace { node, with }),
        2 => node.prop_map(|node| JsonEdit::Remove { node }),
        2 => node.prop_map(|node| JsonEdit::Duplicate { node }),
        2 => (node, any::<u8>()).prop_map(|(node, to)| JsonEdit::Retype { node, to }),
        3 => (node, any::<u8>()).prop_map(|(node, which)| JsonEdit::Number { node, which }),
        3 => (node, any::<u64>()).prop_map(|(node, seed)| JsonEdit::Reshape { node, seed }),
        1 => (node, 1u8..100).prop_map(|(node, depth)| JsonEdit::Wrap { node, depth }),
        1 => (node, any::<u32>()).prop_map(|(a, b)| JsonEdit::Swap { a, b }),
    ]
}

#[derive(Clone, Debug)]
enum Seg {
    Key(String),
    Idx(usize),
}

fn paths(v: &J, cur: &mut Vec<Seg>, out: &mut Vec<Vec<Seg>>) {
    out.push(cur.clone());
    match v {
        J::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                cur.push(Seg::Idx(i));
                paths(x, cur, out);
                cur.pop();
            }
        }
        J::Object(m) => {
            for (k, x) in m {
                cur.push(Seg::Key(k.clone()));
                paths(x, cur, out);
                cur.pop();
            }
        }
        _ => {}
    }
}

fn at_mut<'a>(v: &'a mut J, path: &[Seg]) -> Option<&'a mut J> {
    let mut cur = v;
    for s in path {
        cur = match (s, cur) {
            (Seg::Key(k), J::Object(m)) => m.get_mut(k)?,
            (Seg::Idx(i), J::Array(a)) => a.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(cur)
}

fn node_path(v: &J, n: u32) -> Vec<Seg> {
    let mut all = Vec::new();
    paths(v, &mut Vec::new(), &mut all);
    all.swap_remove(n as usize % all.len())
}

/// splitmix64, for the reshaping walk.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

fn random_leaf(r: &mut Rng, words: &[String]) -> J {
    match r.below(8) {
        0 => J::Null,
        1 => J::Bool(r.chance(50)),
        2 | 3 => json_number(r.below(16)),
        4 => J::String(String::new()),
        5 => J::Array(Vec::new()),
        6 => J::Object(Default::default()),
        _ if !words.is_empty() => J::String(words[r.below(words.len())].clone()),
        _ => J::String("x".into()),
    }
}

/// A tree shaped like `v`: the same keys and nesting, with leaves changed, keys dropped or
/// added, and list elements dropped or repeated at random.
fn reshape(v: &mut J, r: &mut Rng, words: &[String], depth: usize) {
    if depth > 64 {
        return;
    }
    match v {
        J::Object(m) => {
            let keys: Vec<String> = m.keys().cloned().collect();
            for k in keys {
                if r.chance(5) {
                    m.remove(&k);
                } else if r.chance(5) {
                    m.insert(k, random_leaf(r, words));
                } else if let Some(x) = m.get_mut(&k) {
                    reshape(x, r, words, depth + 1);
                }
            }
            if r.chance(3) && !words.is_empty() {
                m.insert(words[r.below(words.len())].clone(), random_leaf(r, words));
            }
        }
        J::Array(a) => {
            if !a.is_empty() && r.chance(15) {
                let i = r.below(a.len());
                a.remove(i);
            }
            if !a.is_empty() && r.chance(15) {
                let i = r.below(a.len());
                let x = a[i].clone();
                a.insert(i, x);
            }
            for x in a.iter_mut() {
                reshape(x, r, words, depth + 1);
            }
        }
        _ => {
            if r.chance(20) {
                *v = random_leaf(r, words);
            }
        }
    }
}

pub fn apply_json_edit(v: &mut J, e: &JsonEdit, words: &[String]) {
    match e {
        JsonEdit::Replace { node, with } => {
            let p = node_path(v, *node);
            if let Some(x) = at_mut(v, &p) {
                *x = with.clone();
            }
        }
        JsonEdit::Remove { node } => {
            let p = node_path(v, *node);
            if let Some((last, parent)) = p.split_last()
                && let Some(x) = at_mut(v, parent)
            {
                match (last, x) {
                    (Seg::Key(k), J::Object(m)) => {
                        m.remove(k);
                    }
                    (Seg::Idx(i), J::Array(a)) if *i < a.len() => {
                        a.remove(*i);
                    }
                    _ => {}
                }
            }
        }
        JsonEdit::Duplicate { node } => {
            let p = node_path(v, *node);
            if let Some((last, parent)) = p.split_last()
                && let Some(x) = at_mut(v, parent)
            {
                match (last, x) {
                    (Seg::Key(k), J::Object(m)) => {
                        if let Some(val) = m.get(k).cloned() {
                            m.insert(format!("{k}_"), val);
                        }
                    }
                    (Seg::Idx(i), J::Array(a)) if *i < a.len() => {
                        let val = a[*i].clone();
                        a.insert(*i, val);
                    }
                    _ => {}
                }
            }
        }
        JsonEdit::Retype { node, to } => {
            let p = node_path(v, *node);
            if let Some(x) = at_mut(v, &p) {
                let old = std::mem::take(x);
                *x = match to % 6 {
                    0 => J::String(match &old {
                        J::String(s) => s.clone(),
                        other => other.to_string(),
                    }),
                    1 => match &old {
                        J::String(s) => s
                            .parse::<f64>()
                            .ok()
                            .and_then(serde_json::Number::from_f64)
                            .map_or(J::from(s.len()), J::Number),
                        _ => J::from(1),
                    },
                    2 => J::Array(vec![old]),
                    3 => J::Object([("value".to_string(), old)].into_iter().collect()),
                    4 => J::Bool(!old.is_null()),
                    _ => J::Null,
                };
            }
        }
        JsonEdit::Number { node, which } => {
            let p = node_path(v, *node);
            if let Some(x) = at_mut(v, &p) {
                *x = json_number(*which as usize);
            }
        }
        JsonEdit::Reshape { node, seed } => {
            let p = node_path(v, *node);
            if let Some(x) = at_mut(v, &p) {
                reshape(x, &mut Rng(*seed), words, 0);
            }
        }
        JsonEdit::Wrap { node, depth } => {
            let p = node_path(v, *node);
            if let Some(x) = at_mut(v, &p) {
                let mut w = std::mem::take(x);
                for _ in 0..*depth {
                    w = J::Array(vec![w]);
                }
                *x = w;
            }
        }
        JsonEdit::Swap { a, b } => {
            let pa = node_path(v, *a);
            let pb = node_path(v, *b);
            // Only between disjoint subtrees (neither a prefix of the other).
            let prefix = |x: &[Seg], y: &[Seg]| {
                x.len() <= y.len()
                    && x.iter().zip(y).all(|(p, q)| match (p, q) {
                        (Seg::Key(a), Seg::Key(b)) => a == b,
                        (Seg::Idx(a), Seg::Idx(b)) => a == b,
                        _ => false,
                    })
            };
            if prefix(&pa, &pb) || prefix(&pb, &pa) {
                return;
            }
            let (Some(xa), Some(xb)) = (
                at_mut(v, &pa).map(|x| x.clone()),
                at_mut(v, &pb).map(|x| x.clone()),
            ) else {
                return;
            };
            if let Some(x) = at_mut(v, &pa) {
                *x = xb;
            }
            if let Some(x) = at_mut(v, &pb) {
                *x = xa;
            }
        }
    }
}

/// How one file of a case is made: which seed, the JSON edits (for JSON and JSON-lines seeds),
/// the text edits, and whether the file is there at all.
#[derive(Clone, Debug)]
pub struct Recipe {
    pub seed: Index,
    pub json: Vec<(u16, JsonEdit)>,
    pub pretty: bool,
    pub edits: Vec<Edit>,
    pub present: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    /// One JSON document per line (journals).
    JsonLines,
}

/// Recipes for one file: `presence` is the chance (0..=1) that it exists.
pub fn recipe(pool: &Pool, format: Format, presence: f64) -> BoxedStrategy<Recipe> {
    let (json, edits) = if format == Format::Text {
        (
            Just(Vec::new()).boxed(),
            prop::collection::vec(edit(), 0..6).boxed(),
        )
    } else {
        // Most text edits break JSON: half the cases have only structure-aware edits, and so
        // reach what the reader does with a well-formed but wrong document.
        (
            prop::collection::vec((any::<u16>(), json_edit(pool.words.clone())), 0..4).boxed(),
            prop_oneof![Just(Vec::new()), prop::collection::vec(edit(), 1..4),].boxed(),
        )
    };
    (
        any::<Index>(),
        json,
        any::<bool>(),
        edits,
        prop::bool::weighted(presence),
    )
        .prop_map(|(seed, json, pretty, edits, present)| Recipe {
            seed,
            json,
            pretty,
            edits,
            present,
        })
        .boxed()
}

fn to_text(v: &J, pretty: bool) -> Vec<u8> {
    let r = if pretty {
        serde_json::to_vec_pretty(v)
    } else {
        serde_json::to_vec(v)
    };
    r.unwrap_or_default()
}

/// The file a recipe makes, or `None` when it is absent.
pub fn make(pool: &Pool, format: Format, r: &Recipe) -> Option<Vec<u8>> {
    if !r.present {
        return None;
    }
    let mut s = pool.seeds[r.seed.index(pool.seeds.len())].clone();
    if !r.json.is_empty() {
        match format {
            Format::Json => {
                if let Ok(mut v) = serde_json::from_slice::<J>(&s) {
                    for (_, e) in &r.json {
                        apply_json_edit(&mut v, e, &pool.words);
                    }
                    s = to_text(&v, r.pretty);
                }
            }
            Format::JsonLines => {
                let mut lines: Vec<Vec<u8>> = s
                    .split(|b| *b == b'\n')
                    .filter(|l| !l.is_empty())
                    .map(<[u8]>::to_vec)
                    .collect();
                for (line, e) in &r.json {
                    if lines.is_empty() {
                        break;
                    }
                    let i = *line as usize % lines.len();
                    if let Ok(mut v) = serde_json::from_slice::<J>(&lines[i]) {
                        apply_json_edit(&mut v, e, &pool.words);
                        lines[i] = to_text(&v, false);
                    }
                }
                s = lines.join(&b'\n');
                s.push(b'\n');
            }
            Format::Text => {}
        }
    }
    for e in &r.edits {
        apply_edit(&mut s, e, pool);
    }
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_literals_are_found_outside_words() {
        let s = b"a = 12\nb2 = -3.5e+2, x1y";
        let n: Vec<&[u8]> = numbers(s).into_iter().map(|r| &s[r]).collect();
        assert_eq!(n, vec![&b"12"[..], &b"-3.5e+2"[..]]);
    }

    #[test]
    fn json_edits_keep_the_document_valid() {
        let pool = Pool::new(vec![br#"{"a":[1,{"b":"c"}],"d":null}"#.to_vec()], &[]);
        let mut v: J = serde_json::from_slice(&pool.seeds[0]).unwrap_or_default();
        for n in 0..7 {
            apply_json_edit(&mut v, &JsonEdit::Reshape { node: n, seed: 7 }, &pool.words);
            apply_json_edit(&mut v, &JsonEdit::Swap { a: n, b: n + 3 }, &pool.words);
            apply_json_edit(&mut v, &JsonEdit::Remove { node: n }, &pool.words);
        }
        assert!(serde_json::to_string(&v).is_ok());
    }
}

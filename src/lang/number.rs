//! Numbers as Terraform's cty has them: Go `big.Float`s, binary floating point with a precision
//! of its own per value, rounded to nearest even.
//!
//! The precision is part of the value because it decides what Terraform prints: a number parsed
//! from the configuration has 512 bits (`1/3` prints 154 digits), one made from a Go `int64`
//! (`length`, `count.index`) has 64, one from a `float64` (`pow`, `log`) has 53 (`pow(2, 60)`
//! prints `1152921504606847000`). Arithmetic rounds to the larger precision of its operands,
//! as `big.Float` does; text is the shortest decimal that reads back to the same value at the
//! value's precision (`Text('f', -1)`).
//!
//! Most numbers in a configuration are small integers (counts, indexes, ports): those are an
//! inline `i64` and cost no allocation; the others are boxed. A number is kept normalised (an
//! integer that fits an `i64` is always inline) so that comparing two is cheap.

use std::cmp::Ordering;
use std::fmt;

use num_bigint::{BigInt, BigUint, Sign};
use num_integer::Integer;
use num_traits::{One, ToPrimitive, Zero};

/// The precision of a number read from text (cty's `ParseNumberVal`).
pub const LITERAL_PREC: u32 = 512;
/// The precision of a number made from a Go `int64` (cty's `NumberIntVal`).
pub const INT_PREC: u32 = 64;
/// The precision of a number made from a Go `float64` (cty's `NumberFloatVal`).
pub const FLOAT_PREC: u32 = 53;

/// The largest binary exponent of a Go `big.Float`; past it a result is infinite.
const MAX_EXP: i64 = i32::MAX as i64;

/// An arithmetic failure, worded as cty's operator functions word it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NumError {
    #[error("can't compute sum of opposing infinities")]
    OpposingInfinities,
    #[error("can't subtract infinity from itself")]
    InfinityMinusInfinity,
    #[error("can't multiply zero by infinity")]
    ZeroTimesInfinity,
    #[error("can't divide zero by zero or infinity by infinity")]
    Indeterminate,
    #[error("can't use modulo with zero and infinity")]
    ModuloInfinity,
}

/// A cty number.
#[derive(Clone)]
pub struct Number(Repr);

#[derive(Clone)]
enum Repr {
    /// An integer that fits an `i64`, with its precision.
    Int {
        v: i64,
        prec: u32,
    },
    Big(Box<Big>),
}

#[derive(Clone)]
struct Big {
    neg: bool,
    /// `None` for an infinity.
    finite: Option<Parts>,
    prec: u32,
}

/// `mant × 2^exp`, exactly.
#[derive(Clone, Debug, PartialEq)]
struct Parts {
    mant: BigUint,
    exp: i64,
}

/// A signed finite value being worked on.
struct Work {
    neg: bool,
    mant: BigUint,
    exp: i64,
}

fn sig_bits(v: u64) -> u32 {
    if v == 0 {
        0
    } else {
        64 - v.leading_zeros() - v.trailing_zeros()
    }
}

impl Number {
    /// An integer with the precision of a Go `int64`.
    pub const fn from_i64(v: i64) -> Number {
        Number(Repr::Int { v, prec: INT_PREC })
    }

    /// An integer written in the configuration (512 bits, as cty parses it).
    pub const fn literal(v: i64) -> Number {
        Number(Repr::Int {
            v,
            prec: LITERAL_PREC,
        })
    }

    pub const fn zero() -> Number {
        Number::from_i64(0)
    }

    /// A Go `float64` as cty's `NumberFloatVal` takes it (53 bits); `None` for NaN.
    pub fn from_f64(f: f64) -> Option<Number> {
        if f.is_nan() {
            return None;
        }
        if f.is_infinite() {
            return Some(Number::infinity(f < 0.0));
        }
        if f.fract() == 0.0 && f.abs() < 9.2e18 {
            return Some(Number(Repr::Int {
                v: f as i64,
                prec: FLOAT_PREC,
            }));
        }
        let bits = f.to_bits();
        let neg = bits >> 63 == 1;
        let e = ((bits >> 52) & 0x7ff) as i64;
        let frac = bits & ((1u64 << 52) - 1);
        let (mant, exp) = if e == 0 {
            (frac, -1074)
        } else {
            (frac | (1u64 << 52), e - 1075)
        };
        Some(finish(
            Work {
                neg,
                mant: BigUint::from(mant),
                exp,
            },
            FLOAT_PREC,
        ))
    }

    /// A big integer, with the precision Go's `SetInt` gives it (its length, at least 64).
    pub fn from_bigint(i: &BigInt) -> Number {
        if let Some(v) = i.to_i64() {
            return Number::from_i64(v);
        }
        let prec = u32::try_from(i.bits()).unwrap_or(u32::MAX).max(INT_PREC);
        finish(
            Work {
                neg: i.sign() == Sign::Minus,
                mant: i.magnitude().clone(),
                exp: 0,
            },
            prec,
        )
    }

    pub fn infinity(neg: bool) -> Number {
        Number(Repr::Big(Box::new(Big {
            neg,
            finite: None,
            prec: 0,
        })))
    }

    /// Parses decimal text as cty's `ParseNumberVal` (Go's `big.ParseFloat(s, 10, 512,
    /// ToNearestEven)`): an optional sign, digits with an optional fraction and exponent, or
    /// `Inf`. `None` when the text is not a number.
    pub fn parse(s: &str) -> Option<Number> {
        let (neg, body) = match s.as_bytes().first()? {
            b'-' => (true, &s[1..]),
            b'+' => (false, &s[1..]),
            _ => (false, s),
        };
        if body == "Inf" || body == "inf" {
            return Some(Number::infinity(neg));
        }
        let (mantissa, exp10) = match body.find(['e', 'E']) {
            Some(i) => {
                let e = &body[i + 1..];
                let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
                if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                // An exponent past i64 is infinity or zero anyway: saturate.
                let v: i64 = digits.parse().unwrap_or(i64::MAX / 4);
                (&body[..i], if e.starts_with('-') { -v } else { v })
            }
            None => (body, 0),
        };
        let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let digits_only = |x: &str| x.bytes().all(|b| b.is_ascii_digit());
        if int.len() + frac.len() == 0 || !digits_only(int) || !digits_only(frac) {
            return None;
        }
        let exp10 = exp10.saturating_sub(frac.len() as i64);
        // Small integers need no big arithmetic.
        if exp10 == 0 && frac.is_empty() && int.len() <= 18 {
            let v: i64 = int.parse().ok()?;
            return Some(Number::literal(if neg { -v } else { v }));
        }
        let mant = BigUint::parse_bytes(format!("{int}{frac}").as_bytes(), 10)?;
        Some(scale10(neg, mant, exp10))
    }

    pub fn prec(&self) -> u32 {
        match &self.0 {
            Repr::Int { prec, .. } => *prec,
            Repr::Big(b) => b.prec,
        }
    }

    /// The same value with another precision: exact numbers (integers, and the numbers of
    /// `tostring` round trips) keep their value, others round.
    pub fn with_prec(&self, prec: u32) -> Number {
        match self.work() {
            Some(w) => finish(w, prec),
            None => self.clone(),
        }
    }

    pub fn is_infinite(&self) -> bool {
        matches!(&self.0, Repr::Big(b) if b.finite.is_none())
    }

    pub fn is_negative(&self) -> bool {
        match &self.0 {
            Repr::Int { v, .. } => *v < 0,
            Repr::Big(b) => b.neg,
        }
    }

    pub fn is_zero(&self) -> bool {
        matches!(self.0, Repr::Int { v: 0, .. })
    }

    /// True for a finite whole number.
    pub fn is_integer(&self) -> bool {
        match &self.0 {
            Repr::Int { .. } => true,
            Repr::Big(b) => b.finite.as_ref().is_some_and(|p| p.exp >= 0),
        }
    }

    /// The value as an `i64` when it is a whole number that fits.
    pub fn to_i64(&self) -> Option<i64> {
        match &self.0 {
            Repr::Int { v, .. } => Some(*v),
            Repr::Big(_) => None,
        }
    }

    pub fn to_u64(&self) -> Option<u64> {
        self.to_i64().and_then(|v| u64::try_from(v).ok())
    }

    /// The whole number, exactly; `None` for a fraction or an infinity.
    pub fn to_bigint(&self) -> Option<BigInt> {
        let w = self.work()?;
        if w.exp < 0 {
            return None;
        }
        let mag = w.mant << usize::try_from(w.exp).ok()?;
        Some(BigInt::from_biguint(sign_of(w.neg), mag))
    }

    /// The nearest `f64` (what Go's `Float64()` gives, for the functions cty computes in
    /// float64: `pow`, `log`).
    pub fn to_f64(&self) -> f64 {
        match &self.0 {
            Repr::Int { v, .. } => *v as f64,
            Repr::Big(b) => match &b.finite {
                None if b.neg => f64::NEG_INFINITY,
                None => f64::INFINITY,
                Some(p) => {
                    // Round to 53 bits first so the conversion below is exact.
                    let w = round(
                        Work {
                            neg: b.neg,
                            mant: p.mant.clone(),
                            exp: p.exp,
                        },
                        FLOAT_PREC,
                        false,
                    );
                    let m = w.mant.to_f64().unwrap_or(f64::INFINITY);
                    let e =
                        i32::try_from(w.exp).unwrap_or(if w.exp < 0 { i32::MIN } else { i32::MAX });
                    // Two steps keep the power of two representable near the subnormal range.
                    let r = m * 2f64.powi(e / 2) * 2f64.powi(e - e / 2);
                    if b.neg { -r } else { r }
                }
            },
        }
    }

    fn work(&self) -> Option<Work> {
        match &self.0 {
            Repr::Int { v, .. } => Some(Work {
                neg: *v < 0,
                mant: BigUint::from(v.unsigned_abs()),
                exp: 0,
            }),
            Repr::Big(b) => b.finite.as_ref().map(|p| Work {
                neg: b.neg,
                mant: p.mant.clone(),
                exp: p.exp,
            }),
        }
    }

    pub fn neg(&self) -> Number {
        match &self.0 {
            Repr::Int { v, prec } if *v != i64::MIN => Number(Repr::Int { v: -v, prec: *prec }),
            Repr::Int { v, prec } => finish(
                Work {
                    neg: false,
                    mant: BigUint::from(v.unsigned_abs()),
                    exp: 0,
                },
                *prec,
            ),
            Repr::Big(b) => {
                let mut b = b.clone();
                b.neg = !b.neg;
                Number(Repr::Big(b))
            }
        }
    }

    pub fn abs(&self) -> Number {
        if self.is_negative() {
            self.neg()
        } else {
            self.clone()
        }
    }

    /// `self + other`, rounded to the larger precision.
    pub fn add(&self, other: &Number) -> Result<Number, NumError> {
        let prec = self.prec().max(other.prec());
        if let (Repr::Int { v: a, .. }, Repr::Int { v: b, .. }) = (&self.0, &other.0)
            && let Some(r) = a.checked_add(*b)
            && sig_bits(r.unsigned_abs()) <= prec
        {
            return Ok(Number(Repr::Int { v: r, prec }));
        }
        match (self.work(), other.work()) {
            (Some(a), Some(b)) => Ok(finish(add_exact(a, b, prec), prec)),
            (None, Some(_)) => Ok(self.clone()),
            (Some(_), None) => Ok(other.clone()),
            (None, None) if self.is_negative() == other.is_negative() => Ok(self.clone()),
            (None, None) => Err(NumError::OpposingInfinities),
        }
    }

    /// `self - other`, rounded to the larger precision.
    pub fn sub(&self, other: &Number) -> Result<Number, NumError> {
        if self.is_infinite() && other.is_infinite() && self.is_negative() == other.is_negative() {
            return Err(NumError::InfinityMinusInfinity);
        }
        self.add(&other.neg())
    }

    /// `self × other` as cty's `Multiply`: the product at 512 bits, kept at the larger of the
    /// operands' precisions and the bits it needs.
    pub fn mul(&self, other: &Number) -> Result<Number, NumError> {
        let prec = self.prec().max(other.prec());
        if let (Repr::Int { v: a, .. }, Repr::Int { v: b, .. }) = (&self.0, &other.0)
            && let Some(r) = a.checked_mul(*b)
        {
            let prec = prec.max(sig_bits(r.unsigned_abs()));
            return Ok(Number(Repr::Int { v: r, prec }));
        }
        let neg = self.is_negative() != other.is_negative();
        match (self.work(), other.work()) {
            (Some(a), Some(b)) => {
                let w = round(mul_exact(a, b), LITERAL_PREC, false);
                let need = u32::try_from(w.mant.bits() - w.mant.trailing_zeros().unwrap_or(0))
                    .unwrap_or(LITERAL_PREC);
                Ok(finish(w, prec.max(need)))
            }
            _ if self.is_zero() || other.is_zero() => Err(NumError::ZeroTimesInfinity),
            _ => Ok(Number::infinity(neg)),
        }
    }

    /// `self × other` rounded to `prec`, as Go's `Mul` into a number of that precision.
    fn mul_at(&self, other: &Number, prec: u32) -> Number {
        match (self.work(), other.work()) {
            (Some(a), Some(b)) => finish(mul_exact(a, b), prec),
            _ => Number::infinity(self.is_negative() != other.is_negative()),
        }
    }

    /// `self / other`, rounded to the larger precision. A finite number over zero is an
    /// infinity, as in Terraform.
    pub fn div(&self, other: &Number) -> Result<Number, NumError> {
        let prec = self.prec().max(other.prec());
        let neg = self.is_negative() != other.is_negative();
        if let (Repr::Int { v: a, .. }, Repr::Int { v: b, .. }) = (&self.0, &other.0)
            && *b != 0
            && a.checked_rem(*b) == Some(0)
            && let Some(r) = a.checked_div(*b)
        {
            return Ok(Number(Repr::Int { v: r, prec }));
        }
        match (self.work(), other.work()) {
            (Some(_), Some(_)) if self.is_zero() && other.is_zero() => Err(NumError::Indeterminate),
            (Some(_), Some(_)) if other.is_zero() => Ok(Number::infinity(neg)),
            (Some(a), Some(b)) => Ok(quo(a, b, prec)),
            (None, None) => Err(NumError::Indeterminate),
            (None, Some(_)) => Ok(Number::infinity(neg)),
            (Some(_), None) => Ok(Number(Repr::Int { v: 0, prec })),
        }
    }

    /// `self % other` as cty's `Modulo`: the remainder of the division truncated toward zero,
    /// at the dividend's precision; `x % 0` is `x`.
    pub fn rem(&self, other: &Number) -> Result<Number, NumError> {
        if self.is_infinite() || other.is_infinite() {
            return self.mul(other).map_err(|_| NumError::ModuloInfinity);
        }
        if other.is_zero() {
            return Ok(self.clone());
        }
        if let (Repr::Int { v: a, .. }, Repr::Int { v: b, .. }) = (&self.0, &other.0)
            && let Some(r) = a.checked_rem(*b)
        {
            return Ok(Number(Repr::Int {
                v: r,
                prec: self.prec(),
            }));
        }
        let prec = self.prec();
        let ratio = self.div(other)?.trunc().with_prec(prec);
        let whole = other.mul_at(&ratio, prec);
        match (self.work(), whole.work()) {
            (Some(a), Some(mut b)) => {
                b.neg = !b.neg;
                Ok(finish(add_exact(a, b, prec), prec))
            }
            _ => Ok(Number::infinity(self.is_negative())),
        }
    }

    /// Toward zero, at the same precision.
    pub fn trunc(&self) -> Number {
        self.to_whole(|_, _| false)
    }

    /// Toward negative infinity, at the same precision (cty's `floor`).
    pub fn floor(&self) -> Number {
        self.to_whole(|neg, inexact| neg && inexact)
    }

    /// Toward positive infinity, at the same precision (cty's `ceil`).
    pub fn ceil(&self) -> Number {
        self.to_whole(|neg, inexact| !neg && inexact)
    }

    fn to_whole(&self, away: impl Fn(bool, bool) -> bool) -> Number {
        let Some(w) = self.work() else {
            return self.clone();
        };
        if w.exp >= 0 {
            return self.clone();
        }
        let shift = usize::try_from(-w.exp).unwrap_or(usize::MAX);
        let inexact = w.mant.trailing_zeros().unwrap_or(0) < shift as u64;
        let mut mant = if (w.mant.bits() as usize) <= shift {
            BigUint::zero()
        } else {
            w.mant >> shift
        };
        if away(w.neg, inexact) {
            mant += 1u32;
        }
        finish(
            Work {
                neg: w.neg,
                mant,
                exp: 0,
            },
            self.prec(),
        )
    }

    /// Text as cty writes a number (`Text('f', -1)`): the shortest decimal that reads back to
    /// this value at its precision, never with an exponent.
    pub fn to_text(&self) -> String {
        if let Repr::Int { v, prec } = &self.0
            && (*prec >= 64 || v.unsigned_abs() >> *prec == 0)
        {
            return v.to_string();
        }
        let mut out = String::new();
        self.format_into(&mut out, 'f', None);
        out
    }

    /// Go's `big.Float` formatting for `%e`, `%f`, `%g` and `Text`: `precision` is the count of
    /// decimals (`e`, `f`) or of digits (`g`), `None` for the shortest. Writes the sign of a
    /// negative number and of an infinity.
    pub fn format_into(&self, out: &mut String, verb: char, precision: Option<usize>) {
        if self.is_negative() {
            out.push('-');
        }
        let Some(w) = self.work() else {
            if !self.is_negative() {
                out.push('+');
            }
            out.push_str("Inf");
            return;
        };
        let mut d = Decimal::exact(&w.mant, w.exp);
        let shortest = precision.is_none();
        let mut prec = precision.unwrap_or(0) as i64;
        if shortest {
            d.round_shortest(&w.mant, w.exp, self.prec());
            prec = match verb {
                'e' => d.digits.len() as i64 - 1,
                'f' => (d.digits.len() as i64 - d.exp).max(0),
                _ => d.digits.len() as i64,
            };
        } else {
            match verb {
                'e' => d.round(1 + prec),
                'f' => d.round(d.exp + prec),
                _ => {
                    prec = prec.max(1);
                    d.round(prec);
                }
            }
        }
        match verb {
            'e' => d.write_e(out, prec),
            'f' => d.write_f(out, prec),
            _ => {
                let len = d.digits.len() as i64;
                let mut eprec = prec;
                if eprec > len && len >= d.exp {
                    eprec = len;
                }
                if shortest {
                    eprec = 6;
                }
                let exp = d.exp - 1;
                if exp < -4 || exp >= eprec {
                    d.write_e(out, prec.min(len) - 1);
                } else {
                    if prec > d.exp {
                        prec = len;
                    }
                    d.write_f(out, (prec - d.exp).max(0));
                }
            }
        }
    }
}

fn sign_of(neg: bool) -> Sign {
    if neg { Sign::Minus } else { Sign::Plus }
}

/// `±mant × 10^exp10` at 512 bits, as Go's scanner computes it: the digits rounded to 512
/// bits, then scaled by a power of five computed at 576 bits.
fn scale10(neg: bool, mant: BigUint, exp10: i64) -> Number {
    if mant.is_zero() {
        return Number(Repr::Int {
            v: 0,
            prec: LITERAL_PREC,
        });
    }
    let z = round(
        Work {
            neg,
            mant,
            exp: exp10,
        },
        LITERAL_PREC,
        false,
    );
    if exp10 == 0 {
        return finish(z, LITERAL_PREC);
    }
    let p = pow5(exp10.unsigned_abs(), LITERAL_PREC + 64);
    if exp10 < 0 {
        quo(z, p, LITERAL_PREC)
    } else {
        finish(mul_exact(z, p), LITERAL_PREC)
    }
}

/// `5^n` at `prec` bits, by Go's square-and-multiply with the factor kept 64 bits finer.
fn pow5(n: u64, prec: u32) -> Work {
    const TAB: u64 = 7_450_580_596_923_828_125; // 5^27, the largest power of five in a u64
    let exact = |v: u64| Work {
        neg: false,
        mant: BigUint::from(v),
        exp: 0,
    };
    if n <= 27 {
        return exact(5u64.pow(n as u32));
    }
    let mut z = exact(TAB);
    let mut n = n - 27;
    let mut f = exact(5);
    while n > 0 {
        if n & 1 != 0 {
            z = round(mul_exact(z, clone_work(&f)), prec, false);
        }
        n >>= 1;
        if n > 0 {
            f = round(mul_exact(clone_work(&f), clone_work(&f)), prec + 64, false);
        }
        if z.exp > MAX_EXP {
            break;
        }
    }
    z
}

fn clone_work(w: &Work) -> Work {
    Work {
        neg: w.neg,
        mant: w.mant.clone(),
        exp: w.exp,
    }
}

fn mul_exact(a: Work, b: Work) -> Work {
    Work {
        neg: a.neg != b.neg,
        mant: a.mant * b.mant,
        exp: a.exp + b.exp,
    }
}

/// The exact sum, unless one operand is too small to change the rounded result: then the
/// other alone (it is representable at `prec`, which is at least its own precision).
fn add_exact(a: Work, b: Work, prec: u32) -> Work {
    if b.mant.is_zero() {
        return a;
    }
    if a.mant.is_zero() {
        return b;
    }
    let top = |w: &Work| w.exp + w.mant.bits() as i64;
    let gap = i64::from(prec) + 3;
    if top(&b) < top(&a) - gap {
        return a;
    }
    if top(&a) < top(&b) - gap {
        return b;
    }
    let e = a.exp.min(b.exp);
    let ma = a.mant << (a.exp - e) as usize;
    let mb = b.mant << (b.exp - e) as usize;
    if a.neg == b.neg {
        Work {
            neg: a.neg,
            mant: ma + mb,
            exp: e,
        }
    } else if ma >= mb {
        Work {
            neg: a.neg,
            mant: ma - mb,
            exp: e,
        }
    } else {
        Work {
            neg: b.neg,
            mant: mb - ma,
            exp: e,
        }
    }
}

/// `a / b` rounded to `prec` (`b` is not zero).
fn quo(a: Work, b: Work, prec: u32) -> Number {
    let (ab, bb) = (a.mant.bits() as i64, b.mant.bits() as i64);
    let k = (i64::from(prec) + 2 + bb - ab).max(0);
    let (q, r) = (a.mant << k as usize).div_rem(&b.mant);
    let w = Work {
        neg: a.neg != b.neg,
        mant: q,
        exp: a.exp - b.exp - k,
    };
    finish(round(w, prec, !r.is_zero()), prec)
}

/// Rounds to `prec` bits, to nearest even; `sticky` says nonzero bits were already dropped
/// below the mantissa.
fn round(w: Work, prec: u32, sticky: bool) -> Work {
    let bits = w.mant.bits();
    if bits <= u64::from(prec) {
        return w;
    }
    let s = bits - u64::from(prec);
    let half = w.mant.bit(s - 1);
    let below = sticky || w.mant.trailing_zeros().unwrap_or(0) < s - 1;
    let mut mant = w.mant >> s as usize;
    if half && (below || mant.bit(0)) {
        mant += 1u32;
    }
    Work {
        neg: w.neg,
        mant,
        exp: w.exp + s as i64,
    }
}

/// Rounds and normalises: trailing zero bits into the exponent, an integer that fits inline.
fn finish(w: Work, prec: u32) -> Number {
    let Work { neg, mant, exp } = round(w, prec, false);
    if mant.is_zero() {
        return Number(Repr::Int { v: 0, prec });
    }
    let tz = mant.trailing_zeros().unwrap_or(0);
    let mant = mant >> tz as usize;
    let exp = exp + tz as i64;
    let top = exp + mant.bits() as i64;
    if top > MAX_EXP {
        return Number::infinity(neg);
    }
    if top < -MAX_EXP {
        return Number(Repr::Int { v: 0, prec });
    }
    if exp >= 0
        && top <= 63
        && let Some(m) = mant.to_i64()
    {
        let v = m << exp;
        return Number(Repr::Int {
            v: if neg { -v } else { v },
            prec,
        });
    }
    Number(Repr::Big(Box::new(Big {
        neg,
        finite: Some(Parts { mant, exp }),
        prec,
    })))
}

/// A decimal as Go's `math/big` formats one: digits `0.d₁d₂… × 10^exp`, without trailing
/// zeros (no digits for zero).
struct Decimal {
    digits: Vec<u8>,
    exp: i64,
}

impl Decimal {
    /// `mant × 2^exp`, exactly.
    fn exact(mant: &BigUint, exp: i64) -> Decimal {
        if mant.is_zero() {
            return Decimal {
                digits: Vec::new(),
                exp: 0,
            };
        }
        let (text, point_shift) = if exp >= 0 {
            ((mant << exp as usize).to_string(), 0)
        } else {
            // m / 2^k = m × 5^k / 10^k
            let k = -exp;
            ((mant * BigUint::from(5u32).pow(k as u32)).to_string(), k)
        };
        let mut d = Decimal {
            exp: text.len() as i64 - point_shift,
            digits: text.into_bytes(),
        };
        d.trim();
        d
    }

    fn trim(&mut self) {
        while self.digits.last() == Some(&b'0') {
            self.digits.pop();
        }
        if self.digits.is_empty() {
            self.exp = 0;
        }
    }

    fn at(&self, i: i64) -> u8 {
        usize::try_from(i)
            .ok()
            .and_then(|i| self.digits.get(i).copied())
            .unwrap_or(b'0')
    }

    fn in_range(&self, n: i64) -> Option<usize> {
        usize::try_from(n).ok().filter(|n| *n < self.digits.len())
    }

    fn round(&mut self, n: i64) {
        let Some(n) = self.in_range(n) else { return };
        let up = if self.digits[n] == b'5' && n + 1 == self.digits.len() {
            n > 0 && (self.digits[n - 1] - b'0') & 1 != 0
        } else {
            self.digits[n] >= b'5'
        };
        if up {
            self.round_up(n as i64);
        } else {
            self.round_down(n as i64);
        }
    }

    fn round_up(&mut self, n: i64) {
        let Some(mut n) = self.in_range(n) else {
            return;
        };
        while n > 0 && self.digits[n - 1] >= b'9' {
            n -= 1;
        }
        if n == 0 {
            self.digits.truncate(1);
            self.digits[0] = b'1';
            self.exp += 1;
        } else {
            self.digits[n - 1] += 1;
            self.digits.truncate(n);
        }
    }

    fn round_down(&mut self, n: i64) {
        let Some(n) = self.in_range(n) else { return };
        self.digits.truncate(n);
        self.trim();
    }

    /// Go's `roundShortest`: the fewest digits that still lie within half a unit in the last
    /// place (at `prec` bits) of `mant × 2^exp`.
    fn round_shortest(&mut self, mant: &BigUint, exp: i64, prec: u32) {
        if self.digits.is_empty() {
            return;
        }
        let s = mant.bits() as i64 - (i64::from(prec) + 1);
        let (m, e) = if s < 0 {
            (mant << (-s) as usize, exp + s)
        } else {
            (mant >> s as usize, exp + s)
        };
        let lower = Decimal::exact(&(&m - BigUint::one()), e);
        let upper = Decimal::exact(&(&m + BigUint::one()), e);
        let inclusive = !m.bit(1);
        for i in 0..self.digits.len() {
            let (l, c, u) = (lower.at(i as i64), self.digits[i], upper.at(i as i64));
            let down = l != c || inclusive && i + 1 == lower.digits.len();
            let up = c != u && (inclusive || c + 1 < u || i + 1 < upper.digits.len());
            match (down, up) {
                (true, true) => return self.round(i as i64 + 1),
                (true, false) => return self.round_down(i as i64 + 1),
                (false, true) => return self.round_up(i as i64 + 1),
                _ => {}
            }
        }
    }

    /// `%e`: `d.ddde±dd`.
    fn write_e(&self, out: &mut String, prec: i64) {
        out.push(self.digits.first().map_or('0', |d| *d as char));
        if prec > 0 {
            out.push('.');
            for i in 1..=prec {
                out.push(self.at(i) as char);
            }
        }
        let exp = if self.digits.is_empty() {
            0
        } else {
            self.exp - 1
        };
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        out.push_str(&format!("{:02}", exp.unsigned_abs()));
    }

    /// `%f`: `ddd.ddd` with `prec` decimals.
    fn write_f(&self, out: &mut String, prec: i64) {
        if self.exp > 0 {
            for i in 0..self.exp {
                out.push(self.at(i) as char);
            }
        } else {
            out.push('0');
        }
        if prec > 0 {
            out.push('.');
            for i in 0..prec {
                out.push(self.at(self.exp + i) as char);
            }
        }
    }
}

/// Numbers compare by value; two non-integers are equal when cty would write them alike, as
/// cty's `rawNumberEqual` has it.
impl PartialEq for Number {
    fn eq(&self, other: &Number) -> bool {
        match (&self.0, &other.0) {
            (Repr::Int { v: a, .. }, Repr::Int { v: b, .. }) => a == b,
            _ if self.is_integer() != other.is_integer() => false,
            _ if self.is_integer() => self.total_cmp(other) == Ordering::Equal,
            _ => self.is_negative() == other.is_negative() && self.to_text() == other.to_text(),
        }
    }
}

impl Number {
    /// Exact numeric order, infinities at the ends.
    pub fn total_cmp(&self, other: &Number) -> Ordering {
        if let (Repr::Int { v: a, .. }, Repr::Int { v: b, .. }) = (&self.0, &other.0) {
            return a.cmp(b);
        }
        let (na, nb) = (self.is_negative(), other.is_negative());
        if na != nb {
            return if na {
                Ordering::Less
            } else {
                Ordering::Greater
            };
        }
        let mag = match (self.work(), other.work()) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Greater,
            (Some(_), None) => Ordering::Less,
            (Some(a), Some(b)) => {
                let top = |w: &Work| {
                    if w.mant.is_zero() {
                        i64::MIN
                    } else {
                        w.exp + w.mant.bits() as i64
                    }
                };
                top(&a).cmp(&top(&b)).then_with(|| {
                    let e = a.exp.min(b.exp);
                    (a.mant << (a.exp - e) as usize).cmp(&(b.mant << (b.exp - e) as usize))
                })
            }
        };
        if na { mag.reverse() } else { mag }
    }
}

impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Number) -> Option<Ordering> {
        Some(self.total_cmp(other))
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_text())
    }
}

impl fmt::Debug for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}p{}", self.to_text(), self.prec())
    }
}

macro_rules! from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Number {
            fn from(v: $t) -> Number {
                match i64::try_from(v) {
                    Ok(v) => Number::from_i64(v),
                    Err(_) => Number::from_bigint(&BigInt::from(v)),
                }
            }
        }
    )*};
}
from_int!(i8, i16, i32, i64, isize, u8, u16, u32, u64, usize);

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Number {
        Number::parse(s).expect("parses")
    }

    #[test]
    fn literals_keep_512_bits() {
        assert_eq!(
            p("1000000000000000000000000001").to_text(),
            "1000000000000000000000000001"
        );
        assert_eq!(p("0.1").to_text(), "0.1");
        assert_eq!(p("1e3").to_text(), "1000");
        assert_eq!(p("-2.50").to_text(), "-2.5");
        // Terraform 1.11's console: 155 decimals, the last rounded.
        let third = p("1").div(&p("3")).map(|n| n.to_text());
        assert_eq!(third, Ok(format!("0.{}5", "3".repeat(154))));
        assert!(Number::parse("1.2.3").is_none());
        assert!(Number::parse("").is_none());
        assert!(Number::parse("e5").is_none());
    }

    #[test]
    fn floats_print_at_53_bits() {
        let n = Number::from_f64(2f64.powi(60)).expect("not NaN");
        assert_eq!(n.to_text(), "1152921504606847000");
        assert_eq!(
            Number::from_f64(0.1).map(|n| n.to_text()),
            Some("0.1".into())
        );
        // Equal to the 512-bit 0.1 by cty's rule (same text).
        assert_eq!(Number::from_f64(0.1), Some(p("0.1")));
    }

    #[test]
    fn arithmetic_is_exact_past_f64() {
        let big = p("9223372036854775807");
        let sum = big.add(&big).expect("finite");
        assert_eq!(sum.to_text(), "18446744073709551614");
        assert_eq!(
            p("123456789012345678901234567890")
                .mul(&p("10"))
                .map(|n| n.to_text()),
            Ok("1234567890123456789012345678900".into())
        );
        assert_eq!(p("7").rem(&p("-3")).map(|n| n.to_text()), Ok("1".into()));
        assert_eq!(
            p("-7.5").rem(&p("2")).map(|n| n.to_text()),
            Ok("-1.5".into())
        );
        assert_eq!(p("5").rem(&p("0")), Ok(p("5")));
        assert_eq!(p("1").div(&p("0")), Ok(Number::infinity(false)));
        assert_eq!(p("0").div(&p("0")), Err(NumError::Indeterminate));
        assert_eq!(
            p("0.1").add(&p("0.2")).map(|n| n.to_text()),
            Ok("0.3".into())
        );
    }

    #[test]
    fn order_and_rounding_functions() {
        assert!(p("1e30") > p("999999999999999999999999999999"));
        assert!(p("-1e30") < p("-2"));
        assert_eq!(p("-1.5").floor(), p("-2"));
        assert_eq!(p("-1.5").ceil(), p("-1"));
        assert_eq!(p("1e40").add(&p("0.5")).map(|n| n.floor()), Ok(p("1e40")));
        assert_eq!(p("2.5").to_f64(), 2.5);
    }

    #[test]
    fn go_formats() {
        let f = |n: &str, verb, prec| {
            let mut s = String::new();
            p(n).format_into(&mut s, verb, prec);
            s
        };
        assert_eq!(
            f("1000000000000000000000000001", 'f', Some(6)),
            "1000000000000000000000000001.000000"
        );
        assert_eq!(f("2.5", 'f', Some(0)), "2");
        assert_eq!(f("3.5", 'f', Some(0)), "4");
        assert_eq!(f("1234.5", 'e', Some(6)), "1.234500e+03");
        assert_eq!(f("1234567", 'g', None), "1.234567e+06");
        assert_eq!(f("0.0001", 'g', None), "0.0001");
        assert_eq!(f("0", 'e', Some(2)), "0.00e+00");
    }
}

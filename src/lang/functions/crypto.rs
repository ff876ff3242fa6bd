//! Hash and crypto functions: digests of strings and files, UUIDs, bcrypt and rsadecrypt.
//!
//! Digests are of the UTF-8 bytes of the string (or of the file), written as lower-case hex or
//! as standard base64, as Terraform writes them.

use base64::Engine;
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};

mod rsadecrypt;

use super::filesystem::read_bytes;
use super::{FnResult, Func, FuncCtx, FuncError, Param, number, string};
use crate::lang::value::Value;

const STR: Param = Param::new("str");
const PATH: Param = Param::new("path");

pub(super) const FUNCS: &[Func] = &[
    Func::new("md5", &[STR], |a, _| text_hex::<Md5>(a)),
    Func::new("sha1", &[STR], |a, _| text_hex::<Sha1>(a)),
    Func::new("sha256", &[STR], |a, _| text_hex::<Sha256>(a)),
    Func::new("sha512", &[STR], |a, _| text_hex::<Sha512>(a)),
    Func::new("base64sha256", &[STR], |a, _| text_b64::<Sha256>(a)),
    Func::new("base64sha512", &[STR], |a, _| text_b64::<Sha512>(a)),
    Func::new("filemd5", &[PATH], file_hex::<Md5>),
    Func::new("filesha1", &[PATH], file_hex::<Sha1>),
    Func::new("filesha256", &[PATH], file_hex::<Sha256>),
    Func::new("filesha512", &[PATH], file_hex::<Sha512>),
    Func::new("filebase64sha256", &[PATH], file_b64::<Sha256>),
    Func::new("filebase64sha512", &[PATH], file_b64::<Sha512>),
    Func::new("uuid", &[], |_, _| {
        Ok(Value::String(uuid::Uuid::new_v4().hyphenated().to_string()))
    }),
    Func::new(
        "uuidv5",
        &[Param::new("namespace"), Param::new("name")],
        |a, _| uuidv5(a),
    ),
    Func::new(
        "rsadecrypt",
        &[Param::new("ciphertext"), Param::new("privatekey")],
        |a, _| rsadecrypt::rsadecrypt(a),
    ),
    Func::new("bcrypt", &[STR], |a, _| bcrypt_fn(a))
        .variadic(Param::new("cost"))
        .at_most(2),
];

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn text_hex<D: Digest>(a: &[Value]) -> FnResult {
    Ok(Value::String(hex(&D::digest(string(a, 0)?.as_bytes()))))
}

fn text_b64<D: Digest>(a: &[Value]) -> FnResult {
    Ok(Value::String(b64(&D::digest(string(a, 0)?.as_bytes()))))
}

fn file_hex<D: Digest>(a: &[Value], ctx: &FuncCtx) -> FnResult {
    Ok(Value::String(hex(&D::digest(read_bytes(a, 0, ctx)?))))
}

fn file_b64<D: Digest>(a: &[Value], ctx: &FuncCtx) -> FnResult {
    Ok(Value::String(b64(&D::digest(read_bytes(a, 0, ctx)?))))
}

fn uuidv5(a: &[Value]) -> FnResult {
    let ns = string(a, 0)?;
    let namespace = match ns.as_str() {
        "dns" => uuid::Uuid::NAMESPACE_DNS,
        "url" => uuid::Uuid::NAMESPACE_URL,
        "oid" => uuid::Uuid::NAMESPACE_OID,
        "x500" => uuid::Uuid::NAMESPACE_X500,
        other => uuid::Uuid::parse_str(other).map_err(|e| {
            FuncError::call(format!("uuidv5() doesn't support namespace {other} ({e})"))
        })?,
    };
    let name = string(a, 1)?;
    Ok(Value::String(
        uuid::Uuid::new_v5(&namespace, name.as_bytes())
            .hyphenated()
            .to_string(),
    ))
}

const MAX_BCRYPT_COST: f64 = 12.0;

/// `bcrypt(str, cost = 10)`: a fresh salt each call, so the result differs every time.
fn bcrypt_fn(a: &[Value]) -> FnResult {
    let s = string(a, 0)?;
    let cost = if a.len() > 1 { number(a, 1)? } else { 10.0 };
    // Terraform takes costs up to 31, but each step doubles the work: a cost of 14 already takes
    // seconds, 31 would take days, and a plan must not hang on a typo.
    if cost.fract() != 0.0 || cost > MAX_BCRYPT_COST && cost <= 31.0 {
        return Err(FuncError::arg(
            1,
            format!(
                "cost {} would take too long to compute; netform takes costs from 4 to {MAX_BCRYPT_COST}",
                crate::lang::value::format_f64(cost)
            ),
        ));
    }
    if !(4.0..=31.0).contains(&cost) {
        return Err(FuncError::arg(
            1,
            format!(
                "error occured generating password crypto/bcrypt: cost {} is outside allowed range (4,31)",
                crate::lang::value::format_f64(cost)
            ),
        ));
    }
    // Go's bcrypt writes the $2a$ prefix.
    bcrypt::hash_with_result(s, cost as u32)
        .map(|h| Value::String(h.format_for_version(bcrypt::Version::TwoA)))
        .map_err(|e| FuncError::call(format!("error occured generating password {e}")))
}

//! `rsadecrypt`: RSA PKCS #1 v1.5 decryption of base64 ciphertext with a PEM private key, as
//! Terraform's (which reads the key with Go's `ssh.ParseRawPrivateKey`: PKCS #1, PKCS #8 and
//! OpenSSH's own format, unencrypted), with Terraform's messages.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::{BigUint, Pkcs1v15Encrypt, RsaPrivateKey};

use crate::lang::functions::{FnResult, FuncError, quote, string};
use crate::lang::value::Value;

pub(super) fn rsadecrypt(a: &[Value]) -> FnResult {
    let text = string(a, 0)?;
    let pem = string(a, 1)?;
    let cipher = STANDARD.decode(&text).map_err(|_| {
        FuncError::arg(
            0,
            format!(
                "failed to decode input {}: cipher text must be base64-encoded",
                quote(&text)
            ),
        )
    })?;
    let key = private_key(&pem).map_err(|m| FuncError::arg(1, m))?;
    let plain = key
        .decrypt(Pkcs1v15Encrypt, &cipher)
        .map_err(|_| FuncError::call("failed to decrypt: crypto/rsa: decryption error"))?;
    Ok(Value::String(String::from_utf8_lossy(&plain).into_owned()))
}

/// The first PEM block's type and bytes, as Go's `pem.Decode` finds it.
fn pem_block(text: &str) -> Option<(String, bool, Vec<u8>)> {
    let start = text.find("-----BEGIN ")?;
    let rest = &text[start + 11..];
    let (kind, rest) = rest.split_once("-----")?;
    let end = rest.find(&format!("-----END {kind}-----"))?;
    let mut encrypted = false;
    let mut body = String::new();
    for line in rest[..end].lines() {
        if let Some((name, value)) = line.split_once(':') {
            encrypted |= name.trim() == "Proc-Type" && value.contains("ENCRYPTED");
        } else {
            body.extend(line.chars().filter(|c| !c.is_whitespace()));
        }
    }
    let der = STANDARD.decode(body).ok()?;
    Some((kind.to_string(), encrypted, der))
}

fn private_key(pem: &str) -> Result<RsaPrivateKey, String> {
    let (kind, encrypted, der) =
        pem_block(pem).ok_or_else(|| "invalid private key: ssh: no key found".to_string())?;
    if encrypted {
        return Err("invalid private key: ssh: this private key is passphrase protected".into());
    }
    match kind.as_str() {
        "RSA PRIVATE KEY" => RsaPrivateKey::from_pkcs1_der(&der).map_err(|e| match e {
            rsa::pkcs1::Error::Asn1(e) | rsa::pkcs1::Error::Pkcs8(rsa::pkcs8::Error::Asn1(e)) => {
                asn1(&e)
            }
            other => format!("invalid private key: {other}"),
        }),
        "PRIVATE KEY" => RsaPrivateKey::from_pkcs8_der(&der).map_err(|e| match e {
            rsa::pkcs8::Error::Asn1(e) => asn1(&e),
            rsa::pkcs8::Error::KeyMalformed | rsa::pkcs8::Error::PublicKey(_) => not_rsa(),
            other => format!("invalid private key: {other}"),
        }),
        "OPENSSH PRIVATE KEY" => openssh(&der),
        "EC PRIVATE KEY" | "DSA PRIVATE KEY" => Err(not_rsa()),
        other => Err(format!(
            "invalid private key: ssh: unsupported key type {}",
            quote(other)
        )),
    }
}

fn not_rsa() -> String {
    "invalid private key type: only an RSA key decrypts".into()
}

/// Go's wording for a DER error, which Terraform prefixes.
fn asn1(e: &rsa::pkcs1::der::Error) -> String {
    let what = match e.kind() {
        rsa::pkcs1::der::ErrorKind::Incomplete { .. } => "data truncated".to_string(),
        other => other.to_string(),
    };
    format!("invalid ASN1 data in the given private key: {what}")
}

/// OpenSSH's `openssh-key-v1` format, unencrypted, holding one RSA key.
fn openssh(data: &[u8]) -> Result<RsaPrivateKey, String> {
    let malformed = || "invalid private key: ssh: malformed OpenSSH key".to_string();
    let mut r = Reader(
        data.strip_prefix(b"openssh-key-v1\0")
            .ok_or_else(malformed)?,
    );
    let cipher = r.string().ok_or_else(malformed)?;
    let (_kdf, _options) = (r.string(), r.string());
    let count = r.u32().ok_or_else(malformed)?;
    let _public = r.string();
    let private = r.string().ok_or_else(malformed)?;
    if cipher != b"none" {
        return Err("invalid private key: ssh: this private key is passphrase protected".into());
    }
    if count != 1 {
        return Err("invalid private key: ssh: multi-key files are not supported".into());
    }
    let mut p = Reader(private);
    if p.u32() != p.u32() {
        return Err(malformed());
    }
    if p.string() != Some(b"ssh-rsa") {
        return Err(not_rsa());
    }
    let mut int = || p.string().map(BigUint::from_bytes_be).ok_or_else(malformed);
    let (n, e, d, _iqmp, p1, q) = (int()?, int()?, int()?, int()?, int()?, int()?);
    RsaPrivateKey::from_components(n, e, d, vec![p1, q])
        .map_err(|e| format!("invalid private key: {e}"))
}

/// SSH wire format: big-endian lengths before byte strings.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn u32(&mut self) -> Option<u32> {
        let (head, rest) = self.0.split_first_chunk::<4>()?;
        self.0 = rest;
        Some(u32::from_be_bytes(*head))
    }

    fn string(&mut self) -> Option<&'a [u8]> {
        let len = usize::try_from(self.u32()?).ok()?;
        let s = self.0.get(..len)?;
        self.0 = &self.0[len..];
        Some(s)
    }
}

//! (placeholder: being written on the `functions` branch)
use super::value::Value;
pub struct FuncCtx<'a> {
    pub base_dir: &'a std::path::Path,
}
#[derive(Debug, Clone, PartialEq)]
pub struct FuncError {
    pub message: String,
    pub arg: Option<usize>,
}
pub const NAMES: &[&str] = &["upper", "length", "toset", "concat", "cidrhost", "format"];
pub fn call(name: &str, args: Vec<Value>, _ctx: &FuncCtx) -> Result<Value, FuncError> {
    match (name, args.as_slice()) {
        ("upper", [Value::String(s)]) => Ok(Value::String(s.to_uppercase())),
        ("toset", [Value::List(v)]) => Ok(Value::set(v.clone())),
        _ => Err(FuncError { message: "not yet".into(), arg: None }),
    }
}

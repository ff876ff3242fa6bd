//! (placeholder: being written on the `functions` branch)
use super::value::Value;
#[derive(Debug, Clone, PartialEq)]
pub enum Type {
    Any,
    String,
    Number,
    Bool,
}
impl Type {
    pub fn parse(expr: &hcl_edit::expr::Expression) -> Result<Type, String> {
        match expr {
            hcl_edit::expr::Expression::Variable(v) => match v.as_str() {
                "string" => Ok(Type::String),
                "number" => Ok(Type::Number),
                "bool" => Ok(Type::Bool),
                _ => Ok(Type::Any),
            },
            _ => Ok(Type::Any),
        }
    }
    pub fn convert(&self, v: &Value) -> Result<Value, String> {
        match self {
            Type::String => v.coerce_string().map(Value::String).ok_or("a string is required".into()),
            Type::Number => v.coerce_number().map(Value::Number).ok_or("a number is required".into()),
            Type::Bool => v.coerce_bool().map(Value::Bool).ok_or("a bool is required".into()),
            Type::Any => Ok(v.clone()),
        }
    }
}
impl std::fmt::Display for Type {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}

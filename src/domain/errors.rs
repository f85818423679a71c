//! Field-level validation errors, collected so one response names every problem.

use serde::Serialize;

/// One invalid field: a JSON path such as `links.join` or `speakers[1].name`, and a message
/// written for the organiser who sent it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// Every problem found in one input. Empty means valid.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn single(field: impl Into<String>, message: impl Into<String>) -> Self {
        let mut errors = Self::new();
        errors.push(field, message);
        errors
    }

    pub fn push(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.into(),
            message: message.into(),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(value)` when nothing was reported, else every error.
    pub fn into_result<T>(self, value: T) -> Result<T, FieldErrors> {
        if self.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }
}

impl std::fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{}: {}", e.field, e.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for FieldErrors {}

/// Reads a JSON value into `T`, naming the field of the first type error in words an organiser
/// understands.
pub fn read_fields<T: serde::de::DeserializeOwned>(
    value: serde_json::Value,
) -> Result<T, FieldErrors> {
    if !value.is_object() {
        return Err(FieldErrors::single("", "must be a JSON object"));
    }
    serde_path_to_error::deserialize(value).map_err(|err| {
        let path = err.path().to_string();
        let field = if path == "." { String::new() } else { path };
        FieldErrors::single(field, type_error_message(&err.into_inner().to_string()))
    })
}

/// serde's messages, minus the parts that only make sense to Rust programmers.
fn type_error_message(raw: &str) -> String {
    let message = raw.split(" at line ").next().unwrap_or(raw);
    if let Some(rest) = message.strip_prefix("unknown field ") {
        let name = rest.split(',').next().unwrap_or(rest);
        return format!("unknown field {name}; check its spelling against the API documentation");
    }
    if message.starts_with("data did not match any variant of untagged enum SeriesInput") {
        return "must be a series slug or an object {\"slug\", \"title\"}".into();
    }
    message.replace("invalid type: ", "wrong type: ")
}

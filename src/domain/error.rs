//! Validation errors that name the field they belong to, so a form can show each one beside
//! its field and the CLI can print them on one line.

use std::fmt;

/// One broken rule on one field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field's name as in the CSV columns of the command-line contract.
    pub field: &'static str,
    /// What is wrong, in words an officer can act on.
    pub message: String,
}

/// Every rule a record breaks; empty means valid.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Invalid(pub Vec<FieldError>);

impl Invalid {
    /// Records a broken rule.
    pub fn push(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.push(FieldError {
            field,
            message: message.into(),
        });
    }

    /// `Ok(())` when no rule was broken.
    pub fn into_result(self) -> Result<(), Invalid> {
        if self.0.is_empty() { Ok(()) } else { Err(self) }
    }

    /// The message for one field, if that field broke a rule.
    pub fn for_field(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{} {}", e.field, e.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for Invalid {}

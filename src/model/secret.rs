//! A credential value that never prints itself, and what a diagnostic shows
//! instead of a sensitive value.

use std::fmt;

/// What a diagnostic shows in place of a value that is secret or derived
/// from a `sensitive` variable (Terraform's wording).
pub const SENSITIVE_VALUE: &str = "(sensitive value)";

/// A secret string (access key secret, token). `Debug` and `Display` print
/// `(sensitive)`, so a secret cannot leak through a log line, an error or a
/// debug dump by accident; [`Secret::expose`] is the one way to read it.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself, for signing a request. Never format the result.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the secret is the empty string.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(sensitive)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(sensitive)")
    }
}

#[cfg(test)]
mod tests {
    use super::Secret;

    #[test]
    fn never_formats_its_value() {
        let secret = Secret::new("hunter2");
        assert_eq!(secret.to_string(), "(sensitive)");
        assert!(!format!("{secret:?}").contains("hunter2"));
        assert_eq!(secret.expose(), "hunter2");
    }
}

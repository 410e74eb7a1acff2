//! The decoded parameters of one Alibaba request (query string and form body).

use super::error::ApiError;

/// Request parameters in arrival order.
#[derive(Clone, Debug, Default)]
pub(crate) struct Params(pub(crate) Vec<(String, String)>);

impl Params {
    /// The value of `name` (the last one when repeated).
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().rev().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
    }

    /// The non-empty value of a required parameter.
    pub(crate) fn require(&self, name: &str) -> Result<&str, ApiError> {
        self.get(name).filter(|value| !value.is_empty()).ok_or_else(|| ApiError::missing(name))
    }

    /// A comma-joined id list (empty when absent), blanks removed.
    pub(crate) fn ids(&self, name: &str) -> Vec<String> {
        self.get(name)
            .map(|value| {
                value
                    .split(',')
                    .map(str::trim)
                    .filter(|id| !id.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// A positive integer, `default` when absent.
    pub(crate) fn number(&self, name: &str, default: usize) -> Result<usize, ApiError> {
        match self.get(name) {
            None | Some("") => Ok(default),
            Some(text) => {
                text.parse().ok().filter(|n| *n >= 1).ok_or_else(|| ApiError::invalid(name))
            }
        }
    }

    /// A page size, which both DTS and the legacy API restrict to 10, 20 or 30.
    pub(crate) fn page_size(&self, name: &str, default: usize) -> Result<usize, ApiError> {
        let size = self.number(name, default)?;
        if [10, 20, 30].contains(&size) { Ok(size) } else { Err(ApiError::invalid(name)) }
    }
}

//! The process environment as the loader sees it: a snapshot taken once,
//! read by `env("NAME")` and by `JOBFORM_VAR_name` lookups.
//!
//! hcl-rs functions are bare `fn` pointers that cannot capture anything
//! (STYLE.md §3), so `env` cannot be handed the snapshot directly. Of the two
//! ways around that, pre-resolving `env("X")` calls by rewriting expressions
//! only works for literal names (`env(var.name)` would slip through) and
//! duplicates the evaluator; a thread-local set for the duration of one load
//! works for any argument and keeps `env` an ordinary function. Evaluation is
//! synchronous on the loading thread, so the scope below covers every call,
//! and a test can load with any snapshot it likes without touching the real
//! process environment. The scope also records which names were read, so
//! the configuration digest changes when one of them does.

use std::cell::RefCell;
use std::collections::BTreeMap;

/// A snapshot of environment variables.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Environment {
    variables: BTreeMap<String, String>,
}

impl Environment {
    /// The current process environment (variables that are not valid UTF-8 are left out).
    pub fn from_process() -> Self {
        std::env::vars_os()
            .filter_map(|(key, value)| Some((key.into_string().ok()?, value.into_string().ok()?)))
            .collect()
    }

    /// The value of one variable.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.variables.get(name).map(String::as_str)
    }

    /// Every variable whose name starts with `prefix`, the prefix stripped, in name order.
    pub fn with_prefix<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = (&'a str, &'a str)> {
        self.variables.iter().filter_map(move |(k, v)| Some((k.strip_prefix(prefix)?, v.as_str())))
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Environment {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Environment { variables: iter.into_iter().map(|(k, v)| (k.into(), v.into())).collect() }
    }
}

/// The snapshot `env()` reads, and what it read.
struct Active {
    environment: Environment,
    reads: BTreeMap<String, Option<String>>,
}

thread_local! {
    static ACTIVE: RefCell<Option<Active>> = const { RefCell::new(None) };
}

/// Makes `environment` the one `env()` reads on this thread until dropped.
pub(crate) struct EnvironmentScope {
    previous: Option<Active>,
}

impl EnvironmentScope {
    /// Installs the snapshot.
    pub(crate) fn enter(environment: &Environment) -> Self {
        let active = Active { environment: environment.clone(), reads: BTreeMap::new() };
        let previous = ACTIVE.with(|cell| cell.borrow_mut().replace(active));
        EnvironmentScope { previous }
    }

    /// Ends the scope (restoring the previous one) and returns every name
    /// `env()` read in it, with the value it got.
    pub(crate) fn finish(self) -> BTreeMap<String, Option<String>> {
        let reads =
            ACTIVE.with(|cell| cell.borrow_mut().as_mut().map(|a| std::mem::take(&mut a.reads)));
        drop(self);
        reads.unwrap_or_default()
    }
}

impl Drop for EnvironmentScope {
    fn drop(&mut self) {
        let previous = self.previous.take();
        ACTIVE.with(|cell| *cell.borrow_mut() = previous);
    }
}

/// Reads `name` from the active snapshot. Outside a scope nothing is set, so
/// a stray evaluation can never see the real environment by accident.
pub(crate) fn read(name: &str) -> Option<String> {
    ACTIVE.with(|cell| {
        let mut active = cell.borrow_mut();
        let active = active.as_mut()?;
        let value = active.environment.get(name).map(str::to_owned);
        active.reads.insert(name.to_owned(), value.clone());
        value
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_installs_records_and_restores() {
        assert_eq!(read("HOME_OF_TEST"), None);
        let outer = EnvironmentScope::enter(&Environment::from_iter([("A", "1")]));
        {
            let inner = EnvironmentScope::enter(&Environment::from_iter([("A", "2")]));
            assert_eq!(read("A").as_deref(), Some("2"));
            assert_eq!(read("B"), None);
            assert_eq!(inner.finish().len(), 2);
        }
        assert_eq!(read("A").as_deref(), Some("1"));
        assert_eq!(outer.finish().get("A"), Some(&Some("1".to_owned())));
        assert_eq!(read("A"), None);
    }

    #[test]
    fn prefix_lookup_strips_the_prefix() {
        let env = Environment::from_iter([("JOBFORM_VAR_a", "1"), ("OTHER", "2")]);
        assert_eq!(env.with_prefix("JOBFORM_VAR_").collect::<Vec<_>>(), [("a", "1")]);
    }
}

//! The names a scenario has defined at each point of a run, and the one error
//! for a `{{name}}` read before it is defined.

use std::ops::Range;

use super::BUILTIN_VARS;
use crate::diagnostic::{Diagnostic, Source, suggest};

/// Where a name came from, to list what is defined when a name is missing.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Origin {
    Builtin,
    Var,
    /// Captured by the step of this name.
    Capture(String),
}

/// The names defined so far, in the order a run defines them: the builtin
/// vars, the scenario's `[vars]` in order, then per step its `with` (for that
/// step only) and, from the next step on, its captures.
#[derive(Debug, Clone)]
pub(super) struct Scope {
    /// Builtins, `[vars]` and the captures of finished steps.
    names: Vec<(String, Origin)>,
    /// The current step's `with` names.
    with: Vec<String>,
    /// The current step's captures with its name: a run captures after the
    /// step's expectations, so these are defined when the next step is entered.
    captures: Vec<(String, String)>,
}

impl Scope {
    /// The builtin vars only, as at the top of a scenario file.
    pub(super) fn new() -> Self {
        Scope {
            names: BUILTIN_VARS
                .iter()
                .map(|n| (n.to_string(), Origin::Builtin))
                .collect(),
            with: Vec::new(),
            captures: Vec::new(),
        }
    }

    /// A `[vars]` entry, defined for the rest of the scenario.
    pub(super) fn define(&mut self, name: &str) {
        self.set(name, Origin::Var);
    }

    /// Start the next step: the last one's `with` is gone, its captures are defined.
    pub(super) fn enter_step(&mut self) {
        self.with.clear();
        for (name, step) in std::mem::take(&mut self.captures) {
            self.set(&name, Origin::Capture(step));
        }
    }

    /// A name of the current step's `with`, defined until the next step.
    pub(super) fn with(&mut self, name: &str) {
        if !self.with.iter().any(|n| n == name) {
            self.with.push(name.to_string());
        }
    }

    /// A name the current step (called `step`) captures, defined from the next step on.
    pub(super) fn capture(&mut self, name: &str, step: &str) {
        self.captures.push((name.to_string(), step.to_string()));
    }

    fn is_defined(&self, name: &str) -> bool {
        self.with.iter().any(|n| n == name) || self.names.iter().any(|(n, _)| n == name)
    }

    /// One error for each of `names` that is not defined here, pointing at `at`.
    /// `reader` says what reads the names when that is not the text under the
    /// caret, e.g. "action `get-user` of client `entra-2020`".
    pub(super) fn check<'n>(
        &self,
        source: &Source,
        at: Range<usize>,
        reader: Option<&str>,
        names: impl IntoIterator<Item = &'n str>,
        errors: &mut Vec<Diagnostic>,
    ) {
        for name in names {
            if self.is_defined(name) {
                continue;
            }
            let message = match reader {
                Some(r) => format!("{r} uses `{{{{{name}}}}}`, which is not defined at this point"),
                None => format!("`{{{{{name}}}}}` is not defined at this point"),
            };
            errors.push(Diagnostic::at(source, at.clone(), message).with_help(self.help(name)));
        }
    }

    /// What was probably meant, what is defined, and where names come from.
    fn help(&self, missing: &str) -> String {
        // (name, where it came from), overridden names listed once, where the run last set them.
        let mut visible: Vec<(&str, String)> = self
            .names
            .iter()
            .filter(|(n, _)| !self.with.contains(n))
            .map(|(n, origin)| {
                let from = match origin {
                    Origin::Builtin => "built in".to_string(),
                    Origin::Var => "[vars]".to_string(),
                    Origin::Capture(step) => format!("captured by step `{step}`"),
                };
                (n.as_str(), from)
            })
            .collect();
        visible.extend(
            self.with
                .iter()
                .map(|n| (n.as_str(), "this step's `with`".to_string())),
        );

        let mut help = String::new();
        if self.captures.iter().any(|(n, _)| n == missing) {
            help.push_str(&format!(
                "`{missing}` is captured by this step, so it is defined from the next step on. "
            ));
        } else if let Some(best) = suggest(missing, visible.iter().map(|(n, _)| *n)) {
            help.push_str(&format!("did you mean `{best}`? "));
        }
        // Consecutive names of one origin share their label: "a, b ([vars])".
        let mut groups: Vec<(Vec<&str>, &str)> = Vec::new();
        for (name, from) in &visible {
            match groups.last_mut() {
                Some((names, last)) if *last == from.as_str() => names.push(name),
                _ => groups.push((vec![name], from)),
            }
        }
        let listed: Vec<String> = groups
            .iter()
            .map(|(names, from)| format!("{} ({from})", names.join(", ")))
            .collect();
        help.push_str(&format!(
            "Defined at this point: {}. Names come from [vars], the step's `with` \
             or a capture of an earlier step",
            listed.join(", ")
        ));
        help
    }

    /// Define `name` where the run (re)sets it, so the list shows its latest origin.
    fn set(&mut self, name: &str, origin: Origin) {
        self.names.retain(|(n, _)| n != name);
        self.names.push((name.to_string(), origin));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "path = \"/Users/{{id}}\"\n";

    fn errors_for(scope: &Scope, names: &[&str]) -> Vec<Diagnostic> {
        let source = Source::new("s.toml", TEXT);
        let mut errors = Vec::new();
        scope.check(&source, 7..22, None, names.iter().copied(), &mut errors);
        errors
    }

    #[test]
    fn a_name_defined_later_in_the_file_is_not_defined_at_this_point() {
        // [vars] a = "{{b}}", b = "x": `a` is read before `b` exists.
        let mut scope = Scope::new();
        let errors = errors_for(&scope, &["b"]);
        scope.define("a");
        scope.define("b");
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].message, "`{{b}}` is not defined at this point");
        assert_eq!(errors[0].position().as_deref(), Some("s.toml:1:8"));
        assert!(errors_for(&scope, &["a", "b"]).is_empty());
    }

    #[test]
    fn a_with_name_is_visible_in_its_step_only() {
        let mut scope = Scope::new();
        scope.enter_step();
        scope.with("w");
        assert!(errors_for(&scope, &["w"]).is_empty());
        let help = errors_for(&scope, &["x"])[0].help.clone().unwrap();
        assert!(help.contains("w (this step's `with`)"), "{help}");
        scope.enter_step();
        let errors = errors_for(&scope, &["w"]);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].message, "`{{w}}` is not defined at this point");
    }

    #[test]
    fn a_capture_is_visible_from_the_next_step() {
        let mut scope = Scope::new();
        scope.enter_step();
        scope.capture("user_id", "create the user");
        let errors = errors_for(&scope, &["user_id"]);
        assert_eq!(errors.len(), 1);
        let help = errors[0].help.clone().unwrap();
        assert!(
            help.starts_with(
                "`user_id` is captured by this step, so it is defined from the next step on."
            ),
            "{help}"
        );
        scope.enter_step();
        assert!(errors_for(&scope, &["user_id"]).is_empty());
        let help = errors_for(&scope, &["nope"])[0].help.clone().unwrap();
        assert!(
            help.contains("user_id (captured by step `create the user`)"),
            "{help}"
        );
    }

    #[test]
    fn a_typo_gets_a_did_you_mean_and_the_list_of_names() {
        let mut scope = Scope::new();
        scope.define("user_name");
        scope.define("email");
        let errors = errors_for(&scope, &["user_nam"]);
        assert_eq!(errors.len(), 1);
        assert_eq!(
            errors[0].help.as_deref(),
            Some(
                "did you mean `user_name`? Defined at this point: uuid, hex8, word, base, \
                 index, email_domain, prefix, password (built in), user_name, email ([vars]). Names come from [vars], \
                 the step's `with` or a capture of an earlier step"
            )
        );
    }

    #[test]
    fn builtin_vars_are_always_defined() {
        let mut scope = Scope::new();
        assert!(errors_for(&scope, BUILTIN_VARS).is_empty());
        scope.define("a");
        scope.enter_step();
        scope.with("w");
        scope.capture("c", "s");
        scope.enter_step();
        scope.enter_step();
        assert!(errors_for(&scope, BUILTIN_VARS).is_empty());
    }

    #[test]
    fn a_reader_other_than_the_text_is_named() {
        let scope = Scope::new();
        let source = Source::new("s.toml", TEXT);
        let mut errors = Vec::new();
        let reader = "action `get-user` of client `entra-2020`";
        scope.check(&source, 7..22, Some(reader), ["id", "id"], &mut errors);
        assert_eq!(errors.len(), 2);
        assert_eq!(
            errors[0].message,
            "action `get-user` of client `entra-2020` uses `{{id}}`, which is not defined at this point"
        );
    }
}

//! The requests of Entra's initial cycle, built from the chosen client's own actions, byte
//! for byte as that client sends them: match a user by filter, create it, match a group,
//! create it, add its members, then update and disable users. Only the member batch is
//! idgate's making: the client's single-member PATCH with the `value` lists of several joined.

use serde_json::Value;

use crate::http::Request;
use crate::partition::Partition;
use crate::run::vars::Vars;
use crate::scenario::template::Lookup;
use crate::scenario::{Client, Suite};
use crate::scim::wire;
use crate::session::{RunValues, SetupError};

/// The actions a client needs for the cycle.
pub const ACTIONS: [&str; 7] = [
    "match-user-by-username",
    "create-user",
    "match-group",
    "create-group",
    "add-member",
    "update-user",
    "disable-user",
];

/// The names of one load run's users and groups: the run's prefix, a run id, the share of
/// a partitioned run and a number. Unique to the run, so cleanup can find an unanswered
/// create by its name and never mistake someone else's resource for it.
#[derive(Debug, Clone)]
pub struct Names {
    stem: String,
    email_domain: String,
}

impl Names {
    pub fn new(values: &RunValues, run_id: &str, partition: Partition) -> Names {
        let share = if partition.is_whole() {
            String::new()
        } else {
            format!("p{}of{}_", partition.index, partition.count)
        };
        Names {
            stem: format!("{}Load_{run_id}_{share}", values.name_prefix),
            email_domain: values.email_domain.clone(),
        }
    }

    pub fn user(&self, i: usize) -> String {
        format!("{}User_{i}", self.stem)
    }

    pub fn email(&self, i: usize) -> String {
        format!("{}user_{i}@{}", self.stem, self.email_domain).to_ascii_lowercase()
    }

    pub fn group(&self, g: usize) -> String {
        format!("{}Group_{g}", self.stem)
    }
}

/// Builds each request of the cycle from the client's actions.
pub struct Requests<'s> {
    client: &'s Client,
    base: String,
    values: RunValues,
}

impl<'s> Requests<'s> {
    /// The requests of `client`, which must have every action of [`ACTIONS`] and, for
    /// batches of members, an `add-member` whose first operation carries a `value` list.
    pub fn new(
        suite: &'s Suite,
        client: &str,
        base: &str,
        values: &RunValues,
        member_batch: usize,
    ) -> Result<Requests<'s>, SetupError> {
        let profile = suite
            .clients
            .get(client)
            .ok_or_else(|| SetupError::usage(format!("error: there is no client `{client}`")))?;
        let missing: Vec<&str> = ACTIONS
            .iter()
            .copied()
            .filter(|a| !profile.actions.contains_key(*a))
            .collect();
        if !missing.is_empty() {
            let able: Vec<&str> = suite
                .clients
                .values()
                .filter(|c| ACTIONS.iter().all(|a| c.actions.contains_key(*a)))
                .map(|c| c.name.as_str())
                .collect();
            return Err(SetupError::usage(format!(
                "error: client `{client}` cannot replay Entra's cycle: it has no {} action\n  = help: clients that can: {}",
                missing.join(", "),
                able.join(", ")
            )));
        }
        let r = Requests {
            client: profile,
            base: base.trim_end_matches('/').to_string(),
            values: values.clone(),
        };
        // Every action renders before anything is sent: a client file that needs a value the
        // cycle does not give is a setup error, not ten thousand failed requests.
        let probe = r
            .create_user(&UserValues::new(
                &Names::new(values, "probe", Partition::WHOLE),
                0,
            ))
            .and_then(|_| r.match_user("probe"))
            .and_then(|_| r.match_group("probe"))
            .and_then(|_| r.create_group("probe", "probe"))
            .and_then(|_| r.update_user("probe", 0))
            .and_then(|_| r.disable_user("probe"))
            .and_then(|_| r.add_members("probe", &["a", "b"][..member_batch.clamp(1, 2)]));
        probe.map_err(|e| {
            SetupError::usage(format!(
                "error: client `{client}` cannot replay Entra's cycle: {e}"
            ))
        })?;
        Ok(r)
    }

    fn build(&self, action: &str, values: &[(&str, &str)]) -> Result<Request, String> {
        let template = &self.client.actions[action];
        let mut vars = Vars::with_values(&self.base, &self.values);
        for (name, value) in values {
            vars.set_step(name, Value::String(value.to_string()));
        }
        wire::build(template, self.client, &mut vars as &mut dyn Lookup)
            .map_err(|e| format!("action `{action}`: {e}"))
    }

    pub fn match_user(&self, user_name: &str) -> Result<Request, String> {
        self.build("match-user-by-username", &[("user_name", user_name)])
    }

    pub fn create_user(&self, u: &UserValues) -> Result<Request, String> {
        self.build(
            "create-user",
            &[
                ("user_name", &u.user_name),
                ("external_id", &u.external_id),
                ("email", &u.email),
                ("given_name", "Load"),
                ("family_name", &u.family_name),
            ],
        )
    }

    pub fn match_group(&self, name: &str) -> Result<Request, String> {
        self.build("match-group", &[("group_name", name)])
    }

    pub fn create_group(&self, name: &str, external_id: &str) -> Result<Request, String> {
        self.build(
            "create-group",
            &[("group_name", name), ("group_external_id", external_id)],
        )
    }

    /// The update wave: what Entra sends when a user's attributes change in the directory.
    pub fn update_user(&self, id: &str, i: usize) -> Result<Request, String> {
        let n = i.to_string();
        self.build(
            "update-user",
            &[
                ("user_id", id),
                ("display_name", &format!("Load User {n}")),
                (
                    "new_email",
                    &format!("updated_{n}@{}", self.values.email_domain),
                ),
                ("new_given_name", "Loaded"),
                ("new_family_name", &format!("User{n}")),
                ("employee_number", &n),
                ("external_id", &format!("updated-{n}")),
            ],
        )
    }

    /// The disable wave: users leaving the app's scope.
    pub fn disable_user(&self, id: &str) -> Result<Request, String> {
        self.build("disable-user", &[("user_id", id)])
    }

    /// One PATCH adding `members` to the group: the client's own single-member request when
    /// there is one, else its first operation's `value` list holding every member.
    pub fn add_members(&self, group_id: &str, members: &[&str]) -> Result<Request, String> {
        let mut first = self.build(
            "add-member",
            &[("group_id", group_id), ("member_id", members[0])],
        )?;
        if members.len() == 1 {
            return Ok(first);
        }
        let value_list = |r: &Request| -> Result<Vec<Value>, String> {
            let body: Value = serde_json::from_str(r.body.as_deref().unwrap_or(""))
                .map_err(|_| "action `add-member` has no JSON body to batch".to_string())?;
            body.pointer("/Operations/0/value")
                .and_then(Value::as_array)
                .cloned()
                .ok_or_else(|| {
                    "action `add-member` has no `value` list in its first operation to batch members in"
                        .to_string()
                })
        };
        let mut all = value_list(&first)?;
        for m in &members[1..] {
            let one = self.build("add-member", &[("group_id", group_id), ("member_id", m)])?;
            all.extend(value_list(&one)?);
        }
        let mut body: Value = serde_json::from_str(first.body.as_deref().unwrap_or_default())
            .map_err(|e| e.to_string())?;
        if let Some(slot) = body.pointer_mut("/Operations/0/value") {
            *slot = Value::Array(all);
        }
        first.body = Some(body.to_string());
        Ok(first)
    }
}

/// What one user of the cycle is created with.
#[derive(Debug, Clone)]
pub struct UserValues {
    pub user_name: String,
    pub external_id: String,
    pub email: String,
    pub family_name: String,
}

impl UserValues {
    pub fn new(names: &Names, i: usize) -> UserValues {
        UserValues {
            user_name: names.user(i),
            external_id: uuid::Uuid::new_v4().to_string(),
            email: names.email(i),
            family_name: format!("User{i}"),
        }
    }
}

/// The users of group `g`: `k` of them, spread over all `users` so every user is in some
/// group when there are enough memberships.
pub fn members_of(g: usize, k: usize, users: usize) -> impl Iterator<Item = usize> {
    (0..k.min(users)).map(move |j| (g * k + j) % users.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn suite() -> Suite {
        crate::session::load_suite(None).unwrap()
    }

    #[test]
    fn a_batch_of_one_is_the_clients_own_request_and_more_join_the_values() {
        let suite = suite();
        let values = RunValues::default();
        for client in ["entra-2020", "entra-legacy"] {
            let r = Requests::new(&suite, client, "http://h/scim/v2", &values, 3).unwrap();
            let one = r.add_members("g1", &["u1"]).unwrap();
            let own = r
                .build("add-member", &[("group_id", "g1"), ("member_id", "u1")])
                .unwrap();
            assert_eq!(one.body, own.body, "{client}");
            let three = r.add_members("g1", &["u1", "u2", "u3"]).unwrap();
            let body: Value = serde_json::from_str(three.body.as_deref().unwrap()).unwrap();
            let values: Vec<&str> = body["Operations"][0]["value"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v["value"].as_str().unwrap())
                .collect();
            assert_eq!(values, ["u1", "u2", "u3"], "{client}");
            assert_eq!(three.path, "/Groups/g1");
            // The client's key order stays: `$ref` before `value`, as Entra writes it.
            assert!(
                three
                    .body
                    .as_deref()
                    .unwrap()
                    .contains(r#"{"$ref":null,"value":"u2"}"#),
                "{:?}",
                three.body
            );
        }
    }

    #[test]
    fn a_client_without_the_cycles_actions_is_refused_with_the_ones_that_can() {
        let e = Requests::new(&suite(), "rfc7644", "http://h", &RunValues::default(), 1)
            .err()
            .expect("rfc7644 has no match-user-by-username");
        let text = e.to_string();
        assert!(text.contains("match-user-by-username"), "{text}");
        assert!(text.contains("entra-2020"), "{text}");
    }

    #[test]
    fn names_are_the_runs_own_and_members_spread() {
        let values = RunValues::default();
        let names = Names::new(&values, "ab12", "2/3".parse().unwrap());
        assert_eq!(names.user(7), "idgate-Load_ab12_p2of3_User_7");
        assert_eq!(names.email(7), "idgate-load_ab12_p2of3_user_7@example.com");
        let m: Vec<usize> = members_of(3, 4, 10).collect();
        assert_eq!(m, [2, 3, 4, 5]);
        assert_eq!(
            members_of(0, 20, 5).count(),
            5,
            "no more members than users"
        );
    }
}

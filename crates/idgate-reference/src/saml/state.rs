//! What the SP remembers: AuthnRequests it sent, message IDs it consumed, sessions and users.

use std::collections::HashMap;

use time::OffsetDateTime;

/// Each table is capped so that no client can grow the server without bound.
const MAX_ENTRIES: usize = 100_000;

/// A user created on first sign-in (just-in-time provisioning).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub name_id: String,
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
}

/// One signed-in browser: whose session it is, and the attributes of the login that
/// opened it (the user record keeps what the first login said).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub name_id: String,
    pub attributes: Vec<(String, String)>,
}

#[derive(Debug, Default)]
pub struct State {
    /// Outstanding AuthnRequest IDs and when they lapse.
    requests: HashMap<String, OffsetDateTime>,
    /// Response and Assertion IDs already consumed, until their validity ends.
    seen: HashMap<String, OffsetDateTime>,
    /// Session cookie value to its session.
    sessions: HashMap<String, Session>,
    /// Users by NameID.
    users: HashMap<String, User>,
}

impl State {
    pub fn add_request(&mut self, id: String, until: OffsetDateTime, now: OffsetDateTime) {
        make_room(&mut self.requests, now);
        self.requests.insert(id, until);
    }

    /// Whether `id` names a request still outstanding.
    pub fn is_outstanding(&self, id: &str, now: OffsetDateTime) -> bool {
        self.requests.get(id).is_some_and(|until| now < *until)
    }

    /// A request is answered once.
    pub fn take_request(&mut self, id: &str) {
        self.requests.remove(id);
    }

    pub fn was_seen(&self, id: &str, now: OffsetDateTime) -> bool {
        self.seen.get(id).is_some_and(|until| now < *until)
    }

    pub fn remember(&mut self, id: String, until: OffsetDateTime, now: OffsetDateTime) {
        make_room(&mut self.seen, now);
        self.seen.insert(id, until);
    }

    /// Opens a session for `user` with the login's `attributes`, creating the user on first
    /// sight; returns the cookie value.
    pub fn sign_in(&mut self, user: User, attributes: Vec<(String, String)>) -> String {
        let token = uuid::Uuid::new_v4().simple().to_string();
        if self.sessions.len() >= MAX_ENTRIES
            && let Some(any) = self.sessions.keys().next().cloned()
        {
            self.sessions.remove(&any);
        }
        let session = Session {
            name_id: user.name_id.clone(),
            attributes,
        };
        self.sessions.insert(token.clone(), session);
        if self.users.len() < MAX_ENTRIES || self.users.contains_key(&user.name_id) {
            self.users.entry(user.name_id.clone()).or_insert(user);
        }
        token
    }

    /// The user of the session `token`, and the session's attributes.
    pub fn whoami(&self, token: &str) -> Option<(&User, &[(String, String)])> {
        let session = self.sessions.get(token)?;
        Some((self.users.get(&session.name_id)?, &session.attributes))
    }
}

/// Drops lapsed entries when a table is full, then an arbitrary one if it still is.
fn make_room(table: &mut HashMap<String, OffsetDateTime>, now: OffsetDateTime) {
    if table.len() < MAX_ENTRIES {
        return;
    }
    table.retain(|_, until| now < *until);
    if table.len() >= MAX_ENTRIES
        && let Some(any) = table.keys().next().cloned()
    {
        table.remove(&any);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::Duration;

    #[test]
    fn requests_and_ids_lapse() {
        let now = OffsetDateTime::now_utc();
        let mut s = State::default();
        s.add_request("_r".into(), now + Duration::minutes(1), now);
        assert!(s.is_outstanding("_r", now));
        assert!(!s.is_outstanding("_r", now + Duration::minutes(2)));
        s.take_request("_r");
        assert!(!s.is_outstanding("_r", now));
        s.remember("_a".into(), now + Duration::minutes(1), now);
        assert!(s.was_seen("_a", now));
        assert!(!s.was_seen("_a", now + Duration::minutes(1)));
    }

    #[test]
    fn first_sign_in_creates_the_user_and_later_ones_keep_it() {
        let mut s = State::default();
        let user = User {
            name_id: "a@example.com".into(),
            email: Some("a@example.com".into()),
            first_name: Some("A".into()),
            last_name: None,
        };
        let t1 = s.sign_in(user.clone(), vec![]);
        let t2 = s.sign_in(
            User {
                first_name: Some("B".into()),
                ..user.clone()
            },
            vec![("role".into(), "x".into())],
        );
        assert_ne!(t1, t2);
        assert_eq!(s.whoami(&t1), Some((&user, &[][..])));
        let role = [("role".to_string(), "x".to_string())];
        assert_eq!(s.whoami(&t2), Some((&user, &role[..])));
        assert_eq!(s.whoami("nope"), None);
    }
}

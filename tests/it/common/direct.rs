//! The reference target as a test reads and writes it directly, not through idgate: to seed
//! someone else's resources before a run and to see, byte for byte, what is left after it.

use std::collections::BTreeMap;

use idgate::reference::{self, ReferenceOptions, RunningReference};
use serde_json::Value;

pub struct Direct {
    pub running: RunningReference,
    token: String,
    http: reqwest::Client,
}

impl Direct {
    /// The reference target on a free port, taking `token`.
    pub async fn start(token: &str) -> Direct {
        let running = reference::start(ReferenceOptions {
            token: token.into(),
            ..ReferenceOptions::default()
        })
        .await
        .expect("reference target starts");
        Direct {
            running,
            token: token.into(),
            http: reqwest::Client::new(),
        }
    }

    pub fn base(&self) -> &str {
        &self.running.scim_base
    }

    /// The body of `GET base+path`, as served.
    pub async fn get(&self, path: &str) -> String {
        self.http
            .get(format!("{}{path}", self.base()))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// POSTs `body` to `base+path` (a 201 expected), and the new resource's id.
    pub async fn create(&self, path: &str, body: Value) -> String {
        let r = self
            .http
            .post(format!("{}{path}", self.base()))
            .bearer_auth(&self.token)
            .header("content-type", "application/scim+json")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 201);
        let created: Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
        created["id"].as_str().unwrap().to_string()
    }

    pub async fn delete(&self, path: &str) {
        let _ = self
            .http
            .delete(format!("{}{path}", self.base()))
            .bearer_auth(&self.token)
            .send()
            .await;
    }

    /// How many resources of `kind` (`Users`, `Groups`) there are.
    pub async fn total(&self, kind: &str) -> u64 {
        let list: Value =
            serde_json::from_str(&self.get(&format!("/{kind}?count=1")).await).unwrap();
        list["totalResults"].as_u64().unwrap()
    }

    /// Every user and group, `Kind/id` → its body exactly as served.
    pub async fn everything(&self) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        for kind in ["Users", "Groups"] {
            let list: Value =
                serde_json::from_str(&self.get(&format!("/{kind}?count=1000")).await).unwrap();
            for r in list["Resources"].as_array().cloned().unwrap_or_default() {
                let id = r["id"].as_str().unwrap().to_string();
                let body = self.get(&format!("/{kind}/{id}")).await;
                out.insert(format!("{kind}/{id}"), body);
            }
        }
        out
    }

    /// Someone else's user.
    pub async fn foreign_user(&self, name: &str) -> String {
        self.create(
            "/Users",
            serde_json::json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": name, "active": true,
                "emails": [{"value": name, "type": "work", "primary": true}]
            }),
        )
        .await
    }

    pub async fn stop(self) {
        self.running.stop().await;
    }
}

//! The loopback listener that the fetch-inviting cases point at.

/// A listener on 127.0.0.1 that the fetch-inviting cases point at: any
/// request it receives means the SP followed a URL inside a message.
pub struct Canary {
    pub url: String,
    hits: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Canary {
    pub async fn start() -> std::io::Result<Canary> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}/idgate-canary", listener.local_addr()?);
        let hits = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = hits.clone();
        let task = tokio::spawn(async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            while let Ok((mut conn, _)) = listener.accept().await {
                let seen = seen.clone();
                tokio::spawn(async move {
                    let mut buf = [0u8; 1024];
                    let n = tokio::time::timeout(
                        std::time::Duration::from_secs(2),
                        conn.read(&mut buf),
                    )
                    .await
                    .ok()
                    .and_then(Result::ok)
                    .unwrap_or(0);
                    let line = String::from_utf8_lossy(&buf[..n]);
                    let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
                    seen.lock().expect("canary lock").push(path);
                    let _ = conn
                        .write_all(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n")
                        .await;
                });
            }
        });
        Ok(Canary { url, hits, task })
    }

    /// The paths fetched for `case_id` (its canary path ends with the id without `saml.`).
    pub fn hits_for(&self, case_id: &str) -> Vec<String> {
        let name = case_id.trim_start_matches("saml.");
        self.hits
            .lock()
            .expect("canary lock")
            .iter()
            .filter(|p| {
                p.ends_with(&format!("/{name}"))
                    || p.contains(&format!("/{name}/"))
                    || p.contains(&format!("/{name}?"))
            })
            .map(|p| format!("{}{p}", self.origin()))
            .collect()
    }

    /// `http://127.0.0.1:PORT`, what the fetched paths are relative to.
    fn origin(&self) -> &str {
        self.url.trim_end_matches("/idgate-canary")
    }
}

impl Drop for Canary {
    fn drop(&mut self) {
        self.task.abort();
    }
}

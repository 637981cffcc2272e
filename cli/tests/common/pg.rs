//! A database of its own on the test PostgreSQL server (`ECOSCOUT_TEST_PG`,
//! set by scripts/test), for the tests named `pg_*`.

#![allow(dead_code, clippy::unwrap_used)]

/// The password put in the test databases' URLs, to check it is never shown.
pub const PASSWORD: &str = "sekrit-pw";

/// Runs SQL on the test server.
pub fn admin(url: &str, sql: &str) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
            .await
            .unwrap_or_else(|e| panic!("cannot connect to {url}: {e}"));
        let task = tokio::spawn(connection);
        client.batch_execute(sql).await.unwrap();
        drop(client);
        let _ = task.await;
    });
}

/// A database of its own on the test server, dropped after.
pub struct Database {
    server: String,
    name: String,
}

impl Database {
    /// A new database, named after the test process and `tag`.
    pub fn new(tag: &str) -> Database {
        let server = std::env::var("ECOSCOUT_TEST_PG").unwrap_or_else(|_| {
            panic!("ECOSCOUT_TEST_PG is not set: this test needs PostgreSQL; run scripts/test")
        });
        let name = format!("ecoscout_{tag}_{}", std::process::id());
        admin(&server, &format!("CREATE DATABASE {name}"));
        Database { server, name }
    }

    /// Its URL, with a password (the test server trusts loopback, so it is
    /// never sent: it is only there to be hidden).
    pub fn url(&self) -> String {
        let mut url = url::Url::parse(&self.server).unwrap();
        url.set_path(&format!("/{}", self.name));
        url.set_password(Some(PASSWORD)).unwrap();
        url.to_string()
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        admin(
            &self.server,
            &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        );
    }
}

/// The first column of the first row of `sql`, as text (NULL: empty).
pub fn scalar(url: &str, sql: &str) -> String {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
            .await
            .unwrap_or_else(|e| panic!("cannot connect to {url}: {e}"));
        let task = tokio::spawn(connection);
        let rows = client.simple_query(sql).await.unwrap();
        drop(client);
        let _ = task.await;
        rows.iter()
            .find_map(|m| match m {
                tokio_postgres::SimpleQueryMessage::Row(row) => {
                    Some(row.get(0).unwrap_or_default().to_owned())
                }
                _ => None,
            })
            .unwrap_or_default()
    })
}

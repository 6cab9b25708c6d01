//! OAuth clients of the embedded issuers.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::dialect::DbRow;
use crate::model::{from_secs, to_secs};
use crate::sql::Arg;
use crate::store::{SqlStore, bump_revision};
use crate::{ClientStore, Result, StoreError, StoredClient};

const COLUMNS: [&str; 13] = [
    "client_id",
    "issuer",
    "name",
    "jwks",
    "scopes",
    "orgnr_parent",
    "orgnr_child",
    "dpop_bound",
    "multi_tenant",
    "delegations",
    "redirect_uris",
    "created_at",
    "revoked_at",
];

fn args(c: &StoredClient) -> [Arg; 13] {
    [
        Arg::from(&c.client_id),
        Arg::from(&c.issuer),
        Arg::from(&c.name),
        Arg::from(&c.jwks),
        Arg::from(serde_json::to_string(&c.scopes).unwrap_or_default()),
        Arg::from(c.orgnr_parent.clone()),
        Arg::from(c.orgnr_child.clone()),
        Arg::from(c.dpop_bound),
        Arg::from(c.multi_tenant),
        Arg::from(serde_json::to_string(&c.delegations).unwrap_or_default()),
        Arg::from(serde_json::to_string(&c.redirect_uris).unwrap_or_default()),
        Arg::from(to_secs(c.created_at)),
        Arg::from(c.revoked_at.map(to_secs)),
    ]
}

fn json_list(row: &DbRow, column: &'static str) -> Result<Vec<String>> {
    serde_json::from_str(&row.text(column)?)
        .map_err(|e| StoreError::Corrupt(format!("clients.{column} is not a JSON list: {e}")))
}

fn client_of(row: &DbRow) -> Result<StoredClient> {
    Ok(StoredClient {
        client_id: row.text("client_id")?,
        issuer: row.text("issuer")?,
        name: row.text("name")?,
        jwks: row.text("jwks")?,
        scopes: json_list(row, "scopes")?,
        orgnr_parent: row.opt_text("orgnr_parent")?,
        orgnr_child: row.opt_text("orgnr_child")?,
        dpop_bound: row.flag("dpop_bound")?,
        multi_tenant: row.flag("multi_tenant")?,
        delegations: json_list(row, "delegations")?,
        redirect_uris: json_list(row, "redirect_uris")?,
        created_at: from_secs(row.int("created_at")?),
        revoked_at: row.opt_int("revoked_at")?.map(from_secs),
    })
}

#[async_trait]
impl ClientStore for SqlStore {
    async fn insert_client(&self, c: &StoredClient) -> Result<()> {
        let mut tx = self.db.begin().await?;
        let mut q = tx.sql(format!("INSERT INTO clients ({})", COLUMNS.join(", ")));
        q.values([args(c)]);
        tx.execute(q).await?;
        bump_revision(&mut tx, "clients").await?;
        tx.commit().await
    }

    async fn get_client(&self, client_id: &str) -> Result<StoredClient> {
        let mut q =
            self.db.sql(format!("SELECT {} FROM clients WHERE client_id = ", COLUMNS.join(", ")));
        q.bind(client_id);
        match self.db.fetch_optional(q).await? {
            Some(row) => client_of(&row),
            None => Err(StoreError::NotFound { what: "client", id: client_id.to_owned() }),
        }
    }

    async fn list_clients(&self) -> Result<Vec<StoredClient>> {
        let q = self.db.sql(format!(
            "SELECT {} FROM clients ORDER BY created_at, client_id",
            COLUMNS.join(", ")
        ));
        self.db.fetch_all(q).await?.iter().map(client_of).collect()
    }

    async fn revoke_client(&self, client_id: &str, at: DateTime<Utc>) -> Result<StoredClient> {
        self.revoke_row("clients", "client_id", "clients", client_id, at).await?;
        self.get_client(client_id).await
    }
}

//! The synthetic Enhetsregister as Altinn reads it: organizations and the roles persons hold.
//! (Loaded with the population; see `load`.)

use async_trait::async_trait;

use crate::dialect::DbRow;
use crate::model::{HeldRole, OrganizationFacts};
use crate::store::SqlStore;
use crate::{OrganizationStore, Result};

fn facts_of(row: &DbRow) -> Result<OrganizationFacts> {
    Ok(OrganizationFacts {
        seq: row.int("seq")?,
        orgnr: row.text("orgnr")?,
        name: row.text("name")?,
        form: row.text("form")?,
    })
}

#[async_trait]
impl OrganizationStore for SqlStore {
    async fn roles_of(&self, nin: &str) -> Result<Vec<HeldRole>> {
        let mut q = self.db.sql(
            "SELECT o.seq AS seq, o.orgnr AS orgnr, o.name AS name, o.form AS form, r.role AS role \
             FROM organization_roles r JOIN organizations o ON o.orgnr = r.orgnr WHERE r.nin = ",
        );
        q.bind(nin).push(" ORDER BY o.orgnr, r.role");
        let rows = self.db.fetch_all(q).await?;
        rows.iter()
            .map(|r| Ok(HeldRole { organization: facts_of(r)?, role: r.text("role")? }))
            .collect()
    }

    async fn role_holders(&self, orgnr: &str) -> Result<Vec<(String, String)>> {
        let mut q = self.db.sql("SELECT nin, role FROM organization_roles WHERE orgnr = ");
        q.bind(orgnr).push(" ORDER BY nin, role");
        let rows = self.db.fetch_all(q).await?;
        rows.iter().map(|r| Ok((r.text("nin")?, r.text("role")?))).collect()
    }

    async fn organization_doc(&self, orgnr: &str) -> Result<Option<String>> {
        let mut q = self.db.sql("SELECT doc FROM organizations WHERE orgnr = ");
        q.bind(orgnr);
        self.db.fetch_optional(q).await?.map(|r| r.doc("doc")).transpose()
    }

    async fn organization(&self, orgnr: &str) -> Result<Option<OrganizationFacts>> {
        let mut q = self.db.sql("SELECT seq, orgnr, name, form FROM organizations WHERE orgnr = ");
        q.bind(orgnr);
        self.db.fetch_optional(q).await?.as_ref().map(facts_of).transpose()
    }
}

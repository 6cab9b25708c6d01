//! Altinn's message box and the service owners' event feed. Every change to a message and
//! the event that reports it are written in one transaction.

use async_trait::async_trait;

use crate::dialect::{Db, DbRow, Tx};
use crate::model::{
    Comparison, MessageEvent, MessageField, MessageQuery, MessageValue, OwnerMessageQuery,
    StoredMessage,
};
use crate::sql::{Arg, Sql};
use crate::store::{SqlStore, bump_revision, revision};
use crate::{MessageStore, Result};

const COLUMNS: &str = "seq, kind, reportee, service_owner, service_owner_name, service_code, \
    service_edition, subject, status, created_at, last_changed_at, last_changed_by, \
    confirmation_needed, confirmed_at, doc, senders_reference, visible_at";

/// References looked up per statement (10,000 may come in one SOAP call; each database
/// bounds the parameters of one statement).
const REFERENCE_CHUNK: usize = 500;

fn message_of(row: &DbRow) -> Result<StoredMessage> {
    Ok(StoredMessage {
        seq: row.int("seq")?,
        kind: row.text("kind")?,
        reportee: row.text("reportee")?,
        service_owner: row.text("service_owner")?,
        service_owner_name: row.text("service_owner_name")?,
        service_code: row.text("service_code")?,
        service_edition: row.int("service_edition")?,
        subject: row.text("subject")?,
        status: row.text("status")?,
        created_at: row.int("created_at")?,
        last_changed_at: row.int("last_changed_at")?,
        last_changed_by: row.text("last_changed_by")?,
        confirmation_needed: row.flag("confirmation_needed")?,
        confirmed_at: row.opt_int("confirmed_at")?,
        doc: row.text("doc")?,
        senders_reference: row.opt_text("senders_reference")?,
        visible_at: row.opt_int("visible_at")?,
    })
}

fn column(field: MessageField) -> &'static str {
    match field {
        MessageField::ServiceOwner => "service_owner_name",
        MessageField::ServiceCode => "service_code",
        MessageField::ServiceEdition => "service_edition",
        MessageField::Status => "status",
        MessageField::Type => "kind",
        MessageField::Subject => "subject",
        MessageField::LastChanged => "last_changed_at",
        MessageField::Created => "created_at",
    }
}

fn operator(op: Comparison) -> &'static str {
    match op {
        Comparison::Eq => " = ",
        Comparison::Ne => " <> ",
        Comparison::Gt => " > ",
        Comparison::Ge => " >= ",
        Comparison::Lt => " < ",
        Comparison::Le => " <= ",
    }
}

/// Records `event` for `m` inside `tx`.
async fn record(tx: &mut Tx, event: &str, m: &StoredMessage, at: i64) -> Result<()> {
    let mut q = tx.sql(
        "INSERT INTO altinn_events (event_type, message_seq, reportee, service_owner, \
         service_code, service_edition, created_at)",
    );
    q.values([[
        Arg::from(event),
        Arg::from(m.seq),
        Arg::from(&m.reportee),
        Arg::from(&m.service_owner),
        Arg::from(&m.service_code),
        Arg::from(m.service_edition),
        Arg::from(at),
    ]]);
    tx.execute(q).await.map(drop)
}

async fn read(tx: &mut Tx, seq: i64) -> Result<Option<StoredMessage>> {
    let mut q = tx.sql(format!("SELECT {COLUMNS} FROM altinn_messages WHERE seq = "));
    q.bind(seq);
    tx.fetch_all(q).await?.first().map(message_of).transpose()
}

/// Stores new messages (each with its event, if any) in one transaction, in order, and bumps
/// the revision once: one message from a call, or a group of them from the SQLite writer
/// ([`crate::message_writer`]).
pub(crate) async fn insert_many(
    db: &Db,
    items: &[(&StoredMessage, Option<&str>)],
) -> Result<Vec<StoredMessage>> {
    let mut tx = db.begin().await?;
    let mut q = tx.sql(
        "INSERT INTO altinn_messages (kind, reportee, service_owner, service_owner_name, \
         service_code, service_edition, subject, status, created_at, last_changed_at, \
         last_changed_by, confirmation_needed, confirmed_at, doc, senders_reference, \
         visible_at)",
    );
    q.values(items.iter().map(|(m, _)| {
        [
            Arg::from(&m.kind),
            Arg::from(&m.reportee),
            Arg::from(&m.service_owner),
            Arg::from(&m.service_owner_name),
            Arg::from(&m.service_code),
            Arg::from(m.service_edition),
            Arg::from(&m.subject),
            Arg::from(&m.status),
            Arg::from(m.created_at),
            Arg::from(m.last_changed_at),
            Arg::from(&m.last_changed_by),
            Arg::from(m.confirmation_needed),
            Arg::from(m.confirmed_at),
            Arg::from(&m.doc),
            Arg::from(m.senders_reference.clone()),
            Arg::from(m.visible_at),
        ]
    }));
    q.push(" RETURNING seq");
    // Rows take ascending numbers in the order of VALUES; RETURNING's order is not promised.
    let mut seqs =
        tx.fetch_all(q).await?.iter().map(|r| r.int("seq")).collect::<Result<Vec<_>>>()?;
    seqs.sort_unstable();
    if seqs.len() != items.len() {
        return Err(crate::StoreError::Internal("a message insert lost rows".into()));
    }
    let stored: Vec<StoredMessage> = items
        .iter()
        .zip(&seqs)
        .map(|((m, _), seq)| StoredMessage { seq: *seq, ..(*m).clone() })
        .collect();
    let events: Vec<(&str, &StoredMessage)> =
        items.iter().zip(&stored).filter_map(|((_, event), m)| event.map(|e| (e, m))).collect();
    if !events.is_empty() {
        let mut q = tx.sql(
            "INSERT INTO altinn_events (event_type, message_seq, reportee, service_owner, \
             service_code, service_edition, created_at)",
        );
        q.values(events.iter().map(|(event, m)| {
            [
                Arg::from(*event),
                Arg::from(m.seq),
                Arg::from(&m.reportee),
                Arg::from(&m.service_owner),
                Arg::from(&m.service_code),
                Arg::from(m.service_edition),
                Arg::from(m.created_at),
            ]
        }));
        tx.execute(q).await?;
    }
    bump_revision(&mut tx, "messages").await?;
    tx.commit().await?;
    Ok(stored)
}

/// [`insert_many`] for one message.
pub(crate) async fn insert_one(
    db: &Db,
    m: &StoredMessage,
    event: Option<&str>,
) -> Result<StoredMessage> {
    let mut stored = insert_many(db, &[(m, event)]).await?;
    stored.pop().ok_or_else(|| crate::StoreError::Internal("no message stored".into()))
}

#[async_trait]
impl MessageStore for SqlStore {
    async fn insert_message(
        &self,
        m: &StoredMessage,
        event: Option<&str>,
    ) -> Result<StoredMessage> {
        if let Some(batcher) = &self.message_writer {
            return batcher.insert(m, event).await;
        }
        insert_one(&self.db, m, event).await
    }

    async fn message(&self, seq: i64) -> Result<Option<StoredMessage>> {
        let mut q = self.db.sql(format!("SELECT {COLUMNS} FROM altinn_messages WHERE seq = "));
        q.bind(seq);
        self.db.fetch_optional(q).await?.as_ref().map(message_of).transpose()
    }

    async fn messages(&self, query: &MessageQuery) -> Result<Vec<StoredMessage>> {
        let mut q = self.db.sql(format!("SELECT {COLUMNS} FROM altinn_messages WHERE reportee = "));
        q.bind(&query.reportee);
        q.push(if query.trashed { " AND status = 'Slettet'" } else { " AND status <> 'Slettet'" });
        if let Some(codes) = &query.service_codes {
            if codes.is_empty() {
                return Ok(Vec::new());
            }
            q.push(" AND service_code IN ").list(codes);
        }
        if let Some(now) = query.visible_at {
            q.push(" AND (visible_at IS NULL OR visible_at <= ").bind(now).push(")");
        }
        push_conditions(&mut q, &query.conditions);
        q.push(" ORDER BY seq DESC LIMIT ").bind(query.limit);
        q.push(" OFFSET ").bind(query.skip);
        self.db.fetch_all(q).await?.iter().map(message_of).collect()
    }

    async fn change_message(
        &self,
        seq: i64,
        from: &[&str],
        to: &str,
        by: &str,
        event: &str,
        at: i64,
    ) -> Result<Option<StoredMessage>> {
        let mut tx = self.db.begin().await?;
        let mut q = tx.sql("UPDATE altinn_messages SET status = ");
        q.bind(to).push(", last_changed_at = ").bind(at).push(", last_changed_by = ").bind(by);
        if event == "CorrespondenceConfirmed" {
            q.push(", confirmed_at = ").bind(at);
        }
        q.push(" WHERE seq = ").bind(seq).push(" AND status IN ").list(from.iter().copied());
        if tx.execute(q).await? != 1 {
            return Ok(None);
        }
        let Some(changed) = read(&mut tx, seq).await? else { return Ok(None) };
        record(&mut tx, event, &changed, at).await?;
        bump_revision(&mut tx, "messages").await?;
        tx.commit().await?;
        Ok(Some(changed))
    }

    async fn replace_message(
        &self,
        seq: i64,
        from: &[&str],
        to: &str,
        doc: &str,
        by: &str,
        at: i64,
    ) -> Result<Option<StoredMessage>> {
        let mut tx = self.db.begin().await?;
        let mut q = tx.sql("UPDATE altinn_messages SET status = ");
        q.bind(to).push(", doc = ").bind(doc).push(", last_changed_at = ").bind(at);
        q.push(", last_changed_by = ").bind(by).push(" WHERE seq = ").bind(seq);
        q.push(" AND status IN ").list(from.iter().copied());
        if tx.execute(q).await? != 1 {
            return Ok(None);
        }
        let changed = read(&mut tx, seq).await?;
        bump_revision(&mut tx, "messages").await?;
        tx.commit().await?;
        Ok(changed)
    }

    async fn owner_messages(&self, query: &OwnerMessageQuery) -> Result<Vec<StoredMessage>> {
        let chunks: Vec<&[String]> = if query.senders_references.is_empty() {
            vec![&[]]
        } else {
            query.senders_references.chunks(REFERENCE_CHUNK).collect()
        };
        let mut found = Vec::new();
        for refs in chunks {
            let mut q = self
                .db
                .sql(format!("SELECT {COLUMNS} FROM altinn_messages WHERE service_owner = "));
            q.bind(&query.service_owner);
            if !refs.is_empty() {
                q.push(" AND senders_reference IN ").list(refs);
            }
            for (column, value) in [
                (" AND kind = ", &query.kind),
                (" AND service_code = ", &query.service_code),
                (" AND reportee = ", &query.reportee),
            ] {
                if let Some(v) = value {
                    q.push(column).bind(v.as_str());
                }
            }
            for (column, value) in [
                (" AND service_edition = ", query.service_edition),
                (" AND created_at > ", query.created_after),
                (" AND created_at < ", query.created_before),
            ] {
                if let Some(v) = value {
                    q.push(column).bind(v);
                }
            }
            q.push(" ORDER BY seq LIMIT ").bind(query.limit);
            for row in self.db.fetch_all(q).await? {
                found.push(message_of(&row)?);
            }
        }
        found.sort_by_key(|m| m.seq);
        found.truncate(usize::try_from(query.limit).unwrap_or(0));
        Ok(found)
    }

    async fn events_of_messages(&self, seqs: &[i64]) -> Result<Vec<MessageEvent>> {
        let mut events = Vec::new();
        for chunk in seqs.chunks(REFERENCE_CHUNK) {
            let mut q = self.db.sql(
                "SELECT seq, event_type, message_seq, reportee, service_owner, service_code, \
                 service_edition, created_at FROM altinn_events WHERE message_seq IN ",
            );
            q.list(chunk.iter().copied()).push(" ORDER BY seq");
            for row in self.db.fetch_all(q).await? {
                events.push(event_of(&row)?);
            }
        }
        events.sort_by_key(|e| e.seq);
        Ok(events)
    }

    async fn messages_revision(&self) -> Result<i64> {
        revision(&self.db, "messages").await
    }

    async fn message_events(
        &self,
        service_owner: &str,
        after: i64,
        limit: i64,
    ) -> Result<Vec<MessageEvent>> {
        let mut q = self.db.sql(
            "SELECT seq, event_type, message_seq, reportee, service_owner, service_code, \
             service_edition, created_at FROM altinn_events WHERE service_owner = ",
        );
        q.bind(service_owner).push(" AND seq > ").bind(after);
        q.push(" ORDER BY seq LIMIT ").bind(limit);
        self.db.fetch_all(q).await?.iter().map(event_of).collect()
    }
}

fn event_of(r: &DbRow) -> Result<MessageEvent> {
    Ok(MessageEvent {
        seq: r.int("seq")?,
        event_type: r.text("event_type")?,
        message_seq: r.int("message_seq")?,
        reportee: r.text("reportee")?,
        service_owner: r.text("service_owner")?,
        service_code: r.text("service_code")?,
        service_edition: r.int("service_edition")?,
        created_at: r.int("created_at")?,
    })
}

fn push_conditions(q: &mut Sql, conditions: &[(MessageField, Comparison, MessageValue)]) {
    for (field, op, value) in conditions {
        q.push(" AND ").push(column(*field)).push(operator(*op));
        match value {
            MessageValue::Text(t) => q.bind(t.as_str()),
            MessageValue::Int(n) => q.bind(*n),
        };
    }
}

//! The PostgreSQL backend: several states (workspaces) in one schema, shared
//! by every runner and operator that can reach the database.
//!
//! - `states`: one row per workspace (lineage, serial, format).
//! - `jobs`: one row per job record, `(workspace, address)`, the record as `json`
//!   (a table created by an earlier version has `jsonb`: both are read and written).
//! - `audit`: one row per audit entry, its fields as columns to query, the
//!   entry whole as `json` to read back exactly (`jsonb` in a table an
//!   earlier version created).
//! - `locks`: who holds a workspace's lock, for the "locked by" message.
//!
//! The lock itself is a session-level advisory lock held on this store's
//! connection for the whole command: when the holder dies, its connection
//! closes and the lock is free, with no `force-unlock`. A commit is one
//! statement (one transaction) that bumps the serial only from the one this
//! writer read, and changes only the affected job rows and appends audit rows.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use sha2::{Digest as _, Sha256};
use tokio_postgres::config::SslMode;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, NoTls, Row, Statement};

use super::error::StateError;
use super::lock::{LockInfo, Release, StateLock};
use super::record::{
    Actor, AuditEntry, ChangeSet, FORMAT_VERSION, JobRecord, State, StateDocument,
};
use super::store::{StateStore, check_push};
use crate::model::Address;

/// Where a command that lost the database saves what it knows (in the
/// working directory, as Terraform's `errored.tfstate`).
const ERRORED_PATH: &str = "errored.jobform.state.json";

/// The connection settings of the `backend "pg"` block.
#[derive(Clone)]
pub struct PgSettings {
    /// The connection string: a secret (it may hold a password), never
    /// printed, hence no `Debug` derive.
    pub conn_str: String,
    /// The schema holding the tables.
    pub schema: String,
    /// The workspace: which state of the schema.
    pub workspace: String,
}

impl std::fmt::Debug for PgSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgSettings")
            .field("schema", &self.schema)
            .field("workspace", &self.workspace)
            .finish_non_exhaustive()
    }
}

/// The state of one workspace in a PostgreSQL schema.
#[derive(Debug)]
pub struct PgStore {
    session: Arc<Session>,
    /// The audit entries of commits that failed, for [`StateStore::salvage`].
    unwritten: Mutex<Option<Vec<AuditEntry>>>,
}

/// The connection, open for the whole command (it holds the lock).
#[derive(Debug)]
struct Session {
    // Dropped before the runtime that drives the connection.
    client: Mutex<Client>,
    statements: Statements,
    schema: String,
    workspace: String,
    location: String,
    /// The advisory lock's key, from the schema and the workspace.
    key: i64,
    runtime: tokio::runtime::Runtime,
}

#[derive(Debug)]
struct Statements {
    read_state: Statement,
    read_jobs: Statement,
    /// The commit on a stored state, and the first one, which creates it.
    commit: Statement,
    commit_first: Statement,
    try_lock: Statement,
    read_lock: Statement,
    write_lock: Statement,
}

impl PgStore {
    /// Connects, creates the schema and its tables when missing, and
    /// prepares the statements.
    ///
    /// # Errors
    ///
    /// [`StateError::Backend`] for an unusable setting, [`StateError::Database`]
    /// when the server cannot be reached or refuses.
    pub fn connect(settings: &PgSettings) -> Result<Self, StateError> {
        let PgSettings { conn_str, schema, workspace } = settings;
        if !is_plain_identifier(schema) {
            return Err(StateError::Backend(format!(
                "schema_name \"{schema}\" is not a lower-case SQL identifier (letters, digits, _)"
            )));
        }
        if workspace.is_empty() || workspace.chars().any(char::is_control) {
            return Err(StateError::Backend(format!("\"{workspace}\" is not a workspace name")));
        }
        let location = format!("workspace \"{workspace}\" in PostgreSQL schema \"{schema}\"");
        let fail = |action| {
            let location = location.clone();
            move |error: tokio_postgres::Error| database(action, &location, &error)
        };
        let (config, tls) = parse_conn_str(conn_str)?;
        // Driven by the thread that waits for an answer: the connection is
        // only read while a statement runs (PostgreSQL sends nothing
        // unasked that cannot wait), and no answer crosses threads.
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(
            |error| StateError::Database {
                action: "connect to",
                location: location.clone(),
                detail: format!("cannot start the connection's runtime: {error}"),
            },
        )?;
        let client = runtime.block_on(async {
            let client = match tls {
                None => {
                    let (client, connection) = config.connect(NoTls).await?;
                    tokio::spawn(connection);
                    client
                }
                Some(tls) => {
                    let (client, connection) = config.connect(tls).await?;
                    tokio::spawn(connection);
                    client
                }
            };
            Ok(client)
        });
        let mut client = client.map_err(fail("connect to"))?;
        let statements = runtime
            .block_on(async {
                // Preparing checks the tables exist: they are only created
                // (and their catalog locked) on the schema's first use.
                match Statements::prepare(&client, schema).await {
                    Err(error) if is_missing_table(&error) => {
                        create_schema(&mut client, schema).await?;
                        Statements::prepare(&client, schema).await
                    }
                    prepared => prepared,
                }
            })
            .map_err(fail("connect to"))?;
        let key = lock_key(schema, workspace);
        let session = Session {
            client: Mutex::new(client),
            statements,
            schema: schema.clone(),
            workspace: workspace.clone(),
            location,
            key,
            runtime,
        };
        Ok(PgStore { session: Arc::new(session), unwritten: Mutex::new(None) })
    }

    fn unwritten(&self) -> MutexGuard<'_, Option<Vec<AuditEntry>>> {
        self.unwritten.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Session {
    fn client(&self) -> MutexGuard<'_, Client> {
        // A panic while holding it leaves nothing but the connection, which
        // the next statement uses or reports closed.
        self.client.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn error(&self, action: &'static str) -> impl FnOnce(tokio_postgres::Error) -> StateError {
        let location = self.location.clone();
        move |error| database(action, &location, &error)
    }

    fn corrupt(&self, detail: String) -> StateError {
        StateError::Database { action: "read", location: self.location.clone(), detail }
    }

    fn lock_row(&self, client: &Client) -> Result<Option<(LockInfo, i32)>, StateError> {
        let row = self
            .runtime
            .block_on(client.query_opt(&self.statements.read_lock, &[&self.workspace]))
            .map_err(self.error("read the lock of"))?;
        row.map(|row| -> Result<_, StateError> {
            let created: String = row.get("since");
            let info = LockInfo {
                id: row.get("id"),
                operation: row.get("operation"),
                who: row.get("who"),
                pid: u32::try_from(row.get::<_, i64>("pid")).unwrap_or_default(),
                host: row.get("host"),
                created: time::OffsetDateTime::parse(
                    &created,
                    &time::format_description::well_known::Rfc3339,
                )
                .map_err(|error| self.corrupt(format!("the lock's time {created}: {error}")))?,
                version: row.get("version"),
            };
            Ok((info, row.get("backend_pid")))
        })
        .transpose()
    }

    /// Reads the state and its job records in one snapshot of the database.
    fn read(&self) -> Result<Option<State>, StateError> {
        let mut client = self.client();
        let statements = &self.statements;
        let (state, jobs) = self
            .runtime
            .block_on(async {
                let transaction = client
                    .build_transaction()
                    .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
                    .read_only(true)
                    .start()
                    .await?;
                let state =
                    transaction.query_opt(&statements.read_state, &[&self.workspace]).await?;
                let jobs = match state {
                    Some(_) => transaction.query(&statements.read_jobs, &[&self.workspace]).await?,
                    None => Vec::new(),
                };
                transaction.commit().await?;
                Ok((state, jobs))
            })
            .map_err(self.error("read"))?;
        let Some(state) = state else { return Ok(None) };
        let found: i32 = state.get("format_version");
        if found > format_version() {
            return Err(StateError::NewerFormat {
                state: format!("state {}", self.location),
                found: u64::try_from(found).unwrap_or_default(),
                supported: FORMAT_VERSION,
            });
        }
        let jobs = jobs.iter().map(|row| self.job(row)).collect::<Result<_, _>>()?;
        Ok(Some(State {
            format_version: FORMAT_VERSION,
            jobform_version: state.get("jobform_version"),
            serial: u64::try_from(state.get::<_, i64>("serial")).unwrap_or_default(),
            lineage: state.get("lineage"),
            jobs,
        }))
    }

    fn job(&self, row: &Row) -> Result<(Address, JobRecord), StateError> {
        let address: String = row.get("address");
        let parsed = address
            .parse()
            .map_err(|error| self.corrupt(format!("the job row {address}: {error}")))?;
        let record = serde_json::from_value(row.get("record")).map_err(|error| {
            self.corrupt(format!("the job row {address} is not a jobform record: {error}"))
        })?;
        Ok((parsed, record))
    }

    /// Why the compare-and-swap found nothing to update.
    fn moved(&self, client: &Client, lineage: &str, serial: u64) -> StateError {
        let found = self
            .runtime
            .block_on(client.query_opt(&self.statements.read_state, &[&self.workspace]));
        let found = match found {
            Ok(Some(row)) => {
                format!(
                    "lineage {}, serial {}",
                    row.get::<_, String>("lineage"),
                    row.get::<_, i64>("serial")
                )
            }
            Ok(None) => "no state".to_owned(),
            Err(error) => return database("write", &self.location, &error),
        };
        StateError::Moved {
            location: self.location.clone(),
            detail: format!(
                "it read lineage {lineage}, serial {serial}; the database holds {found}"
            ),
        }
    }
}

impl Statements {
    /// Prepares every statement at once: the requests are pipelined, so
    /// this costs one round trip, not one per statement.
    async fn prepare(client: &Client, schema: &str) -> Result<Self, tokio_postgres::Error> {
        let sql = |text: &str| text.replace("{s}", &format!("\"{schema}\""));
        let texts = [
            sql("SELECT lineage, serial, format_version, jobform_version FROM {s}.states \
                 WHERE workspace = $1"),
            sql("SELECT address, record FROM {s}.jobs WHERE workspace = $1"),
            sql(&commit_sql(&BUMP)),
            sql(&commit_sql(&CREATE)),
            "SELECT pg_try_advisory_lock($1)".to_owned(),
            sql("SELECT id, operation, who, host, pid, backend_pid, version, \
                 to_char(since AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS since \
                 FROM {s}.locks WHERE workspace = $1"),
            sql("INSERT INTO {s}.locks (workspace, id, operation, who, host, ci, pid, \
                 backend_pid, since, version) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, pg_backend_pid(), $8::text::timestamptz, $9) \
                 ON CONFLICT (workspace) DO UPDATE SET id = excluded.id, \
                 operation = excluded.operation, who = excluded.who, host = excluded.host, \
                 ci = excluded.ci, pid = excluded.pid, backend_pid = excluded.backend_pid, \
                 since = excluded.since, version = excluded.version"),
        ];
        let prepared =
            futures_util::future::try_join_all(texts.iter().map(|text| client.prepare(text)))
                .await?;
        let Ok([read_state, read_jobs, commit, commit_first, try_lock, read_lock, write_lock]) =
            <[Statement; 7]>::try_from(prepared)
        else {
            unreachable!("one statement prepared per text")
        };
        Ok(Statements {
            read_state,
            read_jobs,
            commit,
            commit_first,
            try_lock,
            read_lock,
            write_lock,
        })
    }
}

/// Appends audit entries to workspace `{ws}`, in order, when `{when}`
/// holds: the columns to query, and the entry whole, each an array
/// parameter from `${first}` on (see [`AuditColumns`]). Typed arrays, not
/// one JSON array taken apart in SQL: PostgreSQL parsed the whole array as
/// `jsonb` and each entry ten times over to fill the columns.
const INSERT_AUDIT: &str = "INSERT INTO {s}.audit (workspace, at, who, ci, message, address, \
    job_id, verb, request_id, outcome, detail, entry) \
    SELECT {ws}, a.at::timestamptz, a.who, a.ci, a.message, a.address, a.job_id, a.verb, \
    a.request_id, a.outcome, a.detail, a.entry::json \
    FROM unnest({columns}) WITH ORDINALITY \
    AS a(at, who, ci, message, address, job_id, verb, request_id, outcome, detail, entry, n) \
    WHERE {when} ORDER BY n";

/// Audit entries as the eleven array parameters of [`INSERT_AUDIT`].
struct AuditColumns {
    text: [Vec<String>; 6],
    optional: [Vec<Option<String>>; 4],
    entry: Vec<String>,
}

impl AuditColumns {
    const COUNT: usize = 11;

    fn of<'a>(entries: impl ExactSizeIterator<Item = &'a AuditEntry>) -> Self {
        let mut columns = AuditColumns {
            text: Default::default(),
            optional: Default::default(),
            entry: Vec::with_capacity(entries.len()),
        };
        for entry in entries {
            let at = entry
                .at
                .format(&time::format_description::well_known::Rfc3339)
                .expect("audit times format");
            let [at_column, who, address, job_id, verb, outcome] = &mut columns.text;
            at_column.push(at);
            who.push(format!("{}@{}", entry.who.user, entry.who.host));
            address.push(entry.address.to_string());
            job_id.push(entry.job_id.clone());
            verb.push(entry.verb.label().to_owned());
            outcome.push(entry.outcome.label().to_owned());
            let [ci, message, request_id, detail] = &mut columns.optional;
            ci.push(entry.who.ci.clone());
            message.push(entry.message.clone());
            request_id.push(entry.request_id.clone());
            detail.push(entry.detail.clone());
            columns.entry.push(serde_json::to_string(entry).expect("audit entries serialize"));
        }
        columns
    }

    /// The parameters, in the order of [`INSERT_AUDIT`]'s columns.
    fn params(&self) -> [&(dyn ToSql + Sync); Self::COUNT] {
        let [at, who, address, job_id, verb, outcome] = &self.text;
        let [ci, message, request_id, detail] = &self.optional;
        [at, who, ci, message, address, job_id, verb, request_id, outcome, detail, &self.entry]
    }
}

/// The compare-and-swap of a commit on a stored state: the serial moves on
/// only from the one the writer read (`$3`), at its lineage (`$2`). The
/// format version moves up to this build's: what it appends (an `import`
/// audit entry) may be more than an older reader understands.
static BUMP: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "UPDATE {{s}}.states SET serial = serial + 1, jobform_version = $7, \
             format_version = GREATEST(format_version, {FORMAT_VERSION}) \
         WHERE workspace = $1 AND lineage = $2 AND serial = $3 RETURNING serial"
    )
});

/// The compare-and-swap of the first commit (`$3` is 0): it creates the
/// state's row, or, when one exists (a pushed empty state), moves it on
/// under the same condition as [`BUMP`].
static CREATE: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "INSERT INTO {{s}}.states AS stored (workspace, lineage, serial, format_version, \
             jobform_version) VALUES ($1, $2, $3::bigint + 1, {FORMAT_VERSION}, $7) \
         ON CONFLICT (workspace) DO UPDATE SET serial = stored.serial + 1, \
             jobform_version = excluded.jobform_version, \
             format_version = GREATEST(stored.format_version, excluded.format_version) \
             WHERE stored.lineage = excluded.lineage AND stored.serial = $3 \
         RETURNING serial"
    )
});

/// One commit in one statement (so one transaction, one round trip): the
/// job rows and audit rows are only written when the compare-and-swap
/// `bump` returned the new serial.
fn commit_sql(bump: &str) -> String {
    format!(
        "WITH bumped AS ({bump}), \
         removed AS (DELETE FROM {{s}}.jobs WHERE workspace = $1 AND address = ANY($4) \
             AND EXISTS (SELECT 1 FROM bumped)), \
         written AS (INSERT INTO {{s}}.jobs (workspace, address, record) \
             SELECT $1, j.address, j.record FROM unnest($5::text[], $6::text[]::json[]) AS j(address, record) \
             WHERE EXISTS (SELECT 1 FROM bumped) \
             ON CONFLICT (workspace, address) DO UPDATE SET record = excluded.record), \
         logged AS ({}) \
         SELECT serial FROM bumped",
        audit_insert("$1", 8, "EXISTS (SELECT 1 FROM bumped)")
    )
}

/// [`INSERT_AUDIT`] with its [`AuditColumns`] from parameter `$first` on.
fn audit_insert(workspace: &str, first: usize, when: &str) -> String {
    let columns: Vec<String> =
        (first..first + AuditColumns::COUNT).map(|n| format!("${n}::text[]")).collect();
    INSERT_AUDIT
        .replace("{ws}", workspace)
        .replace("{columns}", &columns.join(", "))
        .replace("{when}", when)
}

/// The tables, created on first use. Concurrent first uses are serialised
/// by a transaction-level advisory lock: `CREATE … IF NOT EXISTS` alone races.
async fn create_schema(client: &mut Client, schema: &str) -> Result<(), tokio_postgres::Error> {
    let transaction = client.transaction().await?;
    transaction.execute("SELECT pg_advisory_xact_lock($1)", &[&lock_key(schema, "")]).await?;
    transaction.batch_execute(&SCHEMA_SQL.replace("{s}", &format!("\"{schema}\""))).await?;
    transaction.commit().await
}

/// Whether a statement failed because the schema or one of its tables does
/// not exist yet.
fn is_missing_table(error: &tokio_postgres::Error) -> bool {
    use tokio_postgres::error::SqlState;
    error.code().is_some_and(|code| {
        *code == SqlState::UNDEFINED_TABLE || *code == SqlState::INVALID_SCHEMA_NAME
    })
}

const SCHEMA_SQL: &str = "
CREATE SCHEMA IF NOT EXISTS {s};
CREATE TABLE IF NOT EXISTS {s}.states (
    workspace text PRIMARY KEY,
    lineage text NOT NULL,
    serial bigint NOT NULL,
    format_version integer NOT NULL,
    jobform_version text NOT NULL
);
CREATE TABLE IF NOT EXISTS {s}.jobs (
    workspace text NOT NULL,
    address text NOT NULL,
    record json NOT NULL,
    PRIMARY KEY (workspace, address)
) WITH (fillfactor = 50);
CREATE TABLE IF NOT EXISTS {s}.audit (
    id bigserial PRIMARY KEY,
    workspace text NOT NULL,
    at timestamptz NOT NULL,
    who text NOT NULL,
    ci text,
    message text,
    address text NOT NULL,
    job_id text NOT NULL,
    verb text NOT NULL,
    request_id text,
    outcome text NOT NULL,
    detail text,
    entry json NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_workspace_address ON {s}.audit (workspace, address, at);
CREATE TABLE IF NOT EXISTS {s}.locks (
    workspace text PRIMARY KEY,
    id text NOT NULL,
    operation text NOT NULL,
    who text NOT NULL,
    host text NOT NULL,
    ci text,
    pid bigint NOT NULL,
    backend_pid integer NOT NULL,
    since timestamptz NOT NULL,
    version text NOT NULL
);
";

impl StateStore for PgStore {
    fn location(&self) -> String {
        self.session.location.clone()
    }

    fn read(&self) -> Result<Option<State>, StateError> {
        self.session.read()
    }

    fn commit(&self, lineage: &str, serial: u64, changes: &ChangeSet) -> Result<u64, StateError> {
        let session = &*self.session;
        let exhausted =
            || StateError::SerialExhausted { state: format!("state {}", session.location) };
        let next =
            serial.checked_add(1).filter(|n| i64::try_from(*n).is_ok()).ok_or_else(exhausted)?;
        // An address both removed and written ends up written (as `State::apply`).
        let removed: Vec<String> = changes
            .removed
            .iter()
            .filter(|address| !changes.jobs.contains_key(address))
            .map(ToString::to_string)
            .collect();
        let addresses: Vec<String> = changes.jobs.keys().map(ToString::to_string).collect();
        // As JSON text: PostgreSQL only checks a `json` value, where it
        // would parse and rebuild a `jsonb` one (a third of a commit's time).
        let records: Vec<String> = changes
            .jobs
            .values()
            .map(|record| serde_json::to_string(record).expect("job records serialize"))
            .collect();
        let audit = AuditColumns::of(changes.audit.iter());
        let version = env!("CARGO_PKG_VERSION");
        let base = i64::try_from(serial).map_err(|_| exhausted())?;
        let client = session.client();
        let statements = &session.statements;
        let mut params: Vec<&(dyn ToSql + Sync)> =
            vec![&session.workspace, &lineage, &base, &removed, &addresses, &records, &version];
        params.extend(audit.params());
        let statement = if serial == 0 { &statements.commit_first } else { &statements.commit };
        let written = session.runtime.block_on(client.query_opt(statement, &params));
        match written {
            Ok(Some(_)) => Ok(next),
            Ok(None) => Err(session.moved(&client, lineage, serial)),
            Err(error) => {
                // Not written, or (the answer to a commit lost) written: the
                // salvaged file holds it either way, and pushing it back adds
                // nothing twice.
                self.unwritten().get_or_insert_with(Vec::new).extend(changes.audit.iter().cloned());
                Err(database("write", &session.location, &error))
            }
        }
    }

    fn audit(&self) -> Result<Vec<AuditEntry>, StateError> {
        let session = &*self.session;
        let client = session.client();
        let rows = session
            .runtime
            .block_on(client.query(
                &format!(
                    "SELECT entry FROM \"{}\".audit WHERE workspace = $1 ORDER BY id",
                    session.schema
                ),
                &[&session.workspace],
            ))
            .map_err(session.error("read the audit log of"))?;
        rows.iter()
            .enumerate()
            .map(|(index, row)| {
                serde_json::from_value(row.get(0)).map_err(|error| {
                    session
                        .corrupt(format!("audit row {} is not an audit entry: {error}", index + 1))
                })
            })
            .collect()
    }

    fn compact(&self) -> Result<(), StateError> {
        // Every commit already wrote the rows in place.
        Ok(())
    }

    fn lock(
        &self,
        operation: &str,
        actor: &Actor,
        timeout: Duration,
    ) -> Result<StateLock, StateError> {
        let session = &*self.session;
        let info = LockInfo::new(operation, actor);
        let deadline = Instant::now() + timeout;
        let mut pause = Duration::from_millis(50);
        loop {
            {
                let client = session.client();
                let taken: bool = session
                    .runtime
                    .block_on(client.query_one(&session.statements.try_lock, &[&session.key]))
                    .map_err(session.error("lock"))?
                    .get(0);
                if taken {
                    let pid = i64::from(info.pid);
                    let since = info.created_display();
                    session
                        .runtime
                        .block_on(client.execute(
                            &session.statements.write_lock,
                            &[
                                &session.workspace,
                                &info.id,
                                &info.operation,
                                &info.who,
                                &info.host,
                                &actor.ci,
                                &pid,
                                &since,
                                &info.version,
                            ],
                        ))
                        .map_err(session.error("lock"))?;
                    let release =
                        SessionLock { session: Arc::clone(&self.session), id: info.id.clone() };
                    return Ok(StateLock::session(info, Box::new(release)));
                }
                if Instant::now() >= deadline {
                    let holder = session.lock_row(&client)?.map_or_else(
                        || LockInfo {
                            id: "unknown".to_owned(),
                            operation: "unknown".to_owned(),
                            who: "a database session that left no lock record".to_owned(),
                            ..LockInfo::new("", actor)
                        },
                        |(info, _)| info,
                    );
                    return Err(StateError::SessionLocked {
                        location: session.location.clone(),
                        info: Box::new(holder),
                    });
                }
            }
            std::thread::sleep(pause.min(deadline.saturating_duration_since(Instant::now())));
            pause = (pause * 2).min(Duration::from_secs(1));
        }
    }

    fn force_unlock(&self, id: &str, force: bool) -> Result<Option<LockInfo>, StateError> {
        let session = &*self.session;
        let client = session.client();
        let not_locked = || StateError::NotLocked { location: session.location.clone() };
        let Some((current, backend_pid)) = session.lock_row(&client)? else {
            return Err(not_locked());
        };
        if current.id != id {
            return Err(StateError::LockMismatch {
                given: id.to_owned(),
                current: Box::new(current),
            });
        }
        let free: bool = session
            .runtime
            .block_on(client.query_one(&session.statements.try_lock, &[&session.key]))
            .map_err(session.error("lock"))?
            .get(0);
        let schema = &session.schema;
        session
            .runtime
            .block_on(async {
                if free {
                    // The holder is gone (its row outlived it): this was only a record.
                    client.execute("SELECT pg_advisory_unlock($1)", &[&session.key]).await?;
                } else if force {
                    client.execute("SELECT pg_terminate_backend($1)", &[&backend_pid]).await?;
                }
                Ok(())
            })
            .map_err(session.error("unlock"))?;
        if !free && !force {
            return Err(StateError::SessionAlive {
                location: session.location.clone(),
                info: Box::new(current),
            });
        }
        session
            .runtime
            .block_on(client.execute(
                &format!("DELETE FROM \"{schema}\".locks WHERE workspace = $1 AND id = $2"),
                &[&session.workspace, &current.id],
            ))
            .map_err(session.error("unlock"))?;
        Ok(Some(current))
    }

    fn push(&self, state: &State, audit: &[AuditEntry], force: bool) -> Result<(), StateError> {
        let stored = self.read()?;
        let stored_audit = if stored.is_some() { self.audit()? } else { Vec::new() };
        let session = &*self.session;
        let (replace, new) =
            check_push(&session.location, stored.as_ref(), state, &stored_audit, audit, force)?;
        let serial = i64::try_from(state.serial).map_err(|_| StateError::SerialExhausted {
            state: format!("state {}", session.location),
        })?;
        let addresses: Vec<String> = state.jobs.keys().map(ToString::to_string).collect();
        let records: Vec<String> = state
            .jobs
            .values()
            .map(|record| serde_json::to_string(record).expect("job records serialize"))
            .collect();
        let new = AuditColumns::of(new.into_iter());
        let sql = |text: &str| text.replace("{s}", &format!("\"{}\"", session.schema));
        let version = env!("CARGO_PKG_VERSION");
        let mut client = session.client();
        session
            .runtime
            .block_on(async {
                let transaction = client.transaction().await?;
                transaction
                    .execute(
                        &sql(
                            "INSERT INTO {s}.states (workspace, lineage, serial, format_version, \
                              jobform_version) VALUES ($1, $2, $3, $4, $5) \
                              ON CONFLICT (workspace) DO UPDATE SET lineage = excluded.lineage, \
                              serial = excluded.serial, format_version = excluded.format_version, \
                              jobform_version = excluded.jobform_version",
                        ),
                        &[
                            &session.workspace,
                            &state.lineage,
                            &serial,
                            &(format_version()),
                            &version,
                        ],
                    )
                    .await?;
                transaction
                    .execute(
                        &sql("DELETE FROM {s}.jobs WHERE workspace = $1"),
                        &[&session.workspace],
                    )
                    .await?;
                transaction
                    .execute(
                        &sql("INSERT INTO {s}.jobs (workspace, address, record) \
                              SELECT $1, j.address, j.record \
                              FROM unnest($2::text[], $3::text[]::json[]) AS j(address, record)"),
                        &[&session.workspace, &addresses, &records],
                    )
                    .await?;
                if replace {
                    transaction
                        .execute(
                            &sql("DELETE FROM {s}.audit WHERE workspace = $1"),
                            &[&session.workspace],
                        )
                        .await?;
                }
                transaction
                    .execute(&sql(&audit_insert("$1", 2, "true")), &{
                        let mut params: Vec<&(dyn ToSql + Sync)> = vec![&session.workspace];
                        params.extend(new.params());
                        params
                    })
                    .await?;
                transaction.commit().await
            })
            .map_err(session.error("write"))?;
        Ok(())
    }

    fn salvage(&self, state: &State) -> Result<Option<PathBuf>, StateError> {
        let Some(audit) = self.unwritten().take() else { return Ok(None) };
        // One serial past the last one written, so `state push` takes it
        // over the database's state, and refuses it if someone moved on.
        let mut saved = state.clone();
        saved.serial += 1;
        let mut bytes = serde_json::to_vec_pretty(&StateDocument::new(&saved, &audit))
            .expect("the state serializes");
        bytes.push(b'\n');
        let path = errored_path();
        let io = |source| StateError::Io { action: "write", path: path.clone(), source };
        let mut file =
            std::fs::OpenOptions::new().write(true).create_new(true).open(&path).map_err(io)?;
        std::io::Write::write_all(&mut file, &bytes).and_then(|()| file.sync_all()).map_err(io)?;
        Ok(Some(path))
    }
}

/// [`FORMAT_VERSION`] as the `integer` column holds it.
fn format_version() -> i32 {
    i32::try_from(FORMAT_VERSION).expect("format versions are small")
}

/// A free name for the errored state file: an earlier one may not have been
/// pushed yet, and is never overwritten.
fn errored_path() -> PathBuf {
    let mut path = PathBuf::from(ERRORED_PATH);
    let mut n = 1;
    while path.exists() {
        n += 1;
        path = PathBuf::from(format!("errored-{n}.jobform.state.json"));
    }
    path
}

/// The advisory lock held by a session; releasing it deletes its record.
#[derive(Debug)]
struct SessionLock {
    session: Arc<Session>,
    id: String,
}

impl Release for SessionLock {
    fn release(&self) {
        let session = &*self.session;
        let schema = &session.schema;
        // On a thread of its own: a second Ctrl-C releases from inside the
        // apply's runtime, where this session's runtime cannot be blocked on.
        std::thread::scope(|scope| {
            scope.spawn(|| {
                let client = session.client();
                let _ = session.runtime.block_on(async {
                    client
                        .execute(
                            &format!(
                                "DELETE FROM \"{schema}\".locks WHERE workspace = $1 AND id = $2"
                            ),
                            &[&session.workspace, &self.id],
                        )
                        .await?;
                    client.execute("SELECT pg_advisory_unlock($1)", &[&session.key]).await
                });
            });
        });
    }
}

impl Drop for SessionLock {
    fn drop(&mut self) {
        self.release();
    }
}

/// The advisory lock key of a workspace: 64 bits of a hash of the schema and
/// the workspace, so workspaces (and schemas) lock independently.
fn lock_key(schema: &str, workspace: &str) -> i64 {
    let digest = Sha256::new()
        .chain_update(b"jobform\0")
        .chain_update(schema.as_bytes())
        .chain_update(b"\0")
        .chain_update(workspace.as_bytes())
        .finalize();
    i64::from_be_bytes(digest[..8].try_into().expect("8 bytes"))
}

fn is_plain_identifier(name: &str) -> bool {
    name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// A database or connection error, without the connection string.
fn database(action: &'static str, location: &str, error: &tokio_postgres::Error) -> StateError {
    let detail = if let Some(db) = error.as_db_error() {
        format!("{}: {}", db.severity(), db.message())
    } else {
        // The network's error is in the chain ("connection refused").
        let mut detail = error.to_string();
        let mut source = std::error::Error::source(error);
        while let Some(cause) = source {
            detail = format!("{detail}: {cause}");
            source = cause.source();
        }
        detail
    };
    StateError::Database { action, location: location.to_owned(), detail }
}

/// The connector for a connection's `sslmode`.
type Tls = tokio_postgres_rustls::MakeRustlsConnect;

/// Parses the connection string, taking `sslmode` and `sslrootcert` out of
/// it: tokio-postgres knows `disable`, `prefer` and `require`, and the
/// verifying modes are honoured here. `prefer` and `require` encrypt without
/// checking the server's certificate (as libpq); `verify-ca` and
/// `verify-full` check it and the host name against the web's root
/// certificates (as the HTTP clients), or against the PEM certificates of
/// the file `sslrootcert` names (as libpq).
fn parse_conn_str(conn_str: &str) -> Result<(tokio_postgres::Config, Option<Tls>), StateError> {
    let (without, mode) = take_param(conn_str, "sslmode");
    let (without, root_cert) = take_param(&without, "sslrootcert");
    // The parser's error may quote the string: it is not shown.
    let mut config: tokio_postgres::Config = without.parse().map_err(|_| {
        StateError::Backend(
            "conn_str is not a postgres:// URL or a key=value connection string".to_owned(),
        )
    })?;
    let verify = match mode.as_deref() {
        None | Some("prefer") => {
            config.ssl_mode(SslMode::Prefer);
            false
        }
        Some("disable") => return Ok((config.ssl_mode(SslMode::Disable).clone(), None)),
        Some("require") => {
            config.ssl_mode(SslMode::Require);
            false
        }
        Some("verify-ca" | "verify-full") => {
            config.ssl_mode(SslMode::Require);
            true
        }
        Some(other) => {
            return Err(StateError::Backend(format!(
                "sslmode={other} is not one of disable, prefer, require, verify-ca, verify-full"
            )));
        }
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(|error| StateError::Backend(format!("TLS: {error}")))?;
    let tls = if verify {
        let roots = match root_cert {
            None => rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() },
            Some(path) => root_certificates(&path)?,
        };
        builder.with_root_certificates(roots).with_no_client_auth()
    } else {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(Unverified(provider)))
            .with_no_client_auth()
    };
    Ok((config, Some(tokio_postgres_rustls::MakeRustlsConnect::new(tls))))
}

/// The certificate authorities of the PEM file `sslrootcert` names.
fn root_certificates(path: &str) -> Result<rustls::RootCertStore, StateError> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject as _;
    let refuse = |detail: String| StateError::Backend(format!("sslrootcert {path}: {detail}"));
    let mut roots = rustls::RootCertStore::empty();
    for certificate in CertificateDer::pem_file_iter(path).map_err(|e| refuse(e.to_string()))? {
        let certificate = certificate.map_err(|e| refuse(e.to_string()))?;
        roots.add(certificate).map_err(|e| refuse(e.to_string()))?;
    }
    if roots.is_empty() {
        return Err(refuse("holds no PEM certificate".to_owned()));
    }
    Ok(roots)
}

/// The connection string without the parameter `key`, and its value, from
/// a URL's query or a key=value string.
fn take_param(conn_str: &str, key: &str) -> (String, Option<String>) {
    let prefix = format!("{key}=");
    let mut value = None;
    let mut keep = |pair: &&str| match pair.strip_prefix(&prefix) {
        Some(found) => {
            value = Some(found.to_owned());
            false
        }
        None => true,
    };
    if let Some((base, query)) = conn_str.split_once('?') {
        let rest: Vec<&str> = query.split('&').filter(&mut keep).collect();
        let without =
            if rest.is_empty() { base.to_owned() } else { format!("{base}?{}", rest.join("&")) };
        return (without, value);
    }
    let rest: Vec<&str> = conn_str.split_whitespace().filter(&mut keep).collect();
    (rest.join(" "), value)
}

/// `sslmode=prefer|require`: encrypted, the certificate not checked (the
/// signatures of the handshake still are).
#[derive(Debug)]
struct Unverified(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for Unverified {
    fn verify_server_cert(
        &self,
        _end_entity: &rustls::pki_types::CertificateDer<'_>,
        _intermediates: &[rustls::pki_types::CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sslmode_is_taken_out_of_urls_and_key_value_strings() {
        assert_eq!(
            take_param("postgres://u:p@h:5/db?sslmode=verify-full&application_name=x", "sslmode"),
            ("postgres://u:p@h:5/db?application_name=x".to_owned(), Some("verify-full".to_owned()))
        );
        assert_eq!(take_param("postgres://h/db", "sslmode"), ("postgres://h/db".to_owned(), None));
        assert_eq!(
            take_param("host=h sslmode=disable user=u", "sslmode"),
            ("host=h user=u".to_owned(), Some("disable".to_owned()))
        );
    }

    #[test]
    fn a_bad_connection_string_is_refused_without_quoting_it() {
        for conn_str in
            ["postgres://u:hunter2@h/db?sslmode=sometimes", "postgres://u:hunter2@h:notaport/db"]
        {
            let Err(error) = parse_conn_str(conn_str) else { panic!("{conn_str} parsed") };
            assert!(!error.to_string().contains("hunter2"), "{error}");
        }
    }

    #[test]
    fn workspaces_and_schemas_lock_apart() {
        assert_ne!(lock_key("jobform", "default"), lock_key("jobform", "staging"));
        assert_ne!(lock_key("jobform", "default"), lock_key("other", "default"));
    }
}

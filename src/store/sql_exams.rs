//! The SQL of [`super::exams::ExamStore`], shared by both backends the same way as
//! `sql.rs` (see there for why a macro). Besides `ROW_LOCK` and `SHARE_LOCK` (empty in
//! SQLite, whose single writer already serialises), a backend supplies `JSON_ROWS`,
//! `IN_JSON_IDS` and `IN_JSON_TEXTS`: the rows of a JSON array parameter and a match
//! against one, through which a batch's saves, starts, session checks and row locks
//! travel as one statement each.

macro_rules! impl_exam_store {
    ($store:ty, $db:ty) => {
        mod exam_sql {
            use super::*;
            use $crate::domain::assembly::Paper;
            use $crate::domain::exam::*;
            use $crate::domain::item::{ItemContent, ItemType};
            use $crate::store::exams::*;
            use $crate::store::sql::{map_unique, not_found};
            use $crate::store::{NewPerson, Result, StoreError};

            type ERow = <$db as sqlx::Database>::Row;
            type ETx = sqlx::Transaction<'static, $db>;

            fn bad(column: &'static str) -> StoreError {
                StoreError::Database(sqlx::Error::ColumnDecode { index: column.into(), source: format!("bad value in {column}").into() })
            }

            const PLAN_SELECT: &str = "SELECT p.id, p.body_id, p.occupation_id, o.code AS occupation_code, o.name AS occupation_name, \
                 p.level, p.bank_id, p.name, p.exam_date, p.status, p.template, p.created_at_ms, p.approved_at_ms, p.roster_closed_at_ms \
                 FROM plans p JOIN occupations o ON o.id = p.occupation_id";

            fn plan_from_row(r: &ERow) -> Result<Plan> {
                let status: String = r.try_get("status")?;
                let template: String = r.try_get("template")?;
                let level: i64 = r.try_get("level")?;
                Ok(Plan {
                    id: r.try_get("id")?,
                    body_id: r.try_get("body_id")?,
                    occupation_id: r.try_get("occupation_id")?,
                    occupation_code: r.try_get("occupation_code")?,
                    occupation_name: r.try_get("occupation_name")?,
                    level: level as u8,
                    bank_id: r.try_get("bank_id")?,
                    name: r.try_get("name")?,
                    exam_date: r.try_get("exam_date")?,
                    status: PlanStatus::from_code(&status).ok_or_else(|| bad("status"))?,
                    template: serde_json::from_str(&template).map_err(|_| bad("template"))?,
                    created_at_ms: r.try_get("created_at_ms")?,
                    approved_at_ms: r.try_get("approved_at_ms")?,
                    roster_closed_at_ms: r.try_get("roster_closed_at_ms")?,
                })
            }

            const CLOCK_COLUMNS: &str = "status, started_at_ms, deadline_ms, paused_at_ms, extension_ms";

            /// An attempt's status where the row may have no attempt yet (a LEFT JOIN).
            fn optional_status(r: &ERow) -> Result<Option<AttemptStatus>> {
                let status: Option<String> = r.try_get("status")?;
                status.map(|s| AttemptStatus::from_code(&s).ok_or_else(|| bad("status"))).transpose()
            }

            fn clock_from_row(r: &ERow) -> Result<Clock> {
                let status: String = r.try_get("status")?;
                Ok(Clock {
                    status: AttemptStatus::from_code(&status).ok_or_else(|| bad("status"))?,
                    started_at_ms: r.try_get("started_at_ms")?,
                    deadline_ms: r.try_get("deadline_ms")?,
                    paused_at_ms: r.try_get("paused_at_ms")?,
                    extension_ms: r.try_get("extension_ms")?,
                })
            }

            /// What a group commit's batch statements decided, for `apply_one` to answer
            /// each op from.
            #[derive(Default)]
            struct Batch {
                /// Attempts the batch's one start UPDATE started, with their clocks.
                started: std::collections::HashMap<i64, Clock>,
                /// (attempt, position) → sequence, as the batch's one answers INSERT wrote it.
                written: std::collections::HashMap<(i64, u32), i64>,
                /// Token hashes of the batch's exam sessions that are still live.
                live: std::collections::HashSet<String>,
                /// Audit entries, appended once for the whole batch.
                audits: Vec<AuditEvent>,
            }

            impl $store {
                async fn plan_tx(tx: &mut ETx, id: i64) -> Result<Plan> {
                    let sql = format!("{PLAN_SELECT} WHERE p.id = $1");
                    let row = sqlx::query(&sql).bind(id).fetch_one(&mut **tx).await.map_err(not_found)?;
                    plan_from_row(&row)
                }

                /// The person with this document, created if unknown.
                async fn person_tx(tx: &mut ETx, p: &NewPerson, now_ms: i64) -> Result<i64> {
                    let found: Option<i64> = sqlx::query_scalar("SELECT id FROM people WHERE document_lookup = $1")
                        .bind(&p.document_lookup)
                        .fetch_optional(&mut **tx)
                        .await?;
                    if let Some(id) = found {
                        return Ok(id);
                    }
                    Self::insert_person_tx(tx, p, now_ms).await
                }

                /// Refuses when the staff member declared a relation to a candidate of
                /// the session (or is one).
                async fn recusal_tx(tx: &mut ETx, session_id: i64, user_id: i64) -> Result<()> {
                    let staff_person: Option<i64> = sqlx::query_scalar("SELECT person_id FROM users WHERE id = $1")
                        .bind(user_id)
                        .fetch_one(&mut **tx)
                        .await
                        .map_err(not_found)?;
                    let rels = sqlx::query("SELECT person_id, relation FROM staff_relations WHERE user_id = $1")
                        .bind(user_id)
                        .fetch_all(&mut **tx)
                        .await?;
                    let mut relations = Vec::with_capacity(rels.len());
                    for r in &rels {
                        let code: String = r.try_get("relation")?;
                        relations.push((r.try_get::<i64, _>("person_id")?, Relation::from_code(&code).ok_or_else(|| bad("relation"))?));
                    }
                    if relations.is_empty() && staff_person.is_none() {
                        return Ok(());
                    }
                    let rows = sqlx::query("SELECT person_id, admission_no FROM candidates WHERE session_id = $1")
                        .bind(session_id)
                        .fetch_all(&mut **tx)
                        .await?;
                    let mut cands = Vec::with_capacity(rows.len());
                    for r in &rows {
                        cands.push((r.try_get::<i64, _>("person_id")?, r.try_get::<String, _>("admission_no")?));
                    }
                    match recusal(staff_person, &relations, &cands) {
                        Some(r) => Err(StoreError::Refused {
                            field: "user_id",
                            code: "exam_error.recusal",
                            detail: format!("{} ({})", r.admission_no, r.relation.code()),
                        }),
                        None => Ok(()),
                    }
                }

                async fn attempt_clock_tx(tx: &mut ETx, attempt_id: i64) -> Result<(Clock, i64, i64, i64)> {
                    let sql = format!("SELECT {CLOCK_COLUMNS}, duration_ms, plan_id, session_id FROM attempts WHERE id = $1{}", Self::ROW_LOCK);
                    let row = sqlx::query(&sql).bind(attempt_id).fetch_one(&mut **tx).await.map_err(not_found)?;
                    Ok((clock_from_row(&row)?, row.try_get("duration_ms")?, row.try_get("plan_id")?, row.try_get("session_id")?))
                }

                async fn write_clock_tx(tx: &mut ETx, attempt_id: i64, c: &Clock) -> Result<()> {
                    sqlx::query(
                        "UPDATE attempts SET status = $1, started_at_ms = $2, deadline_ms = $3, paused_at_ms = $4, extension_ms = $5 WHERE id = $6",
                    )
                    .bind(c.status.code())
                    .bind(c.started_at_ms)
                    .bind(c.deadline_ms)
                    .bind(c.paused_at_ms)
                    .bind(c.extension_ms)
                    .bind(attempt_id)
                    .execute(&mut **tx)
                    .await?;
                    Ok(())
                }

                #[allow(clippy::too_many_arguments)] // one row of the log, column by column
                async fn proctor_log_tx(tx: &mut ETx, plan_id: i64, session_id: i64, attempt_id: Option<i64>, actor: Option<i64>, action: &str, detail: &str, at_ms: i64) -> Result<()> {
                    sqlx::query("INSERT INTO proctor_actions (plan_id, session_id, attempt_id, actor_id, action, detail, at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                        .bind(plan_id)
                        .bind(session_id)
                        .bind(attempt_id)
                        .bind(actor)
                        .bind(action)
                        .bind(detail)
                        .bind(at_ms)
                        .execute(&mut **tx)
                        .await?;
                    Ok(())
                }

                async fn submit_tx(tx: &mut ETx, attempt_id: i64, at_ms: i64, reason: &str) -> Result<()> {
                    sqlx::query("UPDATE attempts SET status = 'submitted', submitted_at_ms = $1, submit_reason = $2, paused_at_ms = NULL WHERE id = $3")
                        .bind(at_ms)
                        .bind(reason)
                        .bind(attempt_id)
                        .execute(&mut **tx)
                        .await?;
                    Ok(())
                }

                /// Every answer change of the batch in one statement: written only while
                /// the attempt runs (as `Clock::check_save` says) and only over an older
                /// sequence. Returns the written (attempt, position) → sequence; what is
                /// missing there `apply_one` decides under the attempt's row lock. Saves of
                /// an attempt that the batch also submits stay out, so they are judged in
                /// arrival order; saves whose exam session is not in `live` stay out
                /// (`apply_one` answers them `SessionEnded`; they lock nothing). Every
                /// other save's attempt row is share-locked on PostgreSQL, whether its
                /// clock lets the save in or not
                /// (the sub-select returns the verdict rather than filtering the row out),
                /// in ascending order (the JSON rows are walked in order): a pause or the
                /// deadline sweep orders cleanly against the batch, and the slow path
                /// finds its lock already held.
                async fn write_answers_tx(
                    tx: &mut ETx,
                    ops: &[ExamOp],
                    live: &std::collections::HashSet<String>,
                    now_ms: i64,
                    grace_ms: i64,
                ) -> Result<std::collections::HashMap<(i64, u32), i64>> {
                    let submitted: std::collections::HashSet<i64> = ops
                        .iter()
                        .filter_map(|op| match op {
                            ExamOp::Submit { attempt_id, .. } => Some(*attempt_id),
                            _ => None,
                        })
                        .collect();
                    // The newest change per position: one statement may not upsert a row
                    // twice (PostgreSQL refuses), and an older change of the same position
                    // is acknowledged by the newer one being written.
                    let mut newest: std::collections::BTreeMap<(i64, u32), &Change> = std::collections::BTreeMap::new();
                    for op in ops {
                        if let ExamOp::Save { attempt_id, session, changes } = op {
                            if submitted.contains(attempt_id) || !live.contains(session) {
                                continue;
                            }
                            for c in changes {
                                let slot = newest.entry((*attempt_id, c.position)).or_insert(c);
                                if c.seq > slot.seq {
                                    *slot = c;
                                }
                            }
                        }
                    }
                    let mut written = std::collections::HashMap::with_capacity(newest.len());
                    if newest.is_empty() {
                        return Ok(written);
                    }
                    // In attempt order, the order every exam write locks attempt rows in.
                    // The attempt is checked in a correlated sub-select, so both databases
                    // walk the JSON rows and look each attempt up by id: as a join, SQLite
                    // scanned the attempts for every row (a 150-save batch took a second)
                    // and PostgreSQL hashed all running attempts for every batch.
                    let rows: Vec<serde_json::Value> = newest
                        .iter()
                        .map(|((attempt_id, position), c)| serde_json::json!({"a": attempt_id, "p": position, "s": c.seq, "v": c.answer}))
                        .collect();
                    let sql = format!(
                        "INSERT INTO answers (attempt_id, position, answer, seq, saved_at_ms) \
                         SELECT CAST(value ->> 'a' AS BIGINT), CAST(value ->> 'p' AS BIGINT), value ->> 'v', CAST(value ->> 's' AS BIGINT), $2 \
                         FROM {} WHERE (SELECT a.status = 'in_progress' AND a.deadline_ms + $3 >= $2 FROM attempts a \
                         WHERE a.id = CAST(value ->> 'a' AS BIGINT){}) \
                         ON CONFLICT (attempt_id, position) DO UPDATE SET answer = excluded.answer, seq = excluded.seq, \
                         saved_at_ms = excluded.saved_at_ms WHERE answers.seq < excluded.seq \
                         RETURNING attempt_id, position, seq",
                        Self::JSON_ROWS,
                        Self::SHARE_LOCK
                    );
                    let json = serde_json::Value::Array(rows).to_string();
                    for r in sqlx::query(&sql).bind(json).bind(now_ms).bind(grace_ms).fetch_all(&mut **tx).await? {
                        let key = (r.try_get::<i64, _>("attempt_id")?, r.try_get::<i64, _>("position")? as u32);
                        written.insert(key, r.try_get::<i64, _>("seq")?);
                    }
                    Ok(written)
                }

                /// One op of a group commit, answered from what the batch statements
                /// decided (`batch`) where they could, one by one otherwise.
                async fn apply_one(
                    tx: &mut ETx,
                    op: &ExamOp,
                    now_ms: i64,
                    grace_ms: i64,
                    batch: &mut Batch,
                ) -> Result<ExamOpResult> {
                    match op {
                        ExamOp::Save { attempt_id, session, changes } => {
                            if !batch.live.contains(session) {
                                return Ok(ExamOpResult::SessionEnded);
                            }
                            let attempt_id = *attempt_id;
                            let top = changes.iter().map(|c| c.seq).max().unwrap_or(0);
                            // The batch's one INSERT (see `apply_exam_ops`) wrote the common
                            // case; a change counts as written when its position now holds
                            // its sequence or a newer one from the same commit.
                            let unwritten: Vec<&Change> = changes
                                .iter()
                                .filter(|c| batch.written.get(&(attempt_id, c.position)).is_none_or(|&seq| seq < c.seq))
                                .collect();
                            if unwritten.is_empty() {
                                return Ok(ExamOpResult::Saved { seq: top, at_ms: now_ms });
                            }
                            // Something was not written: a replay or an older sequence (an
                            // acknowledgement), or a closed clock (a refusal, kept on
                            // record). Decided under a lock on the attempt's row, so a
                            // resume committing meanwhile cannot make an unwritten save look
                            // acknowledged: with the clock open and locked, the changes are
                            // written again, and what still is not is older than what is
                            // stored. A share lock: the batch's saves hold one already, and
                            // two batches upgrading theirs to exclusive would deadlock.
                            let sql = format!("SELECT {CLOCK_COLUMNS} FROM attempts a WHERE id = $1{}", Self::SHARE_LOCK);
                            let row = sqlx::query(&sql).bind(attempt_id).fetch_one(&mut **tx).await.map_err(not_found)?;
                            let clock = clock_from_row(&row)?;
                            if clock.check_save(now_ms, grace_ms).is_ok() {
                                for c in unwritten {
                                    sqlx::query(
                                        "INSERT INTO answers (attempt_id, position, answer, seq, saved_at_ms) VALUES ($1, $2, $3, $4, $5) \
                                         ON CONFLICT (attempt_id, position) DO UPDATE SET answer = excluded.answer, seq = excluded.seq, \
                                         saved_at_ms = excluded.saved_at_ms WHERE answers.seq < excluded.seq",
                                    )
                                    .bind(attempt_id)
                                    .bind(i64::from(c.position))
                                    .bind(&c.answer)
                                    .bind(c.seq)
                                    .bind(now_ms)
                                    .execute(&mut **tx)
                                    .await?;
                                }
                            }
                            if let Err(refusal) = clock.check_save(now_ms, grace_ms) {
                                sqlx::query("INSERT INTO save_refusals (attempt_id, seq, reason, at_ms) VALUES ($1, $2, $3, $4)")
                                    .bind(attempt_id)
                                    .bind(top)
                                    .bind(refusal.code())
                                    .bind(now_ms)
                                    .execute(&mut **tx)
                                    .await?;
                                return Ok(ExamOpResult::Refused(refusal));
                            }
                            Ok(ExamOpResult::Saved { seq: top, at_ms: now_ms })
                        }
                        ExamOp::Start { attempt_id, audit } => {
                            let attempt_id = *attempt_id;
                            // Started by the batch's one UPDATE (see `apply_exam_ops`).
                            if let Some(clock) = batch.started.remove(&attempt_id) {
                                batch.audits.push(audit.clone());
                                return Ok(ExamOpResult::Started(clock));
                            }
                            let (clock, duration_ms, _, _) = Self::attempt_clock_tx(tx, attempt_id).await?;
                            match start(&clock, now_ms, duration_ms) {
                                Ok(next) => {
                                    if next != clock {
                                        Self::write_clock_tx(tx, attempt_id, &next).await?;
                                        batch.audits.push(audit.clone());
                                    }
                                    Ok(ExamOpResult::Started(next))
                                }
                                Err(code) => Ok(ExamOpResult::StartRefused(code)),
                            }
                        }
                        ExamOp::Submit { attempt_id, audit } => {
                            let attempt_id = *attempt_id;
                            let (clock, _, _, _) = Self::attempt_clock_tx(tx, attempt_id).await?;
                            match clock.status {
                                AttemptStatus::InProgress | AttemptStatus::Paused => {
                                    // After the deadline the attempt counts as submitted at
                                    // the deadline, with what was saved by then.
                                    let at = clock.deadline_ms.map_or(now_ms, |d| now_ms.min(d));
                                    Self::submit_tx(tx, attempt_id, at, "candidate").await?;
                                    batch.audits.push(audit.clone());
                                    Ok(ExamOpResult::Submitted { at_ms: at })
                                }
                                AttemptStatus::Submitted | AttemptStatus::Terminated => {
                                    let at: Option<i64> = sqlx::query_scalar("SELECT submitted_at_ms FROM attempts WHERE id = $1")
                                        .bind(attempt_id)
                                        .fetch_one(&mut **tx)
                                        .await?;
                                    Ok(ExamOpResult::Submitted { at_ms: at.unwrap_or(now_ms) })
                                }
                                _ => Ok(ExamOpResult::StartRefused("attempt_not_started")),
                            }
                        }
                        ExamOp::Login { candidate_id, token_hash, csrf_token, expires_at_ms, audit } => {
                            // One device at a time: a new login ends the candidate's other
                            // exam sessions (resuming elsewhere still works: that is a login).
                            sqlx::query("DELETE FROM exam_sessions WHERE candidate_id = $1")
                                .bind(*candidate_id)
                                .execute(&mut **tx)
                                .await?;
                            sqlx::query("INSERT INTO exam_sessions (token_hash, candidate_id, csrf_token, created_at_ms, expires_at_ms) VALUES ($1, $2, $3, $4, $5)")
                                .bind(token_hash.as_str())
                                .bind(*candidate_id)
                                .bind(csrf_token.as_str())
                                .bind(now_ms)
                                .bind(*expires_at_ms)
                                .execute(&mut **tx)
                                .await?;
                            batch.audits.push(audit.clone());
                            Ok(ExamOpResult::LoggedIn)
                        }
                    }
                }
            }

            const ROSTER_SELECT: &str = "SELECT c.id AS candidate_id, c.admission_no, pe.name, pe.document_masked, c.session_id, c.seat, \
                 a.id AS attempt_id, a.status, a.started_at_ms, a.deadline_ms, a.paused_at_ms, a.extension_ms, a.submitted_at_ms, \
                 (SELECT MAX(an.saved_at_ms) FROM answers an WHERE an.attempt_id = a.id) AS last_saved_at_ms, a.item_count, \
                 (SELECT COUNT(*) FROM answers an WHERE an.attempt_id = a.id AND an.answer <> 'null') AS answered \
                 FROM candidates c JOIN people pe ON pe.id = c.person_id LEFT JOIN attempts a ON a.candidate_id = c.id";

            fn roster_from_row(r: &ERow) -> Result<RosterEntry> {
                let ext: Option<i64> = r.try_get("extension_ms")?;
                let items: Option<i64> = r.try_get("item_count")?;
                Ok(RosterEntry {
                    candidate_id: r.try_get("candidate_id")?,
                    admission_no: r.try_get("admission_no")?,
                    name: r.try_get("name")?,
                    document_masked: r.try_get("document_masked")?,
                    session_id: r.try_get("session_id")?,
                    seat: r.try_get("seat")?,
                    attempt_id: r.try_get("attempt_id")?,
                    status: optional_status(r)?,
                    started_at_ms: r.try_get("started_at_ms")?,
                    deadline_ms: r.try_get("deadline_ms")?,
                    paused_at_ms: r.try_get("paused_at_ms")?,
                    extension_ms: ext.unwrap_or(0),
                    submitted_at_ms: r.try_get("submitted_at_ms")?,
                    last_saved_at_ms: r.try_get("last_saved_at_ms")?,
                    answered: r.try_get("answered")?,
                    item_count: items.unwrap_or(0),
                })
            }

            const SESSION_SELECT: &str = "SELECT s.id, s.plan_id, s.room_id, r.name AS room_name, s.starts_at_ms, \
                 (SELECT COUNT(*) FROM candidates c WHERE c.session_id = s.id) AS candidates \
                 FROM plan_sessions s JOIN organisations r ON r.id = s.room_id";

            impl $store {
                async fn session_rows(&self, filter: &str, id: i64) -> Result<Vec<PlanSession>> {
                    let sql = format!("{SESSION_SELECT} WHERE {filter} ORDER BY s.starts_at_ms, s.id");
                    let rows = sqlx::query(&sql).bind(id).fetch_all(self.reader()).await?;
                    let mut out = Vec::with_capacity(rows.len());
                    for r in &rows {
                        let sid: i64 = r.try_get("id")?;
                        let staff = sqlx::query(
                            "SELECT u.id, u.display_name FROM session_staff ss JOIN users u ON u.id = ss.user_id \
                             WHERE ss.session_id = $1 AND ss.role = 'proctor' ORDER BY u.id",
                        )
                        .bind(sid)
                        .fetch_all(self.reader())
                        .await?;
                        out.push(PlanSession {
                            id: sid,
                            plan_id: r.try_get("plan_id")?,
                            room_id: r.try_get("room_id")?,
                            room_name: r.try_get("room_name")?,
                            starts_at_ms: r.try_get("starts_at_ms")?,
                            candidates: r.try_get("candidates")?,
                            proctors: staff
                                .iter()
                                .map(|s| Ok(StaffRef { user_id: s.try_get("id")?, display_name: s.try_get("display_name")? }))
                                .collect::<Result<_>>()?,
                        });
                    }
                    Ok(out)
                }
            }

            #[async_trait::async_trait]
            impl ExamStore for $store {
                async fn create_plan(&self, new: NewPlan, mut audit: AuditEvent) -> Result<Plan> {
                    let mut tx = self.begin_write().await?;
                    let status = if new.requires_approval { PlanStatus::PendingApproval } else { PlanStatus::Open };
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO plans (body_id, occupation_id, level, bank_id, name, exam_date, status, template, created_by, created_at_ms) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
                    )
                    .bind(new.body_id)
                    .bind(new.occupation_id)
                    .bind(i64::from(new.level))
                    .bind(new.bank_id)
                    .bind(&new.name)
                    .bind(&new.exam_date)
                    .bind(status.code())
                    .bind(serde_json::to_string(&new.template).unwrap_or_default())
                    .bind(new.created_by)
                    .bind(audit.at_ms)
                    .fetch_one(&mut *tx)
                    .await?;
                    audit.object_id = id.to_string();
                    Self::append_audit_tx(&mut tx, audit).await?;
                    let plan = Self::plan_tx(&mut tx, id).await?;
                    tx.commit().await?;
                    Ok(plan)
                }

                async fn plan(&self, id: i64) -> Result<Plan> {
                    let sql = format!("{PLAN_SELECT} WHERE p.id = $1");
                    let row = sqlx::query(&sql).bind(id).fetch_one(self.reader()).await.map_err(not_found)?;
                    plan_from_row(&row)
                }

                async fn plans(&self, body_id: Option<i64>) -> Result<Vec<Plan>> {
                    let sql = format!("{PLAN_SELECT} WHERE ($1 IS NULL OR p.body_id = $1) ORDER BY p.id DESC LIMIT 500");
                    let rows = sqlx::query(&sql).bind(body_id).fetch_all(self.reader()).await?;
                    rows.iter().map(plan_from_row).collect()
                }

                async fn approve_plan(&self, id: i64, by: i64, audit: AuditEvent) -> Result<Plan> {
                    let mut tx = self.begin_write().await?;
                    let plan = Self::plan_tx(&mut tx, id).await?;
                    if plan.status != PlanStatus::PendingApproval {
                        return Err(StoreError::Invalid { field: "status", code: "exam_error.not_pending" });
                    }
                    sqlx::query("UPDATE plans SET status = 'open', approved_by = $1, approved_at_ms = $2 WHERE id = $3")
                        .bind(by)
                        .bind(audit.at_ms)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    Self::append_audit_tx(&mut tx, audit).await?;
                    let plan = Self::plan_tx(&mut tx, id).await?;
                    tx.commit().await?;
                    Ok(plan)
                }

                async fn add_session(&self, plan_id: i64, room_id: i64, starts_at_ms: i64, mut audit: AuditEvent) -> Result<i64> {
                    let mut tx = self.begin_write().await?;
                    let plan = Self::plan_tx(&mut tx, plan_id).await?;
                    if plan.status != PlanStatus::Open && plan.status != PlanStatus::PendingApproval {
                        return Err(StoreError::Invalid { field: "plan", code: "exam_error.roster_closed" });
                    }
                    let room = sqlx::query("SELECT kind, body_id FROM organisations WHERE id = $1")
                        .bind(room_id)
                        .fetch_optional(&mut *tx)
                        .await?;
                    let ok = match &room {
                        Some(r) => r.try_get::<String, _>("kind")? == "room" && r.try_get::<Option<i64>, _>("body_id")? == Some(plan.body_id),
                        None => false,
                    };
                    if !ok {
                        return Err(StoreError::Invalid { field: "room_id", code: "exam_error.room" });
                    }
                    let id: i64 = sqlx::query_scalar("INSERT INTO plan_sessions (plan_id, room_id, starts_at_ms, created_at_ms) VALUES ($1, $2, $3, $4) RETURNING id")
                        .bind(plan_id)
                        .bind(room_id)
                        .bind(starts_at_ms)
                        .bind(audit.at_ms)
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(map_unique)?;
                    audit.object_id = id.to_string();
                    Self::append_audit_tx(&mut tx, audit).await?;
                    tx.commit().await?;
                    Ok(id)
                }

                async fn sessions(&self, plan_id: i64) -> Result<Vec<PlanSession>> {
                    self.session_rows("s.plan_id = $1", plan_id).await
                }

                async fn plan_session(&self, id: i64) -> Result<PlanSession> {
                    self.session_rows("s.id = $1", id).await?.pop().ok_or(StoreError::NotFound)
                }

                async fn assign_proctor(&self, session_id: i64, user_id: i64, by: i64, audit: AuditEvent) -> Result<()> {
                    let mut tx = self.begin_write().await?;
                    Self::recusal_tx(&mut tx, session_id, user_id).await?;
                    sqlx::query("INSERT INTO session_staff (session_id, user_id, role, assigned_by, assigned_at_ms) VALUES ($1, $2, 'proctor', $3, $4)")
                        .bind(session_id)
                        .bind(user_id)
                        .bind(by)
                        .bind(audit.at_ms)
                        .execute(&mut *tx)
                        .await
                        .map_err(map_unique)?;
                    Self::append_audit_tx(&mut tx, audit).await?;
                    tx.commit().await?;
                    Ok(())
                }

                async fn assign_inspector(&self, plan_id: i64, user_id: i64, by: i64, audit: AuditEvent) -> Result<()> {
                    let mut tx = self.begin_write().await?;
                    sqlx::query("INSERT INTO plan_inspectors (plan_id, user_id, assigned_by, assigned_at_ms) VALUES ($1, $2, $3, $4)")
                        .bind(plan_id)
                        .bind(user_id)
                        .bind(by)
                        .bind(audit.at_ms)
                        .execute(&mut *tx)
                        .await
                        .map_err(map_unique)?;
                    Self::append_audit_tx(&mut tx, audit).await?;
                    tx.commit().await?;
                    Ok(())
                }

                async fn plan_inspectors(&self, plan_id: i64) -> Result<Vec<StaffRef>> {
                    let rows = sqlx::query("SELECT u.id, u.display_name FROM plan_inspectors pi JOIN users u ON u.id = pi.user_id WHERE pi.plan_id = $1 ORDER BY u.id")
                        .bind(plan_id)
                        .fetch_all(self.reader())
                        .await?;
                    rows.iter().map(|s| Ok(StaffRef { user_id: s.try_get("id")?, display_name: s.try_get("display_name")? })).collect()
                }

                async fn declare_relation(&self, user_id: i64, person: NewPerson, relation: Relation, audit: AuditEvent) -> Result<()> {
                    let mut tx = self.begin_write().await?;
                    let person_id = Self::person_tx(&mut tx, &person, audit.at_ms).await?;
                    sqlx::query("INSERT INTO staff_relations (user_id, person_id, relation, declared_at_ms) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING")
                        .bind(user_id)
                        .bind(person_id)
                        .bind(relation.code())
                        .bind(audit.at_ms)
                        .execute(&mut *tx)
                        .await?;
                    Self::append_audit_tx(&mut tx, audit).await?;
                    tx.commit().await?;
                    Ok(())
                }

                async fn add_candidates(&self, plan_id: i64, candidates: Vec<NewCandidate>, audit: AuditEvent) -> Result<Vec<Enrolled>> {
                    let mut tx = self.begin_write().await?;
                    let plan = Self::plan_tx(&mut tx, plan_id).await?;
                    if plan.status != PlanStatus::Open {
                        return Err(StoreError::Invalid { field: "plan", code: "exam_error.not_open" });
                    }
                    let mut ordinal: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM candidates WHERE plan_id = $1")
                        .bind(plan_id)
                        .fetch_one(&mut *tx)
                        .await?;
                    let mut out = Vec::with_capacity(candidates.len());
                    let mut touched = std::collections::BTreeSet::new();
                    for c in &candidates {
                        let s_plan: Option<i64> = sqlx::query_scalar("SELECT plan_id FROM plan_sessions WHERE id = $1")
                            .bind(c.session_id)
                            .fetch_optional(&mut *tx)
                            .await?;
                        if s_plan != Some(plan_id) {
                            return Err(StoreError::Invalid { field: "session_id", code: "exam_error.session" });
                        }
                        let person_id = Self::person_tx(&mut tx, &c.person, audit.at_ms).await?;
                        let on_plan: Option<i64> = sqlx::query_scalar("SELECT id FROM candidates WHERE plan_id = $1 AND person_id = $2")
                            .bind(plan_id)
                            .bind(person_id)
                            .fetch_optional(&mut *tx)
                            .await?;
                        if on_plan.is_some() {
                            return Err(StoreError::Refused {
                                field: "id_number",
                                code: "exam_error.already_enrolled",
                                detail: c.person.document_masked.clone(),
                            });
                        }
                        ordinal += 1;
                        let seat: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(seat), 0) + 1 FROM candidates WHERE session_id = $1")
                            .bind(c.session_id)
                            .fetch_one(&mut *tx)
                            .await?;
                        let admission_no = admission_number(plan_id, ordinal);
                        let id: i64 = sqlx::query_scalar(
                            "INSERT INTO candidates (plan_id, session_id, person_id, admission_no, seat, created_at_ms) \
                             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                        )
                        .bind(plan_id)
                        .bind(c.session_id)
                        .bind(person_id)
                        .bind(&admission_no)
                        .bind(seat)
                        .bind(audit.at_ms)
                        .fetch_one(&mut *tx)
                        .await?;
                        touched.insert(c.session_id);
                        out.push(Enrolled { candidate_id: id, admission_no, seat });
                    }
                    // Recusal: no proctor of a session may be related to its candidates.
                    for sid in touched {
                        let staff: Vec<i64> = sqlx::query_scalar("SELECT user_id FROM session_staff WHERE session_id = $1")
                            .bind(sid)
                            .fetch_all(&mut *tx)
                            .await?;
                        for u in staff {
                            Self::recusal_tx(&mut tx, sid, u).await?;
                        }
                    }
                    Self::append_audit_tx(&mut tx, audit).await?;
                    tx.commit().await?;
                    Ok(out)
                }

                async fn roster(&self, plan_id: i64, session_id: Option<i64>) -> Result<Vec<RosterEntry>> {
                    let sql = format!("{ROSTER_SELECT} WHERE c.plan_id = $1 AND ($2 IS NULL OR c.session_id = $2) ORDER BY c.session_id, c.seat");
                    let rows = sqlx::query(&sql).bind(plan_id).bind(session_id).fetch_all(self.reader()).await?;
                    rows.iter().map(roster_from_row).collect()
                }

                async fn pool(&self, bank_id: i64, level: u8) -> Result<(Vec<PoolRow>, Vec<(i64, u32)>)> {
                    let rows = sqlx::query(
                        "SELECT i.id, i.active_version, i.point_code, i.item_type, i.difficulty, v.content \
                         FROM items i JOIN item_versions v ON v.item_id = i.id AND v.version = i.active_version \
                         WHERE i.bank_id = $1 AND i.level = $2 AND i.mode = 'theory' AND i.status <> 'retired' \
                         AND i.active_version IS NOT NULL ORDER BY i.id",
                    )
                    .bind(bank_id)
                    .bind(i64::from(level))
                    .fetch_all(self.reader())
                    .await?;
                    let mut pool = Vec::with_capacity(rows.len());
                    for r in &rows {
                        let t: String = r.try_get("item_type")?;
                        let content: String = r.try_get("content")?;
                        let c: ItemContent = serde_json::from_str(&content).map_err(|_| bad("content"))?;
                        let d: i64 = r.try_get("difficulty")?;
                        pool.push(PoolRow {
                            item_id: r.try_get("id")?,
                            version: r.try_get("active_version")?,
                            point_code: r.try_get("point_code")?,
                            item_type: ItemType::from_code(&t).ok_or_else(|| bad("item_type"))?,
                            difficulty: d as u8,
                            options: c.options.len().min(255) as u8,
                        });
                    }
                    let exp = sqlx::query("SELECT e.item_id, e.shown FROM item_exposure e JOIN items i ON i.id = e.item_id WHERE i.bank_id = $1")
                        .bind(bank_id)
                        .fetch_all(self.reader())
                        .await?;
                    let exposure = exp
                        .iter()
                        .map(|r| Ok((r.try_get::<i64, _>("item_id")?, r.try_get::<i64, _>("shown")? as u32)))
                        .collect::<Result<_>>()?;
                    Ok((pool, exposure))
                }

                async fn earlier_items(&self, plan_id: i64) -> Result<Vec<(i64, Vec<i64>)>> {
                    let rows = sqlx::query(
                        "SELECT c.person_id, p.paper FROM attempts a JOIN candidates c ON c.id = a.candidate_id \
                         JOIN attempt_papers p ON p.attempt_id = a.id WHERE a.plan_id <> $1 AND c.person_id IN (SELECT person_id FROM candidates WHERE plan_id = $1)",
                    )
                    .bind(plan_id)
                    .fetch_all(self.reader())
                    .await?;
                    let mut out = Vec::with_capacity(rows.len());
                    for r in &rows {
                        let paper: String = r.try_get("paper")?;
                        let p: Paper = serde_json::from_str(&paper).map_err(|_| bad("paper"))?;
                        out.push((r.try_get("person_id")?, p.items.iter().map(|i| i.item_id).collect()));
                    }
                    Ok(out)
                }

                async fn roster_people(&self, plan_id: i64) -> Result<Vec<(i64, i64, i64)>> {
                    let rows = sqlx::query("SELECT id, person_id, session_id FROM candidates WHERE plan_id = $1 ORDER BY id")
                        .bind(plan_id)
                        .fetch_all(self.reader())
                        .await?;
                    rows.iter().map(|r| Ok((r.try_get("id")?, r.try_get("person_id")?, r.try_get("session_id")?))).collect()
                }

                async fn close_roster(&self, plan_id: i64, attempts: Vec<NewAttempt>, duration_ms: i64, audit: AuditEvent) -> Result<()> {
                    let mut tx = self.begin_write().await?;
                    let sql = format!("SELECT status FROM plans WHERE id = $1{}", Self::ROW_LOCK);
                    let status: String = sqlx::query_scalar(&sql).bind(plan_id).fetch_one(&mut *tx).await.map_err(not_found)?;
                    if status != "open" {
                        return Err(StoreError::Invalid { field: "plan", code: "exam_error.not_open" });
                    }
                    // The web layer refused an exited body before generating the papers,
                    // which takes a while; an exit recorded meanwhile still freezes the plan
                    // (on PostgreSQL the body's row is share-locked until this commits).
                    let sql = format!(
                        "SELECT a.status FROM organisations a JOIN plans p ON p.body_id = a.id WHERE p.id = $1{}",
                        Self::SHARE_LOCK
                    );
                    let body_status: String = sqlx::query_scalar(&sql).bind(plan_id).fetch_one(&mut *tx).await?;
                    if body_status == "exited" {
                        return Err(StoreError::Invalid { field: "plan", code: "exam_error.plan_frozen" });
                    }
                    let mut shown: std::collections::HashMap<i64, i64> = std::collections::HashMap::new();
                    for a in &attempts {
                        for it in &a.paper.items {
                            *shown.entry(it.item_id).or_default() += 1;
                        }
                        let attempt_id: i64 = sqlx::query_scalar(
                            "INSERT INTO attempts (candidate_id, plan_id, session_id, seed, item_count, status, duration_ms, created_at_ms) \
                             VALUES ($1, $2, $3, $4, $5, 'ready', $6, $7) RETURNING id",
                        )
                        .bind(a.candidate_id)
                        .bind(plan_id)
                        .bind(a.session_id)
                        .bind(a.paper.seed as i64)
                        .bind(a.paper.items.len() as i64)
                        .bind(duration_ms)
                        .bind(audit.at_ms)
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(map_unique)?;
                        sqlx::query("INSERT INTO attempt_papers (attempt_id, paper) VALUES ($1, $2)")
                            .bind(attempt_id)
                            .bind(serde_json::to_string(&a.paper).unwrap_or_default())
                            .execute(&mut *tx)
                            .await?;
                    }
                    let mut ids: Vec<_> = shown.into_iter().collect();
                    ids.sort();
                    for (item, n) in ids {
                        sqlx::query("INSERT INTO item_exposure (item_id, shown) VALUES ($1, $2) ON CONFLICT (item_id) DO UPDATE SET shown = item_exposure.shown + excluded.shown")
                            .bind(item)
                            .bind(n)
                            .execute(&mut *tx)
                            .await?;
                    }
                    sqlx::query("UPDATE plans SET status = 'roster_closed', roster_closed_at_ms = $1 WHERE id = $2")
                        .bind(audit.at_ms)
                        .bind(plan_id)
                        .execute(&mut *tx)
                        .await?;
                    Self::append_audit_tx(&mut tx, audit).await?;
                    tx.commit().await?;
                    Ok(())
                }

                async fn item_contents(&self, ids: &[(i64, i64)]) -> Result<Vec<((i64, i64), ItemContent)>> {
                    let mut out = Vec::with_capacity(ids.len());
                    for &(item, version) in ids {
                        let content: String = sqlx::query_scalar("SELECT content FROM item_versions WHERE item_id = $1 AND version = $2")
                            .bind(item)
                            .bind(version)
                            .fetch_one(self.reader())
                            .await
                            .map_err(not_found)?;
                        out.push(((item, version), serde_json::from_str(&content).map_err(|_| bad("content"))?));
                    }
                    Ok(out)
                }

                async fn candidate_by_admission(&self, admission_no: &str) -> Result<Option<Admission>> {
                    let row = sqlx::query(
                        "SELECT c.id, p.document_lookup, s.starts_at_ms, a.status FROM candidates c \
                         JOIN people p ON p.id = c.person_id JOIN plan_sessions s ON s.id = c.session_id \
                         LEFT JOIN attempts a ON a.candidate_id = c.id WHERE c.admission_no = $1",
                    )
                    .bind(admission_no)
                    .fetch_optional(self.reader())
                    .await?;
                    let Some(r) = row else { return Ok(None) };
                    Ok(Some(Admission {
                        candidate_id: r.try_get("id")?,
                        document_lookup: r.try_get("document_lookup")?,
                        starts_at_ms: r.try_get("starts_at_ms")?,
                        attempt_status: optional_status(&r)?,
                    }))
                }

                async fn exam_identity(&self, token_hash: &str, now_ms: i64) -> Result<Option<ExamIdentity>> {
                    let row = sqlx::query(
                        "SELECT s.candidate_id, s.csrf_token, s.expires_at_ms, c.plan_id, c.session_id, a.id AS attempt_id \
                         FROM exam_sessions s JOIN candidates c ON c.id = s.candidate_id \
                         LEFT JOIN attempts a ON a.candidate_id = c.id \
                         WHERE s.token_hash = $1 AND s.expires_at_ms > $2",
                    )
                    .bind(token_hash)
                    .bind(now_ms)
                    .fetch_optional(self.reader())
                    .await?;
                    match row {
                        Some(r) => Ok(Some(ExamIdentity {
                            token_hash: token_hash.to_string(),
                            expires_at_ms: r.try_get("expires_at_ms")?,
                            candidate_id: r.try_get("candidate_id")?,
                            attempt_id: r.try_get("attempt_id")?,
                            plan_id: r.try_get("plan_id")?,
                            session_id: r.try_get("session_id")?,
                            csrf_token: r.try_get("csrf_token")?,
                        })),
                        None => Ok(None),
                    }
                }

                async fn end_exam_session(&self, token_hash: &str) -> Result<()> {
                    sqlx::query("DELETE FROM exam_sessions WHERE token_hash = $1").bind(token_hash).execute(self.writer()).await?;
                    Ok(())
                }

                async fn attempt(&self, attempt_id: i64) -> Result<AttemptRecord> {
                    let sql = format!(
                        "SELECT id, candidate_id, plan_id, session_id, p.paper, {CLOCK_COLUMNS}, duration_ms, submitted_at_ms \
                         FROM attempts JOIN attempt_papers p ON p.attempt_id = attempts.id WHERE id = $1"
                    );
                    let r = sqlx::query(&sql).bind(attempt_id).fetch_one(self.reader()).await.map_err(not_found)?;
                    let paper: String = r.try_get("paper")?;
                    let rows = sqlx::query("SELECT position, answer, seq, saved_at_ms FROM answers WHERE attempt_id = $1 ORDER BY position")
                        .bind(attempt_id)
                        .fetch_all(self.reader())
                        .await?;
                    let answers: Vec<SavedAnswer> = rows
                        .iter()
                        .map(|a| Ok(SavedAnswer {
                            position: a.try_get::<i64, _>("position")? as u32,
                            answer: a.try_get("answer")?,
                            seq: a.try_get("seq")?,
                            saved_at_ms: a.try_get("saved_at_ms")?,
                        }))
                        .collect::<Result<_>>()?;
                    Ok(AttemptRecord {
                        id: r.try_get("id")?,
                        candidate_id: r.try_get("candidate_id")?,
                        plan_id: r.try_get("plan_id")?,
                        session_id: r.try_get("session_id")?,
                        paper: serde_json::from_str(&paper).map_err(|_| bad("paper"))?,
                        clock: clock_from_row(&r)?,
                        duration_ms: r.try_get("duration_ms")?,
                        submitted_at_ms: r.try_get("submitted_at_ms")?,
                        last_seq: answers.iter().map(|a: &SavedAnswer| a.seq).max().unwrap_or(0),
                        last_saved_at_ms: answers.iter().map(|a: &SavedAnswer| a.saved_at_ms).max(),
                        answers,
                    })
                }

                async fn apply_exam_ops(&self, ops: &[ExamOp], now_ms: i64, grace_ms: i64) -> Result<Vec<ExamOpResult>> {
                    let mut tx = self.begin_write().await?;
                    // Lock order (PostgreSQL; SQLite's single writer needs no row locks):
                    // every exam write locks attempt rows in one pass in ascending id order
                    // and takes no further attempt locks afterwards, so no two of them wait
                    // on each other in a cycle. A batch of saves only (the common case)
                    // share-locks its attempts in its one INSERT and in the slow path. A
                    // batch with starts or submits, which lock exclusively, first locks all
                    // its attempts exclusively in one statement, so its later share locks,
                    // start UPDATE and submits find them held already. (Locking every batch
                    // up front cost PostgreSQL too much under a save load: p50 15 → 108 ms.)
                    let exclusive = ops.iter().any(|op| matches!(op, ExamOp::Start { .. } | ExamOp::Submit { .. }));
                    if exclusive && !Self::ROW_LOCK.is_empty() {
                        let mut ids: Vec<i64> = ops.iter().filter_map(ExamOp::attempt_id).collect();
                        ids.sort_unstable();
                        ids.dedup();
                        if !ids.is_empty() {
                            let sql = format!("SELECT id FROM attempts WHERE id{} ORDER BY id{}", Self::IN_JSON_IDS, Self::ROW_LOCK);
                            sqlx::query(&sql).bind(serde_json::to_string(&ids).unwrap_or_default()).fetch_all(&mut *tx).await?;
                        }
                    }
                    // Every start of an admitted attempt in the batch, in one statement
                    // (a start burst is thousands of them, and each statement is a
                    // round trip to the database): the clock `exam::start` gives
                    // (deadline = now + duration + extensions granted before the start).
                    // `apply_one` answers the rest (resumes, refusals) one by one.
                    let mut batch = Batch::default();
                    let start_ids: Vec<i64> = ops
                        .iter()
                        .filter_map(|op| match op {
                            ExamOp::Start { attempt_id, .. } => Some(*attempt_id),
                            _ => None,
                        })
                        .collect();
                    if !start_ids.is_empty() {
                        let sql = format!(
                            "UPDATE attempts SET status = 'in_progress', started_at_ms = $2, deadline_ms = $2 + duration_ms + extension_ms \
                             WHERE status = 'admitted' AND id{} RETURNING id, {CLOCK_COLUMNS}",
                            Self::IN_JSON_IDS
                        );
                        let ids = serde_json::to_string(&start_ids).unwrap_or_default();
                        for row in sqlx::query(&sql).bind(ids).bind(now_ms).fetch_all(&mut *tx).await? {
                            batch.started.insert(row.try_get::<i64, _>("id")?, clock_from_row(&row)?);
                        }
                    }
                    // The exam sessions the batch's saves came with that are still live,
                    // in one statement. A logout committing meanwhile (PostgreSQL), or a
                    // login elsewhere in this same batch, orders after the batch's saves:
                    // they were sent while the session was live.
                    let mut sessions: Vec<&str> = ops
                        .iter()
                        .filter_map(|op| match op {
                            ExamOp::Save { session, .. } => Some(session.as_str()),
                            _ => None,
                        })
                        .collect();
                    sessions.sort_unstable();
                    sessions.dedup();
                    if !sessions.is_empty() {
                        let sql = format!("SELECT token_hash FROM exam_sessions WHERE expires_at_ms > $2 AND token_hash{}", Self::IN_JSON_TEXTS);
                        let hashes = serde_json::to_string(&sessions).unwrap_or_default();
                        batch.live.extend(sqlx::query_scalar::<_, String>(&sql).bind(hashes).bind(now_ms).fetch_all(&mut *tx).await?);
                    }
                    batch.written = Self::write_answers_tx(&mut tx, ops, &batch.live, now_ms, grace_ms).await?;
                    let mut out = Vec::with_capacity(ops.len());
                    for op in ops {
                        out.push(Self::apply_one(&mut tx, op, now_ms, grace_ms, &mut batch).await?);
                    }
                    Self::append_audits_tx(&mut tx, batch.audits).await?;
                    tx.commit().await?;
                    Ok(out)
                }

                async fn submit_overdue(&self, now_ms: i64, grace_ms: i64) -> Result<Vec<i64>> {
                    let due: Vec<i64> = sqlx::query_scalar("SELECT id FROM attempts WHERE status = 'in_progress' AND deadline_ms + $1 < $2 ORDER BY id LIMIT 5000")
                        .bind(grace_ms)
                        .bind(now_ms)
                        .fetch_all(self.reader())
                        .await?;
                    if due.is_empty() {
                        return Ok(due);
                    }
                    let mut tx = self.begin_write().await?;
                    let mut done = Vec::with_capacity(due.len());
                    // Attempt rows first (ascending), the audit head last: the lock order
                    // of every other exam write, so the sweep never deadlocks with them.
                    let mut audits = Vec::with_capacity(due.len());
                    for id in due {
                        let (clock, _, plan_id, _) = Self::attempt_clock_tx(&mut tx, id).await?;
                        // Re-checked under the lock: a proctor may have paused or extended.
                        let (AttemptStatus::InProgress, Some(deadline)) = (clock.status, clock.deadline_ms) else { continue };
                        if deadline + grace_ms >= now_ms {
                            continue;
                        }
                        Self::submit_tx(&mut tx, id, deadline, "time").await?;
                        let body_id: Option<i64> = sqlx::query_scalar("SELECT body_id FROM plans WHERE id = $1").bind(plan_id).fetch_one(&mut *tx).await?;
                        audits.push(AuditEvent {
                            at_ms: now_ms,
                            actor_user_id: None,
                            actor: "system".into(),
                            action: "attempt.auto_submit".into(),
                            object_type: "attempt".into(),
                            object_id: id.to_string(),
                            org_id: body_id,
                            details: serde_json::json!({ "deadline_ms": deadline }).to_string(),
                        });
                        done.push(id);
                    }
                    Self::append_audits_tx(&mut tx, audits).await?;
                    tx.commit().await?;
                    Ok(done)
                }

                async fn proctor_action(&self, attempt_id: i64, action: ProctorAction, extension: Extension, actor: i64, detail: String, audit: AuditEvent) -> Result<Clock> {
                    let mut tx = self.begin_write().await?;
                    let (clock, _, plan_id, session_id) = Self::attempt_clock_tx(&mut tx, attempt_id).await?;
                    let now = audit.at_ms;
                    let next = apply_action(&clock, action, now, extension).map_err(|code| StoreError::Refused {
                        field: "action",
                        code: "exam_error.action_refused",
                        detail: code.to_string(),
                    })?;
                    Self::write_clock_tx(&mut tx, attempt_id, &next).await?;
                    match action {
                        ProctorAction::Admit => {
                            sqlx::query("UPDATE attempts SET admitted_at_ms = $1 WHERE id = $2").bind(now).bind(attempt_id).execute(&mut *tx).await?;
                        }
                        ProctorAction::Terminate => {
                            sqlx::query("UPDATE attempts SET submitted_at_ms = $1, submit_reason = 'terminated' WHERE id = $2").bind(now).bind(attempt_id).execute(&mut *tx).await?;
                        }
                        _ => {}
                    }
                    Self::proctor_log_tx(&mut tx, plan_id, session_id, Some(attempt_id), Some(actor), action.code(), &detail, now).await?;
                    Self::append_audit_tx(&mut tx, audit).await?;
                    tx.commit().await?;
                    Ok(next)
                }

                async fn admit_session(&self, session_id: i64, actor: i64, audit: AuditEvent) -> Result<u64> {
                    let mut tx = self.begin_write().await?;
                    let plan_id: i64 = sqlx::query_scalar("SELECT plan_id FROM plan_sessions WHERE id = $1").bind(session_id).fetch_one(&mut *tx).await.map_err(not_found)?;
                    // Only candidates signed in and waiting (a live exam session): one who
                    // is absent is not admitted in passing, so the late-entry cut-off still
                    // holds for them (a proctor can admit them one by one). Rows locked in
                    // id order first, as every other exam write does.
                    const PRESENT: &str = "session_id = $1 AND status = 'ready' \
                        AND candidate_id IN (SELECT candidate_id FROM exam_sessions WHERE expires_at_ms > $2)";
                    let sql = format!("SELECT id FROM attempts WHERE {PRESENT} ORDER BY id{}", Self::ROW_LOCK);
                    let ids: Vec<i64> = sqlx::query_scalar(&sql).bind(session_id).bind(audit.at_ms).fetch_all(&mut *tx).await?;
                    let n = if ids.is_empty() {
                        0
                    } else {
                        let sql = format!("UPDATE attempts SET status = 'admitted', admitted_at_ms = $2 WHERE status = 'ready' AND id{}", Self::IN_JSON_IDS);
                        sqlx::query(&sql)
                            .bind(serde_json::to_string(&ids).unwrap_or_default())
                            .bind(audit.at_ms)
                            .execute(&mut *tx)
                            .await?
                            .rows_affected()
                    };
                    Self::proctor_log_tx(&mut tx, plan_id, session_id, None, Some(actor), "admit_all", &n.to_string(), audit.at_ms).await?;
                    Self::append_audit_tx(&mut tx, audit).await?;
                    tx.commit().await?;
                    Ok(n)
                }

                async fn record_irregularity(&self, attempt_id: i64, outcome: IrregularityOutcome, points: f64, description: String, actor: i64, audit: AuditEvent) -> Result<i64> {
                    let mut tx = self.begin_write().await?;
                    let (clock, _, plan_id, session_id) = Self::attempt_clock_tx(&mut tx, attempt_id).await?;
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO irregularities (attempt_id, recorded_by, description, outcome, points, at_ms) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                    )
                    .bind(attempt_id)
                    .bind(actor)
                    .bind(&description)
                    .bind(outcome.code())
                    .bind(points)
                    .bind(audit.at_ms)
                    .fetch_one(&mut *tx)
                    .await?;
                    // A void paper ends the attempt at once.
                    if outcome == IrregularityOutcome::Void && !clock.status.is_final() {
                        let next = apply_action(&clock, ProctorAction::Terminate, audit.at_ms, Extension::NONE).map_err(|_| StoreError::NotFound)?;
                        Self::write_clock_tx(&mut tx, attempt_id, &next).await?;
                        sqlx::query("UPDATE attempts SET submitted_at_ms = $1, submit_reason = 'void' WHERE id = $2").bind(audit.at_ms).bind(attempt_id).execute(&mut *tx).await?;
                    }
                    let detail = format!("{}: {}", outcome.code(), description);
                    Self::proctor_log_tx(&mut tx, plan_id, session_id, Some(attempt_id), Some(actor), "irregularity", &detail, audit.at_ms).await?;
                    Self::append_audit_tx(&mut tx, audit).await?;
                    tx.commit().await?;
                    Ok(id)
                }

                async fn is_session_proctor(&self, session_id: i64, user_id: i64) -> Result<bool> {
                    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM session_staff WHERE session_id = $1 AND user_id = $2 AND role = 'proctor'")
                        .bind(session_id)
                        .bind(user_id)
                        .fetch_one(self.reader())
                        .await?;
                    Ok(n > 0)
                }

                async fn is_plan_inspector(&self, plan_id: i64, user_id: i64) -> Result<bool> {
                    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM plan_inspectors WHERE plan_id = $1 AND user_id = $2")
                        .bind(plan_id)
                        .bind(user_id)
                        .fetch_one(self.reader())
                        .await?;
                    Ok(n > 0)
                }

                async fn proctor_sessions(&self, user_id: i64) -> Result<Vec<(Plan, PlanSession)>> {
                    let ids: Vec<i64> = sqlx::query_scalar("SELECT session_id FROM session_staff WHERE user_id = $1 ORDER BY session_id DESC LIMIT 100")
                        .bind(user_id)
                        .fetch_all(self.reader())
                        .await?;
                    let mut out = Vec::with_capacity(ids.len());
                    for id in ids {
                        let s = self.plan_session(id).await?;
                        out.push((self.plan(s.plan_id).await?, s));
                    }
                    Ok(out)
                }

                async fn inspector_plans(&self, user_id: i64) -> Result<Vec<Plan>> {
                    let sql = format!("{PLAN_SELECT} WHERE p.id IN (SELECT plan_id FROM plan_inspectors WHERE user_id = $1) ORDER BY p.id DESC");
                    let rows = sqlx::query(&sql).bind(user_id).fetch_all(self.reader()).await?;
                    rows.iter().map(plan_from_row).collect()
                }

                async fn proctor_actions(&self, plan_id: i64, limit: i64) -> Result<Vec<ProctorActionRow>> {
                    let rows = sqlx::query(
                        "SELECT a.id, a.session_id, a.attempt_id, u.display_name AS actor, a.action, a.detail, a.at_ms \
                         FROM proctor_actions a LEFT JOIN users u ON u.id = a.actor_id WHERE a.plan_id = $1 ORDER BY a.id DESC LIMIT $2",
                    )
                    .bind(plan_id)
                    .bind(limit)
                    .fetch_all(self.reader())
                    .await?;
                    rows.iter()
                        .map(|r| Ok(ProctorActionRow {
                            id: r.try_get("id")?,
                            session_id: r.try_get("session_id")?,
                            attempt_id: r.try_get("attempt_id")?,
                            actor: r.try_get("actor")?,
                            action: r.try_get("action")?,
                            detail: r.try_get("detail")?,
                            at_ms: r.try_get("at_ms")?,
                        }))
                        .collect()
                }

                async fn file_finding(&self, f: NewFinding, mut audit: AuditEvent) -> Result<i64> {
                    let mut tx = self.begin_write().await?;
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO findings (plan_id, body_id, subject, subject_id, category, severity, evidence, filed_by, at_ms) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
                    )
                    .bind(f.plan_id)
                    .bind(f.body_id)
                    .bind(f.subject.code())
                    .bind(f.subject_id)
                    .bind(f.category.code())
                    .bind(f.severity.code())
                    .bind(&f.evidence)
                    .bind(f.filed_by)
                    .bind(audit.at_ms)
                    .fetch_one(&mut *tx)
                    .await?;
                    audit.object_id = id.to_string();
                    Self::append_audit_tx(&mut tx, audit).await?;
                    tx.commit().await?;
                    Ok(id)
                }

                async fn findings(&self, plan_id: i64) -> Result<Vec<Finding>> {
                    let rows = sqlx::query(
                        "SELECT f.id, f.plan_id, f.body_id, f.subject, f.subject_id, f.category, f.severity, f.evidence, u.display_name AS filed_by, f.at_ms \
                         FROM findings f LEFT JOIN users u ON u.id = f.filed_by WHERE f.plan_id = $1 ORDER BY f.id DESC",
                    )
                    .bind(plan_id)
                    .fetch_all(self.reader())
                    .await?;
                    rows.iter()
                        .map(|r| Ok(Finding {
                            id: r.try_get("id")?,
                            plan_id: r.try_get("plan_id")?,
                            body_id: r.try_get("body_id")?,
                            subject: r.try_get("subject")?,
                            subject_id: r.try_get("subject_id")?,
                            category: r.try_get("category")?,
                            severity: r.try_get("severity")?,
                            evidence: r.try_get("evidence")?,
                            filed_by: r.try_get("filed_by")?,
                            at_ms: r.try_get("at_ms")?,
                        }))
                        .collect()
                }

                async fn stored_seqs(&self, plan_id: i64) -> Result<Vec<StoredSeq>> {
                    let rows = sqlx::query(
                        "SELECT c.admission_no, an.position, an.seq FROM answers an JOIN attempts a ON a.id = an.attempt_id \
                         JOIN candidates c ON c.id = a.candidate_id WHERE a.plan_id = $1",
                    )
                    .bind(plan_id)
                    .fetch_all(self.reader())
                    .await?;
                    rows.iter()
                        .map(|r| Ok(StoredSeq {
                            admission_no: r.try_get("admission_no")?,
                            position: r.try_get::<i64, _>("position")? as u32,
                            seq: r.try_get("seq")?,
                        }))
                        .collect()
                }
            }
        }
    };
}

pub(crate) use impl_exam_store;

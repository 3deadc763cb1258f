//! Grading: attempt scores and their breakdown, the facts of a plan's results, and
//! publication.

use async_trait::async_trait;
use sqlx::Row as _;

use super::common::{code, json, to_json, write_audited, Tx};
use super::dialect;
use super::DbStore;
use crate::domain::audit::AuditEvent;
use crate::domain::exam::IrregularityOutcome;
use crate::domain::grading::{ItemScore, Outcome, PaperScore};
use crate::store::grading::{Publication, ResultFacts, ScoringInput};
use crate::store::{GradingStore, Result, StoreError};

/// The breakdown as stored: `[[points, max, outcome], …]` by position.
fn breakdown_json(s: &PaperScore) -> String {
    let rows: Vec<(f64, f64, &str)> = s
        .items
        .iter()
        .map(|i| (i.points, i.max_points, i.outcome.code()))
        .collect();
    serde_json::to_string(&rows).unwrap_or_else(|_| "[]".into())
}

/// Writes one attempt's score unless it has one; `true` when written. The breakdown is
/// one JSON column; only positions waiting for assessors get rows of their own.
async fn insert_score(tx: &mut Tx, attempt_id: i64, s: &PaperScore, at_ms: i64) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO attempt_scores (attempt_id, points, max_points, pending, breakdown, \
         scored_at_ms, responses) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT \
         (attempt_id) DO NOTHING",
    )
    .bind(attempt_id)
    .bind(s.points)
    .bind(s.max_points)
    .bind(i64::from(s.pending))
    .bind(breakdown_json(s))
    .bind(at_ms)
    .bind((!s.responses.is_empty()).then(|| crate::domain::stats::encode(&s.responses)))
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() == 0 {
        return Ok(false);
    }
    let pending: Vec<&ItemScore> = s
        .items
        .iter()
        .filter(|i| i.outcome == Outcome::Pending)
        .collect();
    for chunk in pending.chunks(200) {
        let mut q = sqlx::QueryBuilder::new(
            "INSERT INTO attempt_item_scores (attempt_id, position, points, max_points, outcome) ",
        );
        q.push_values(chunk, |mut b, i| {
            b.push_bind(attempt_id)
                .push_bind(i64::from(i.position))
                .push_bind(i.points)
                .push_bind(i.max_points)
                .push_bind(i.outcome.code());
        });
        q.build().execute(&mut **tx).await?;
    }
    Ok(true)
}

#[async_trait]
impl GradingStore for DbStore {
    async fn session_responses(
        &self,
        plan_id: i64,
    ) -> Result<Vec<(i64, i64, Vec<crate::domain::stats::Response>)>> {
        let rows = sqlx::query(
            "SELECT a.id, a.session_id, s.responses FROM attempt_scores s JOIN attempts a ON \
             a.id = s.attempt_id WHERE a.plan_id = $1 AND s.responses IS NOT NULL ORDER BY a.id",
        )
        .bind(plan_id)
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                let bytes: Vec<u8> = r.try_get("responses")?;
                Ok((
                    r.try_get("id")?,
                    r.try_get("session_id")?,
                    crate::domain::stats::decode(&bytes)
                        .ok_or_else(|| super::common::bad_value("responses"))?,
                ))
            })
            .collect()
    }

    async fn attempt_responses(
        &self,
        plan_id: Option<i64>,
        bank_id: Option<i64>,
    ) -> Result<Vec<Vec<crate::domain::stats::Response>>> {
        // Pages of 5,000 attempts by id, so the raw bytes of only one page are held
        // at a time next to the decoded records.
        let mut out = Vec::new();
        let mut after = 0i64;
        loop {
            let rows = sqlx::query(
                "SELECT s.attempt_id, s.responses FROM attempt_scores s JOIN attempts a ON a.id \
                 = s.attempt_id JOIN plans p ON p.id = a.plan_id WHERE s.responses IS NOT NULL \
                 AND s.attempt_id > $3 AND ($1 IS NULL OR a.plan_id = $1) AND ($2 IS NULL OR \
                 p.bank_id = $2) ORDER BY s.attempt_id LIMIT 5000",
            )
            .bind(plan_id)
            .bind(bank_id)
            .bind(after)
            .fetch_all(self.reader())
            .await?;
            let Some(last) = rows.last() else { break };
            after = last.try_get("attempt_id")?;
            for r in &rows {
                let bytes: Vec<u8> = r.try_get("responses")?;
                out.push(
                    crate::domain::stats::decode(&bytes)
                        .ok_or_else(|| super::common::bad_value("responses"))?,
                );
            }
        }
        Ok(out)
    }

    async fn unscored_attempts(
        &self,
        since_ms: i64,
        plan_id: Option<i64>,
        after: i64,
        limit: i64,
    ) -> Result<Vec<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT a.id FROM attempts a LEFT JOIN attempt_scores s ON s.attempt_id = a.id \
             WHERE a.id > $1 AND a.submitted_at_ms >= $2 AND ($3 IS NULL OR a.plan_id = $3) \
             AND a.status IN ('submitted', 'terminated') AND s.attempt_id IS NULL \
             ORDER BY a.id LIMIT $4",
        )
        .bind(after)
        .bind(since_ms)
        .bind(plan_id)
        .bind(limit)
        .fetch_all(self.reader())
        .await?)
    }

    async fn record_score(&self, attempt_id: i64, score: &PaperScore, at_ms: i64) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let written = insert_score(&mut tx, attempt_id, score, at_ms).await?;
        tx.commit().await?;
        Ok(written)
    }

    async fn record_scores(&self, scores: &[(i64, PaperScore)], at_ms: i64) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        let mut n = 0;
        for (attempt_id, s) in scores {
            n += u64::from(insert_score(&mut tx, *attempt_id, s, at_ms).await?);
        }
        tx.commit().await?;
        Ok(n)
    }

    async fn item_scores(&self, attempt_id: i64) -> Result<Vec<ItemScore>> {
        let stored: Option<String> =
            sqlx::query_scalar("SELECT breakdown FROM attempt_scores WHERE attempt_id = $1")
                .bind(attempt_id)
                .fetch_optional(self.reader())
                .await?;
        let Some(stored) = stored else {
            return Ok(Vec::new());
        };
        let rows: Vec<(f64, f64, String)> =
            serde_json::from_str(&stored).map_err(|_| super::common::bad_value("breakdown"))?;
        rows.into_iter()
            .enumerate()
            .map(|(i, (points, max_points, outcome))| {
                Ok(ItemScore {
                    position: i as u32,
                    points,
                    max_points,
                    outcome: Outcome::from_code(&outcome)
                        .ok_or_else(|| super::common::bad_value("breakdown"))?,
                })
            })
            .collect()
    }

    async fn attempts_for_scoring(&self, ids: &[i64]) -> Result<Vec<ScoringInput>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        // The ids go in as one JSON parameter (see `dialect::JSON_ROWS` for why), and the
        // answers come back as one JSON text per attempt.
        let list = to_json(&ids)?;
        let sql = format!(
            "SELECT a.id, a.plan_id, p.paper FROM attempts a JOIN attempt_papers p \
             ON p.attempt_id = a.id WHERE a.id{}",
            dialect::IN_JSON_IDS
        );
        let rows = sqlx::query(&sql)
            .bind(&list)
            .fetch_all(self.reader())
            .await?;
        let mut out: Vec<ScoringInput> = rows
            .iter()
            .map(|r| {
                Ok(ScoringInput {
                    attempt_id: r.try_get("id")?,
                    plan_id: r.try_get("plan_id")?,
                    paper: json(r, "paper")?,
                    answers: Vec::new(),
                })
            })
            .collect::<Result<_>>()?;
        let sql = format!(
            "SELECT attempt_id, {} AS answers FROM answers WHERE attempt_id{} \
             GROUP BY attempt_id",
            dialect::ANSWER_PAIRS,
            dialect::IN_JSON_IDS
        );
        let rows = sqlx::query(&sql)
            .bind(&list)
            .fetch_all(self.reader())
            .await?;
        let at: std::collections::HashMap<i64, usize> = out
            .iter()
            .enumerate()
            .map(|(i, s)| (s.attempt_id, i))
            .collect();
        for r in &rows {
            let attempt: i64 = r.try_get("attempt_id")?;
            if let Some(i) = at.get(&attempt) {
                out[*i].answers = json(r, "answers")?;
            }
        }
        Ok(out)
    }

    async fn result_facts(&self, plan_id: i64, candidate: Option<i64>) -> Result<Vec<ResultFacts>> {
        let rows = sqlx::query(
            "SELECT c.id AS candidate_id, c.person_id, p.name, c.admission_no, c.session_id, \
             a.id AS attempt_id, a.status, s.points, s.max_points, s.pending, \
             (SELECT COALESCE(SUM(rv.adjustment), 0.0) FROM result_reviews rv \
              WHERE rv.candidate_id = c.id AND rv.status = 'changed') AS review_adjustment, \
             (SELECT rv.status FROM result_reviews rv WHERE rv.candidate_id = c.id \
              ORDER BY rv.id DESC LIMIT 1) AS review_status \
             FROM candidates c JOIN people p ON p.id = c.person_id \
             LEFT JOIN attempts a ON a.candidate_id = c.id \
             LEFT JOIN attempt_scores s ON s.attempt_id = a.id \
             WHERE c.plan_id = $1 AND ($2 IS NULL OR c.id = $2) ORDER BY c.admission_no",
        )
        .bind(plan_id)
        .bind(candidate)
        .fetch_all(self.reader())
        .await?;
        let irregular = sqlx::query(
            "SELECT i.attempt_id, i.outcome, i.points, i.description FROM irregularities i \
             JOIN attempts a ON a.id = i.attempt_id WHERE a.plan_id = $1 \
             AND ($2 IS NULL OR a.candidate_id = $2) ORDER BY i.id",
        )
        .bind(plan_id)
        .bind(candidate)
        .fetch_all(self.reader())
        .await?;
        let mut by_attempt: std::collections::HashMap<
            i64,
            Vec<(IrregularityOutcome, f64, String)>,
        > = Default::default();
        for r in &irregular {
            by_attempt
                .entry(r.try_get("attempt_id")?)
                .or_default()
                .push((
                    code(r, "outcome", IrregularityOutcome::from_code)?,
                    r.try_get("points")?,
                    r.try_get("description")?,
                ));
        }
        rows.iter()
            .map(|r| {
                let attempt_id: Option<i64> = r.try_get("attempt_id")?;
                let points: Option<f64> = r.try_get("points")?;
                let score = match points {
                    Some(p) => Some((
                        p,
                        r.try_get::<f64, _>("max_points")?,
                        u32::try_from(r.try_get::<i64, _>("pending")?).unwrap_or(u32::MAX),
                    )),
                    None => None,
                };
                Ok(ResultFacts {
                    candidate_id: r.try_get("candidate_id")?,
                    person_id: r.try_get("person_id")?,
                    name: r.try_get("name")?,
                    admission_no: r.try_get("admission_no")?,
                    session_id: r.try_get("session_id")?,
                    attempt_id,
                    attempt_status: r.try_get("status")?,
                    score,
                    review_adjustment: r.try_get("review_adjustment")?,
                    review_status: r.try_get("review_status")?,
                    irregularities: attempt_id
                        .and_then(|a| by_attempt.remove(&a))
                        .unwrap_or_default(),
                })
            })
            .collect()
    }

    async fn candidacies(&self, person_id: i64) -> Result<Vec<(i64, i64)>> {
        Ok(sqlx::query_as(
            "SELECT plan_id, id FROM candidates WHERE person_id = $1 ORDER BY id DESC LIMIT 50",
        )
        .bind(person_id)
        .fetch_all(self.reader())
        .await?)
    }

    async fn publication(&self, plan_id: i64) -> Result<Option<Publication>> {
        let row: Option<(i64, i64)> = sqlx::query_as(
            "SELECT published_at_ms, review_until_ms FROM result_publications WHERE plan_id = $1",
        )
        .bind(plan_id)
        .fetch_optional(self.reader())
        .await?;
        Ok(row.map(|(published_at_ms, review_until_ms)| Publication {
            published_at_ms,
            review_until_ms,
        }))
    }

    async fn publish_results(
        &self,
        plan_id: i64,
        by: i64,
        publication: Publication,
        audit: AuditEvent,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "INSERT INTO result_publications (plan_id, published_by, published_at_ms, \
             review_until_ms) VALUES ($1, $2, $3, $4) ON CONFLICT (plan_id) DO NOTHING",
        )
        .bind(plan_id)
        .bind(by)
        .bind(publication.published_at_ms)
        .bind(publication.review_until_ms)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict {
                field: "plan_id",
                code: "result_error.already_published",
            });
        }
        write_audited(tx, &self.chain_key, audit).await?;
        Ok(())
    }
}

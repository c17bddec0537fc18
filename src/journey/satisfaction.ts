/**
 * How satisfied a customer was with one journey, on one 0–1 scale, from the survey answers that
 * belong to it (docs/journeys.md, "Satisfaction of a journey"). The broken-step analysis compares
 * journeys by it; the metrics of each survey (NPS, CSAT, CES) stay in src/feedback.
 */

/** How long after a journey's last step an unlinked transaction answer is still about it. */
export const FEEDBACK_TAIL_MS = 3 * 24 * 3600 * 1000;

/**
 * A feedback row aliased `f` on a 0–1 scale where 1 is best: NPS 0–10 → score/10, CSAT 1–5 →
 * (score−1)/4, CES 1–7 (7 easiest) → (score−1)/6. Linear, so a one-point CSAT drop (0.25) weighs
 * like a 2.5-point NPS drop.
 */
export const SATISFACTION_SQL = `CASE f.metric WHEN 'nps' THEN f.score / 10.0
    WHEN 'csat' THEN (f.score - 1) / 4.0 WHEN 'ces' THEN (f.score - 1) / 6.0 END`;

/**
 * `SELECT journey_id, sat, answers`: the mean satisfaction of each journey that has answers. An
 * answer belongs to a journey when its `event_id` is one of the journey's steps; an answer with
 * no such link belongs to every journey of its customer that it was given during, or within
 * three days after, if it is a transaction answer (relationship answers are about the company,
 * not a journey).
 */
export function journeySatisfactionSql(): string {
  return `SELECT journey_id, avg(sat) AS sat, count(*) AS answers FROM (
      SELECT i.journey_id, ${SATISFACTION_SQL} AS sat
      FROM feedback f JOIN interactions i ON i.event_id = f.event_id
      WHERE i.journey_id IS NOT NULL
      UNION ALL
      SELECT jj.journey_id, ${SATISFACTION_SQL} AS sat
      FROM feedback f JOIN journeys jj ON jj.customer_key = f.customer_key
        AND f.ts >= jj.start_ts AND f.ts <= jj.end_ts + ${FEEDBACK_TAIL_MS}
      WHERE f.scope = 'transaction'
        AND NOT EXISTS (SELECT 1 FROM interactions x WHERE x.event_id = f.event_id AND x.journey_id IS NOT NULL)
    ) a GROUP BY journey_id`;
}

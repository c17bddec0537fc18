/**
 * Writes an answer given through a Throughline survey as an ordinary feedback record, linked to
 * one of the customer's identifier tuples so that later stitching re-keys it like any import.
 * Metrics, cases and comments then see survey answers and imported answers alike.
 */
import { IDENTIFIER_TYPES } from '../core/records.ts';
import type { Queryable, SqlParam } from '../store/store.ts';

export interface SurveyAnswer {
  readonly response_id: string;
  readonly ts: number;
  readonly survey_id: string;
  readonly metric: 'nps' | 'csat' | 'ces';
  readonly scope: 'relationship' | 'transaction';
  readonly score: number;
  readonly comment: string | null;
  readonly event_id: string | null;
  readonly agent_id: string | null;
  readonly customer_key: string;
  readonly attrs: Record<string, unknown>;
}

/** Takes the next record sequence number, as the import does, so input order stays total. */
async function nextSeq(db: Queryable): Promise<number> {
  const [row] = await db.query(`SELECT value FROM settings WHERE key = 'next_seq'`);
  const seq = row === undefined ? 1 : Number(row.value);
  await db.exec(`DELETE FROM settings WHERE key = 'next_seq'`);
  await db.exec(`INSERT INTO settings (key, value) VALUES ('next_seq', $1)`, [String(seq + 1)]);
  return seq;
}

export async function insertSurveyAnswer(db: Queryable, a: SurveyAnswer): Promise<void> {
  const [tuple] = await db.query(
    `SELECT tuple_id, ${IDENTIFIER_TYPES.join(', ')} FROM id_tuples WHERE customer_key = $1
     ORDER BY CASE WHEN customer_id IS NOT NULL OR account_id IS NOT NULL THEN 0 ELSE 1 END, tuple_id LIMIT 1`,
    [a.customer_key],
  );
  const seq = await nextSeq(db);
  const ids: SqlParam[] = IDENTIFIER_TYPES.map((t) => (tuple === undefined ? null : (tuple[t] as string | null)));
  await db.exec(
    `INSERT INTO feedback (seq, response_id, ts, survey_id, metric, scope, score, comment, event_id, agent_id, attrs,
       ${IDENTIFIER_TYPES.join(', ')}, tuple_id, customer_key)
     VALUES (${Array.from({ length: 13 + IDENTIFIER_TYPES.length }, (_, i) => `$${i + 1}`).join(', ')})`,
    [
      seq, a.response_id, a.ts, a.survey_id, a.metric, a.scope, a.score, a.comment, a.event_id, a.agent_id, JSON.stringify(a.attrs),
      ...ids, tuple === undefined ? null : Number(tuple.tuple_id), a.customer_key,
    ],
  );
}

/** Adds what the customer said later (what would make it right, a text question) to an answer's comment. */
export async function appendComment(db: Queryable, responseId: string, text: string): Promise<void> {
  // RETURNING names the customer to whoever watches the writes (the server's live cache), which
  // then drops that customer alone rather than every customer it holds.
  await db.query(
    `UPDATE feedback SET comment = CASE WHEN comment IS NULL OR comment = '' THEN $2 ELSE comment || ' ' || $2 END WHERE response_id = $1 RETURNING customer_key`,
    [responseId, text.trim()],
  );
  // The comment changed: its sentiment and topics are read again next time.
  await db.exec(`DELETE FROM comment_analysis WHERE response_id = $1`, [responseId]);
}

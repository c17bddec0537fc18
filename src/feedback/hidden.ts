/**
 * Hidden at risk (docs/feedback.md): customers whose transaction answers are good while their
 * latest relationship NPS answer is a detractor. The transaction score is then a false positive
 * about the relationship. One SQL definition serves the list, the flag on cases and the roll-up.
 */
import type { Queryable, SqlParam } from '../store/store.ts';

export interface HiddenOptions {
  /** Epoch ms, inclusive: answers before it are not considered. */
  readonly from?: number | undefined;
  /** Epoch ms, exclusive. */
  readonly to?: number | undefined;
}

/**
 * A SELECT of `customer_key, nps, nps_at, csat_n, csat_good, mean_csat, ces_n, ces_good, mean_ces`
 * for every hidden-at-risk customer. Parameters are appended to `params` (numbered from there).
 *
 * Transaction answers are "good" when every CSAT is 4–5 (at least one); a customer with no CSAT
 * at all is judged on CES instead: every CES 5–7 (at least one). CSAT comes first because it is
 * the answer customers give about a person who served them, the politeness that hides the risk.
 */
export function hiddenAtRiskSql(params: SqlParam[], options: HiddenOptions = {}): string {
  const where: string[] = [];
  if (options.from !== undefined) {
    params.push(options.from);
    where.push(`ts >= $${params.length}`);
  }
  if (options.to !== undefined) {
    params.push(options.to);
    where.push(`ts < $${params.length}`);
  }
  const and = where.length === 0 ? '' : ` AND ${where.join(' AND ')}`;
  return `SELECT l.customer_key, l.nps, l.nps_at, t.csat_n, t.csat_good, t.mean_csat, t.ces_n, t.ces_good, t.mean_ces
    FROM (
      SELECT customer_key, score AS nps, ts AS nps_at FROM (
        SELECT customer_key, score, ts, row_number() OVER (PARTITION BY customer_key ORDER BY ts DESC, seq DESC) AS rn
        FROM feedback WHERE scope = 'relationship' AND metric = 'nps' AND score IS NOT NULL${and}
      ) r WHERE rn = 1 AND score <= 6
    ) l JOIN (
      SELECT customer_key,
        sum(CASE WHEN metric = 'csat' THEN 1 ELSE 0 END) AS csat_n,
        sum(CASE WHEN metric = 'csat' AND score >= 4 THEN 1 ELSE 0 END) AS csat_good,
        avg(CASE WHEN metric = 'csat' THEN score END) AS mean_csat,
        sum(CASE WHEN metric = 'ces' THEN 1 ELSE 0 END) AS ces_n,
        sum(CASE WHEN metric = 'ces' AND score >= 5 THEN 1 ELSE 0 END) AS ces_good,
        avg(CASE WHEN metric = 'ces' THEN score END) AS mean_ces
      FROM feedback WHERE scope = 'transaction' AND metric IN ('csat', 'ces') AND score IS NOT NULL${and}
      GROUP BY customer_key
    ) t ON t.customer_key = l.customer_key
    WHERE (t.csat_n > 0 AND t.csat_good = t.csat_n) OR (t.csat_n = 0 AND t.ces_n > 0 AND t.ces_good = t.ces_n)`;
}

export interface HiddenAtRisk {
  customer_key: string;
  /** The latest relationship NPS answer (0–6). */
  nps: number;
  nps_at: string;
  csat_answers: number;
  mean_csat: number | null;
  ces_answers: number;
  mean_ces: number | null;
  /** The customer's open case, if any. */
  case_id: string | null;
}

export async function listHiddenAtRisk(db: Queryable, options: HiddenOptions = {}): Promise<HiddenAtRisk[]> {
  const params: SqlParam[] = [];
  const sql = hiddenAtRiskSql(params, options);
  const rows = await db.query(
    `SELECT h.*, (SELECT min(c.case_id) FROM cases c WHERE c.customer_key = h.customer_key AND c.status IN ('open', 'contacted')) AS case_id
     FROM (${sql}) h ORDER BY h.nps, h.nps_at DESC, h.customer_key`,
    params,
  );
  return rows.map((r) => ({
    customer_key: String(r.customer_key),
    nps: Number(r.nps),
    nps_at: new Date(Number(r.nps_at)).toISOString(),
    csat_answers: Number(r.csat_n),
    mean_csat: r.mean_csat === null ? null : Number(r.mean_csat),
    ces_answers: Number(r.ces_n),
    mean_ces: r.mean_ces === null ? null : Number(r.mean_ces),
    case_id: r.case_id === null ? null : String(r.case_id),
  }));
}

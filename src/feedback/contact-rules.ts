/**
 * Whether a customer may be surveyed now (docs/feedback.md, "Contact rules"): a cooldown across
 * every survey, at most N surveys per period, and never while they have an open case. Past
 * surveys are the invitations Throughline sent, the survey invites found among imported
 * outbound interactions, and the answers imported from other survey tools.
 */
import type { Queryable } from '../store/store.ts';
import type { ContactRules } from './survey-definition.ts';

const DAY = 24 * 3600 * 1000;

export type ContactDecision = { ok: true } | { ok: false; rule: 'open_case' | 'cooldown' | 'max_per_period'; reason: string };

/** Outbound interactions that are survey invitations: `survey/...` activities or the `survey` intent. */
const INVITES = `SELECT ts FROM interactions WHERE customer_key = $1 AND direction = 'outbound' AND (activity LIKE 'survey/%' OR intent = 'survey')`;

export async function contactDecision(db: Queryable, customerKey: string, rules: ContactRules, now: number): Promise<ContactDecision> {
  if (rules.skip_if_open_case) {
    const [open] = await db.query(`SELECT case_id FROM cases WHERE customer_key = $1 AND status IN ('open', 'contacted') LIMIT 1`, [customerKey]);
    if (open !== undefined) return { ok: false, rule: 'open_case', reason: `the customer has an open case (${String(open.case_id)}); settle it before asking again` };
  }
  if (rules.cooldown_days > 0) {
    const [last] = await db.query(
      `SELECT max(ts) AS ts FROM (
         SELECT created_at AS ts FROM survey_tokens WHERE customer_key = $1
         UNION ALL ${INVITES}
         UNION ALL SELECT ts FROM feedback WHERE customer_key = $1) s WHERE ts <= $2`,
      [customerKey, now],
    );
    const ts = last?.ts === null || last?.ts === undefined ? null : Number(last.ts);
    if (ts !== null && now - ts < rules.cooldown_days * DAY) {
      const days = Math.floor((now - ts) / DAY);
      return { ok: false, rule: 'cooldown', reason: `the customer was surveyed ${days === 0 ? 'today' : `${days} day(s) ago`}; the cooldown is ${rules.cooldown_days} days` };
    }
  }
  if (rules.max_per_period !== null) {
    const { count, days } = rules.max_per_period;
    const [n] = await db.query(
      `SELECT count(*) AS n FROM (
         SELECT created_at AS ts FROM survey_tokens WHERE customer_key = $1
         UNION ALL ${INVITES}) s WHERE ts > $2 AND ts <= $3`,
      [customerKey, now - days * DAY, now],
    );
    if (Number(n?.n ?? 0) >= count) return { ok: false, rule: 'max_per_period', reason: `the customer already had ${count} survey(s) in the last ${days} days` };
  }
  return { ok: true };
}

/**
 * Contacts and the friction a contact inherits (docs/attribution.md, "What counts as friction"):
 * one SQL definition shared by fair agent scores (which adjust for it) and drivers (which name
 * repeat contacts and employees as factors), built on the journey module's definitions of a
 * journey, a step and a failed outcome.
 */
import { FAILED_SQL } from '../journey/build.ts';
import { REPEAT_WINDOW_MS } from '../journey/broken.ts';

export { REPEAT_WINDOW_MS };

export const HOUR_MS = 3600 * 1000;
export const DAY_MS = 24 * HOUR_MS;

/**
 * An earlier attempt at the same goal counts as "coming back" only if it was at least this long
 * before: steps of one sitting (web fails, customer phones at once) are the journey's earlier
 * failures, not a repeat contact.
 */
export const SAME_SITTING_MS = 12 * HOUR_MS;

/**
 * `SELECT event_id, customer_key, journey_id, step_no, ts, channel, activity, intent, agent_id,
 * failed_before, transferred_in, repeat_contact, overdue_promises, wait_s`: one row per contact, the
 * first step of an employee's turn in a journey (an inbound step with an `agent_id` whose previous
 * step in the journey was not the same employee in the same channel). Friction columns:
 *
 * - `failed_before`: earlier steps of the journey with a failed outcome (failure, abandoned,
 *   transferred), not counting the transfer that handed the customer to this contact;
 * - `transferred_in`: 1 when the step just before was `transferred` to this contact;
 * - `repeat_contact`: 1 when the customer had already tried the same intent between 12 hours and
 *   7 days before (another day, not the same sitting);
 * - `overdue_promises`: the customer's promises already past due and not kept at contact time;
 * - `wait_s`: as recorded on the contact's first step (NULL when absent).
 */
export function contactsSql(): string {
  return `WITH s AS (
      SELECT i.event_id, i.customer_key, i.journey_id, i.step_no, i.ts, i.channel, i.activity, i.intent, i.outcome, i.agent_id, i.wait_s,
        lag(i.agent_id) OVER w AS prev_agent,
        lag(i.channel) OVER w AS prev_channel,
        lag(i.outcome) OVER w AS prev_outcome,
        coalesce(sum(CASE WHEN i.outcome IN (${FAILED_SQL}) THEN 1 ELSE 0 END)
          OVER (PARTITION BY i.journey_id ORDER BY i.step_no ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS failed_upto
      FROM interactions i
      WHERE i.step_no IS NOT NULL
      WINDOW w AS (PARTITION BY i.journey_id ORDER BY i.step_no)
    ), c AS (
      SELECT * FROM s
      WHERE s.agent_id IS NOT NULL AND (s.prev_agent IS DISTINCT FROM s.agent_id OR s.prev_channel <> s.channel)
    )
    SELECT c.event_id, c.customer_key, c.journey_id, c.step_no, c.ts, c.channel, c.activity, c.intent, c.agent_id, c.wait_s,
      c.failed_upto - CASE WHEN c.prev_outcome = 'transferred' THEN 1 ELSE 0 END AS failed_before,
      CASE WHEN c.prev_outcome = 'transferred' THEN 1 ELSE 0 END AS transferred_in,
      CASE WHEN EXISTS (
        SELECT 1 FROM interactions r
        WHERE r.customer_key = c.customer_key AND r.intent = c.intent AND r.step_no IS NOT NULL
          AND r.ts < c.ts - ${SAME_SITTING_MS} AND r.ts >= c.ts - ${REPEAT_WINDOW_MS}
      ) THEN 1 ELSE 0 END AS repeat_contact,
      (SELECT count(*) FROM promises p
        WHERE p.customer_key = c.customer_key AND p.due < c.ts AND p.ts < c.ts
          AND (p.kept_at IS NULL OR p.kept_at > c.ts)) AS overdue_promises
    FROM c`;
}

export interface Contact {
  readonly event_id: string;
  readonly customer_key: string;
  readonly journey_id: string;
  readonly step_no: number;
  readonly ts: number;
  readonly channel: string;
  readonly activity: string;
  readonly intent: string | null;
  readonly agent_id: string;
  readonly wait_s: number | null;
  readonly failed_before: number;
  readonly transferred_in: boolean;
  readonly repeat_contact: boolean;
  readonly overdue_promises: number;
}

export function toContact(r: Record<string, unknown>): Contact {
  return {
    event_id: String(r.event_id),
    customer_key: String(r.customer_key),
    journey_id: String(r.journey_id),
    step_no: Number(r.step_no),
    ts: Number(r.ts),
    channel: String(r.channel),
    activity: String(r.activity),
    intent: r.intent === null || r.intent === undefined ? null : String(r.intent),
    agent_id: String(r.agent_id),
    wait_s: r.wait_s === null || r.wait_s === undefined ? null : Number(r.wait_s),
    failed_before: Number(r.failed_before),
    transferred_in: Number(r.transferred_in) === 1,
    repeat_contact: Number(r.repeat_contact) === 1,
    overdue_promises: Number(r.overdue_promises),
  };
}

/** Store staff serve in stores: an employee most of whose contacts are store visits. */
export function employeeKind(storeContacts: number, contacts: number): 'store' | 'agent' {
  return contacts > 0 && storeContacts * 2 > contacts ? 'store' : 'agent';
}

export function round(x: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

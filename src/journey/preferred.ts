/**
 * A customer's preferred channel (docs/journeys.md, "Preferred channel"): the channel they start
 * journeys in and answer on most. One definition for the journeys document, the customer context
 * and any later contact rule.
 */
import type { Queryable } from '../store/store.ts';

export interface ChannelVotes {
  channel: string;
  /** Journeys the customer started in the channel. */
  started: number;
  /** Outbound contacts in the channel the customer answered. */
  answered: number;
  votes: number;
  /** Last time the customer started a journey or answered in the channel (epoch ms). */
  last_ts: number;
}

export interface PreferredChannel {
  customer_key: string;
  /** Null when the customer has never started a journey nor answered a contact. */
  channel: string | null;
  votes: ChannelVotes[];
}

/**
 * One vote per journey started in a channel, one per outbound contact answered in it (its
 * outcome is `success`, or a survey answer names it by event_id). Rows are per customer and
 * channel; `customerCondition` makes the SQL condition on a customer-key column.
 */
export function votesSql(customerCondition: (column: string) => string): string {
  return `SELECT customer_key, channel, sum(started) AS started, sum(answered) AS answered,
      sum(started) + sum(answered) AS votes, max(last_ts) AS last_ts
    FROM (
      SELECT jj.customer_key, jj.first_channel AS channel, 1 AS started, 0 AS answered, jj.start_ts AS last_ts
      FROM journeys jj WHERE ${customerCondition('jj.customer_key')}
      UNION ALL
      SELECT o.customer_key, o.channel, 0, 1, o.ts
      FROM interactions o
      WHERE o.direction = 'outbound' AND ${customerCondition('o.customer_key')}
        AND (o.outcome = 'success' OR EXISTS (SELECT 1 FROM feedback f WHERE f.event_id = o.event_id))
    ) v GROUP BY customer_key, channel`;
}

/**
 * `SELECT customer_key, channel`: every customer's preferred channel. Ties go to the channel used
 * most recently, then to the channel name, so the answer never depends on row order.
 */
export function preferredChannelsSql(customerCondition: (column: string) => string = () => 'TRUE'): string {
  return `SELECT customer_key, channel FROM (
      SELECT customer_key, channel,
        row_number() OVER (PARTITION BY customer_key ORDER BY votes DESC, last_ts DESC, channel COLLATE "C") AS r
      FROM (${votesSql(customerCondition)}) v
    ) p WHERE r = 1`;
}

export async function preferredChannel(db: Queryable, customerKey: string): Promise<PreferredChannel> {
  const rows = await db.query(`${votesSql((c) => `${c} = $1`)} ORDER BY votes DESC, last_ts DESC, channel COLLATE "C"`, [customerKey]);
  const votes = rows.map((r) => ({
    channel: String(r.channel),
    started: Number(r.started),
    answered: Number(r.answered),
    votes: Number(r.votes),
    last_ts: Number(r.last_ts),
  }));
  return { customer_key: customerKey, channel: votes[0]?.channel ?? null, votes };
}

/**
 * A customer's recent journey as the feedback loop needs it: who they are (first name, time
 * zone), what went wrong before they answered (the root-cause step) and what they had to do next.
 * One rule picks the step at fault, so the apology a customer reads, the reason on their case
 * and the case roll-up always name the same step (docs/feedback.md, "Root cause").
 */
import { brokenSteps } from '../journey/broken.ts';
import type { Queryable, SqlDialect } from '../store/store.ts';
import { capitalise, channelWords, contactWords, dayWords, forPerson, outcomeWords, stepNoun } from './phrases.ts';
import type { Person } from './phrases.ts';

export const DAY_MS = 24 * 3600 * 1000;
/** How far before an answer the customer's journeys are searched for what went wrong. */
export const LOOKBACK_MS = 30 * DAY_MS;

export interface StepEvent {
  readonly event_id: string;
  readonly ts: number;
  readonly seq: number;
  readonly channel: string;
  readonly activity: string;
  readonly intent: string | null;
  readonly outcome: string | null;
  readonly agent_id: string | null;
  readonly journey_id: string | null;
}

/**
 * Per step (`channel:activity`): how often it broke (failure, abandoned) or handed off
 * (transferred), and its `impact` in the broken-steps analysis (0 when it is not broken beyond normal).
 */
export type StepRates = ReadonlyMap<string, { readonly events: number; readonly broken: number; readonly transferred: number; readonly impact: number }>;

export interface RootCause {
  /** `channel:activity`, as in the journey map and the broken-steps analysis. */
  readonly step: string;
  readonly event: StepEvent;
  /** The step's rate of the outcome that made it a candidate, over all the data. */
  readonly rate: number;
  /** Assisted contacts the customer made after it, before answering. */
  readonly followups: readonly StepEvent[];
}

export interface CustomerContext {
  readonly customer_key: string;
  readonly first_name: string | null;
  readonly timezone: string;
  readonly root: RootCause | null;
}

export const stepKey = (channel: string, activity: string): string => `${channel}:${activity}`;

/**
 * Step rates over all the data. With the store's SQL dialect, each step also gets its impact
 * from the broken-steps analysis (docs/journeys.md), so a case blames the step `broken` ranks.
 */
export async function loadStepRates(db: Queryable, sql?: SqlDialect): Promise<StepRates> {
  const rows = await db.query(`SELECT channel, activity, count(*) AS events,
      sum(CASE WHEN outcome IN ('failure', 'abandoned') THEN 1 ELSE 0 END) AS broken,
      sum(CASE WHEN outcome = 'transferred' THEN 1 ELSE 0 END) AS transferred
    FROM interactions WHERE coalesce(direction, 'inbound') = 'inbound' GROUP BY channel, activity`);
  const impact = new Map<string, number>();
  if (sql !== undefined && rows.length > 0) {
    for (const b of await brokenSteps({ query: (q, p) => db.query(q, p), sql })) impact.set(stepKey(b.channel, b.activity), b.impact);
  }
  return new Map(
    rows.map((r) => {
      const key = stepKey(String(r.channel), String(r.activity));
      return [key, { events: Number(r.events), broken: Number(r.broken), transferred: Number(r.transferred), impact: impact.get(key) ?? 0 }];
    }),
  );
}

const ASSISTED = new Set(['call', 'chat', 'store']);

/**
 * The step most likely at fault among the customer's events before `at`: of the steps that
 * broke for them (failure or abandoned), the one with the highest impact in the broken-steps
 * analysis, then the highest break rate in the whole data, then the latest; steps in the journey
 * of the interaction the answer is about come first. A transfer is a hand-off, often by design
 * (IVR menus route callers), so it is blamed only when nothing broke.
 */
export function pickRootCause(events: readonly StepEvent[], rates: StepRates, at: number, preferEvent: string | null = null): RootCause | null {
  const before = events.filter((e) => e.ts <= at && e.ts >= at - LOOKBACK_MS);
  const preferJourney = preferEvent === null ? null : (before.find((e) => e.event_id === preferEvent)?.journey_id ?? null);
  const rateOf = (e: StepEvent, field: 'broken' | 'transferred'): number => {
    const r = rates.get(stepKey(e.channel, e.activity));
    return r === undefined || r.events === 0 ? 0 : r[field] / r.events;
  };
  const impactOf = (e: StepEvent): number => rates.get(stepKey(e.channel, e.activity))?.impact ?? 0;
  const choose = (pool: readonly StepEvent[], field: 'broken' | 'transferred'): { e: StepEvent; rate: number } | null => {
    let best: { e: StepEvent; rate: number; impact: number } | null = null;
    for (const e of pool) {
      const rate = rateOf(e, field);
      const impact = impactOf(e);
      const better =
        best === null ||
        impact > best.impact ||
        (impact === best.impact && (rate > best.rate || (rate === best.rate && (e.ts > best.e.ts || (e.ts === best.e.ts && e.seq > best.e.seq)))));
      if (better) best = { e, rate, impact };
    }
    return best;
  };
  const broke = before.filter((e) => e.outcome === 'failure' || e.outcome === 'abandoned');
  const handedOff = before.filter((e) => e.outcome === 'transferred');
  const inJourney = (pool: StepEvent[]): StepEvent[] => (preferJourney === null ? [] : pool.filter((e) => e.journey_id === preferJourney));
  const pick =
    choose(inJourney(broke), 'broken') ?? choose(broke, 'broken') ?? choose(inJourney(handedOff), 'transferred') ?? choose(handedOff, 'transferred');
  if (pick === null) return null;
  const root = pick.e;
  const after = before.filter(
    (e) =>
      (e.ts > root.ts || (e.ts === root.ts && e.seq > root.seq)) &&
      (root.journey_id !== null ? e.journey_id === root.journey_id : e.intent === root.intent && e.ts - root.ts <= 7 * DAY_MS),
  );
  let followups = after.filter((e) => ASSISTED.has(e.channel) && e.channel !== root.channel);
  // A phone-menu call that never reached a person is still "you had to call us", once.
  if (followups.length === 0) followups = after.filter((e) => e.channel === 'ivr' && root.channel !== 'ivr').slice(0, 1);
  return { step: stepKey(root.channel, root.activity), event: root, rate: pick.rate, followups };
}

export interface FailureWords {
  /** "your payment" */
  readonly failed_step: string;
  /** "on our website" */
  readonly failed_channel: string;
  /** "3 June" */
  readonly failed_at_date: string;
  /** "your payment failed on our website" */
  readonly failed_step_phrase: string;
  /** "you then had to call us" ("" when nothing followed) */
  readonly followup_phrase: string;
  /** The whole story in one sentence. */
  readonly sentence: string;
}

/**
 * Says what went wrong. To the customer: "We can see your payment failed on our website on
 * 3 June, and that you then had to call us." In a case note: "Their payment failed on our
 * website on 3 June, and they then had to call us."
 */
export function describeRootCause(root: RootCause, person: Person, timeZone: string, reference: number): FailureWords {
  const e = root.event;
  const noun = forPerson(stepNoun(e.activity, e.intent), person);
  const where = channelWords(e.channel);
  const date = dayWords(e.ts, timeZone, reference);
  const phrase = [noun, outcomeWords(e.outcome ?? 'failure', person), where].filter((s) => s !== '').join(' ');
  const followup = root.followups.length === 0 ? '' : `${person} then had to ${contactWords(root.followups)}`;
  const sentence =
    person === 'you'
      ? `We can see ${phrase} on ${date}${followup === '' ? '' : `, and that ${followup}`}.`
      : `${capitalise(phrase)} on ${date}${followup === '' ? '' : `, and ${followup}`}.`;
  return { failed_step: noun, failed_channel: where, failed_at_date: date, failed_step_phrase: phrase, followup_phrase: followup, sentence };
}

/** What a context request names: a customer, the moment of the answer, the interaction it is about. */
export interface ContextRequest {
  readonly customer_key: string;
  readonly at: number;
  readonly event_id?: string | null;
}

/**
 * Loads the contexts of many customers with a fixed number of queries (the import opens cases
 * for thousands of answers at once). Customers without a profile get no first name.
 */
export async function loadContexts(db: Queryable, requests: readonly ContextRequest[], sql?: SqlDialect): Promise<Map<string, CustomerContext>> {
  const out = new Map<string, CustomerContext>();
  if (requests.length === 0) return out;
  const stepRates = await loadStepRates(db, sql);
  const span = new Map<string, [number, number]>();
  for (const r of requests) {
    const s = span.get(r.customer_key);
    span.set(r.customer_key, s === undefined ? [r.at, r.at] : [Math.min(s[0], r.at), Math.max(s[1], r.at)]);
  }
  // The customers as an inline table rather than a temporary one: a temporary table lives in
  // one session, and a pooled store (PostgreSQL) runs each statement outside a transaction on
  // whichever session is free. Keys are quoted as SQL strings; times are integers.
  const quote = (v: string): string => `'${v.replace(/'/g, "''")}'`;
  const ctx = `WITH c (customer_key, first_at, last_at) AS (VALUES ${[...span]
    .map(([k, [first, last]]) => `(${quote(k)}, CAST(${Math.floor(first)} AS BIGINT), CAST(${Math.floor(last)} AS BIGINT))`)
    .join(', ')})`;
  const events = await db.query(`${ctx} SELECT i.customer_key, i.event_id, i.ts, i.seq, i.channel, i.activity, i.intent, i.outcome, i.agent_id, i.journey_id
    FROM interactions i JOIN c ON c.customer_key = i.customer_key
    WHERE coalesce(i.direction, 'inbound') = 'inbound' AND i.ts >= c.first_at - ${LOOKBACK_MS} AND i.ts <= c.last_at
    ORDER BY i.customer_key, i.ts, i.seq`);
  const profiles = await db.query(`${ctx} SELECT p.customer_key, p.attrs FROM profiles p JOIN c ON c.customer_key = p.customer_key
    WHERE p.attrs IS NOT NULL ORDER BY p.seq`);
  const consents = await db.query(`${ctx} SELECT k.customer_key, k.timezone FROM consents k JOIN c ON c.customer_key = k.customer_key
    WHERE k.timezone IS NOT NULL ORDER BY k.seq`);

  const byCustomer = new Map<string, StepEvent[]>();
  for (const r of events) {
    const list = byCustomer.get(String(r.customer_key)) ?? [];
    list.push({
      event_id: String(r.event_id),
      ts: Number(r.ts),
      seq: Number(r.seq),
      channel: String(r.channel),
      activity: String(r.activity),
      intent: r.intent === null ? null : String(r.intent),
      outcome: r.outcome === null ? null : String(r.outcome),
      agent_id: r.agent_id === null ? null : String(r.agent_id),
      journey_id: r.journey_id === null ? null : String(r.journey_id),
    });
    byCustomer.set(String(r.customer_key), list);
  }
  const names = new Map<string, string>();
  const zones = new Map<string, string>();
  for (const r of profiles) {
    const attrs = parseAttrs(r.attrs);
    const key = String(r.customer_key);
    const name = firstName(attrs);
    if (name !== null && !names.has(key)) names.set(key, name);
    const tz = attrs.timezone ?? attrs.time_zone;
    if (typeof tz === 'string' && tz !== '' && !zones.has(key)) zones.set(key, tz);
  }
  for (const r of consents) if (!zones.has(String(r.customer_key))) zones.set(String(r.customer_key), String(r.timezone));

  for (const req of requests) {
    const id = contextId(req);
    if (out.has(id)) continue;
    const evs = byCustomer.get(req.customer_key) ?? [];
    out.set(id, {
      customer_key: req.customer_key,
      first_name: names.get(req.customer_key) ?? null,
      timezone: zones.get(req.customer_key) ?? 'UTC',
      root: pickRootCause(evs, stepRates, req.at, req.event_id ?? null),
    });
  }
  return out;
}

/** The key of a request in the map `loadContexts` returns. */
export function contextId(r: ContextRequest): string {
  return `${r.customer_key}|${r.at}|${r.event_id ?? ''}`;
}

export async function loadContext(db: Queryable, request: ContextRequest, sql?: SqlDialect): Promise<CustomerContext> {
  const map = await loadContexts(db, [request], sql);
  return map.get(contextId(request))!;
}

function parseAttrs(v: unknown): Record<string, unknown> {
  if (typeof v !== 'string') return {};
  try {
    const parsed: unknown = JSON.parse(v);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** A first name from CRM traits: `first_name`, `given_name`, or the first word of `name`. */
export function firstName(attrs: Record<string, unknown>): string | null {
  for (const k of ['first_name', 'firstname', 'given_name', 'name', 'full_name']) {
    const v = attrs[k];
    if (typeof v !== 'string' || v.trim() === '') continue;
    const word = v.trim().split(/\s+/)[0]!;
    if (/^[\p{L}][\p{L}'’-]*$/u.test(word)) return word;
  }
  return null;
}

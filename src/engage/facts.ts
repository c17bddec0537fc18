/**
 * Everything the live context and the engagement guard know about one customer, read with one
 * scan per table (or from the server's live cache of those rows, customer-cache.ts). Both read these facts, so what an agent sees and
 * what the guard decides can never disagree (one definition of "overdue promise", "open
 * journey", "held product").
 */
import { FAILED_OUTCOMES, IDENTIFIER_TYPES } from '../core/records.ts';
import type { IdentifierType } from '../core/records.ts';
import { isValidZone } from '../core/time.ts';
import { isPlaceholder } from '../identity/normalize.ts';
import { promiseStateAt } from '../insight/promises.ts';
import { votesSql } from '../journey/preferred.ts';
import type { ChannelVotes, PreferredChannel } from '../journey/preferred.ts';
import type { Queryable, Row, SqlParam } from '../store/store.ts';

const DAY_MS = 24 * 3600 * 1000;

export interface HoldingFact {
  product: string;
  since: number | null;
  until: number | null;
  /** Held now: started (or no start known) and not ended. */
  active: boolean;
}

export interface ConsentFact {
  channel: string;
  status: 'grant' | 'deny';
  ts: number | null;
  timezone: string | null;
  quiet_start: string | null;
  quiet_end: string | null;
}

/**
 * `open`: not kept, not yet due. `overdue`: not kept and past due (DATA.md and the promises
 * analysis call this `broken`; here it is named for what an agent can still do about it).
 * `kept`: kept on time. `kept_late`: kept after it was due.
 */
export type PromiseState = 'open' | 'overdue' | 'kept' | 'kept_late';

export interface PromiseFact {
  promise_id: string;
  kind: string;
  made_at: number;
  due: number;
  kept_at: number | null;
  agent_id: string | null;
  description: string | null;
  state: PromiseState;
}

export interface JourneyFact {
  journey_id: string;
  intent: string | null;
  start_ts: number;
  end_ts: number;
  steps: number;
  channels: string[];
  failures: number;
  last_outcome: string | null;
  /** resolved | unresolved | abandoned (docs/journeys.md). */
  outcome: string;
}

export interface EventFact {
  event_id: string;
  ts: number;
  channel: string;
  activity: string;
  intent: string | null;
  outcome: string | null;
  direction: string;
  agent_id: string | null;
  journey_id: string | null;
}

export interface FeedbackFact {
  response_id: string;
  ts: number;
  survey_id: string;
  metric: string;
  scope: string;
  score: number;
  comment: string | null;
  /** What the customer wrote to the survey's later questions (what would make it right…), each to its question. */
  answers: { question: string; text: string }[];
}

/** The text answers a survey dialogue kept in an answer's attributes (feedback.attrs.answers). */
function surveyAnswers(attrs: unknown): { question: string; text: string }[] {
  if (typeof attrs !== 'string') return [];
  try {
    const answers = (JSON.parse(attrs) as { answers?: Record<string, unknown> }).answers ?? {};
    return Object.entries(answers).flatMap(([question, text]) => (typeof text === 'string' && text.trim() !== '' ? [{ question, text }] : []));
  } catch {
    return [];
  }
}

export interface CaseFact {
  case_id: string;
  kind: string;
  status: string;
  reason: string;
  owner: string;
  opened_at: number;
  due_at: number;
  root_cause_step: string | null;
  overdue: boolean;
}

export interface CustomerFacts {
  customer_key: string;
  now: number;
  identifiers: { type: IdentifierType; value: string; links: boolean }[];
  /** Profile traits (name, segment, timezone, …), the latest profile's value first. */
  traits: Record<string, unknown>;
  /** The customer's IANA zone from their profile or consents; null when unknown. */
  timezone: string | null;
  holdings: HoldingFact[];
  /** The latest consent per channel. */
  consents: ConsentFact[];
  promises: PromiseFact[];
  /** The most recent journeys, latest first. */
  journeys: JourneyFact[];
  /**
   * Interactions, latest first: the most recent (inbound and outbound), and beside them older
   * failures and the first and last steps of open journeys, which a long run of page views
   * after them must not push out of the context.
   */
  events: EventFact[];
  /** The most recent survey answers, latest first. */
  feedback: FeedbackFact[];
  /** Cases still open or contacted. */
  cases: CaseFact[];
  preferred: PreferredChannel;
}

export interface FactLimits {
  readonly journeys: number;
  /** The most recent interactions, whatever they are. */
  readonly events: number;
  /** Inbound steps that did not do their job, kept however many events came after them. */
  readonly failures: number;
  readonly feedback: number;
}

export const DEFAULT_FACT_LIMITS: FactLimits = Object.freeze({ journeys: 20, events: 100, failures: 20, feedback: 10 });

/** Steps kept from the end of each open journey (its first step and its failures are kept too). */
const OPEN_JOURNEY_LAST_STEPS = 5;

/** Profile rows read per customer, latest first: traits come from the newest that has each. */
const PROFILE_ROWS = 50;

const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

function parseAttrs(v: unknown): Record<string, unknown> {
  if (typeof v !== 'string') return {};
  try {
    const parsed: unknown = JSON.parse(v);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** Byte order of UTF-8 text (SQL's COLLATE "C"): code point order, which `<` on UTF-16 is not. */
export function byteOrder(a: string, b: string): number {
  if (a === b) return 0;
  for (let i = 0, j = 0; i < a.length && j < b.length; ) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(j)!;
    if (x !== y) return x < y ? -1 : 1;
    i += x > 0xffff ? 2 : 1;
    j += y > 0xffff ? 2 : 1;
  }
  return a.length - b.length;
}

export interface OutboundContact {
  ts: number;
  channel: string;
  intent: string | null;
}

interface PromiseRow {
  readonly promise_id: string;
  readonly kind: string;
  readonly made_at: number;
  readonly due: number;
  readonly kept_at: number | null;
  readonly agent_id: string | null;
  readonly description: string | null;
}

/**
 * What the facts of one customer are made of, none of it depending on `now`: the rows as stored,
 * ordered and cut to the limits. The server's live cache (customer-cache.ts) keeps these, so a
 * context is assembled without a query; `factsAt` applies `now`.
 */
export interface CustomerRows {
  readonly customer_key: string;
  readonly identifiers: CustomerFacts['identifiers'];
  readonly traits: Record<string, unknown>;
  readonly timezone: string | null;
  readonly holdings: readonly { readonly product: string; readonly since: number | null; readonly until: number | null }[];
  readonly consents: readonly ConsentFact[];
  readonly promises: readonly PromiseRow[];
  readonly journeys: readonly JourneyFact[];
  /** The latest interactions, inbound and outbound, latest first. */
  readonly events: readonly EventFact[];
  /** Every outbound contact on record, in time order: what frequency caps count. */
  readonly outbound: readonly OutboundContact[];
  readonly feedback: readonly FeedbackFact[];
  /** Cases still open or contacted. */
  readonly cases: readonly Omit<CaseFact, 'overdue'>[];
  readonly preferred: PreferredChannel;
}

/**
 * Which customers to read: one (a request), several (a refresh after a merge), a slice of the key
 * space (keys whose first hex digit is one of the characters of `slice`: a preload, a part at a
 * time), or all.
 */
export type CustomerScope = { readonly key: string } | { readonly keys: readonly string[] } | { readonly slice: string } | 'all';

/** A customer's rows while they are read, before ordering and cutting. */
interface Gathering {
  ids: Map<string, { type: IdentifierType; value: string; o: number }>;
  profiles: { seq: number; attrs: unknown }[];
  holdings: { seq: number; product: string; since: number | null; until: number | null }[];
  consents: { seq: number; fact: ConsentFact }[];
  promises: PromiseRow[];
  journeys: { first_seq: number; fact: JourneyFact }[];
  events: { seq: number; fact: EventFact }[];
  /** Inbound failed steps, the latest `limits.failures`. */
  failures: { seq: number; fact: EventFact }[];
  /** Steps of journeys not resolved (read before the events): the first, the failures and the last few. */
  openSteps: Map<string, { first: { seq: number; fact: EventFact }; failures: { seq: number; fact: EventFact }[]; last: { seq: number; fact: EventFact }[] }>;
  outbound: { seq: number; contact: OutboundContact }[];
  feedback: { seq: number; fact: FeedbackFact }[];
  cases: Omit<CaseFact, 'overdue'>[];
  votes: ChannelVotes[];
}

const KEYS_PER_SCAN = 10_000;
const quote = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/**
 * One copy of each short, oft-repeated value (channel, activity, outcome, agent, intent): a store
 * hands back a new string per row, and the live cache holds a million rows' worth of them.
 */
const interned = new Map<string, string>();
function intern(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  const s = String(v);
  const hit = interned.get(s);
  if (hit !== undefined) return hit;
  if (interned.size >= 100_000) interned.clear();
  interned.set(s, s);
  return s;
}

/**
 * Reads the rows of the customers in `scope`, one scan per table whatever the scope (no ORDER BY
 * or LIMIT in SQL: a columnar store scans the table either way, and a top-N over a filtered scan
 * is several times slower in DuckDB than the scan alone). Ordering and limits are applied per
 * customer here, to the same effect as `ORDER BY … LIMIT` per customer.
 */
export async function loadCustomerRows(db: Queryable, scope: CustomerScope, limits: FactLimits = DEFAULT_FACT_LIMITS): Promise<Map<string, CustomerRows>> {
  const chunks: { cond: (col: string) => string; params: SqlParam[] }[] =
    scope === 'all'
      ? [{ cond: (c) => `${c} IS NOT NULL`, params: [] }]
      : 'key' in scope
        ? [{ cond: (c) => `${c} = $1`, params: [scope.key] }]
        : 'slice' in scope
          ? [{ cond: (c) => `substr(${c}, 3, 1) IN (${[...scope.slice].map(quote).join(', ')})`, params: [] }]
          : // Each part scans every table once: parts are large (an IN list is a hash lookup).
          Array.from({ length: Math.ceil(scope.keys.length / KEYS_PER_SCAN) }, (_, i) => {
            const list = scope.keys.slice(i * KEYS_PER_SCAN, (i + 1) * KEYS_PER_SCAN).map(quote).join(', ');
            return { cond: (c: string) => `${c} IN (${list})`, params: [] };
          });
  const one = scope !== 'all' && 'key' in scope;
  const all = new Map<string, Gathering>();
  const of = (key: unknown): Gathering => {
    const k = String(key);
    let g = all.get(k);
    if (g === undefined) {
      g = {
        ids: new Map(),
        profiles: [],
        holdings: [],
        consents: [],
        promises: [],
        journeys: [],
        events: [],
        failures: [],
        openSteps: new Map(),
        outbound: [],
        feedback: [],
        cases: [],
        votes: [],
      };
      all.set(k, g);
    }
    return g;
  };
  if (scope !== 'all' && 'key' in scope) of(scope.key);
  if (scope !== 'all' && 'keys' in scope) for (const k of scope.keys) of(k);

  for (const { cond, params } of chunks) {
    const withJourneys = new Set<Gathering>();
    // One customer's rows are few: a plain query costs less than setting up a stream.
    const each = async (sql: string, fn: (r: Row) => void): Promise<void> => {
      if (one) for (const r of await db.query(sql, params)) fn(r);
      else for await (const batch of db.stream(sql, params)) for (const r of batch) fn(r);
    };
    await each(`SELECT customer_key, ${IDENTIFIER_TYPES.join(', ')} FROM id_tuples WHERE ${cond('customer_key')}`, (r) => {
      const g = of(r.customer_key);
      IDENTIFIER_TYPES.forEach((type, o) => {
        const v = r[type];
        if (v !== null && v !== undefined) g.ids.set(`${type}:${String(v)}`, { type, value: String(v), o });
      });
    });
    await each(`SELECT customer_key, seq, attrs FROM profiles WHERE ${cond('customer_key')} AND attrs IS NOT NULL`, (r) =>
      of(r.customer_key).profiles.push({ seq: Number(r.seq), attrs: r.attrs }),
    );
    await each(`SELECT customer_key, seq, product, since, until FROM holdings WHERE ${cond('customer_key')}`, (r) =>
      of(r.customer_key).holdings.push({ seq: Number(r.seq), product: String(r.product), since: num(r.since), until: num(r.until) }),
    );
    await each(`SELECT customer_key, seq, channel, status, ts, timezone, quiet_start, quiet_end FROM consents WHERE ${cond('customer_key')}`, (r) =>
      of(r.customer_key).consents.push({
        seq: Number(r.seq),
        fact: {
          channel: intern(r.channel)!,
          status: r.status === 'deny' ? 'deny' : 'grant',
          ts: num(r.ts),
          timezone: str(r.timezone),
          quiet_start: str(r.quiet_start),
          quiet_end: str(r.quiet_end),
        },
      }),
    );
    await each(`SELECT customer_key, promise_id, kind, ts, due, kept_at, agent_id, description FROM promises WHERE ${cond('customer_key')}`, (r) =>
      of(r.customer_key).promises.push({
        promise_id: String(r.promise_id),
        kind: String(r.kind),
        made_at: Number(r.ts),
        due: Number(r.due),
        kept_at: num(r.kept_at),
        agent_id: str(r.agent_id),
        description: str(r.description),
      }),
    );
    await each(
      `SELECT customer_key, journey_id, intent, start_ts, end_ts, first_seq, steps, channels, failures, last_outcome, outcome FROM journeys WHERE ${cond('customer_key')}`,
      (r) => {
        const g = of(r.customer_key);
        g.journeys.push({ first_seq: Number(r.first_seq), fact: toJourney(r) });
        withJourneys.add(g);
      },
    );
    // The steps of the open journeys among those kept are gathered beside the latest events.
    for (const g of withJourneys) {
      for (const j of latestJourneys(g, limits)) if (j.outcome !== 'resolved' && !g.openSteps.has(j.journey_id)) g.openSteps.set(j.journey_id, { first: NO_STEP, failures: [], last: [] });
    }
    await each(
      `SELECT customer_key, seq, event_id, ts, channel, activity, intent, outcome, direction, agent_id, journey_id FROM interactions WHERE ${cond('customer_key')}`,
      (r) => {
        const g = of(r.customer_key);
        const e: EventFact = {
          event_id: String(r.event_id),
          ts: Number(r.ts),
          channel: intern(r.channel)!,
          activity: intern(r.activity)!,
          intent: intern(r.intent),
          outcome: intern(r.outcome),
          direction: intern(r.direction) ?? 'inbound',
          agent_id: intern(r.agent_id),
          journey_id: str(r.journey_id),
        };
        const seq = Number(r.seq);
        const item = { seq, fact: e };
        keepLatest(g.events, item, limits.events, latestFirst);
        const failed = e.outcome !== null && FAILED_OUTCOMES.has(e.outcome);
        if (failed && e.direction !== 'outbound') keepLatest(g.failures, item, limits.failures, latestFirst);
        const open = e.journey_id === null ? undefined : g.openSteps.get(e.journey_id);
        if (open !== undefined) {
          if (open.first === NO_STEP || latestFirst(item, open.first) > 0) open.first = item;
          if (failed) open.failures.push(item);
          keepLatest(open.last, item, OPEN_JOURNEY_LAST_STEPS, latestFirst);
        }
        if (e.direction === 'outbound') g.outbound.push({ seq, contact: { ts: e.ts, channel: e.channel, intent: e.intent } });
      },
    );
    // Only a survey dialogue's attributes are read: an imported answer's may be large and hold nothing here.
    await each(
      `SELECT customer_key, seq, response_id, ts, survey_id, metric, scope, score, comment,
         CASE WHEN attrs LIKE '%"source":"survey"%' THEN attrs END AS survey_attrs
       FROM feedback WHERE ${cond('customer_key')}`,
      (r) =>
      keepLatest(
        of(r.customer_key).feedback,
        {
          seq: Number(r.seq),
          fact: {
            response_id: String(r.response_id),
            ts: Number(r.ts),
            survey_id: intern(r.survey_id)!,
            metric: intern(r.metric)!,
            scope: intern(r.scope)!,
            score: Number(r.score),
            comment: str(r.comment),
            answers: surveyAnswers(r.survey_attrs),
          },
        },
        limits.feedback,
        (a, b) => b.fact.ts - a.fact.ts || b.seq - a.seq,
      ),
    );
    await each(`SELECT * FROM (${OPEN_CASES_SQL}) c WHERE ${cond('customer_key')}`, (r) => of(r.customer_key).cases.push(caseRow(r)));
    // The preferred channel is the journey module's own definition (journey/preferred.ts).
    await each(votesSql(cond), (r) =>
      of(r.customer_key).votes.push({
        channel: String(r.channel),
        started: Number(r.started),
        answered: Number(r.answered),
        votes: Number(r.votes),
        last_ts: Number(r.last_ts),
      }),
    );
  }

  const out = new Map<string, CustomerRows>();
  for (const [key, g] of all) out.set(key, finish(key, g, limits));
  return out;
}

function latestJourneys(g: Gathering, limits: FactLimits): JourneyFact[] {
  return g.journeys
    .sort((a, b) => b.fact.end_ts - a.fact.end_ts || b.first_seq - a.first_seq)
    .slice(0, limits.journeys)
    .map((j) => j.fact);
}

type Kept = { seq: number; fact: EventFact };
const latestFirst = (a: Kept, b: Kept): number => b.fact.ts - a.fact.ts || b.seq - a.seq;
/** Marks an open journey none of whose steps was read yet. */
const NO_STEP: Kept = { seq: -1, fact: { event_id: '', ts: 0, channel: '', activity: '', intent: null, outcome: null, direction: 'inbound', agent_id: null, journey_id: null } };

/**
 * The latest `limits.events` events, and the failures and open-journey steps older than those,
 * latest first, each once.
 */
function keptEvents(g: Gathering, journeys: readonly JourneyFact[], limits: FactLimits): EventFact[] {
  const kept = new Map<number, Kept>();
  const add = (list: readonly Kept[]): void => {
    for (const k of list) kept.set(k.seq, k);
  };
  add(g.events.sort(latestFirst).slice(0, limits.events));
  add(g.failures.sort(latestFirst).slice(0, limits.failures));
  for (const j of journeys) {
    const open = g.openSteps.get(j.journey_id);
    if (open === undefined || open.first === NO_STEP) continue;
    add([open.first, ...open.failures, ...open.last.sort(latestFirst).slice(0, OPEN_JOURNEY_LAST_STEPS)]);
  }
  return [...kept.values()].sort(latestFirst).map((k) => k.fact);
}

/**
 * Adds `item` to `list`, keeping at most `limit` items, the first ones in `order`. Cheap for the
 * usual handful of rows; a customer with a long history costs a sort now and then.
 */
function keepLatest<T>(list: T[], item: T, limit: number, order: (a: T, b: T) => number): void {
  list.push(item);
  if (list.length > 2 * limit) {
    list.sort(order);
    list.length = limit;
  }
}

function finish(key: string, g: Gathering, limits: FactLimits): CustomerRows {
  const ids = [...g.ids.values()].sort((a, b) => a.o - b.o || byteOrder(a.value, b.value));
  const traits: Record<string, unknown> = {};
  const profiles = g.profiles.sort((a, b) => b.seq - a.seq).slice(0, PROFILE_ROWS);
  for (const p of profiles) for (const [name, v] of Object.entries(parseAttrs(p.attrs))) if (!(name in traits)) traits[name] = v;

  // The latest consent per channel wins: later rows overwrite earlier ones.
  const latest = new Map<string, ConsentFact>();
  for (const c of g.consents.sort((a, b) => (a.fact.ts ?? 0) - (b.fact.ts ?? 0) || a.seq - b.seq)) latest.set(c.fact.channel, c.fact);
  const zoneCandidates = [traits.timezone, traits.time_zone, ...[...latest.values()].map((c) => c.timezone)];
  const timezone = (zoneCandidates.find((z) => typeof z === 'string' && z !== '' && isValidZone(z)) as string | undefined) ?? null;

  const votes = g.votes.sort((a, b) => b.votes - a.votes || b.last_ts - a.last_ts || byteOrder(a.channel, b.channel));
  const journeys = latestJourneys(g, limits);
  return {
    customer_key: key,
    identifiers: ids.map(({ type, value }) => ({ type, value, links: !isPlaceholder(type, value) })),
    traits,
    timezone,
    holdings: g.holdings.sort((a, b) => byteOrder(a.product, b.product) || a.seq - b.seq).map(({ product, since, until }) => ({ product, since, until })),
    consents: [...latest.values()].sort((a, b) => (a.channel < b.channel ? -1 : 1)),
    promises: g.promises.sort((a, b) => a.due - b.due || byteOrder(a.promise_id, b.promise_id)),
    journeys,
    events: keptEvents(g, journeys, limits),
    outbound: g.outbound.sort((a, b) => a.contact.ts - b.contact.ts || a.seq - b.seq).map((o) => o.contact),
    feedback: g.feedback
      .sort((a, b) => b.fact.ts - a.fact.ts || b.seq - a.seq)
      .slice(0, limits.feedback)
      .map((f) => f.fact),
    cases: sortCases(g.cases),
    preferred: { customer_key: key, channel: votes[0]?.channel ?? null, votes },
  };
}

/** The facts of a customer's rows as of `now`. */
export function factsAt(rows: CustomerRows, now: number): CustomerFacts {
  return {
    customer_key: rows.customer_key,
    now,
    identifiers: rows.identifiers,
    traits: rows.traits,
    timezone: rows.timezone,
    holdings: rows.holdings.map((h) => ({ ...h, active: (h.since === null || h.since <= now) && (h.until === null || h.until > now) })),
    consents: [...rows.consents],
    // Promise states are the promises analysis' own rule (insight/promises.ts), judged at `now`;
    // a promise made after `now` is not part of the picture yet.
    promises: rows.promises
      .filter((p) => p.made_at <= now)
      .map((p) => {
        const state = promiseStateAt(p, now);
        return {
          promise_id: p.promise_id,
          kind: p.kind,
          made_at: p.made_at,
          due: p.due,
          // A kept_at after `now` has not happened yet as of `now`.
          kept_at: state === 'kept' || state === 'kept_late' ? p.kept_at : null,
          agent_id: p.agent_id,
          description: p.description,
          state: state === 'broken' ? 'overdue' : state,
        };
      }),
    journeys: [...rows.journeys],
    events: [...rows.events],
    feedback: [...rows.feedback],
    cases: rows.cases.map((c) => ({ ...c, overdue: c.due_at < now })),
    preferred: rows.preferred,
  };
}

/** Reads one customer's rows (a key from `resolveCustomer`). */
export async function loadRows(db: Queryable, customerKey: string, limits: FactLimits = DEFAULT_FACT_LIMITS): Promise<CustomerRows> {
  return (await loadCustomerRows(db, { key: customerKey }, limits)).get(customerKey)!;
}

/** Reads the facts of one customer (a key from `resolveCustomer`) as of `now`. */
export async function loadFacts(db: Queryable, customerKey: string, now: number, limits: FactLimits = DEFAULT_FACT_LIMITS): Promise<CustomerFacts> {
  return factsAt(await loadRows(db, customerKey, limits), now);
}

/** Every case still open or contacted, with its customer: what a context lists. */
export const OPEN_CASES_SQL = `SELECT customer_key, case_id, kind, status, reason, owner, opened_at, due_at, root_cause_step FROM cases WHERE status IN ('open', 'contacted')`;

export function caseRow(r: Row): Omit<CaseFact, 'overdue'> {
  return {
    case_id: String(r.case_id),
    kind: String(r.kind),
    status: String(r.status),
    reason: String(r.reason),
    owner: String(r.owner),
    opened_at: Number(r.opened_at),
    due_at: Number(r.due_at),
    root_cause_step: str(r.root_cause_step),
  };
}

/** A context's order of cases: oldest first. */
export function sortCases<T extends { opened_at: number; case_id: string }>(list: T[]): T[] {
  return list.sort((a, b) => a.opened_at - b.opened_at || byteOrder(a.case_id, b.case_id));
}

function toJourney(j: Row): JourneyFact {
  return {
    journey_id: String(j.journey_id),
    intent: intern(j.intent),
    start_ts: Number(j.start_ts),
    end_ts: Number(j.end_ts),
    steps: Number(j.steps),
    channels: j.channels === null ? [] : String(j.channels).split(',').map((c) => intern(c)!),
    failures: Number(j.failures),
    last_outcome: intern(j.last_outcome),
    outcome: intern(j.outcome)!,
  };
}

/**
 * Open journeys: the customer's goal was not reached (the journey ended unresolved or
 * abandoned) and its last step is recent enough that they may still be trying, within
 * `windowMs` (the journey inactivity window: after it, a new attempt is a new journey anyway).
 */
export function openJourneys(facts: CustomerFacts, windowMs: number): JourneyFact[] {
  return facts.journeys.filter((j) => j.outcome !== 'resolved' && facts.now - j.end_ts <= windowMs && j.end_ts <= facts.now + DAY_MS);
}

/**
 * The steps of one journey from the facts' recent events, in time order; steps in one
 * millisecond in the order they arrived. The events are latest first by time and then arrival
 * (`seq`, which they do not carry): reversed, a stable sort by time keeps that order.
 */
export function journeySteps(facts: CustomerFacts, journeyId: string): EventFact[] {
  return facts.events
    .filter((e) => e.journey_id === journeyId)
    .reverse()
    .sort((a, b) => a.ts - b.ts);
}


/** Outbound contacts (marketing, reminders, surveys) on record in [from, to]: what frequency caps count. */
export function outboundBetween(rows: CustomerRows, from: number, to: number): OutboundContact[] {
  return rows.outbound.filter((o) => o.ts >= from && o.ts <= to);
}

/**
 * The engagement guard (docs/engagement.md): for a customer and candidate actions (an offer, a
 * service message, a survey, a reminder on some channel), decides per action `allow`,
 * `suppress`, `defer` or `reroute`, with the reasons grouped by pillar — relevance, respect,
 * credibility, value — and the machine-readable rules that fired. The rules are pure functions
 * of the customer's facts (facts.ts), so the live context's "offers not to make" and the guard
 * agree; the async wrapper loads the facts and records every decision.
 */
import { randomUUID } from 'node:crypto';
import { AppError } from '../core/errors.ts';
import { parseTimestamp, zonedToUtc, zoneOffsetMs } from '../core/time.ts';
import { contactDecision } from '../feedback/contact-rules.ts';
import type { Queryable, SqlParam } from '../store/store.ts';
import { factsAt, loadRows, openJourneys, outboundBetween } from './facts.ts';
import type { CustomerFacts, CustomerRows, OutboundContact } from './facts.ts';
import type { ActionKind, FrequencyCap, Policies } from './policies.ts';
import { simpleRisk } from './risk.ts';
import type { Risk } from './risk.ts';
import { intentWords } from './words.ts';

const DAY_MS = 24 * 3600 * 1000;
const MINUTE_MS = 60_000;

export type Verdict = 'allow' | 'suppress' | 'defer' | 'reroute';
export type Pillar = 'relevance' | 'respect' | 'credibility' | 'value';

export interface Candidate {
  readonly action_id: string;
  readonly kind: ActionKind;
  readonly channel: string;
  readonly product?: string | undefined;
  /** ISO 8601 with an offset; default now. */
  readonly at?: string | undefined;
  readonly value?: number | undefined;
  /** 0–1: how likely the customer is to take the action up. */
  readonly propensity?: number | undefined;
  /** The customer goal the action serves (an intent, e.g. `pay_bill`). */
  readonly intent?: string | undefined;
  /** `inbound` when the customer is already talking to us in this channel (an agent on a call). */
  readonly direction?: 'outbound' | 'inbound' | undefined;
}

export interface Decision {
  action_id: string;
  kind: ActionKind;
  product: string | null;
  channel: string;
  decision: Verdict;
  /** Where the action may go: the channel, or the one it was rerouted to; null when suppressed. */
  final_channel: string | null;
  /** When the action may go (ISO); for `defer`, the end of what holds it back; null when suppressed. */
  send_at: string | null;
  defer_until: string | null;
  /** propensity × value × levers; 0 when suppressed. */
  priority: number;
  reasons: Record<Pillar, string[]>;
  /** Rules that fired, e.g. `respect.quiet_hours`. */
  rules: string[];
}

export interface Evaluation {
  evaluation_id: string;
  customer_key: string;
  evaluated_at: string;
  /** Highest priority first; suppressed actions last. */
  decisions: Decision[];
}

/** An offer block: an offer (or every offer) that must not be made now, and why. */
export interface OfferBlock {
  /** A product, or `*` for every offer. */
  offer: string;
  /** A channel, or `*` for every channel. */
  channel: string;
  pillar: Pillar;
  rule: string;
  reason: string;
  /** ISO instant the block lifts by itself; null when it lasts until the facts change. */
  until: string | null;
}

const iso = (ms: number): string => new Date(ms).toISOString();
const round = (x: number): number => Math.round(x * 10_000) / 10_000;

function dateWords(ms: number, zone: string): string {
  return new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', timeZone: safeZone(zone), timeZoneName: 'short' }).format(
    new Date(ms),
  );
}

function safeZone(zone: string): string {
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: zone });
    return zone;
  } catch {
    return 'UTC';
  }
}

const minutesOf = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/**
 * When `ts` falls inside the local quiet window [start, end) in `zone` (a window may wrap
 * midnight), the instant the window ends; otherwise null.
 */
export function quietUntil(ts: number, zone: string, start: string, end: string): number | null {
  const s = minutesOf(start);
  const e = minutesOf(end);
  if (s === e) return null;
  const local = ts + zoneOffsetMs(zone, ts);
  const dayStart = local - (((local % DAY_MS) + DAY_MS) % DAY_MS);
  const m = Math.floor((local - dayStart) / MINUTE_MS);
  const inside = s < e ? m >= s && m < e : m >= s || m < e;
  if (!inside) return null;
  let endLocal = dayStart + e * MINUTE_MS;
  if (endLocal <= local) endLocal += DAY_MS;
  return zonedToUtc(endLocal, zone);
}

/** What the rules need besides the facts: loaded once per evaluation. */
export interface GuardInputs {
  readonly facts: CustomerFacts;
  readonly outbound: readonly OutboundContact[];
  readonly risk: Risk;
  /** The survey contact rules' answer for this customer (only needed with survey candidates). */
  readonly survey: { ok: true } | { ok: false; rule: string; reason: string } | null;
}

function zoneOf(facts: CustomerFacts, policies: Policies, channel: string): string {
  return facts.consents.find((c) => c.channel === channel)?.timezone ?? facts.timezone ?? policies.quiet_hours.default_timezone;
}

/** Why the customer may not be contacted on a channel at all, or null. */
function consentBlock(facts: CustomerFacts, policies: Policies, channel: string): string | null {
  const c = facts.consents.find((x) => x.channel === channel);
  if (c?.status === 'deny') return `the customer denied ${channel} contact${c.ts === null ? '' : ` on ${iso(c.ts).slice(0, 10)}`}`;
  if (c === undefined && policies.consent.require_grant.includes(channel)) return `no ${channel} consent on record, and ${channel} needs an explicit opt-in`;
  return null;
}

/** The quiet window that applies on a channel: the consent's own, else the policy's for listed channels. */
function quietWindow(facts: CustomerFacts, policies: Policies, channel: string): { start: string; end: string; source: string } | null {
  const c = facts.consents.find((x) => x.channel === channel);
  if (c?.quiet_start && c.quiet_end) return { start: c.quiet_start, end: c.quiet_end, source: `the customer's ${channel} quiet hours` };
  if (policies.quiet_hours.channels.includes(channel)) return { start: policies.quiet_hours.start, end: policies.quiet_hours.end, source: 'quiet hours' };
  return null;
}

interface CapState {
  /** Actions this evaluation already let through, per cap index. */
  readonly taken: Map<number, number[]>;
}

/** The first cap that the action would exceed on `channel` at `at`, with when it frees up. */
function capBlock(
  inputs: GuardInputs,
  policies: Policies,
  state: CapState,
  kind: ActionKind,
  channel: string,
  at: number,
): { cap: FrequencyCap; used: number; freeAt: number } | null {
  for (const [i, cap] of policies.frequency_caps.entries()) {
    if (cap.channel !== channel || !cap.kinds.includes(kind)) continue;
    const from = at - cap.days * DAY_MS;
    const times = inputs.outbound
      .filter((o) => o.channel === channel && o.ts > from && o.ts <= at && (cap.count_intents === null || (o.intent !== null && cap.count_intents.includes(o.intent))))
      .map((o) => o.ts);
    // Actions let through earlier in this evaluation count when they are within a window of this one.
    for (const t of state.taken.get(i) ?? []) if (t > from && t < at + cap.days * DAY_MS) times.push(t);
    if (times.length >= cap.max) {
      times.sort((a, b) => a - b);
      // The window frees a slot when the oldest of the `max` most recent contacts leaves it.
      const oldest = times[times.length - cap.max] ?? at;
      return { cap, used: times.length, freeAt: Math.max(at, oldest + cap.days * DAY_MS) };
    }
  }
  return null;
}

function takeCaps(policies: Policies, state: CapState, kind: ActionKind, channel: string, at: number): void {
  for (const [i, cap] of policies.frequency_caps.entries()) {
    if (cap.channel !== channel || !cap.kinds.includes(kind)) continue;
    const list = state.taken.get(i) ?? [];
    list.push(at);
    state.taken.set(i, list);
  }
}

/** The credibility blocks on sales offers: service first while any of these holds. */
export function credibilityBlocks(facts: CustomerFacts, policies: Policies): { rule: string; reason: string }[] {
  const out: { rule: string; reason: string }[] = [];
  const zone = facts.timezone ?? policies.quiet_hours.default_timezone;
  if (policies.credibility.block_offers_on_overdue_promise) {
    for (const p of facts.promises.filter((x) => x.state === 'overdue')) {
      out.push({
        rule: 'credibility.overdue_promise',
        reason: `a promise (${p.kind}${p.description ? `: ${p.description}` : ''}) was due ${dateWords(p.due, zone)} and is not kept; keep it before selling`,
      });
    }
  }
  if (policies.credibility.block_offers_on_open_case) {
    for (const c of facts.cases) out.push({ rule: 'credibility.open_case', reason: `case ${c.case_id} (${c.kind}) is open: ${c.reason}` });
  }
  if (policies.credibility.failed_journey_days > 0) {
    const last = facts.journeys[0];
    if (last !== undefined && last.outcome !== 'resolved' && last.failures > 0 && facts.now - last.end_ts <= policies.credibility.failed_journey_days * DAY_MS) {
      out.push({
        rule: 'credibility.failed_journey',
        reason: `the customer's last journey (trying to ${intentWords(last.intent)}) failed and is unresolved; help with it first`,
      });
    }
  }
  return out;
}

/** Offers that must not be made now, and why: what the live context lists for the agent. */
export function offerBlocks(inputs: GuardInputs, policies: Policies): OfferBlock[] {
  const { facts } = inputs;
  const out: OfferBlock[] = credibilityBlocks(facts, policies).map((b) => ({ offer: '*', channel: '*', pillar: 'credibility', rule: b.rule, reason: b.reason, until: null }));
  for (const h of facts.holdings.filter((x) => x.active)) {
    out.push({ offer: h.product, channel: '*', pillar: 'relevance', rule: 'relevance.held_product', reason: `the customer already holds ${h.product}`, until: null });
  }
  const state: CapState = { taken: new Map() };
  for (const channel of policies.outbound_channels) {
    const consent = consentBlock(facts, policies, channel);
    if (consent !== null) {
      out.push({ offer: '*', channel, pillar: 'respect', rule: 'respect.consent', reason: consent, until: null });
      continue;
    }
    const cap = capBlock(inputs, policies, state, 'offer', channel, facts.now);
    if (cap !== null) {
      out.push({
        offer: '*',
        channel,
        pillar: 'respect',
        rule: 'respect.frequency_cap',
        reason: `${cap.used} marketing ${channel} contact(s) in the last ${cap.cap.days} days; the cap is ${cap.cap.max}`,
        until: iso(cap.freeAt),
      });
    }
    const quiet = quietWindow(facts, policies, channel);
    const until = quiet === null ? null : quietUntil(facts.now, zoneOf(facts, policies, channel), quiet.start, quiet.end);
    if (quiet !== null && until !== null) {
      out.push({ offer: '*', channel, pillar: 'respect', rule: 'respect.quiet_hours', reason: `${quiet.source} (${quiet.start}–${quiet.end} ${zoneOf(facts, policies, channel)})`, until: iso(until) });
    }
  }
  return out;
}

/** Decides every candidate. Pure: the facts, contacts and risk come in `inputs`. */
export function decide(inputs: GuardInputs, candidates: readonly Candidate[], policies: Policies): Decision[] {
  const { facts, risk } = inputs;
  const now = facts.now;
  const open = openJourneys(facts, policies.open_journey_days * DAY_MS);
  const openIntents = new Set(open.map((j) => j.intent).filter((i): i is string => i !== null));
  const failedOpen = open.filter((j) => j.failures > 0);
  const credibility = credibilityBlocks(facts, policies);
  const preferred = facts.preferred.channel;
  const lv = policies.value.levers;

  const prepared = candidates.map((c, index) => {
    let at = now;
    if (c.at !== undefined) {
      const t = parseTimestamp(c.at);
      if (!t.ok) throw new AppError('usage', `candidate ${c.action_id}: at ${t.reason}`, { hint: 'write at as ISO 8601 with an offset, e.g. 2026-06-01T09:00:00Z' });
      at = Math.max(now, t.ms);
    }
    const reasons: Record<Pillar, string[]> = { relevance: [], respect: [], credibility: [], value: [] };
    const levers: [string, number][] = [];
    if (c.intent !== undefined && openIntents.has(c.intent)) {
      reasons.relevance.push(`serves the open journey (trying to ${intentWords(c.intent)})`);
      levers.push(['serves_open_journey', lv.serves_open_journey]);
    }
    if (c.kind === 'service' && failedOpen.length > 0) levers.push(['service_after_failure', lv.service_after_failure]);
    if ((c.kind === 'service' || c.kind === 'reminder') && risk.level === 'high') levers.push(['at_risk_service', lv.at_risk_service]);
    const propensity = c.propensity ?? policies.value.default_propensity;
    const value = c.value ?? policies.value.default_value;
    const base = propensity * value * levers.reduce((p, [, x]) => p * x, 1);
    return { c, index, at, reasons, levers, propensity, value, base };
  });

  // Higher-priority actions claim frequency-cap slots first.
  const order = [...prepared].sort((a, b) => b.base - a.base || a.index - b.index);
  const state: CapState = { taken: new Map() };
  const decisions = new Map<number, Decision>();
  for (const p of order) {
    const { c, reasons } = p;
    const rules: string[] = [];
    const channel = c.channel.toLowerCase();
    let suppressed = false;
    let finalChannel = channel;
    let sendAt = p.at;

    // Relevance: never offer what the customer already has.
    if (c.kind === 'offer' && c.product !== undefined) {
      const held = facts.holdings.find((h) => h.active && h.product === c.product);
      if (held !== undefined) {
        reasons.relevance.push(`the customer already holds ${c.product}${held.since === null ? '' : ` (since ${iso(held.since).slice(0, 10)})`}`);
        rules.push('relevance.held_product');
        suppressed = true;
      }
    }
    // Credibility: no sales while the company owes the customer something.
    if (c.kind === 'offer' && credibility.length > 0) {
      for (const b of credibility) {
        reasons.credibility.push(`service first: ${b.reason}`);
        if (!rules.includes(b.rule)) rules.push(b.rule);
      }
      suppressed = true;
    }
    // Respect: survey contact rules wherever the survey goes.
    if (c.kind === 'survey' && inputs.survey !== null && !inputs.survey.ok) {
      reasons.respect.push(inputs.survey.reason);
      rules.push(`respect.survey_${inputs.survey.rule}`);
      suppressed = true;
    }
    const outbound = c.direction !== 'inbound' && policies.outbound_channels.includes(channel);
    if (!outbound) {
      reasons.respect.push(`${channel} is ${c.direction === 'inbound' ? 'an inbound conversation' : 'not an outbound channel'}: consent, quiet hours and caps do not apply`);
    } else if (!suppressed) {
      const reachable = (ch: string): boolean =>
        consentBlock(facts, policies, ch) === null &&
        capBlock(inputs, policies, state, c.kind, ch, p.at) === null &&
        (!policies.reroute.require_explicit_grant || ch === preferred || facts.consents.some((x) => x.channel === ch && x.status === 'grant'));
      const rerouteTarget = (): string | null => {
        const options = [...(preferred !== null && policies.reroute.channels.includes(preferred) ? [preferred] : []), ...policies.reroute.channels];
        return options.find((ch) => ch !== channel && policies.outbound_channels.includes(ch) && reachable(ch)) ?? null;
      };
      const consent = consentBlock(facts, policies, channel);
      if (consent !== null) {
        reasons.respect.push(consent);
        rules.push('respect.consent');
        const target = rerouteTarget();
        if (target === null) {
          reasons.respect.push('no other channel the customer can be reached on allows it');
          suppressed = true;
        } else {
          finalChannel = target;
          reasons.respect.push(`rerouted to ${target}${target === preferred ? ' (the preferred channel)' : ''}`);
        }
      }
      if (!suppressed && finalChannel === channel) {
        const cap = capBlock(inputs, policies, state, c.kind, channel, p.at);
        if (cap !== null) {
          reasons.respect.push(`${cap.used} ${cap.cap.count_intents === null ? '' : `${cap.cap.count_intents.join('/')} `}${channel} contact(s) in the last ${cap.cap.days} days; the cap is ${cap.cap.max}`);
          rules.push('respect.frequency_cap');
          const target = rerouteTarget();
          if (target !== null) {
            finalChannel = target;
            reasons.respect.push(`rerouted to ${target}${target === preferred ? ' (the preferred channel)' : ''}`);
          } else {
            sendAt = Math.max(sendAt, cap.freeAt);
            reasons.respect.push(`deferred until ${iso(cap.freeAt)}, when the cap allows it`);
          }
        }
      }
      if (!suppressed) {
        const quiet = quietWindow(facts, policies, finalChannel);
        const zone = zoneOf(facts, policies, finalChannel);
        const until = quiet === null ? null : quietUntil(sendAt, zone, quiet.start, quiet.end);
        if (quiet !== null && until !== null) {
          reasons.respect.push(`${quiet.source} ${quiet.start}–${quiet.end} in ${zone}: deferred to ${dateWords(until, zone)}`);
          rules.push('respect.quiet_hours');
          sendAt = until;
        }
      }
    }

    let levers = p.levers;
    if (!suppressed && preferred !== null && finalChannel === preferred) levers = [...levers, ['preferred_channel', lv.preferred_channel]];
    const priority = suppressed ? 0 : round(p.propensity * p.value * levers.reduce((x, [, f]) => x * f, 1));
    reasons.value.push(
      suppressed
        ? 'priority 0: the action is suppressed'
        : `priority ${priority} = propensity ${p.propensity} × value ${p.value}${levers.map(([name, f]) => ` × ${name} ${f}`).join('')}`,
    );
    const deferred = !suppressed && sendAt > p.at;
    const verdict: Verdict = suppressed ? 'suppress' : deferred ? 'defer' : finalChannel !== channel ? 'reroute' : 'allow';
    if (!suppressed) takeCaps(policies, state, c.kind, finalChannel, sendAt);
    decisions.set(p.index, {
      action_id: c.action_id,
      kind: c.kind,
      product: c.product ?? null,
      channel,
      decision: verdict,
      final_channel: suppressed ? null : finalChannel,
      send_at: suppressed ? null : iso(sendAt),
      defer_until: deferred ? iso(sendAt) : null,
      priority,
      reasons,
      rules,
    });
  }
  const rank = (d: Decision): number => (d.decision === 'suppress' ? 1 : 0);
  return prepared.map((p) => decisions.get(p.index)!).sort((a, b) => rank(a) - rank(b) || b.priority - a.priority);
}

export interface EvaluateOptions {
  readonly policies: Policies;
  readonly now: number;
  /** Who asked (an API key id), kept with each decision. */
  readonly keyId?: string | null;
  /** Where the customer's rows come from: the server's live cache, or (default) the store. */
  readonly rows?: (customerKey: string) => Promise<CustomerRows>;
}

/** Loads what the rules need for one customer. */
export async function loadGuardInputs(
  db: Queryable,
  customerKey: string,
  policies: Policies,
  now: number,
  needSurvey: boolean,
  rowsOf: (customerKey: string) => Promise<CustomerRows> = (k) => loadRows(db, k),
): Promise<GuardInputs> {
  const rows = await rowsOf(customerKey);
  const facts = factsAt(rows, now);
  const longest = Math.max(1, ...policies.frequency_caps.map((c) => c.days));
  const outbound = outboundBetween(rows, now - 2 * longest * DAY_MS, now + 366 * DAY_MS);
  const risk = simpleRisk(facts, policies.open_journey_days * DAY_MS);
  const survey = needSurvey ? await contactDecision(db, customerKey, policies.survey, now) : null;
  return { facts, outbound, risk, survey };
}

/** Evaluates candidates for one customer and records every decision (engagement_decisions). */
export async function evaluate(db: Queryable, customerKey: string, candidates: readonly Candidate[], options: EvaluateOptions): Promise<Evaluation> {
  const ids = new Set<string>();
  for (const c of candidates) {
    if (ids.has(c.action_id)) throw new AppError('usage', `action_id ${c.action_id} appears twice`, { hint: 'give each candidate its own action_id' });
    ids.add(c.action_id);
  }
  const inputs = await loadGuardInputs(db, customerKey, options.policies, options.now, candidates.some((c) => c.kind === 'survey'), options.rows);
  const decisions = decide(inputs, candidates, options.policies);
  const evaluationId = randomUUID();
  await db.bulkInsert(
    'engagement_decisions',
    ['decision_id', 'evaluation_id', 'evaluated_at', 'customer_key', 'action_id', 'kind', 'product', 'channel', 'decision', 'final_channel', 'defer_until', 'priority', 'reasons', 'key_id'],
    decisions.map((d): SqlParam[] => [
      randomUUID(),
      evaluationId,
      options.now,
      customerKey,
      d.action_id,
      d.kind,
      d.product,
      d.channel,
      d.decision,
      d.final_channel,
      d.defer_until === null ? null : Date.parse(d.defer_until),
      d.priority,
      JSON.stringify({ reasons: d.reasons, rules: d.rules }),
      options.keyId ?? null,
    ]),
  );
  return { evaluation_id: evaluationId, customer_key: customerKey, evaluated_at: iso(options.now), decisions };
}

export interface DecisionFilter {
  readonly customerKey?: string | undefined;
  readonly decision?: Verdict | undefined;
  readonly rule?: string | undefined;
  readonly from?: number | undefined;
  readonly to?: number | undefined;
  readonly limit?: number | undefined;
}

export interface RecordedDecision extends Omit<Decision, 'send_at'> {
  decision_id: string;
  evaluation_id: string;
  evaluated_at: string;
  customer_key: string;
  key_id: string | null;
}

/** The decision log, newest first: why contacts were stopped. */
export async function listDecisions(db: Queryable, filter: DecisionFilter = {}): Promise<RecordedDecision[]> {
  const params: SqlParam[] = [];
  const where: string[] = [];
  const bind = (sql: string, v: SqlParam): void => {
    params.push(v);
    where.push(sql.replace('?', `$${params.length}`));
  };
  if (filter.customerKey !== undefined) bind('customer_key = ?', filter.customerKey);
  if (filter.decision !== undefined) bind('decision = ?', filter.decision);
  // The rules are stored as a JSON list of strings inside `reasons`: a quoted rule is an exact match.
  if (filter.rule !== undefined) bind('strpos(reasons, ?) > 0', JSON.stringify(filter.rule));
  if (filter.from !== undefined) bind('evaluated_at >= ?', filter.from);
  if (filter.to !== undefined) bind('evaluated_at < ?', filter.to);
  const rows = await db.query(
    `SELECT * FROM engagement_decisions ${where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`}
     ORDER BY evaluated_at DESC, evaluation_id, priority DESC LIMIT ${Math.max(1, Math.min(10_000, Math.floor(filter.limit ?? 100)))}`,
    params,
  );
  return rows.map((r) => {
    const parsed = JSON.parse(String(r.reasons)) as { reasons: Record<Pillar, string[]>; rules: string[] };
    return {
      decision_id: String(r.decision_id),
      evaluation_id: String(r.evaluation_id),
      evaluated_at: iso(Number(r.evaluated_at)),
      customer_key: String(r.customer_key),
      action_id: String(r.action_id),
      kind: String(r.kind) as ActionKind,
      product: r.product === null ? null : String(r.product),
      channel: String(r.channel),
      decision: String(r.decision) as Verdict,
      final_channel: r.final_channel === null ? null : String(r.final_channel),
      defer_until: r.defer_until === null ? null : iso(Number(r.defer_until)),
      priority: Number(r.priority),
      reasons: parsed.reasons,
      rules: parsed.rules,
      key_id: r.key_id === null ? null : String(r.key_id),
    };
  });
}

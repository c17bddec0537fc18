/**
 * The live customer context (spec/CLI.md `context`): who the customer is, what they were trying
 * to do and where it failed, in plain words, what they told us, what we owe them, the channel
 * they prefer, how at risk they are, what an agent might say, and which offers must not be made
 * now and why. Read from the store as of `now`, so an event acknowledged by the collector is in
 * the next context.
 */
import { capitalise } from '../feedback/phrases.ts';
import type { Queryable } from '../store/store.ts';
import { factsAt, journeySteps, loadRows, openJourneys, outboundBetween } from './facts.ts';
import type { CustomerFacts, CustomerRows, FeedbackFact, PromiseFact } from './facts.ts';
import { offerBlocks } from './guard.ts';
import type { OfferBlock } from './guard.ts';
import { DEFAULT_POLICIES } from './policies.ts';
import type { Policies } from './policies.ts';
import { simpleRisk } from './risk.ts';
import type { Risk } from './risk.ts';
import { agentFailureLine, ago, journeySentence, primaryFailure, stepLine, where } from './words.ts';

const DAY_MS = 24 * 3600 * 1000;
const FAILED = new Set(['failure', 'abandoned', 'transferred']);

export interface ContextStep {
  ts: string;
  channel: string;
  activity: string;
  outcome: string | null;
  direction: string;
  agent_id: string | null;
  journey_id: string | null;
  /** "12 minutes ago · web · pay_bill/submit_payment · failure" */
  words: string;
}

export interface ContextJourney {
  journey_id: string;
  intent: string | null;
  started_at: string;
  last_at: string;
  steps: number;
  channels: string[];
  outcome: string;
  /** "tried to pay the bill on our website 12 minutes ago; it failed at submit_payment" */
  summary: string;
  last_steps: ContextStep[];
  failures: ContextStep[];
}

export interface ContextPromise {
  promise_id: string;
  kind: string;
  description: string | null;
  agent_id: string | null;
  made_at: string;
  due: string;
  kept_at: string | null;
  state: PromiseFact['state'];
  words: string;
}

export interface ContextDoc {
  customer_key: string;
  generated_at: string;
  identifiers: { type: string; value: string; links: boolean }[];
  profile: { name: string | null; segment: string | null; timezone: string | null; traits: Record<string, unknown> };
  holdings: { product: string; since: string | null; until: string | null; active: boolean }[];
  open_journeys: ContextJourney[];
  recent: ContextStep[];
  failures: ContextStep[];
  /** An answer as the facts hold it (its `answers`: the words to later questions, never merged into `comment`), its time in ISO. */
  feedback: (Omit<FeedbackFact, 'ts'> & { ts: string; unhappy: boolean })[];
  cases: { case_id: string; kind: string; status: string; reason: string; owner: string; opened_at: string; due_at: string; overdue: boolean; root_cause_step: string | null }[];
  promises: { open: ContextPromise[]; overdue: ContextPromise[]; broken: ContextPromise[]; kept: number };
  preferred_channel: string | null;
  preferred_channel_votes: { channel: string; started: number; answered: number; votes: number }[];
  risk: Risk;
  talking_points: string[];
  suppressed_offers: OfferBlock[];
}

export interface ContextOptions {
  readonly now: number;
  readonly policies?: Policies;
  /** How many recent interactions to list (default 10). */
  readonly recent?: number;
  /** Where the customer's rows come from: the server's live cache, or (default) the store. */
  readonly rows?: (customerKey: string) => Promise<CustomerRows>;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

const PROMISE_NOUNS: Readonly<Record<string, string>> = {
  callback: 'a call back',
  credit: 'a credit',
  refund: 'a refund',
  repair: 'a repair',
  delivery: 'a delivery',
  technician: 'a technician visit',
  replacement: 'a replacement',
};

function promiseNoun(kind: string): string {
  return PROMISE_NOUNS[kind] ?? `a ${kind.replace(/[_-]+/g, ' ')}`;
}

function dayWords(ms: number, zone: string): string {
  try {
    return new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', timeZone: zone }).format(new Date(ms));
  } catch {
    return new Date(ms).toISOString().slice(0, 10);
  }
}

function isUnhappy(f: { metric: string; score: number }): boolean {
  return (f.metric === 'nps' && f.score <= 6) || (f.metric === 'csat' && f.score <= 2) || (f.metric === 'ces' && f.score <= 3);
}

export async function customerContext(db: Queryable, customerKey: string, options: ContextOptions): Promise<ContextDoc> {
  const policies = options.policies ?? DEFAULT_POLICIES;
  const now = options.now;
  const rows = await (options.rows ?? ((k: string) => loadRows(db, k)))(customerKey);
  const facts = factsAt(rows, now);
  const longest = Math.max(1, ...policies.frequency_caps.map((c) => c.days));
  const outbound = outboundBetween(rows, now - 2 * longest * DAY_MS, now + DAY_MS);
  const risk = simpleRisk(facts, policies.open_journey_days * DAY_MS);
  const blocks = offerBlocks({ facts, outbound, risk, survey: null }, policies);
  return buildContext(facts, risk, blocks, policies, options.recent ?? 10);
}

function step(e: CustomerFacts['events'][number], now: number): ContextStep {
  return {
    ts: iso(e.ts)!,
    channel: e.channel,
    activity: e.activity,
    outcome: e.outcome,
    direction: e.direction,
    agent_id: e.agent_id,
    journey_id: e.journey_id,
    words: stepLine(e, now),
  };
}

/** Assembles the document from facts; pure, so it is tested without a store. */
export function buildContext(facts: CustomerFacts, risk: Risk, blocks: OfferBlock[], policies: Policies, recentCount: number): ContextDoc {
  const now = facts.now;
  const zone = facts.timezone ?? policies.quiet_hours.default_timezone;

  /** The step each open journey broke at, for the talking points. */
  const broke = new Map<string, CustomerFacts['events'][number]>();
  const open = openJourneys(facts, policies.open_journey_days * DAY_MS).map((j): ContextJourney => {
    const steps = journeySteps(facts, j.journey_id);
    const primary = primaryFailure(steps);
    if (primary !== null) broke.set(j.journey_id, primary);
    const failures = steps.filter((e) => e.outcome !== null && FAILED.has(e.outcome));
    const first = steps[0];
    const last = steps[steps.length - 1];
    const summary =
      first !== undefined && last !== undefined
        ? journeySentence(j.intent, first, primary, last, now)
        : `a ${j.intent ?? ''} journey ended ${j.outcome} ${ago(j.end_ts, now)}`;
    return {
      journey_id: j.journey_id,
      intent: j.intent,
      started_at: iso(j.start_ts)!,
      last_at: iso(j.end_ts)!,
      steps: j.steps,
      channels: j.channels,
      outcome: j.outcome,
      summary,
      last_steps: steps.slice(-5).map((e) => step(e, now)),
      failures: failures.map((e) => step(e, now)),
    };
  });

  const failures = facts.events
    .filter((e) => e.outcome !== null && FAILED.has(e.outcome) && e.direction !== 'outbound' && now - e.ts <= 30 * DAY_MS)
    .slice(0, 10)
    .map((e) => step(e, now));

  const promise = (p: PromiseFact): ContextPromise => {
    const noun = promiseNoun(p.kind);
    const words =
      p.state === 'open'
        ? `${capitalise(noun)} is due by ${dayWords(p.due, zone)}`
        : p.state === 'overdue'
          ? `${capitalise(noun)} was due ${dayWords(p.due, zone)} (${ago(p.due, now)}) and has not happened`
          : p.state === 'kept_late'
            ? `${capitalise(noun)} was due ${dayWords(p.due, zone)} and came ${ago(p.kept_at ?? now, now)}, late`
            : `${capitalise(noun)} was kept on ${dayWords(p.kept_at ?? p.due, zone)}`;
    return {
      promise_id: p.promise_id,
      kind: p.kind,
      description: p.description,
      agent_id: p.agent_id,
      made_at: iso(p.made_at)!,
      due: iso(p.due)!,
      kept_at: iso(p.kept_at),
      state: p.state,
      words,
    };
  };
  const overdue = facts.promises.filter((p) => p.state === 'overdue');
  const keptLate = facts.promises.filter((p) => p.state === 'kept_late' && now - (p.kept_at ?? 0) <= 90 * DAY_MS);

  const feedback = facts.feedback.map((f) => ({
    response_id: f.response_id,
    ts: iso(f.ts)!,
    survey_id: f.survey_id,
    metric: f.metric,
    scope: f.scope,
    score: f.score,
    comment: f.comment,
    answers: f.answers,
    unhappy: isUnhappy(f),
  }));

  const talking: string[] = [];
  for (const j of open.slice(0, 2)) {
    const f = broke.get(j.journey_id);
    if (f === undefined) continue;
    talking.push(`${agentFailureLine({ ...f, intent: j.intent }, now)}. I'm sorry about that; let's sort it out now.`);
  }
  for (const p of overdue.slice(0, 2)) {
    talking.push(`We promised you ${promiseNoun(p.kind)} by ${dayWords(p.due, zone)} and it hasn't happened yet. I apologise, and I'll make sure it's done today.`);
  }
  const unhappy = feedback.find((f) => f.unhappy && now - Date.parse(f.ts) <= 30 * DAY_MS);
  if (facts.cases.length > 0 || unhappy !== undefined) {
    const c = facts.cases[0];
    // Their own words: the comment, or else what they said would make it right.
    const words = unhappy?.comment ?? unhappy?.answers[0]?.text ?? null;
    talking.push(
      `You told us recently you weren't happy${words ? ` ("${words.length > 120 ? `${words.slice(0, 117)}...` : words}")` : ''}. Thank you for telling us${c !== undefined ? `; ${c.owner} is following it up (case ${c.case_id})` : ''}.`,
    );
  }
  for (const p of facts.promises.filter((x) => x.state === 'open').slice(0, 1)) {
    talking.push(`${capitalise(promiseNoun(p.kind))} is on its way: due by ${dayWords(p.due, zone)}.`);
  }
  if (blocks.some((b) => b.pillar === 'credibility')) talking.push('No sales offers on this contact: fix what is open first.');
  const pref = facts.preferred.channel;
  if (pref !== null) {
    talking.push(
      policies.outbound_channels.includes(pref)
        ? `They answer best ${where(pref)}: offer to follow up that way.`
        : `They usually come to us ${where(pref)}; point them to what they can finish there.`,
    );
  }
  if (talking.length === 0 || (open.length === 0 && overdue.length === 0 && facts.cases.length === 0)) {
    talking.unshift('Nothing is open for this customer: greet them and ask how you can help.');
  }

  const traits = facts.traits;
  const text = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
  return {
    customer_key: facts.customer_key,
    generated_at: iso(now)!,
    identifiers: facts.identifiers,
    profile: {
      name: text(traits.name) ?? text(traits.full_name) ?? text(traits.first_name),
      segment: text(traits.segment),
      timezone: facts.timezone,
      traits,
    },
    holdings: facts.holdings.map((h) => ({ product: h.product, since: iso(h.since), until: iso(h.until), active: h.active })),
    open_journeys: open,
    recent: facts.events.slice(0, recentCount).map((e) => step(e, now)),
    failures,
    feedback,
    cases: facts.cases.map((c) => ({
      case_id: c.case_id,
      kind: c.kind,
      status: c.status,
      reason: c.reason,
      owner: c.owner,
      opened_at: iso(c.opened_at)!,
      due_at: iso(c.due_at)!,
      overdue: c.overdue,
      root_cause_step: c.root_cause_step,
    })),
    promises: {
      open: facts.promises.filter((p) => p.state === 'open').map(promise),
      overdue: overdue.map(promise),
      broken: [...overdue, ...keptLate].map(promise),
      kept: facts.promises.filter((p) => p.state === 'kept').length,
    },
    preferred_channel: facts.preferred.channel,
    preferred_channel_votes: facts.preferred.votes.map((v) => ({ channel: v.channel, started: v.started, answered: v.answered, votes: v.votes })),
    risk,
    talking_points: talking,
    suppressed_offers: blocks,
  };
}

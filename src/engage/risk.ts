/**
 * A simple, explainable risk score for the live context until the risk model (issue on
 * insight/risk) lands: a sum of fixed weights for signals an agent can act on, capped at 1, with
 * one reason per signal. docs/engagement.md lists the weights; `model` names this version so a
 * consumer can tell it from the model that will replace it.
 */
import { ASSISTED_CHANNELS } from '../core/records.ts';
import type { CustomerFacts } from './facts.ts';
import { openJourneys } from './facts.ts';
import { intentWords } from './words.ts';

const DAY_MS = 24 * 3600 * 1000;

export const RISK_WEIGHTS = Object.freeze({
  /** Latest relationship NPS answer in the last 180 days is 0–6. */
  detractor: 0.35,
  /** A promise is overdue, or was kept late in the last 90 days. */
  broken_promise: 0.25,
  /** A closed-loop case is still open. */
  open_case: 0.2,
  /** An open journey that failed; each further one adds `extra_failed_journey`. */
  failed_journey: 0.15,
  extra_failed_journey: 0.05,
  /** Three or more calls, chats or store visits in the last 7 days. */
  repeat_contacts: 0.1,
  /** A cancel step in the last 30 days. */
  cancel_intent: 0.15,
});

export interface Risk {
  score: number;
  level: 'low' | 'medium' | 'high';
  reasons: string[];
  model: 'rules-v0';
}

export function simpleRisk(facts: CustomerFacts, journeyWindowMs: number): Risk {
  const w = RISK_WEIGHTS;
  const now = facts.now;
  let score = 0;
  const reasons: string[] = [];
  const add = (weight: number, reason: string): void => {
    score += weight;
    reasons.push(reason);
  };

  const rel = facts.feedback.find((f) => f.scope === 'relationship' && f.metric === 'nps');
  if (rel !== undefined && rel.score <= 6 && now - rel.ts <= 180 * DAY_MS) add(w.detractor, `relationship NPS ${rel.score} (detractor)`);

  const overdue = facts.promises.filter((p) => p.state === 'overdue');
  const late = facts.promises.filter((p) => p.state === 'kept_late' && now - (p.kept_at ?? 0) <= 90 * DAY_MS);
  if (overdue.length > 0) add(w.broken_promise, `${overdue.length} overdue promise(s): ${overdue.map((p) => p.kind).join(', ')}`);
  else if (late.length > 0) add(w.broken_promise, `${late.length} promise(s) kept late: ${late.map((p) => p.kind).join(', ')}`);

  if (facts.cases.length > 0) add(w.open_case, `open case ${facts.cases[0]!.case_id} (${facts.cases[0]!.kind})`);

  const failed = openJourneys(facts, journeyWindowMs).filter((j) => j.failures > 0);
  if (failed.length > 0) {
    add(w.failed_journey + w.extra_failed_journey * Math.min(2, failed.length - 1), `${failed.length} open journey(s) with a failure: ${failed.map((j) => intentWords(j.intent)).join(', ')}`);
  }

  const assisted = facts.events.filter((e) => e.direction !== 'outbound' && ASSISTED_CHANNELS.has(e.channel) && now - e.ts <= 7 * DAY_MS && e.ts <= now);
  if (assisted.length >= 3) add(w.repeat_contacts, `${assisted.length} calls, chats or store visits in the last 7 days`);

  const cancel = facts.events.find((e) => (e.intent === 'cancel' || e.activity.startsWith('cancel/')) && now - e.ts <= 30 * DAY_MS);
  if (cancel !== undefined) add(w.cancel_intent, `a cancel step (${cancel.activity}) in the last 30 days`);

  const capped = Math.min(1, Math.round(score * 100) / 100);
  return { score: capped, level: capped >= 0.6 ? 'high' : capped >= 0.3 ? 'medium' : 'low', reasons, model: 'rules-v0' };
}

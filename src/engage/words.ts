/**
 * What a customer has been doing, in words an agent can read aloud or glance at: "tried to pay
 * the bill on our website 12 minutes ago; it failed at submit_payment". Channel and step nouns
 * come from the feedback loop's phrases, so a context and a survey apology describe the same
 * step alike.
 */
import { channelWords, stepNoun } from '../feedback/phrases.ts';

/** Intents as the verb phrase after "tried to": the demo's and the usual ones; others are quoted. */
const INTENT_VERBS: Readonly<Record<string, string>> = {
  pay_bill: 'pay the bill',
  check_usage: 'check their usage',
  tech_support: 'get technical help',
  plan_change: 'change their plan',
  change_plan: 'change their plan',
  upgrade_device: 'upgrade their device',
  dispute_charge: 'dispute a charge',
  cancel: 'cancel',
  order: 'place an order',
  checkout: 'check out',
  login: 'sign in',
  page: 'browse',
  screen: 'use the app',
};

function spaced(s: string): string {
  return s.replace(/[_-]+/g, ' ').trim();
}

/** "pay_bill" → "pay the bill"; an unknown intent → 'get help with "reset voicemail"'. */
export function intentWords(intent: string | null): string {
  if (intent === null || intent === '') return 'do something';
  return INTENT_VERBS[intent] ?? `get help with "${spaced(intent)}"`;
}

/** The step part of an activity: "pay_bill/submit_payment" → "submit_payment". */
export function stepName(activity: string): string {
  const slash = activity.lastIndexOf('/');
  return slash >= 0 ? activity.slice(slash + 1) : activity;
}

/** "just now", "12 minutes ago", "3 hours ago", "2 days ago"; future instants read "in 5 minutes". */
export function ago(ts: number, now: number): string {
  const s = Math.round((now - ts) / 1000);
  const abs = Math.abs(s);
  const unit = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  let text: string;
  if (abs < 60) return 'just now';
  if (abs < 3600) text = unit(Math.round(abs / 60), 'minute');
  else if (abs < 48 * 3600) text = unit(Math.round(abs / 3600), 'hour');
  else text = unit(Math.round(abs / 86_400), 'day');
  return s >= 0 ? `${text} ago` : `in ${text}`;
}

/** How a failed outcome reads after "it": "failed", "was abandoned", "was handed off". */
export function failedWords(outcome: string | null): string {
  switch (outcome) {
    case 'abandoned':
      return 'was abandoned';
    case 'transferred':
      return 'was handed off';
    default:
      return 'failed';
  }
}

/** "on our website"; channels without words read "on <channel>". */
export function where(channel: string): string {
  return channelWords(channel) || `on ${spaced(channel)}`;
}

export interface StepLike {
  readonly ts: number;
  readonly channel: string;
  readonly activity: string;
  readonly outcome: string | null;
}

/**
 * The step where a journey broke: its first failure or abandonment, else its last hand-off (a
 * transfer is often routing by design, so it is blamed only when nothing failed).
 */
export function primaryFailure<T extends StepLike>(steps: readonly T[]): T | null {
  return steps.find((e) => e.outcome === 'failure' || e.outcome === 'abandoned') ?? [...steps].reverse().find((e) => e.outcome === 'transferred') ?? null;
}

/**
 * "tried to pay the bill on our website 12 minutes ago; it failed at submit_payment", then what
 * the customer did last when it came after the failure: "; then ivr_menu on our phone line
 * (transferred) 5 minutes ago".
 */
export function journeySentence(intent: string | null, first: StepLike, failure: StepLike | null, last: StepLike, now: number): string {
  const start = `tried to ${intentWords(intent)} ${where(first.channel)} ${ago(first.ts, now)}`;
  if (failure === null) return `${start}; not finished yet (last step ${stepName(last.activity)} ${where(last.channel)} ${ago(last.ts, now)})`;
  const when = ago(failure.ts, now) !== ago(first.ts, now) ? ` ${ago(failure.ts, now)}` : '';
  const failedAt = `it ${failedWords(failure.outcome)} at ${stepName(failure.activity)}${failure.channel !== first.channel ? ` ${where(failure.channel)}` : ''}${when}`;
  const after = last !== failure && last.ts >= failure.ts ? `; then ${stepName(last.activity)} ${where(last.channel)}${last.outcome ? ` (${last.outcome})` : ''} ${ago(last.ts, now)}` : '';
  return `${start}; ${failedAt}${after}`;
}

/** "I can see your payment failed on our website 12 minutes ago." */
export function agentFailureLine(failure: StepLike & { intent?: string | null }, now: number): string {
  const noun = stepNoun(failure.activity, failure.intent ?? null);
  return `I can see ${noun} ${failedWords(failure.outcome)} ${where(failure.channel)} ${ago(failure.ts, now)}`;
}

/** One step as a line in a list: "12 minutes ago · web · pay_bill/submit_payment · failure". */
export function stepLine(e: StepLike & { direction?: string }, now: number): string {
  return [ago(e.ts, now), e.channel, e.activity, e.outcome ?? '', e.direction === 'outbound' ? 'outbound' : ''].filter((s) => s !== '').join(' · ');
}

/**
 * Engagement policies: the knobs of the guard, with documented defaults (docs/engagement.md).
 * A policy file (`serve --policies FILE`) is JSON that overrides any part of the defaults;
 * objects merge key by key, lists replace. Unknown keys and wrong types are refused with the
 * path of the problem, so a typo never silently turns a rule off.
 */
import { AppError } from '../core/errors.ts';
import { isValidZone } from '../core/time.ts';

export const ACTION_KINDS = ['offer', 'service', 'survey', 'reminder'] as const;
export type ActionKind = (typeof ACTION_KINDS)[number];

export interface FrequencyCap {
  readonly channel: string;
  /** Candidate kinds the cap applies to. */
  readonly kinds: readonly ActionKind[];
  readonly max: number;
  readonly days: number;
  /**
   * Outbound contacts on record that count toward the cap: those whose intent is listed
   * (the part of `activity` before `/`, e.g. `marketing/offer_tv`); null counts every outbound contact.
   */
  readonly count_intents: readonly string[] | null;
}

export interface Policies {
  /** Channels the company reaches out on: consent, quiet hours and caps apply to these only. */
  readonly outbound_channels: readonly string[];
  readonly consent: {
    /** Channels where no consent on record means "no" (opt-in); elsewhere no record means "yes". */
    readonly require_grant: readonly string[];
  };
  readonly quiet_hours: {
    /** Local HH:MM in the customer's zone; a window may wrap midnight. A consent's own quiet hours win. */
    readonly start: string;
    readonly end: string;
    readonly channels: readonly string[];
    /** Zone when the customer's is unknown. */
    readonly default_timezone: string;
  };
  readonly frequency_caps: readonly FrequencyCap[];
  /** Survey contact rules, as the feedback loop's (docs/feedback.md, "Contact rules"). */
  readonly survey: {
    readonly cooldown_days: number;
    readonly max_per_period: { readonly count: number; readonly days: number } | null;
    readonly skip_if_open_case: boolean;
  };
  readonly credibility: {
    readonly block_offers_on_overdue_promise: boolean;
    readonly block_offers_on_open_case: boolean;
    /** No offers while the customer's last journey failed unresolved within this many days (0: off). */
    readonly failed_journey_days: number;
  };
  readonly reroute: {
    /** Channels a blocked action may move to, in order of preference after the preferred channel. */
    readonly channels: readonly string[];
    /** Move to a channel other than the preferred one only when the customer granted it explicitly. */
    readonly require_explicit_grant: boolean;
  };
  readonly value: {
    readonly default_propensity: number;
    readonly default_value: number;
    readonly levers: {
      /** The action serves the intent of an open journey. */
      readonly serves_open_journey: number;
      /** A service action while the customer has an open journey that failed. */
      readonly service_after_failure: number;
      /** The action goes out on the customer's preferred channel. */
      readonly preferred_channel: number;
      /** A service action for a customer at high risk. */
      readonly at_risk_service: number;
    };
  };
  /** Days an open journey stays open (the journey window, docs/journeys.md). */
  readonly open_journey_days: number;
}

export const DEFAULT_POLICIES: Policies = deepFreeze({
  outbound_channels: ['email', 'sms', 'call', 'push'],
  consent: { require_grant: [] },
  quiet_hours: { start: '21:00', end: '08:00', channels: ['sms', 'call', 'push'], default_timezone: 'UTC' },
  frequency_caps: [
    { channel: 'email', kinds: ['offer'], max: 1, days: 7, count_intents: ['marketing'] },
    { channel: 'sms', kinds: ['offer'], max: 1, days: 7, count_intents: ['marketing'] },
  ],
  survey: { cooldown_days: 30, max_per_period: { count: 3, days: 90 }, skip_if_open_case: true },
  credibility: { block_offers_on_overdue_promise: true, block_offers_on_open_case: true, failed_journey_days: 7 },
  reroute: { channels: ['email', 'sms', 'push', 'call'], require_explicit_grant: false },
  value: {
    default_propensity: 0.5,
    default_value: 1,
    levers: { serves_open_journey: 1.5, service_after_failure: 2, preferred_channel: 1.2, at_risk_service: 1.5 },
  },
  open_journey_days: 7,
});

function deepFreeze<T>(o: T): T {
  if (o !== null && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

class PolicyProblem extends Error {}

type Check = (v: unknown, path: string) => unknown;

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const fail = (path: string, what: string): never => {
  throw new PolicyProblem(`${path} ${what}`);
};

const string: Check = (v, p) => (typeof v === 'string' && v !== '' ? v : fail(p, 'must be a non-empty string'));
const hhmm: Check = (v, p) => (typeof v === 'string' && HHMM.test(v) ? v : fail(p, `must be HH:MM, not ${JSON.stringify(v)}`));
const zone: Check = (v, p) => (typeof v === 'string' && isValidZone(v) ? v : fail(p, `must be a time zone (IANA name, UTC or ±HH:MM), not ${JSON.stringify(v)}`));
const bool: Check = (v, p) => (typeof v === 'boolean' ? v : fail(p, 'must be true or false'));
const positive: Check = (v, p) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : fail(p, 'must be a number above 0'));
const nonNegative: Check = (v, p) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : fail(p, 'must be a number of at least 0'));
const count: Check = (v, p) => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : fail(p, 'must be a whole number of at least 0'));
const list =
  (item: Check): Check =>
  (v, p) =>
    Array.isArray(v) ? v.map((x, i) => item(x, `${p}[${i}]`)) : fail(p, 'must be a list');
const channel: Check = (v, p) => (string(v, p) as string).toLowerCase();
const kind: Check = (v, p) => ((ACTION_KINDS as readonly unknown[]).includes(v) ? v : fail(p, `must be one of ${ACTION_KINDS.join(', ')}`));
const nullable =
  (c: Check): Check =>
  (v, p) =>
    v === null ? null : c(v, p);

/** Nested objects merge over the defaults key by key; functions check a leaf (or a whole list). */
const SHAPE: Record<string, Check | Record<string, unknown>> = {
  outbound_channels: list(channel),
  consent: { require_grant: list(channel) },
  quiet_hours: { start: hhmm, end: hhmm, channels: list(channel), default_timezone: zone },
  frequency_caps: list((v, p) => {
    if (!isObj(v)) return fail(p, 'must be an object');
    const known = ['channel', 'kinds', 'max', 'days', 'count_intents'];
    for (const k of Object.keys(v)) if (!known.includes(k)) fail(`${p}.${k}`, `is not a cap field (use ${known.join(', ')})`);
    return {
      channel: channel(v.channel, `${p}.channel`),
      kinds: v.kinds === undefined ? ['offer'] : list(kind)(v.kinds, `${p}.kinds`),
      max: count(v.max, `${p}.max`),
      days: positive(v.days, `${p}.days`),
      count_intents: v.count_intents === undefined ? null : nullable(list(string))(v.count_intents, `${p}.count_intents`),
    };
  }),
  survey: {
    cooldown_days: nonNegative,
    max_per_period: nullable((v, p) => {
      if (!isObj(v)) return fail(p, 'must be an object {count, days} or null');
      return { count: count(v.count, `${p}.count`), days: positive(v.days, `${p}.days`) };
    }),
    skip_if_open_case: bool,
  },
  credibility: { block_offers_on_overdue_promise: bool, block_offers_on_open_case: bool, failed_journey_days: nonNegative },
  reroute: { channels: list(channel), require_explicit_grant: bool },
  value: {
    default_propensity: nonNegative,
    default_value: nonNegative,
    levers: { serves_open_journey: nonNegative, service_after_failure: nonNegative, preferred_channel: nonNegative, at_risk_service: nonNegative },
  },
  open_journey_days: positive,
};
function merge(shape: Record<string, unknown>, base: Record<string, unknown>, input: unknown, path: string): Record<string, unknown> {
  if (!isObj(input)) fail(path || 'the policy file', 'must be a JSON object');
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(input as Record<string, unknown>)) {
    const p = path === '' ? k : `${path}.${k}`;
    const rule = shape[k];
    if (rule === undefined) fail(p, `is not a policy (known here: ${Object.keys(shape).join(', ')})`);
    if (typeof rule === 'function') out[k] = (rule as Check)(v, p);
    else out[k] = merge(rule as Record<string, unknown>, base[k] as Record<string, unknown>, v, p);
  }
  return out;
}

/** Validates a parsed policy document and returns it merged over the defaults. */
export function validatePolicies(input: unknown, source = 'policies'): Policies {
  try {
    const merged = merge(SHAPE, DEFAULT_POLICIES as unknown as Record<string, unknown>, input, '') as unknown as Policies;
    return deepFreeze(merged);
  } catch (e) {
    if (e instanceof PolicyProblem) {
      throw new AppError('usage', `${source}: ${e.message}`, { hint: 'see docs/engagement.md for the policy file and its defaults' });
    }
    throw e;
  }
}

export function parsePolicies(text: string, source = 'policies'): Policies {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new AppError('usage', `${source} is not valid JSON: ${(e as Error).message}`, { hint: 'see docs/engagement.md for the policy file' });
  }
  return validatePolicies(parsed, source);
}

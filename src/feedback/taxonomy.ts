/**
 * The comment topic taxonomy (docs/feedback.md, "Topics"): keyword and lemma rules per topic,
 * configurable by a JSON file in the same shape. A rule is a lemma ("wait" also matches
 * "waited", "waiting") or a phrase of lemmas ("call back"); a topic may require the comment's
 * sentiment (agent praise is only praise when the comment is positive).
 */
import { createHash } from 'node:crypto';
import { AppError } from '../core/errors.ts';

export interface TopicRule {
  readonly id: string;
  readonly label: string;
  /** Lemmas or phrases of lemmas, lower-case. */
  readonly keywords: readonly string[];
  /** Keywords that stop the topic from matching (e.g. "store" in "app store"). */
  readonly exclude?: readonly string[];
  /** Only comments with this sentiment label get the topic. */
  readonly sentiment?: 'positive' | 'negative';
}

export interface Taxonomy {
  readonly topics: readonly TopicRule[];
}

/**
 * The demo's taxonomy: a telecom's comment topics. No longer applied to every store (clothing
 * reviews came out as "Website and app, Store staff, Billing"): the demo writes it as its
 * taxonomy.json, npm start stores it, and any other store discovers its topics (discover.ts).
 */
export const DEFAULT_TAXONOMY: Taxonomy = {
  topics: [
    {
      id: 'billing',
      label: 'Billing',
      keywords: ['bill', 'billing', 'charge', 'overcharge', 'fee', 'price', 'expensive', 'cost', 'pay', 'payment', 'invoice', 'too much', 'direct debit'],
    },
    {
      id: 'website_app',
      label: 'Website and app',
      keywords: ['website', 'web site', 'site', 'online', 'app', 'page', 'login', 'log in', 'password', 'button', 'error', 'crash', 'something go wrong', 'browser'],
      exclude: ['app store'],
    },
    {
      id: 'store_staff',
      label: 'Store staff',
      keywords: ['store', 'shop', 'counter', 'branch', 'in store', 'store employee', 'sales assistant'],
      exclude: ['app store'],
    },
    {
      id: 'promises_credits',
      label: 'Promises and credits',
      keywords: ['promise', 'credit', 'refund', 'call back', 'callback', 'never show', 'never call', 'still wait', 'they say it would', 'technician', 'appointment'],
    },
    {
      id: 'wait_time',
      label: 'Wait time',
      keywords: ['wait', 'hold', 'queue', 'age', 'forever', 'long time', 'took long', 'too long', 'minute', 'hour', 'slow'],
    },
    {
      id: 'agent_praise',
      label: 'Agent praise',
      keywords: ['helpful', 'patient', 'friendly', 'knowledgeable', 'polite', 'above and beyond', 'fantastic', 'great agent', 'great service', 'sort it out', 'explain everything', 'thank you', 'know exactly'],
      sentiment: 'positive',
    },
  ],
};

/** A short fingerprint of a taxonomy: cached analyses made with another one are redone. */
export function taxonomyId(t: Taxonomy): string {
  return createHash('sha1').update(JSON.stringify(t)).digest('hex').slice(0, 12);
}

/** Validates a taxonomy read from JSON, naming the path of every problem. */
export function parseTaxonomy(text: string, source = 'taxonomy'): Taxonomy {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new AppError('input', `${source} is not JSON: ${(e as Error).message}`);
  }
  const problems: string[] = [];
  const topics: TopicRule[] = [];
  const isObj = (x: unknown): x is Record<string, unknown> => x !== null && typeof x === 'object' && !Array.isArray(x);
  const strings = (x: unknown): x is string[] => Array.isArray(x) && x.every((s) => typeof s === 'string' && s.trim() !== '');
  if (!isObj(v) || !Array.isArray(v.topics)) problems.push('$.topics: must be an array of topics');
  else {
    v.topics.forEach((t, i) => {
      const p = `$.topics[${i}]`;
      if (!isObj(t)) return void problems.push(`${p}: must be an object`);
      if (typeof t.id !== 'string' || !/^[a-z0-9_]+$/.test(t.id)) problems.push(`${p}.id: must be lower-case letters, digits or _`);
      if (!strings(t.keywords) || t.keywords.length === 0) problems.push(`${p}.keywords: must be a non-empty array of strings`);
      if (t.exclude !== undefined && !strings(t.exclude)) problems.push(`${p}.exclude: must be an array of strings`);
      if (t.sentiment !== undefined && t.sentiment !== 'positive' && t.sentiment !== 'negative') problems.push(`${p}.sentiment: must be positive or negative`);
      if (problems.length > 0) return;
      topics.push({
        id: t.id as string,
        label: typeof t.label === 'string' ? t.label : (t.id as string),
        keywords: (t.keywords as string[]).map((k) => k.toLowerCase()),
        ...(t.exclude !== undefined ? { exclude: (t.exclude as string[]).map((k) => k.toLowerCase()) } : {}),
        ...(t.sentiment !== undefined ? { sentiment: t.sentiment as 'positive' | 'negative' } : {}),
      });
    });
  }
  if (problems.length > 0) throw new AppError('input', `${source} is not a valid taxonomy: ${problems.join('; ')}`, { hint: 'see docs/feedback.md, "Topics"' });
  return { topics };
}

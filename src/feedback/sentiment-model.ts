/**
 * Sentiment learnt from the company's own answers: a survey comment comes with a score, and the
 * score is a label (NPS 0–6, CSAT 1–2, CES 1–3 negative; the middle neutral; the top positive).
 * A multinomial logistic regression over the words and word pairs of those comments, plus the
 * rule score as one more feature, then reads texts that carry no score (messages, comments of
 * other surveys). Training is deterministic (a fixed order, no randomness), so the same answers
 * give the same model; scoring is one pass over the text.
 */
import { labelOf, ruleSentiment } from './sentiment-rules.ts';
import type { SentimentLabel } from './sentiment-rules.ts';

export const CLASSES: readonly SentimentLabel[] = ['negative', 'neutral', 'positive'];

/**
 * Below this, the rules score every text: at least MIN_EXAMPLES labelled comments, and
 * MIN_PER_CLASS of each of the negative and the positive ones (with fewer, a model learns the
 * few customers who wrote, not the language).
 */
export const MIN_EXAMPLES = 200;
export const MIN_PER_CLASS = 30;

export interface SentimentModel {
  /** Weights per feature: [negative, neutral, positive]. */
  readonly weights: Readonly<Record<string, readonly [number, number, number]>>;
  readonly bias: readonly [number, number, number];
  /** Which classes the training data had (a survey with no middle score has no neutral). */
  readonly classes: readonly SentimentLabel[];
  readonly examples: number;
}

export interface LabelledText {
  readonly text: string;
  readonly label: SentimentLabel;
}

/** The label a score gives its comment. */
export function labelOfScore(metric: string, score: number): SentimentLabel | null {
  if (!Number.isFinite(score)) return null;
  if (metric === 'nps') return score <= 6 ? 'negative' : score <= 8 ? 'neutral' : 'positive';
  if (metric === 'csat') return score <= 2 ? 'negative' : score === 3 ? 'neutral' : 'positive';
  if (metric === 'ces') return score <= 3 ? 'negative' : score === 4 ? 'neutral' : 'positive';
  return null;
}

/** Whether these examples are enough to learn from; the reason when not. */
export function enoughToLearn(examples: readonly LabelledText[]): { ok: true } | { ok: false; reason: string } {
  const n = { negative: 0, neutral: 0, positive: 0 };
  for (const e of examples) n[e.label]++;
  if (examples.length < MIN_EXAMPLES) return { ok: false, reason: `${examples.length} scored comments; a model needs at least ${MIN_EXAMPLES}` };
  if (n.negative < MIN_PER_CLASS || n.positive < MIN_PER_CLASS) {
    return { ok: false, reason: `${n.negative} negative and ${n.positive} positive scored comments; a model needs ${MIN_PER_CLASS} of each` };
  }
  return { ok: true };
}

const WORD_RE = /[\p{L}\p{N}]+(?:['’]\p{L}+)*|[.!?;]/gu;

/** Words and adjacent word pairs (not across a sentence end), plus the rule score's features. */
function features(text: string): { names: string[]; rule: number } {
  const names = new Set<string>();
  let prev: string | null = null;
  for (const m of text.toLowerCase().matchAll(WORD_RE)) {
    const w = m[0].replace(/['’]/g, '');
    if (/^[.!?;]$/.test(w)) {
      prev = null;
      continue;
    }
    names.add(w);
    if (prev !== null) names.add(`${prev} ${w}`);
    prev = w;
  }
  return { names: [...names], rule: ruleSentiment(text) };
}

function softmax(z: [number, number, number]): [number, number, number] {
  const m = Math.max(...z);
  const e = z.map((x) => Math.exp(x - m)) as [number, number, number];
  const s = e[0] + e[1] + e[2];
  return [e[0] / s, e[1] / s, e[2] / s];
}

const RULE_FEATURES = ['__rule', '__rule_pos', '__rule_neg'] as const;

function ruleValues(rule: number): [number, number, number] {
  return [rule, Math.max(rule, 0), Math.min(rule, 0)];
}

/** Stable order without randomness: by a hash of the text. */
function fnv(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/**
 * Trains on labelled texts. Classes are weighted by the inverse of their share, so the rarer
 * complaints count as much as the common praise; rare word features (seen once) are dropped.
 */
export function trainModel(examples: readonly LabelledText[], options: { epochs?: number; l2?: number; lr?: number; balance?: number } = {}): SentimentModel {
  const epochs = options.epochs ?? 12;
  const l2 = options.l2 ?? 1e-4;
  const lr0 = options.lr ?? 0.5;
  const balance = options.balance ?? 0.5;
  const rows = examples.map((e) => ({ ...features(e.text), y: CLASSES.indexOf(e.label), h: fnv(e.text) })).sort((a, b) => a.h - b.h);
  const df = new Map<string, number>();
  for (const r of rows) for (const f of r.names) df.set(f, (df.get(f) ?? 0) + 1);
  // Features seen at least twice, numbered; each row keeps its feature numbers.
  const names: string[] = [];
  const ids = new Map<string, number>();
  for (const [f, n] of df) if (n >= 2) ids.set(f, names.push(f) - 1);
  const encoded = rows.map((r) => {
    const active = Int32Array.from(r.names.filter((f) => ids.has(f)).map((f) => ids.get(f)!));
    return { active, scale: 1 / Math.sqrt(active.length + 1), rv: ruleValues(r.rule), y: r.y };
  });
  const counts = [0, 0, 0];
  for (const r of rows) counts[r.y]!++;
  const present = [0, 1, 2].filter((c) => counts[c]! > 0);
  const classWeight = counts.map((c) => (c === 0 ? 0 : (rows.length / (present.length * c)) ** balance));
  const w = new Float64Array(names.length * 3);
  const rw = new Float64Array(RULE_FEATURES.length * 3);
  const bias: [number, number, number] = [0, 0, 0];
  for (const c of [0, 1, 2]) if (counts[c] === 0) bias[c] = -30;
  let step = 0;
  const z: [number, number, number] = [0, 0, 0];
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (const r of encoded) {
      const lr = lr0 / (1 + step++ / rows.length);
      // Binary features, scaled so a long review does not outweigh a short one.
      for (let c = 0; c < 3; c++) {
        let sum = bias[c]!;
        for (let k = 0; k < r.active.length; k++) sum += w[r.active[k]! * 3 + c]! * r.scale;
        for (let i = 0; i < RULE_FEATURES.length; i++) sum += rw[i * 3 + c]! * r.rv[i]!;
        z[c] = sum;
      }
      const p = softmax(z);
      const cw = classWeight[r.y]!;
      for (const c of present) {
        const g = cw * ((c === r.y ? 1 : 0) - p[c]!);
        bias[c]! += lr * g * 0.1;
        const decay = 1 - lr * l2;
        for (let k = 0; k < r.active.length; k++) {
          const at = r.active[k]! * 3 + c;
          w[at] = w[at]! * decay + lr * g * r.scale;
        }
        for (let i = 0; i < RULE_FEATURES.length; i++) rw[i * 3 + c]! += lr * g * r.rv[i]!;
      }
    }
  }
  const weights: Record<string, [number, number, number]> = {};
  const keep = (f: string, v: [number, number, number]): void => {
    if (Math.abs(v[0]) + Math.abs(v[1]) + Math.abs(v[2]) >= 1e-3) weights[f] = [round(v[0]), round(v[1]), round(v[2])];
  };
  names.forEach((f, i) => keep(f, [w[i * 3]!, w[i * 3 + 1]!, w[i * 3 + 2]!]));
  RULE_FEATURES.forEach((f, i) => keep(f, [rw[i * 3]!, rw[i * 3 + 1]!, rw[i * 3 + 2]!]));
  return { weights, bias: [round(bias[0]), round(bias[1]), round(bias[2])], classes: present.map((c) => CLASSES[c]!), examples: rows.length };
}

const round = (x: number): number => Math.round(x * 1e5) / 1e5;

export interface ModelReading {
  /** P(positive) − P(negative), in [−1, 1]. */
  sentiment: number;
  label: SentimentLabel;
}

/** Reads one text with a model: the most likely class, and a signed score for ranking. */
export function applyModel(model: SentimentModel, text: string): ModelReading {
  const { names, rule } = features(text);
  const active = names.filter((f) => model.weights[f] !== undefined);
  const scale = 1 / Math.sqrt(names.filter((f) => model.weights[f] !== undefined).length + 1);
  const z: [number, number, number] = [model.bias[0], model.bias[1], model.bias[2]];
  for (const f of active) {
    const v = model.weights[f]!;
    for (let c = 0; c < 3; c++) z[c]! += v[c]! * scale;
  }
  const rv = ruleValues(rule);
  RULE_FEATURES.forEach((f, i) => {
    const v = model.weights[f];
    if (v !== undefined) for (let c = 0; c < 3; c++) z[c]! += v[c]! * rv[i]!;
  });
  const p = softmax(z);
  const best = p.indexOf(Math.max(...p));
  const sentiment = Math.round((p[2] - p[0]) * 1000) / 1000;
  return { sentiment, label: model.classes.length === 0 ? labelOf(sentiment) : CLASSES[best]! };
}

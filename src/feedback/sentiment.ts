/**
 * Sentiment and topics of one comment. Sentiment comes from `scoreText` (the rules, or a model
 * learnt from the company's scored comments: src/feedback/sentiment-scorer.ts); topics match on
 * lemmas from wink-nlp and its English model (shipped inside the npm package; nothing is
 * downloaded), which loads on first use, so commands that never read comments do not pay for it.
 */
import { labelOf } from './sentiment-rules.ts';
import type { SentimentLabel } from './sentiment-rules.ts';
import { scoreText } from './sentiment-scorer.ts';
import type { StoredModel } from './sentiment-scorer.ts';
import { DEFAULT_TAXONOMY } from './taxonomy.ts';
import type { Taxonomy } from './taxonomy.ts';

export { labelOf, scoreText };
export type { SentimentLabel };

export interface CommentAnalysis {
  /** In [−1, 1] (docs/feedback.md, "Sentiment"). */
  sentiment: number;
  label: SentimentLabel;
  /** Which scorer gave the label: `rules` or `model:v<version>`. */
  scorer: string;
  topics: string[];
}

interface Nlp {
  readDoc(text: string): {
    out(f: unknown): unknown;
    tokens(): { out(f: unknown): unknown };
  };
  its: { lemma: unknown; normal: unknown };
}

let loading: Promise<Nlp> | null = null;

async function nlp(): Promise<Nlp> {
  loading ??= (async () => {
    const [{ default: winkNLP }, { default: model }] = await Promise.all([import('wink-nlp'), import('wink-eng-lite-web-model')]);
    return winkNLP(model) as unknown as Nlp;
  })();
  return loading;
}

/**
 * The analyser, loaded once: `analyse(text)` is then synchronous and fast (thousands a second).
 * `model` is the learnt sentiment model to score with (null: the rules).
 */
export async function createAnalyser(taxonomy: Taxonomy = DEFAULT_TAXONOMY, model: StoredModel | null = null): Promise<(text: string) => CommentAnalysis> {
  const n = await nlp();
  const rules = taxonomy.topics.map((t) => ({ ...t, keywords: t.keywords.map(words), exclude: (t.exclude ?? []).map(words) }));
  return (text) => {
    const doc = n.readDoc(boundWords(text));
    const { sentiment, label, scorer } = scoreText(text, model);
    const lemmas = (doc.tokens().out(n.its.lemma) as string[]).map((s) => s.toLowerCase());
    const normals = (doc.tokens().out(n.its.normal) as string[]).map((s) => s.toLowerCase());
    const has = (phrase: readonly string[]): boolean => containsSeq(lemmas, phrase) || containsSeq(normals, phrase);
    const topics = rules
      .filter((r) => (r.sentiment === undefined || r.sentiment === label) && r.keywords.some(has) && !r.exclude.some(has))
      .map((r) => r.id);
    return { sentiment, label, scorer, topics };
  };
}

/** No word of any language is longer; what is (a URL, a pasted hash, a key held down) carries no sentiment. */
export const MAX_WORD_CHARS = 64;
const LONG_WORD = new RegExp(`\\S{${MAX_WORD_CHARS + 1},}`, 'g');

/**
 * The text with every run of non-space characters cut to MAX_WORD_CHARS. wink-nlp's work on one
 * token grows with the square of its length (a 20,000-character word took 1.5 s, a 1 MB comment
 * froze the feedback views), so bounding each token's length is what keeps an analysis linear
 * in the text's length. One pass of a regular expression without nested repetition: linear too.
 */
export function boundWords(text: string): string {
  return text.replace(LONG_WORD, (w) => w.slice(0, MAX_WORD_CHARS));
}

function words(phrase: string): string[] {
  return phrase.toLowerCase().split(/\s+/).filter((w) => w !== '');
}

function containsSeq(tokens: readonly string[], seq: readonly string[]): boolean {
  if (seq.length === 0) return false;
  outer: for (let i = 0; i + seq.length <= tokens.length; i++) {
    for (let j = 0; j < seq.length; j++) if (tokens[i + j] !== seq[j]) continue outer;
    return true;
  }
  return false;
}

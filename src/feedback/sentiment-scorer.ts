/**
 * The one entry point that scores a text: `scoreText(text, model)` → `{sentiment, label, scorer}`.
 * With a trained model (src/feedback/sentiment-model.ts) the model reads it, else the rules
 * (src/feedback/sentiment-rules.ts); `scorer` says which (`rules` or `model:v3`), and travels with
 * every analysed comment. Models are stored in `sentiment_models`, one row per version, and are
 * trained on demand (`throughline feedback train`) or when comments are analysed and the scored
 * comments have grown by a fifth since the last model.
 */
import type { Queryable } from '../store/store.ts';
import { applyModel, enoughToLearn, labelOfScore, MIN_EXAMPLES, trainModel } from './sentiment-model.ts';
import type { LabelledText, SentimentModel } from './sentiment-model.ts';
import { labelOf, ruleSentiment } from './sentiment-rules.ts';
import type { SentimentLabel } from './sentiment-rules.ts';

export interface TextSentiment {
  /** In [−1, 1]: the rules' compound score, or the model's P(positive) − P(negative). */
  sentiment: number;
  label: SentimentLabel;
  /** `rules`, or `model:v<version>` for a learnt model. */
  scorer: string;
}

export interface StoredModel {
  readonly version: number;
  readonly trained_at: number;
  readonly examples: number;
  readonly model: SentimentModel;
}

/** Scores one text with a stored model, or with the rules when there is none. */
export function scoreText(text: string, model: StoredModel | null = null): TextSentiment {
  if (model !== null) {
    const r = applyModel(model.model, text);
    return { sentiment: r.sentiment, label: r.label, scorer: `model:v${model.version}` };
  }
  const s = Math.round(ruleSentiment(text) * 1000) / 1000;
  return { sentiment: s, label: labelOf(s), scorer: 'rules' };
}

/** The latest trained model, or null (the rules then score every text). */
export async function latestModel(db: Queryable): Promise<StoredModel | null> {
  const [row] = await db.query(`SELECT version, trained_at, examples, model FROM sentiment_models ORDER BY version DESC LIMIT 1`);
  if (row === undefined) return null;
  return { version: Number(row.version), trained_at: Number(row.trained_at), examples: Number(row.examples), model: JSON.parse(String(row.model)) as SentimentModel };
}

/** Scored survey comments, labelled by their score, in a stable order. */
async function labelledComments(db: Queryable): Promise<LabelledText[]> {
  const rows = await db.query(
    `SELECT comment, metric, score FROM feedback
     WHERE comment IS NOT NULL AND trim(comment) <> '' AND score IS NOT NULL AND metric IN ('nps', 'csat', 'ces')
     ORDER BY response_id COLLATE "C"`,
  );
  const out: LabelledText[] = [];
  for (const r of rows) {
    const label = labelOfScore(String(r.metric), Number(r.score));
    if (label !== null) out.push({ text: String(r.comment), label });
  }
  return out;
}

export type TrainResult =
  | { trained: true; version: number; examples: number; scorer: string }
  | { trained: false; reason: string; scorer: string };

/** Trains a new model version from every scored comment, if there are enough; else says why. */
export async function trainSentimentModel(db: Queryable, now: number = Date.now()): Promise<TrainResult> {
  const examples = await labelledComments(db);
  const enough = enoughToLearn(examples);
  const current = await latestModel(db);
  if (!enough.ok) return { trained: false, reason: `${enough.reason}; the rules score every text`, scorer: current === null ? 'rules' : `model:v${current.version}` };
  const model = trainModel(examples);
  const version = (current?.version ?? 0) + 1;
  // Two processes training at once write the same version once.
  await db.exec(`INSERT INTO sentiment_models (version, trained_at, examples, model) VALUES ($1, $2, $3, $4) ON CONFLICT (version) DO NOTHING`, [version, now, examples.length, JSON.stringify(model)]);
  return { trained: true, version, examples: examples.length, scorer: `model:v${version}` };
}

/** A model grows stale once the scored comments have grown by this share since it was trained. */
export const RETRAIN_GROWTH = 0.2;

/**
 * The model to score with now: trains one first when there is none and enough to learn from, or
 * when the scored comments have grown by RETRAIN_GROWTH since the last one.
 */
export async function currentModel(db: Queryable, now: number = Date.now()): Promise<StoredModel | null> {
  const current = await latestModel(db);
  const [row] = await db.query(
    `SELECT count(*) AS n FROM feedback WHERE comment IS NOT NULL AND trim(comment) <> '' AND score IS NOT NULL AND metric IN ('nps', 'csat', 'ces')`,
  );
  const n = Number(row?.n ?? 0);
  const stale = n >= MIN_EXAMPLES && (current === null || n >= current.examples * (1 + RETRAIN_GROWTH));
  if (!stale) return current;
  const result = await trainSentimentModel(db, now);
  return result.trained ? latestModel(db) : current;
}

/**
 * A scorer for any text (a message, a comment), with the model current now (training one first
 * if it is due), for code that scores texts in bulk.
 *
 * @example
 * const score = await createTextScorer(store);
 * score('Still waiting for my refund'); // { sentiment: -0.62, label: 'negative', scorer: 'rules' }
 */
export async function createTextScorer(db: Queryable, now: number = Date.now()): Promise<(text: string) => TextSentiment> {
  const model = await currentModel(db, now);
  return (text) => scoreText(text, model);
}

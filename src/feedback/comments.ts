/**
 * Sentiment and topics for every comment, kept in `comment_analysis` so each comment is read
 * by the NLP model once per taxonomy; then verbatims by topic and sentiment, and a per-topic
 * summary, computed in SQL.
 */
import type { Queryable, SqlParam } from '../store/store.ts';
import { createAnalyser } from './sentiment.ts';
import type { SentimentLabel } from './sentiment.ts';
import { DEFAULT_TAXONOMY, taxonomyId } from './taxonomy.ts';
import type { Taxonomy } from './taxonomy.ts';

const BATCH = 5000;
/** Rows per upsert statement: 5 parameters each, well under PostgreSQL's 65,535. */
const UPSERT_ROWS = 1000;

/** Analyses the comments that have no analysis under this taxonomy yet; returns how many. */
/**
 * Analyses every comment not yet analysed under this taxonomy. Concurrent callers in one
 * process (the dashboard asks for topics and comments at once) share one run: two runs would
 * read every comment of the same batch twice.
 */
export function analyseComments(db: Queryable, taxonomy: Taxonomy = DEFAULT_TAXONOMY): Promise<number> {
  const tid = taxonomyId(taxonomy);
  const key = `${tid}`;
  const running = inFlight.get(db)?.get(key);
  if (running !== undefined) return running;
  let byDb = inFlight.get(db);
  if (byDb === undefined) inFlight.set(db, (byDb = new Map()));
  const run = analyseOnce(db, taxonomy, tid).finally(() => byDb.delete(key));
  byDb.set(key, run);
  return run;
}

const inFlight = new WeakMap<Queryable, Map<string, Promise<number>>>();

async function analyseOnce(db: Queryable, taxonomy: Taxonomy, tid: string): Promise<number> {
  let analyse: ((text: string) => ReturnType<Awaited<ReturnType<typeof createAnalyser>>>) | null = null;
  let done = 0;
  for (;;) {
    // Batches bound memory; each batch drops out of the NOT EXISTS once written.
    const rows = await db.query(
      `SELECT f.response_id, f.comment FROM feedback f
       WHERE f.comment IS NOT NULL AND trim(f.comment) <> ''
         AND NOT EXISTS (SELECT 1 FROM comment_analysis a WHERE a.response_id = f.response_id AND a.taxonomy = $1)
       ORDER BY f.response_id COLLATE "C" LIMIT ${BATCH}`,
      [tid],
    );
    if (rows.length === 0) return done;
    analyse ??= await createAnalyser(taxonomy);
    const out: SqlParam[][] = rows.map((r) => {
      const a = analyse!(String(r.comment));
      return [String(r.response_id), a.sentiment, a.label, a.topics.join(','), tid];
    });
    // An upsert replaces an analysis made under another taxonomy. It needs no scratch table
    // (a temporary table lives in one session, and a pooled store hands each statement any
    // session), and another process analysing the same comments at the same time, as two
    // servers on one PostgreSQL do, overwrites the same values instead of failing on the key.
    for (let i = 0; i < out.length; i += UPSERT_ROWS) {
      const chunk = out.slice(i, i + UPSERT_ROWS);
      await db.exec(
        `INSERT INTO comment_analysis (response_id, sentiment, label, topics, taxonomy)
         VALUES ${chunk.map((_, r) => `(${[1, 2, 3, 4, 5].map((c) => `$${r * 5 + c}`).join(', ')})`).join(', ')}
         ON CONFLICT (response_id) DO UPDATE SET sentiment = excluded.sentiment, label = excluded.label, topics = excluded.topics, taxonomy = excluded.taxonomy`,
        chunk.flat(),
      );
    }
    done += rows.length;
  }
}

export interface CommentFilter {
  readonly topic?: string | undefined;
  readonly sentiment?: SentimentLabel | undefined;
  readonly scope?: string | undefined;
  readonly metric?: string | undefined;
  readonly from?: number | undefined;
  readonly to?: number | undefined;
  readonly limit?: number | undefined;
  /** Comments to skip first, to page through them in the same order. */
  readonly offset?: number | undefined;
  readonly taxonomy?: Taxonomy | undefined;
}

export interface CommentDoc {
  response_id: string;
  ts: string;
  customer_key: string | null;
  survey_id: string;
  metric: string;
  scope: string;
  score: number;
  comment: string;
  sentiment: number;
  label: SentimentLabel;
  topics: string[];
}

function whereSql(filter: CommentFilter, params: SqlParam[]): string {
  params.push(taxonomyId(filter.taxonomy ?? DEFAULT_TAXONOMY));
  const where = [`a.taxonomy = $${params.length}`];
  const add = (sql: string, v: SqlParam): void => {
    params.push(v);
    where.push(sql.replace('?', `$${params.length}`));
  };
  if (filter.topic !== undefined) add(`(',' || a.topics || ',') LIKE ?`, `%,${filter.topic},%`);
  if (filter.sentiment !== undefined) add('a.label = ?', filter.sentiment);
  if (filter.scope !== undefined) add('f.scope = ?', filter.scope);
  if (filter.metric !== undefined) add('f.metric = ?', filter.metric);
  if (filter.from !== undefined) add('f.ts >= ?', filter.from);
  if (filter.to !== undefined) add('f.ts < ?', filter.to);
  return where.join(' AND ');
}

/** Verbatims, most negative first (the ones to read), after analysing any new comments. */
export async function listComments(db: Queryable, filter: CommentFilter = {}): Promise<CommentDoc[]> {
  await analyseComments(db, filter.taxonomy);
  const params: SqlParam[] = [];
  const where = whereSql(filter, params);
  const rows = await db.query(
    `SELECT f.response_id, f.ts, f.customer_key, f.survey_id, f.metric, f.scope, f.score, f.comment, a.sentiment, a.label, a.topics
     FROM feedback f JOIN comment_analysis a ON a.response_id = f.response_id
     WHERE ${where} ORDER BY a.sentiment, f.ts DESC, f.response_id COLLATE "C" LIMIT ${Math.max(1, Math.floor(filter.limit ?? 50))} OFFSET ${Math.max(0, Math.floor(filter.offset ?? 0))}`,
    params,
  );
  return rows.map((r) => ({
    response_id: String(r.response_id),
    ts: new Date(Number(r.ts)).toISOString(),
    customer_key: r.customer_key === null ? null : String(r.customer_key),
    survey_id: String(r.survey_id),
    metric: String(r.metric),
    scope: String(r.scope),
    score: Number(r.score),
    comment: String(r.comment),
    sentiment: Number(r.sentiment),
    label: String(r.label) as SentimentLabel,
    topics: String(r.topics) === '' ? [] : String(r.topics).split(','),
  }));
}

/** How many comments `listComments` pages through with this filter (limit and offset aside). */
export async function countComments(db: Queryable, filter: CommentFilter = {}): Promise<{ total: number }> {
  await analyseComments(db, filter.taxonomy);
  const params: SqlParam[] = [];
  const where = whereSql(filter, params);
  const [row] = await db.query(`SELECT count(*) AS n FROM feedback f JOIN comment_analysis a ON a.response_id = f.response_id WHERE ${where}`, params);
  return { total: Number(row?.n ?? 0) };
}

export interface TopicSummary {
  topic: string;
  label: string;
  comments: number;
  negative: number;
  positive: number;
  mean_sentiment: number | null;
}

/** Per topic: how many comments, how many negative or positive, the mean sentiment. */
export async function topicSummary(db: Queryable, filter: Omit<CommentFilter, 'topic' | 'limit'> = {}): Promise<TopicSummary[]> {
  const taxonomy = filter.taxonomy ?? DEFAULT_TAXONOMY;
  await analyseComments(db, taxonomy);
  const out: TopicSummary[] = [];
  for (const t of taxonomy.topics) {
    const params: SqlParam[] = [];
    const where = whereSql({ ...filter, topic: t.id }, params);
    const [r] = await db.query(
      `SELECT count(*) AS n, sum(CASE WHEN a.label = 'negative' THEN 1 ELSE 0 END) AS neg,
         sum(CASE WHEN a.label = 'positive' THEN 1 ELSE 0 END) AS pos, avg(a.sentiment) AS mean
       FROM feedback f JOIN comment_analysis a ON a.response_id = f.response_id WHERE ${where}`,
      params,
    );
    out.push({
      topic: t.id,
      label: t.label,
      comments: Number(r?.n ?? 0),
      negative: Number(r?.neg ?? 0),
      positive: Number(r?.pos ?? 0),
      mean_sentiment: r?.mean === null || r?.mean === undefined ? null : Math.round(Number(r.mean) * 1000) / 1000,
    });
  }
  return out.sort((a, b) => b.comments - a.comments || (a.topic < b.topic ? -1 : 1));
}

/**
 * What customers wrote — survey comments and customers' messages — with sentiment, terms and
 * (under a taxonomy) topics, kept per text in `comment_analysis` and `message_analysis` so each
 * text is read by the NLP model once per taxonomy; then verbatims and a per-topic summary. With
 * no taxonomy (none given, none stored), topics are discovered from the texts (discover.ts).
 */
import { createHash } from 'node:crypto';
import type { Queryable, Row, SqlParam } from '../store/store.ts';
import { discoverTopics, topicsOfTerms } from './discover.ts';
import type { DiscoveredTopic } from './discover.ts';
import { createAnalyser } from './sentiment.ts';
import { currentModel } from './sentiment-scorer.ts';
import type { StoredModel } from './sentiment-scorer.ts';
import type { SentimentLabel } from './sentiment.ts';
import { parseTaxonomy, taxonomyId } from './taxonomy.ts';
import type { Taxonomy } from './taxonomy.ts';
import { createTermReader } from './terms.ts';

const BATCH = 5000;
/** Rows per upsert statement: 7 parameters each, well under PostgreSQL's 65,535. */
const UPSERT_ROWS = 1000;

/** Where texts come from: survey comments, customers' messages, or both. */
export const TEXT_SOURCES = ['feedback', 'messages', 'all'] as const;
export type TextSource = (typeof TEXT_SOURCES)[number];

/** Which texts topics are found in: the negative ones (the default: what a CX team reads first) or all. */
export const TOPIC_VIEWS = ['negative', 'all'] as const;
export type TopicView = (typeof TOPIC_VIEWS)[number];

/** The settings key of the store's own taxonomy (`feedback taxonomy FILE`; the demo stores its telecom one). */
export const TAXONOMY_SETTING = 'topic_taxonomy';

/** Analyses run with no taxonomy: sentiment and terms only; topics are discovered when read. */
const NO_TAXONOMY: Taxonomy = { topics: [] };

/** The taxonomy in force: the one given, else the store's, else none (topics are discovered). */
export async function taxonomyInForce(db: Queryable, given?: Taxonomy): Promise<Taxonomy | null> {
  if (given !== undefined) return given;
  const [row] = await db.query(`SELECT value FROM settings WHERE key = $1`, [TAXONOMY_SETTING]);
  return row === undefined ? null : parseTaxonomy(String(row.value), 'the stored taxonomy');
}

/** Stores `taxonomy` as the store's own (null: discover topics again). */
export async function saveTaxonomy(db: Queryable, taxonomy: Taxonomy | null): Promise<void> {
  await db.exec(`DELETE FROM settings WHERE key = $1`, [TAXONOMY_SETTING]);
  if (taxonomy !== null) await db.exec(`INSERT INTO settings (key, value) VALUES ($1, $2)`, [TAXONOMY_SETTING, JSON.stringify(taxonomy)]);
}

interface TextTable {
  readonly table: string;
  readonly id: string;
  readonly text: string;
  readonly analysis: string;
  readonly where: string;
}

const TABLES: Readonly<Record<'feedback' | 'messages', TextTable>> = {
  feedback: { table: 'feedback', id: 'response_id', text: 'comment', analysis: 'comment_analysis', where: `t.comment IS NOT NULL AND trim(t.comment) <> ''` },
  messages: { table: 'messages', id: 'message_id', text: 'text', analysis: 'message_analysis', where: `t.speaker = 'customer' AND trim(t.text) <> ''` },
};

/**
 * Analyses every comment and customer message not yet analysed under this taxonomy (null: none,
 * topics discovered); returns how many. Concurrent callers in one process (the dashboard asks
 * for topics and comments at once) share one run.
 */
export function analyseComments(db: Queryable, taxonomy: Taxonomy | null = NO_TAXONOMY): Promise<number> {
  const t = taxonomy ?? NO_TAXONOMY;
  const key = taxonomyId(t);
  const running = inFlight.get(db)?.get(key);
  if (running !== undefined) return running;
  let byDb = inFlight.get(db);
  if (byDb === undefined) inFlight.set(db, (byDb = new Map()));
  const run = (async () => (await analyseOnce(db, t, key, TABLES.feedback)) + (await analyseOnce(db, t, key, TABLES.messages)))().finally(() => byDb.delete(key));
  byDb.set(key, run);
  return run;
}

const inFlight = new WeakMap<Queryable, Map<string, Promise<number>>>();

async function analyseOnce(db: Queryable, taxonomy: Taxonomy, tid: string, spec: TextTable): Promise<number> {
  let analyse: ((text: string) => ReturnType<Awaited<ReturnType<typeof createAnalyser>>>) | null = null;
  let termsOf: ((text: string) => string) | null = null;
  // A new model version (trained when the scored comments have grown) re-reads every text.
  const model: StoredModel | null = await currentModel(db);
  const scorer = model === null ? 'rules' : `model:v${model.version}`;
  let done = 0;
  // Counting first: when every text has its analysis (the usual case, once an import has read
  // them), two counts answer sooner than the anti-join below.
  const [counts] = await db.query(
    `SELECT (SELECT count(*) FROM ${spec.table} t WHERE ${spec.where}) AS texts,
       (SELECT count(*) FROM ${spec.analysis} a WHERE a.taxonomy = $1 AND a.terms IS NOT NULL AND a.scorer = $2) AS analysed`,
    [tid, scorer],
  );
  if (Number(counts?.analysed) >= Number(counts?.texts)) return 0;
  for (;;) {
    // Batches bound memory; each batch drops out of the NOT EXISTS once written. Analyses made
    // before terms were kept (migration 10) are redone once.
    const rows = await db.query(
      `SELECT t.${spec.id} AS id, t.${spec.text} AS text FROM ${spec.table} t
       WHERE ${spec.where}
         AND NOT EXISTS (SELECT 1 FROM ${spec.analysis} a WHERE a.${spec.id} = t.${spec.id} AND a.taxonomy = $1 AND a.terms IS NOT NULL AND a.scorer = $2)
       ORDER BY t.${spec.id} COLLATE "C" LIMIT ${BATCH}`,
      [tid, scorer],
    );
    if (rows.length === 0) return done;
    analyse ??= await createAnalyser(taxonomy, model);
    termsOf ??= await createTermReader();
    const out: SqlParam[][] = rows.map((r) => {
      const text = String(r.text);
      const a = analyse!(text);
      return [String(r.id), a.sentiment, a.label, a.topics.join(','), tid, termsOf!(text), a.scorer];
    });
    // An upsert replaces an analysis made under another taxonomy. It needs no scratch table
    // (a temporary table lives in one session, and a pooled store hands each statement any
    // session), and another process analysing the same texts at the same time, as two
    // servers on one PostgreSQL do, overwrites the same values instead of failing on the key.
    for (let i = 0; i < out.length; i += UPSERT_ROWS) {
      const chunk = out.slice(i, i + UPSERT_ROWS);
      await db.exec(
        `INSERT INTO ${spec.analysis} (${spec.id}, sentiment, label, topics, taxonomy, terms, scorer)
         VALUES ${chunk.map((_, r) => `(${[1, 2, 3, 4, 5, 6, 7].map((c) => `$${r * 7 + c}`).join(', ')})`).join(', ')}
         ON CONFLICT (${spec.id}) DO UPDATE SET sentiment = excluded.sentiment, label = excluded.label, topics = excluded.topics,
           taxonomy = excluded.taxonomy, terms = excluded.terms, scorer = excluded.scorer`,
        chunk.flat(),
      );
    }
    done += rows.length;
  }
}

export interface CommentFilter {
  readonly source?: TextSource | undefined;
  readonly topic?: string | undefined;
  readonly sentiment?: SentimentLabel | undefined;
  /** Survey answers only: messages have no scope or metric. */
  readonly scope?: string | undefined;
  readonly metric?: string | undefined;
  readonly from?: number | undefined;
  readonly to?: number | undefined;
  readonly limit?: number | undefined;
  /** Texts to skip first, to page through them in the same order. */
  readonly offset?: number | undefined;
  /** A taxonomy instead of the store's (or of discovered topics). */
  readonly taxonomy?: Taxonomy | undefined;
  /** Discovered topics: those of this view of `feedback topics` (default negative). */
  readonly view?: TopicView | undefined;
}

export interface CommentDoc {
  /** The answer's response_id or the message's message_id. */
  id: string;
  /** `feedback` (a survey comment) or `message` (a customer's message). */
  source: 'feedback' | 'message';
  ts: string;
  customer_key: string | null;
  text: string;
  sentiment: number;
  label: SentimentLabel;
  /** Which scorer gave the label: `rules`, or `model:v<version>` learnt from scored comments. */
  scorer: string;
  topics: string[];
  /** Survey answers: the answer and what it rated (null on a message). */
  response_id: string | null;
  survey_id: string | null;
  metric: string | null;
  scope: string | null;
  score: number | null;
  /** The same as `text`, on survey answers (null on a message), as before `text` existed. */
  comment: string | null;
  /** Messages: the message and its thread (null on a survey answer). */
  message_id: string | null;
  conversation_id: string | null;
  channel: string | null;
}

/** The analysed texts of a source, as one relation with the columns every reader needs. */
function textsSql(source: TextSource, filter: CommentFilter, tid: string, params: SqlParam[]): string {
  params.push(tid);
  const t = `$${params.length}`;
  const common: string[] = [];
  const add = (sql: string, v: SqlParam): void => {
    params.push(v);
    common.push(sql.replace('?', `$${params.length}`));
  };
  if (filter.sentiment !== undefined) add('a.label = ?', filter.sentiment);
  if (filter.from !== undefined) add('x.ts >= ?', filter.from);
  if (filter.to !== undefined) add('x.ts < ?', filter.to);
  const fb: string[] = [...common];
  if (filter.scope !== undefined) {
    params.push(filter.scope);
    fb.push(`x.scope = $${params.length}`);
  }
  if (filter.metric !== undefined) {
    params.push(filter.metric);
    fb.push(`x.metric = $${params.length}`);
  }
  const parts: string[] = [];
  if (source !== 'messages') {
    parts.push(`SELECT 'feedback' AS source, x.response_id AS id, x.ts, x.seq, x.customer_key, x.comment AS text, x.survey_id, x.metric, x.scope, x.score,
        CAST(NULL AS TEXT) AS conversation_id, CAST(NULL AS TEXT) AS channel, a.sentiment, a.label, a.scorer, a.topics, a.terms
      FROM feedback x JOIN comment_analysis a ON a.response_id = x.response_id
      WHERE ${['a.taxonomy = ' + t, ...fb].join(' AND ')}`);
  }
  // Messages have no scope or metric: a filter on either leaves them out.
  if (source !== 'feedback' && filter.scope === undefined && filter.metric === undefined) {
    parts.push(`SELECT 'message' AS source, x.message_id AS id, x.ts, x.seq, x.customer_key, x.text, CAST(NULL AS TEXT) AS survey_id, CAST(NULL AS TEXT) AS metric,
        CAST(NULL AS TEXT) AS scope, CAST(NULL AS DOUBLE PRECISION) AS score, x.conversation_id, x.channel, a.sentiment, a.label, a.scorer, a.topics, a.terms
      FROM messages x JOIN message_analysis a ON a.message_id = x.message_id
      WHERE ${["x.speaker = 'customer'", 'a.taxonomy = ' + t, ...common].join(' AND ')}`);
  }
  return parts.join(' UNION ALL ');
}

function toDoc(r: Row, topics: string[]): CommentDoc {
  const feedback = r.source === 'feedback';
  const text = String(r.text);
  const s = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
  return {
    id: String(r.id),
    source: feedback ? 'feedback' : 'message',
    ts: new Date(Number(r.ts)).toISOString(),
    customer_key: s(r.customer_key),
    text,
    sentiment: Number(r.sentiment),
    label: String(r.label) as SentimentLabel,
    scorer: String(r.scorer ?? 'rules'),
    topics,
    response_id: feedback ? String(r.id) : null,
    survey_id: s(r.survey_id),
    metric: s(r.metric),
    scope: s(r.scope),
    score: r.score === null || r.score === undefined ? null : Number(r.score),
    comment: feedback ? text : null,
    message_id: feedback ? null : String(r.id),
    conversation_id: s(r.conversation_id),
    channel: s(r.channel),
  };
}

const storedTopics = (r: Row): string[] => (r.topics === null || String(r.topics) === '' ? [] : String(r.topics).split(','));

/** Verbatims, most negative first (the ones to read), after analysing any new texts. */
export async function listComments(db: Queryable, filter: CommentFilter = {}): Promise<CommentDoc[]> {
  const source = filter.source ?? 'feedback';
  const taxonomy = await taxonomyInForce(db, filter.taxonomy);
  await analyseComments(db, taxonomy);
  const limit = Math.max(1, Math.floor(filter.limit ?? 50));
  const offset = Math.max(0, Math.floor(filter.offset ?? 0));
  const tid = taxonomyId(taxonomy ?? NO_TAXONOMY);
  const order = `ORDER BY sentiment, ts DESC, id COLLATE "C"`;
  if (taxonomy !== null) {
    const params: SqlParam[] = [];
    let sql = `SELECT * FROM (${textsSql(source, filter, tid, params)}) c`;
    if (filter.topic !== undefined) {
      params.push(`%,${filter.topic},%`);
      sql += ` WHERE (',' || c.topics || ',') LIKE $${params.length}`;
    }
    const rows = await db.query(`${sql} ${order} LIMIT ${limit} OFFSET ${offset}`, params);
    return rows.map((r) => toDoc(r, storedTopics(r)));
  }
  const topics = await discovered(db, source, filter.view ?? 'negative');
  const params: SqlParam[] = [];
  // A topic filter is read from the terms, so every match is read and the first `limit` kept.
  const rows = await db.query(`SELECT * FROM (${textsSql(source, filter, tid, params)}) c ${order}${filter.topic === undefined ? ` LIMIT ${limit} OFFSET ${offset}` : ''}`, params);
  const out: CommentDoc[] = [];
  let skipped = 0;
  for (const r of rows) {
    const ids = topicsOfTerms(String(r.terms ?? ''), topics);
    if (filter.topic !== undefined && !ids.includes(filter.topic)) continue;
    if (filter.topic !== undefined && skipped < offset) {
      skipped++;
      continue;
    }
    out.push(toDoc(r, ids));
    if (out.length === limit) break;
  }
  return out;
}

/**
 * How many texts `listComments` pages through with this filter (limit and offset aside). Read
 * through the same selection, so the total and the pages can never disagree; a store's texts
 * are read once (tens of thousands, not millions, are what a person pages through).
 */
export async function countComments(db: Queryable, filter: CommentFilter = {}): Promise<{ total: number }> {
  const all = await listComments(db, { ...filter, limit: Number.MAX_SAFE_INTEGER, offset: 0 });
  return { total: all.length };
}

export interface TopicExample {
  id: string;
  source: 'feedback' | 'message';
  text: string;
  sentiment: number;
}

export interface TopicSummary {
  topic: string;
  label: string;
  keywords: string[];
  comments: number;
  negative: number;
  positive: number;
  mean_sentiment: number | null;
  /** A few of the topic's texts: the most negative first in the negative view. */
  examples: TopicExample[];
  /** `taxonomy` or `discovered`. */
  origin: 'taxonomy' | 'discovered';
}

export interface TopicFilter extends Omit<CommentFilter, 'topic' | 'limit' | 'sentiment' | 'view'> {
  /** Default `negative`: topics found in negative texts, most negative first; `all`: in every text, largest first. */
  readonly view?: TopicView | undefined;
}

const EXAMPLES = 3;
/** Fewer negative texts than this and the negative view discovers its topics in all texts. */
const MIN_NEGATIVE_POOL = 20;

/**
 * Per topic: how many texts, how many negative or positive, the mean sentiment, keywords and
 * examples. Every text of the source is counted; the view decides which texts topics are
 * discovered in and how the list is sorted.
 */
export async function topicSummary(db: Queryable, filter: TopicFilter = {}): Promise<TopicSummary[]> {
  const source = filter.source ?? 'feedback';
  const view = filter.view ?? 'negative';
  const taxonomy = await taxonomyInForce(db, filter.taxonomy);
  await analyseComments(db, taxonomy);
  const tid = taxonomyId(taxonomy ?? NO_TAXONOMY);
  const params: SqlParam[] = [];
  // Without the texts: only the examples' are read, afterwards (a 10,000-text store spent most
  // of this answer turning texts into JavaScript strings).
  const rows = await db.query(
    `SELECT source, id, sentiment, label, topics, terms FROM (${textsSql(source, filter, tid, params)}) c ORDER BY sentiment, ts DESC, id COLLATE "C"`,
    params,
  );
  const unfiltered = filter.from === undefined && filter.to === undefined && filter.scope === undefined && filter.metric === undefined;
  const defs: { topic: string; label: string; keywords: readonly string[] }[] =
    taxonomy !== null ? taxonomy.topics.map((t) => ({ topic: t.id, label: t.label, keywords: t.keywords })) : await discovered(db, source, view, unfiltered ? rows : undefined);
  const byTopic = new Map(defs.map((d) => [d.topic, { ...d, keywords: [...d.keywords], comments: 0, negative: 0, positive: 0, sum: 0, examples: [] as Row[] }]));
  for (const r of rows) {
    const ids = taxonomy !== null ? storedTopics(r) : topicsOfTerms(String(r.terms ?? ''), defs as DiscoveredTopic[]);
    for (const id of ids) {
      const t = byTopic.get(id);
      if (t === undefined) continue;
      t.comments++;
      if (r.label === 'negative') t.negative++;
      if (r.label === 'positive') t.positive++;
      t.sum += Number(r.sentiment);
      // Rows come most negative first: the negative view shows those, the other the most positive.
      if (view === 'negative' && t.examples.length < EXAMPLES) t.examples.push(r);
      if (view === 'all') t.examples = [...t.examples, r].slice(-EXAMPLES);
    }
  }
  const texts = await textsOf(db, source, tid, [...byTopic.values()].flatMap((t) => t.examples));
  return [...byTopic.values()]
    .map((t) => ({
      topic: t.topic,
      label: t.label,
      keywords: t.keywords,
      comments: t.comments,
      negative: t.negative,
      positive: t.positive,
      mean_sentiment: t.comments === 0 ? null : Math.round((t.sum / t.comments) * 1000) / 1000,
      examples: (view === 'all' ? [...t.examples].reverse() : t.examples).map((r) => example(r, texts)),
      origin: taxonomy !== null ? ('taxonomy' as const) : ('discovered' as const),
    }))
    .sort((a, b) => (view === 'negative' ? b.negative - a.negative : 0) || b.comments - a.comments || (a.topic < b.topic ? -1 : 1));
}

/** The texts of these rows, by `source:id`. */
async function textsOf(db: Queryable, source: TextSource, tid: string, rows: readonly Row[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const ids = [...new Set(rows.map((r) => String(r.id)))];
  if (ids.length === 0) return out;
  const params: SqlParam[] = [];
  const sql = textsSql(source, {}, tid, params);
  const list = ids.map((id) => (params.push(id), `$${params.length}`)).join(', ');
  for (const r of await db.query(`SELECT source, id, text FROM (${sql}) c WHERE id IN (${list})`, params)) out.set(`${String(r.source)}:${String(r.id)}`, String(r.text));
  return out;
}

function example(r: Row, texts: ReadonlyMap<string, string>): TopicExample {
  const text = texts.get(`${String(r.source)}:${String(r.id)}`) ?? '';
  return { id: String(r.id), source: r.source === 'feedback' ? 'feedback' : 'message', text: text.length > 300 ? `${text.slice(0, 299)}…` : text, sentiment: Number(r.sentiment) };
}

/**
 * The topics discovered in a source's texts (negative ones for the negative view, unless there
 * are too few). Always in all of them, whatever the filters: a topic id means one thing in
 * every answer about the source, and filters only change what is counted. Cached in the settings table under a fingerprint of those texts: a second ask
 * on unchanged data reads them back instead of discovering again.
 */
async function discovered(db: Queryable, source: TextSource, view: TopicView, read?: readonly Row[]): Promise<DiscoveredTopic[]> {
  let pool: Row[];
  if (read !== undefined) pool = [...read];
  else {
    const params: SqlParam[] = [];
    pool = await db.query(`SELECT source, id, label, terms FROM (${textsSql(source, {}, taxonomyId(NO_TAXONOMY), params)}) c`, params);
  }
  // In one order, sorted here: the topics found do not depend on it, but the fingerprint does.
  const order = (r: Row): string => `${String(r.id)}\u0000${String(r.source)}`;
  pool.sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0));
  let texts = view === 'negative' ? pool.filter((r) => r.label === 'negative') : pool;
  if (texts.length < MIN_NEGATIVE_POOL) texts = pool;
  const hash = createHash('sha1');
  for (const r of texts) hash.update(`${String(r.id)}\u0000${String(r.terms ?? '')}\u0001`);
  const fingerprint = hash.digest('hex').slice(0, 16);
  const key = `discovered_topics:${source}:${view}`;
  const [cached] = await db.query(`SELECT value FROM settings WHERE key = $1`, [key]);
  if (cached !== undefined) {
    const c = JSON.parse(String(cached.value)) as { fingerprint: string; topics: DiscoveredTopic[] };
    if (c.fingerprint === fingerprint) return c.topics;
  }
  const topics = discoverTopics({ terms: texts.map((r) => String(r.terms ?? '')) });
  // An upsert: two requests discovering at once (the dashboard's) write the same value.
  await db.exec(`INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, [key, JSON.stringify({ fingerprint, topics })]);
  return topics;
}

/**
 * Praise routing: when a happy customer names an employee ("Maria was brilliant", "AG-07"),
 * the praise is recorded for that employee's team. Names come from the survey's staff list and
 * the staff directory; ids from the agents in the data; first names also from chat transcripts,
 * where agents introduce themselves as "Agent (Maria)".
 */
import { createHash } from 'node:crypto';
import type { Queryable } from '../store/store.ts';
import { analyseComments } from './comments.ts';
import type { StaffEntry } from './survey-definition.ts';
import { DEFAULT_TAXONOMY, taxonomyId } from './taxonomy.ts';

export interface NamedStaff {
  staff_id: string;
  name: string | null;
  team: string;
}

interface Candidate {
  id: string;
  name: string | null;
  team: string | null;
  store: string | null;
}

/** The employee a comment names, if exactly one fits (the agent the answer is about wins a tie). */
export async function findNamedStaff(db: Queryable, text: string, listed: readonly StaffEntry[], aboutAgent: string | null): Promise<NamedStaff | null> {
  const directory = await db.query(`SELECT staff_id, name, team, CASE WHEN seq IS NULL THEN site END AS store FROM staff`);
  const candidates = new Map<string, Candidate>();
  for (const s of listed) candidates.set(s.id, { id: s.id, name: s.name, team: s.team, store: s.store });
  for (const r of directory) {
    const id = String(r.staff_id);
    if (!candidates.has(id)) candidates.set(id, { id, name: str(r.name), team: str(r.team), store: str(r.store) });
  }
  const words = new Set(text.toLowerCase().match(/[\p{L}\p{N}][\p{L}\p{N}'’-]*/gu) ?? []);
  const firstWord = (name: string): string => name.trim().split(/\s+/)[0]!.toLowerCase();

  // Ids typed as they are ("AG-07") are matched against every agent in the data.
  const idHits = [...text.matchAll(/\b[A-Za-z]{1,4}-?\d{1,5}\b/g)].map((m) => m[0].toUpperCase());
  if (idHits.length > 0) {
    const rows = await db.query(
      `SELECT DISTINCT agent_id FROM interactions WHERE upper(agent_id) IN (${idHits.map((_, i) => `$${i + 1}`).join(', ')})`,
      idHits,
    );
    for (const r of rows) {
      const id = String(r.agent_id);
      if (!candidates.has(id)) candidates.set(id, { id, name: null, team: null, store: null });
    }
  }
  let hits = [...candidates.values()].filter((c) => idHits.includes(c.id.toUpperCase()) || (c.name !== null && words.has(firstWord(c.name))));
  if (hits.length === 0) {
    // Names agents gave in chat transcripts: "Agent (Maria): Happy to help".
    const names = [...words].filter((w) => /^\p{L}{2,}$/u.test(w));
    if (names.length === 0) return null;
    const rows = await db.query(
      `SELECT agent_id, text FROM interactions WHERE agent_id IS NOT NULL AND text LIKE '%Agent (%' AND (${names
        .map((_, i) => `lower(text) LIKE $${i + 1}`)
        .join(' OR ')}) LIMIT 200`,
      names.map((n) => `%agent (${n})%`),
    );
    for (const r of rows) {
      const m = /Agent \(([^)]+)\)/.exec(String(r.text));
      if (m === null || !words.has(firstWord(m[1]!))) continue;
      const id = String(r.agent_id);
      if (!hits.some((h) => h.id === id)) hits.push(candidates.get(id) ?? { id, name: m[1]!, team: null, store: null });
    }
  }
  if (hits.length > 1 && aboutAgent !== null) hits = hits.filter((h) => h.id === aboutAgent).concat(hits.filter((h) => h.id !== aboutAgent)).slice(0, 1);
  if (hits.length !== 1) return null;
  const hit = hits[0]!;
  return { staff_id: hit.id, name: hit.name, team: await teamOf(db, hit) };
}

/** An employee's team: from the directory, else the stores team or the queue of the channel they work most. */
async function teamOf(db: Queryable, c: Candidate): Promise<string> {
  if (c.team !== null) return c.team;
  if (c.store !== null) return `store:${c.store}`;
  const [row] = await db.query(`SELECT channel, count(*) AS n FROM interactions WHERE agent_id = $1 GROUP BY channel ORDER BY n DESC, channel COLLATE "C" LIMIT 1`, [c.id]);
  if (row === undefined) return 'cx-team';
  return String(row.channel) === 'store' ? 'stores' : `queue:${String(row.channel)}`;
}

function str(v: unknown): string | null {
  return v === null || v === undefined || v === '' ? null : String(v);
}

export async function recordPraise(
  db: Queryable,
  p: { staff: NamedStaff; ts: number; customerKey: string; responseId: string | null; sessionId: string | null; text: string },
): Promise<string> {
  const id = 'PR-' + createHash('sha1').update(`${p.staff.staff_id}|${p.responseId ?? p.sessionId ?? p.ts}`).digest('hex').slice(0, 10).toUpperCase();
  await db.exec(`DELETE FROM praise WHERE praise_id = $1`, [id]);
  await db.exec(
    `INSERT INTO praise (praise_id, ts, staff_id, team, customer_key, response_id, session_id, text) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [id, p.ts, p.staff.staff_id, p.staff.team, p.customerKey, p.responseId, p.sessionId, p.text],
  );
  return id;
}

export interface PraiseDoc {
  praise_id: string;
  ts: string;
  /** The employee praised; null when the comment praises service but names no one and rates no contact with an agent. */
  staff_id: string | null;
  team: string;
  customer_key: string | null;
  response_id: string | null;
  text: string | null;
  /** `survey` (named in a Throughline survey) or `comment` (a comment the topics read as agent praise). */
  source: 'survey' | 'comment';
}

/** The topic whose comments are praise (docs/feedback.md, "Topics"). */
export const PRAISE_TOPIC = 'agent_praise';

/**
 * Praise by team, newest first: what customers said of a named employee in a survey, and every
 * comment the topic analysis reads as agent praise, so `feedback praise` and `feedback topics`
 * count the same comments. A praising comment is credited to the employee the answer is about
 * (its `agent_id`, else its interaction's), whose team comes from the staff directory, else the
 * queue of the interaction's channel, else `cx-team`.
 */
export async function listPraise(db: Queryable, filter: { team?: string | undefined } = {}): Promise<PraiseDoc[]> {
  await analyseComments(db, DEFAULT_TAXONOMY);
  const params: (string | null)[] = [taxonomyId(DEFAULT_TAXONOMY), `%,${PRAISE_TOPIC},%`];
  if (filter.team !== undefined) params.push(filter.team);
  const rows = await db.query(
    `SELECT * FROM (
       SELECT praise_id, ts, staff_id, team, customer_key, response_id, text, 'survey' AS source FROM praise
       UNION ALL
       SELECT 'PC-' || f.response_id, f.ts, coalesce(f.agent_id, i.agent_id),
         coalesce(st.team, CASE WHEN st.site IS NOT NULL THEN 'store:' || st.site WHEN i.channel = 'store' THEN 'stores'
           WHEN i.channel IS NOT NULL AND coalesce(f.agent_id, i.agent_id) IS NOT NULL THEN 'queue:' || i.channel ELSE 'cx-team' END),
         f.customer_key, f.response_id, f.comment, 'comment'
       FROM feedback f
       JOIN comment_analysis a ON a.response_id = f.response_id AND a.taxonomy = $1
       LEFT JOIN interactions i ON i.event_id = f.event_id
       LEFT JOIN staff st ON st.staff_id = coalesce(f.agent_id, i.agent_id)
       WHERE (',' || a.topics || ',') LIKE $2
         AND NOT EXISTS (SELECT 1 FROM praise p WHERE p.response_id = f.response_id)
     ) x ${filter.team === undefined ? '' : 'WHERE team = $3'}
     ORDER BY ts DESC, praise_id COLLATE "C"`,
    params,
  );
  return rows.map((r) => ({
    praise_id: String(r.praise_id),
    ts: new Date(Number(r.ts)).toISOString(),
    staff_id: str(r.staff_id),
    team: String(r.team),
    customer_key: str(r.customer_key),
    response_id: str(r.response_id),
    text: str(r.text),
    source: r.source === 'survey' ? 'survey' : 'comment',
  }));
}

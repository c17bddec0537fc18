/**
 * The one definition of a journey (docs/journeys.md), as SQL over the stored interactions:
 * a customer's inbound interactions toward one intent, in time order (input order on equal
 * times), split where the gap between consecutive events exceeds the inactivity window. An
 * explicit journey_id (an XES trace, a case id) overrides sessionisation. Outbound contacts are
 * not steps. Only what the temp tables `affected` and `affected_pairs` name is rebuilt.
 */
import { ASSISTED_CHANNELS, DIGITAL_CHANNELS, FAILED_OUTCOMES } from '../core/records.ts';
import type { Queryable } from '../store/store.ts';

export const DEFAULT_JOURNEY_WINDOW_MS = 7 * 24 * 3600 * 1000;

/** How long after a digital journey starts an assisted contact still counts against containment. */
export const CONTAINMENT_WINDOW_MS = 24 * 3600 * 1000;

const sqlList = (values: ReadonlySet<string>): string => [...values].map((v) => `'${v}'`).join(', ');

/** The channels in which a person served the customer, as a SQL list: `'call', 'chat', 'store'`. */
export const ASSISTED_SQL = sqlList(ASSISTED_CHANNELS);
/** The outcomes that mean a step did not do its job, as a SQL list. */
export const FAILED_SQL = sqlList(FAILED_OUTCOMES);
/** The self-service channels a journey can be contained in: `'web', 'app', 'ivr'`. */
export const DIGITAL_SQL = sqlList(DIGITAL_CHANNELS);

/**
 * Containment of the journey aliased `j` (docs/journeys.md): NULL unless it started in a digital
 * channel; TRUE when the same customer made no inbound assisted contact, in any journey, from the
 * journey's start to 24 hours later. It depends only on that customer's events, so rebuilding a
 * customer's journeys keeps it right.
 */
export function containedSql(j: string): string {
  return `CASE WHEN ${j}.first_channel IN (${DIGITAL_SQL}) THEN NOT EXISTS (
      SELECT 1 FROM interactions a
      WHERE a.customer_key = ${j}.customer_key AND a.direction = 'inbound' AND a.channel IN (${ASSISTED_SQL})
        AND a.ts >= ${j}.start_ts AND a.ts <= ${j}.start_ts + ${CONTAINMENT_WINDOW_MS}) END`;
}

/** Customer effort of a journey's steps aliased `i`: the seconds spent in them and waiting; NULL when no step says. */
export const EFFORT_SQL = `CASE WHEN count(i.duration_s) + count(i.wait_s) = 0 THEN NULL
    ELSE sum(coalesce(i.duration_s, 0) + coalesce(i.wait_s, 0)) END`;

/** Outcome of a journey from its last step: see docs/journeys.md. */
export const JOURNEY_OUTCOME_SQL = `CASE
    WHEN last_outcome = 'abandoned' THEN 'abandoned'
    WHEN last_outcome IN ('failure', 'transferred') THEN 'unresolved'
    ELSE 'resolved' END`;

/**
 * A journey's figures that add up over its steps (aliased `i`, with their step columns): the
 * rebuild takes them over all steps, the append path over the new ones and adds them to the
 * stored row, so both derive them from this one list.
 */
const STEP_TOTALS_SQL = `min(CASE WHEN next_ts IS NULL THEN channel END) AS last_channel,
  sum(CASE WHEN prev_channel IS NOT NULL AND prev_channel <> channel THEN 1 ELSE 0 END) AS channel_switches,
  sum(CASE WHEN channel IN (${ASSISTED_SQL}) THEN 1 ELSE 0 END) AS assisted,
  sum(CASE WHEN outcome IN (${FAILED_SQL}) THEN 1 ELSE 0 END) AS failures,
  min(CASE WHEN next_ts IS NULL THEN outcome END) AS last_outcome,
  ${EFFORT_SQL} AS effort_s`;

/** Separates steps in a journey's stored `path`. */
export const PATH_STEP_SEP = '\u001f';
/** Separates a step's channel from its activity in a journey's stored `path`. */
export const PATH_PART_SEP = '\u001e';

type StringAgg = (e: string, sep: string, order: string) => string;

/**
 * `since` in `affected` and `affected_pairs` for a customer whose whole history is rebuilt (their
 * records changed customer key); otherwise `since` is the time of their earliest new event.
 */
export const WHOLE_HISTORY = Number.MIN_SAFE_INTEGER;

/**
 * Which of the affected customers' journeys are rebuilt, into the temp table
 * `jscope(customer_key, intent, from_ts)`: for each customer and intent, every inbound event at
 * or after `from_ts`, and every journey that starts there or later. Journeys that ended well
 * before the earliest new event cannot change, and a merge of the collector's newest events
 * would otherwise re-sessionise each customer's whole history toward that intent.
 *
 * Why it is exact: sessionisation breaks where consecutive events are more than `windowMs`
 * apart, so a journey that ended more than `windowMs` before the earliest new event keeps its
 * events, its first event and so its id; and containment looks 24 hours past a journey's start,
 * so a new assisted contact changes no journey that started more than 24 hours before it.
 * `bound` is the earliest new event less the larger of the two, and `from_ts` moves back to the
 * start of the journey that `bound` falls in (or that ends after it), so no journey is cut in
 * two. Explicit journeys (a journey_id in the data) are rebuilt whole when any of their events
 * is (rebuildJourneys' `jsteps`).
 *
 * Customer-level entries (`affected`: a new inbound assisted contact, a changed key) cover every
 * intent the customer has events or journeys toward; pairs (`affected_pairs`) their own intent.
 */
function scopeStatements(windowMs: number, incoming: string | null): string[] {
  const reach = Math.max(Math.floor(windowMs), CONTAINMENT_WINDOW_MS);
  return [
    `DROP TABLE IF EXISTS jscope`,
    `CREATE TEMP TABLE jscope AS
    WITH wanted AS (
      SELECT customer_key, intent, since FROM affected_pairs
      UNION ALL
      ${overEvents(
        (events) => `SELECT e.customer_key, e.intent, a.since
      FROM ${events} e JOIN affected a ON a.customer_key = e.customer_key
      WHERE e.direction = 'inbound'`,
        incoming,
      )}
      UNION ALL
      SELECT j.customer_key, j.intent, a.since FROM journeys j JOIN affected a ON a.customer_key = j.customer_key
    ), bounds AS (
      SELECT customer_key, intent,
        CASE WHEN min(since) = ${WHOLE_HISTORY} THEN ${WHOLE_HISTORY} ELSE min(since) - ${reach} END AS bound
      FROM wanted GROUP BY customer_key, intent
    )
    SELECT b.customer_key, b.intent, least(b.bound, coalesce(min(j.start_ts), b.bound)) AS from_ts
    FROM bounds b LEFT JOIN journeys j
      ON j.customer_key = b.customer_key AND j.intent = b.intent AND NOT j.explicit AND j.end_ts >= b.bound
    GROUP BY b.customer_key, b.intent, b.bound`,
  ];
}

/** The id of an implicit journey: its customer, intent and first event (`first_event`, an event_id column). */
function journeyIdSql(firstEvent: string): string {
  return `'j-' || substr(md5(customer_key || '|' || intent || '|' || ${firstEvent}), 1, 16)`;
}

/** Which slice of journey rows a step goes in (see rebuildJourneys): whole journeys, by the last characters of their id. */
const BUCKET_SQL = `ascii(right(journey_id, 1)) + 7 * ascii(left(right(journey_id, 2), 1))`;

/**
 * The append path: a customer's new steps toward an intent that all come after the last step
 * stored toward it (the collector's usual case: events arrive in time order) leave every stored
 * journey as it was, but for the last one, which they may extend. Sessionisation of the new
 * events needs only the time of that last step, so they are numbered and linked from it, the
 * last journey's row is updated by what they add, and no stored step is read again. Without
 * it each merge re-read every step of its customers' open journeys, and a merge's cost grew
 * with how long they had been open (bench:server: 1.5 s to 3.3 s per 100,000 events over a
 * million events toward 25,000 open journeys).
 *
 * A pair takes this path when its customer needs no wider rebuild (not in `affected`: no new
 * inbound assisted contact, so no containment changes, and no key change), none of its new
 * inbound events names an explicit journey, and the earliest is no earlier than the end of its
 * latest implicit journey (new events have higher seq, so an equal time still comes after).
 * Those pairs (`jappend`, with their latest journey's figures) leave `jscope`; their steps go in
 * `jappsteps` (`extends`: of a stored journey, continued at step `base_steps` + 1), which
 * stepStatements and extendStatements write. A pair with no journey yet has nothing to re-read:
 * it stays on the wide path, so a first import is built as before, in slices (rebuildJourneys).
 *
 * The path has a cost of its own: four statements that scan `journeys` or `interactions` (on
 * DuckDB, without an index), about 40 ms on a 1M-event store, which a merge that would re-read
 * few stored steps does not win back (1,000-event merges were 60-80 ms slower with it). So it
 * is taken only when the journeys it would extend hold `appendFromSteps` stored steps or more
 * (APPEND_FROM_STEPS): re-reading a stored step cost about 1.8 µs (bench:server's merges grew
 * by 1.8 s per million), so 20,000 of them are about what the path costs.
 */
function appendPlanStatements(incoming: string): string[] {
  return [
    `DROP TABLE IF EXISTS jappend`,
    `CREATE TEMP TABLE jappend AS
    WITH explicit AS (
      SELECT DISTINCT customer_key, intent FROM ${incoming} WHERE direction = 'inbound' AND journey_ref IS NOT NULL
    ), pairs AS (
      -- A pair's since is no later than its earliest new inbound step (rebuildJourneys).
      SELECT f.customer_key, f.intent, f.since AS first_ts FROM affected_pairs f
      WHERE NOT EXISTS (SELECT 1 FROM affected a WHERE a.customer_key = f.customer_key)
        AND NOT EXISTS (SELECT 1 FROM explicit x WHERE x.customer_key = f.customer_key AND x.intent = f.intent)
    ), latest AS (
      -- One scan of journeys: each pair's implicit journeys, the latest first.
      SELECT j.customer_key, j.intent, j.end_ts, j.journey_id, j.steps, j.last_channel, j.channels, p.first_ts,
        row_number() OVER (PARTITION BY j.customer_key, j.intent ORDER BY j.end_ts DESC, j.journey_id) AS r
      FROM journeys j JOIN pairs p ON p.customer_key = j.customer_key AND p.intent = j.intent
      WHERE NOT j.explicit
    )
    SELECT customer_key, intent, end_ts AS last_ts, journey_id AS last_journey, steps AS last_steps, last_channel, channels AS last_channels
    FROM latest WHERE r = 1 AND first_ts >= end_ts`,
  ];
}

/** The append path's steps, for the pairs in `jappend`, which leave `jscope` (see appendPlanStatements). */
function appendStepStatements(windowMs: number, incoming: string): string[] {
  const gap = Math.floor(windowMs);
  return [
    `DELETE FROM jscope WHERE EXISTS (SELECT 1 FROM jappend a WHERE a.customer_key = jscope.customer_key AND a.intent = jscope.intent)`,
    `DROP TABLE IF EXISTS jappsteps`,
    `CREATE TEMP TABLE jappsteps AS
    WITH ev AS (
      SELECT n.event_id, n.seq, n.ts, n.customer_key, n.intent, n.channel, n.activity, n.outcome, n.duration_s, n.wait_s,
        a.last_ts, a.last_journey, a.last_steps, a.last_channel
      FROM ${incoming} n JOIN jappend a ON a.customer_key = n.customer_key AND a.intent = n.intent
      WHERE n.direction = 'inbound'
    ), s AS (
      SELECT ev.*,
        CASE WHEN lag(ts) OVER w IS NULL THEN (CASE WHEN ts - last_ts > ${gap} THEN 1 ELSE 0 END)
          WHEN ts - lag(ts) OVER w > ${gap} THEN 1 ELSE 0 END AS brk
      FROM ev
      WINDOW w AS (PARTITION BY customer_key, intent ORDER BY ts, seq)
    ), g AS (
      SELECT s.*, sum(brk) OVER (PARTITION BY customer_key, intent ORDER BY ts, seq ROWS UNBOUNDED PRECEDING) AS grp
      FROM s
    ), f AS (
      -- A journey here is a pair's group (grp 0 continues the stored one): one window serves all.
      SELECT CASE WHEN grp = 0 THEN last_journey ELSE ${journeyIdSql('first_value(event_id) OVER j')} END AS journey_id,
        customer_key, intent, CAST(NULL AS TEXT) AS journey_ref, ts, seq, channel, activity, outcome, duration_s, wait_s,
        true AS is_new,
        CASE WHEN grp = 0 THEN last_steps ELSE 0 END + row_number() OVER j AS step_no,
        lead(ts) OVER j AS next_ts, lead(channel) OVER j AS next_channel, lead(activity) OVER j AS next_activity,
        coalesce(lag(channel) OVER j, CASE WHEN grp = 0 THEN last_channel END) AS prev_channel,
        grp = 0 AS extends, CASE WHEN grp = 0 THEN last_steps ELSE 0 END AS base_steps
      FROM g
      WINDOW j AS (PARTITION BY customer_key, intent, grp ORDER BY ts, seq)
    )
    SELECT f.*, ${BUCKET_SQL} AS bucket FROM f`,
  ];
}

/**
 * Stored journeys that the append path extends (`jappsteps` with `extends`): their last stored
 * step gets its next step, and their row adds what the new steps bring, each figure as
 * journeyRowsSql derives it from all the steps. Containment is left as it is: it depends on the
 * journey's start and on assisted contacts, and a new assisted contact takes the wide path.
 */
function extendStatements(stringAgg: StringAgg): string[] {
  return [
    `UPDATE interactions SET next_ts = x.ts, next_channel = x.channel, next_activity = x.activity
    FROM (SELECT journey_id, base_steps, ts, channel, activity FROM jappsteps WHERE extends AND step_no = base_steps + 1) x
    WHERE interactions.journey_id = x.journey_id AND interactions.step_no = x.base_steps`,
    `UPDATE journeys SET end_ts = x.end_ts, steps = journeys.steps + x.steps, last_channel = x.last_channel,
      channels = journeys.channels || coalesce(',' || c.added, ''),
      channel_switches = journeys.channel_switches + x.channel_switches, assisted = journeys.assisted + x.assisted,
      failures = journeys.failures + x.failures, last_outcome = x.last_outcome, outcome = x.outcome,
      effort_s = CASE WHEN journeys.effort_s IS NULL AND x.effort_s IS NULL THEN NULL ELSE coalesce(journeys.effort_s, 0) + coalesce(x.effort_s, 0) END,
      path = journeys.path || '${PATH_STEP_SEP}' || x.path
    FROM (
      SELECT t.*, ${JOURNEY_OUTCOME_SQL} AS outcome FROM (
        SELECT journey_id, max(ts) AS end_ts, count(*) AS steps, ${STEP_TOTALS_SQL},
          ${stringAgg(`channel || '${PATH_PART_SEP}' || activity`, PATH_STEP_SEP, 'step_no')} AS path
        FROM jappsteps i WHERE extends GROUP BY journey_id
      ) t
    ) x
    LEFT JOIN (
      -- Channels not used before, in order of first use.
      SELECT journey_id, ${stringAgg('channel', ',', 'first_step')} AS added
      FROM (
        SELECT s.journey_id, s.channel, min(s.step_no) AS first_step
        FROM jappsteps s JOIN jappend a ON a.last_journey = s.journey_id
        WHERE s.extends AND position(',' || s.channel || ',' IN ',' || a.last_channels || ',') = 0
        GROUP BY s.journey_id, s.channel
      ) u
      GROUP BY journey_id
    ) c ON c.journey_id = x.journey_id
    WHERE journeys.journey_id = x.journey_id`,
  ];
}

/**
 * `select(events)` over the interactions a rebuild reads: the stored ones, and the incoming ones
 * when an import has not inserted them yet (`incoming` names that table; see rebuildJourneys).
 * Each table is joined on its own, not their union: PostgreSQL cannot look a union up by index,
 * so a merge join over it read every stored event in customer order (on a 1M-event store, 2.7 s
 * of a 5,000-event collector merge's 4.6 s, growing with the store).
 */
function overEvents(select: (events: string) => string, incoming: string | null): string {
  return incoming === null ? select('interactions') : `${select('interactions')}\n      UNION ALL\n      ${select(incoming)}`;
}

/**
 * Sessionisation of the affected customers' (and customer-intent pairs') inbound events into the
 * temp table `jassign(seq, journey_id)`.
 */
function assignStatements(windowMs: number, incoming: string | null): string[] {
  return [
    `DROP TABLE IF EXISTS jassign`,
    `CREATE TEMP TABLE jassign AS
    WITH ev AS (
      ${overEvents(
        (events) => `SELECT e.event_id, e.seq, e.ts, e.customer_key, e.intent, e.journey_ref
      FROM ${events} e JOIN jscope r ON r.customer_key = e.customer_key AND r.intent = e.intent
      WHERE e.direction = 'inbound' AND e.ts >= r.from_ts`,
        incoming,
      )}
    ), s AS (
      SELECT event_id, seq, ts, customer_key, intent,
        CASE WHEN lag(ts) OVER w IS NULL OR ts - lag(ts) OVER w > ${Math.floor(windowMs)} THEN 1 ELSE 0 END AS brk
      FROM ev WHERE journey_ref IS NULL
      WINDOW w AS (PARTITION BY customer_key, intent ORDER BY ts, seq)
    ), g AS (
      SELECT event_id, seq, ts, customer_key, intent,
        sum(brk) OVER (PARTITION BY customer_key, intent ORDER BY ts, seq ROWS UNBOUNDED PRECEDING) AS grp
      FROM s
    ), f AS (
      SELECT event_id, seq, customer_key, intent,
        first_value(event_id) OVER (PARTITION BY customer_key, intent, grp ORDER BY ts, seq) AS first_event
      FROM g
    )
    SELECT seq, ${journeyIdSql('first_event')} AS journey_id FROM f
    UNION ALL
    SELECT seq, journey_ref AS journey_id FROM ev WHERE journey_ref IS NOT NULL`,
  ];
}

/**
 * Given `jassign` (the new journey of some events) and `jscope` (whose journeys from when on
 * go), writes every touched journey: each step's position and its next step on the event
 * (what the map and variants read, so they need no sort at query time), and the journey row.
 * A touched journey is re-derived from all its events, including other customers' events in a
 * shared explicit journey.
 */
function applyStatements(stringAgg: StringAgg): string[] {
  return [...stepStatements(null), journeyRowsSql(stringAgg, 'jsteps'), `DROP TABLE jsteps`];
}

/** The step columns of an interaction: where it stands in its journey and what follows it. */
const STEP_COLUMNS = ['journey_id', 'step_no', 'next_ts', 'next_channel', 'next_activity'] as const;

/**
 * The steps of the touched journeys into `jsteps`, their old rows deleted, the step columns of
 * stored events updated where they changed, and the incoming events (if any) inserted with
 * theirs. Incoming events are never written twice: updating ten million rows inserted in the same
 * transaction ran DuckDB out of memory, and cost a tenth of a large import besides.
 */
function stepStatements(incoming: { table: string; columns: readonly string[] } | null, appended = false): string[] {
  // Stored events newly assigned, then the other stored events of the journeys they join: two
  // joins, not one over an OR of both, which PostgreSQL could answer only by reading every
  // stored event (0.7 s of a 1,000-event merge into a 1M-event store).
  const storedCols = `i.customer_key, i.intent, i.journey_ref, i.ts, i.seq, i.channel, i.activity, i.outcome, i.duration_s, i.wait_s, false AS is_new`;
  const stored = `SELECT a.journey_id, ${storedCols}
      FROM interactions i JOIN jassign a ON a.seq = i.seq
      UNION ALL
      SELECT i.journey_id, ${storedCols}
      FROM interactions i JOIN (SELECT DISTINCT journey_id FROM jassign) j ON j.journey_id = i.journey_id
      WHERE NOT EXISTS (SELECT 1 FROM jassign a WHERE a.seq = i.seq)`;
  const fresh =
    incoming === null
      ? ''
      : `UNION ALL
      SELECT a.journey_id, n.customer_key, n.intent, n.journey_ref,
        n.ts, n.seq, n.channel, n.activity, n.outcome, n.duration_s, n.wait_s, true AS is_new
      FROM ${incoming.table} n JOIN jassign a ON a.seq = n.seq`;
  return [
    `DROP TABLE IF EXISTS jsteps`,
    `CREATE TEMP TABLE jsteps AS
    SELECT e.*,
      row_number() OVER w AS step_no,
      lead(e.ts) OVER w AS next_ts, lead(e.channel) OVER w AS next_channel, lead(e.activity) OVER w AS next_activity,
      lag(e.channel) OVER w AS prev_channel,
      -- Computed once here rather than in every slice's scan.
      ${BUCKET_SQL} AS bucket
    FROM (
      ${stored}
      ${fresh}
    ) e
    WINDOW w AS (PARTITION BY e.journey_id ORDER BY e.ts, e.seq)
    ${appended ? `UNION ALL SELECT ${APPENDED_STEP_COLUMNS} FROM jappsteps WHERE NOT extends` : ''}`,
    // Joins, not a correlated EXISTS: 0.4 s to under 0.1 s in a merge of 100,000 events (bench/merge.ts).
    // One IN over a union, not an OR of two: PostgreSQL checks an OR'd IN row by row against a
    // list it can no longer hash once it outgrows work_mem, which a collector merge into a 200k
    // store turned into a DELETE of 13 minutes and counting (bench:server --store postgres).
    `DELETE FROM journeys WHERE journey_id IN (
      SELECT journey_id FROM jsteps
      UNION
      SELECT j.journey_id FROM journeys j JOIN jscope r ON r.customer_key = j.customer_key AND r.intent = j.intent
      WHERE NOT j.explicit AND j.start_ts >= r.from_ts)`,
    // Only rows whose journey or position changed are written: a customer's new event rewrites
    // that customer's journey, not the store.
    `UPDATE interactions SET ${STEP_COLUMNS.map((c) => `${c} = s.${c}`).join(', ')}
    FROM jsteps s
    WHERE NOT s.is_new AND interactions.seq = s.seq
      AND (${STEP_COLUMNS.map((c) => `interactions.${c} IS DISTINCT FROM s.${c}`).join(' OR ')})`,
    ...(incoming === null
      ? []
      : [
          // Outbound events are no journey's steps: they go in with empty step columns.
          `INSERT INTO interactions (${incoming.columns.join(', ')}, ${STEP_COLUMNS.join(', ')})
          SELECT ${incoming.columns.map((c) => `n.${c}`).join(', ')}, ${STEP_COLUMNS.map((c) => `s.${c}`).join(', ')}
          FROM ${incoming.table} n LEFT JOIN (
            SELECT seq, ${STEP_COLUMNS.join(', ')} FROM jsteps WHERE is_new
            ${appended ? `UNION ALL SELECT seq, ${STEP_COLUMNS.join(', ')} FROM jappsteps WHERE extends` : ''}
          ) s ON s.seq = n.seq`,
        ]),
  ];
}

/** The columns of jsteps, in order, as `jappsteps` holds them. */
const APPENDED_STEP_COLUMNS =
  'journey_id, customer_key, intent, journey_ref, ts, seq, channel, activity, outcome, duration_s, wait_s, is_new, step_no, next_ts, next_channel, next_activity, prev_channel, bucket';

/**
 * The journey rows of the steps in table `steps` (jsteps, or a slice of it). Ordered aggregation
 * is by far the dearest part of a rebuild, so it runs only where order matters: the path of
 * journeys with more than one step, the channels of journeys that used more than one. A one-step
 * journey's path is its step; a one-channel journey's channels, its channel.
 */
function journeyRowsSql(stringAgg: StringAgg, steps: string): string {
  return `INSERT INTO journeys (journey_id, customer_key, intent, explicit, start_ts, end_ts, first_seq, steps,
      first_channel, last_channel, channels, channel_switches, assisted, failures, last_outcome, outcome, effort_s, path, contained)
    SELECT j.journey_id, customer_key, intent, explicit, start_ts, end_ts, first_seq, steps,
      first_channel, last_channel, coalesce(c.channels, j.first_channel), channel_switches, assisted, failures, last_outcome,
      ${JOURNEY_OUTCOME_SQL}, effort_s, coalesce(p.path, j.first_step), ${containedSql('j')}
    FROM (
      SELECT journey_id,
        min(CASE WHEN step_no = 1 THEN customer_key END) AS customer_key,
        min(CASE WHEN step_no = 1 THEN intent END) AS intent,
        bool_or(journey_ref IS NOT NULL) AS explicit,
        min(ts) AS start_ts, max(ts) AS end_ts, min(seq) AS first_seq, count(*) AS steps,
        min(CASE WHEN step_no = 1 THEN channel END) AS first_channel,
        min(CASE WHEN step_no = 1 THEN channel || '${PATH_PART_SEP}' || activity END) AS first_step,
        ${STEP_TOTALS_SQL}
      FROM ${steps} i
      GROUP BY journey_id
    ) j
    LEFT JOIN (
      SELECT journey_id, ${stringAgg(`channel || '${PATH_PART_SEP}' || activity`, PATH_STEP_SEP, 'step_no')} AS path
      FROM ${steps} WHERE NOT (step_no = 1 AND next_ts IS NULL)
      GROUP BY journey_id
    ) p ON p.journey_id = j.journey_id
    LEFT JOIN (
      SELECT journey_id, ${stringAgg('channel', ',', 'first_step')} AS channels
      FROM (
        SELECT journey_id, channel, min(step_no) AS first_step FROM ${steps}
        WHERE journey_id IN (SELECT journey_id FROM ${steps} WHERE prev_channel <> channel)
        GROUP BY journey_id, channel
      ) u
      GROUP BY journey_id
    ) c ON c.journey_id = j.journey_id`;
}

/** Interactions an import brings, in a table of their own, not inserted yet: see rebuildJourneys. */
export interface Incoming {
  readonly table: string;
  /** Its columns: every column of `interactions` but the step columns. */
  readonly columns: readonly string[];
}

export interface RebuildOptions {
  /** New interactions to insert, with their step columns, as part of the rebuild. */
  readonly incoming?: Incoming;
  /** Steps per slice of journey rows (tests make it small). */
  readonly sliceSteps?: number;
  /** Stored steps from which open journeys are extended in place (appendPlanStatements; tests make it 0). */
  readonly appendFromSteps?: number;
}

/** See appendPlanStatements. */
export const APPEND_FROM_STEPS = 20_000;

/** How an import sessionises: the inactivity window, and RebuildOptions.appendFromSteps. */
export interface JourneySettings {
  readonly windowMs: number;
  readonly appendFromSteps?: number;
}

/**
 * Rebuilds the journeys of the customers listed in the temp table `affected(customer_key, since)`,
 * and of the customers toward the intents listed in `affected_pairs(customer_key, intent, since)`,
 * and of those only their journeys from shortly before `since` on (scopeStatements): the cost of
 * an import follows what it touched, not the size of the store. A pair is
 * enough for a customer's new step unless it can change their other journeys: an inbound
 * assisted contact (containment looks at every intent) or a change of customer key. Incoming
 * interactions are inserted here, before the journey rows that read them (containment).
 */
export async function rebuildJourneys(tx: Queryable, windowMs: number, stringAgg: StringAgg, options: RebuildOptions = {}): Promise<void> {
  const incoming = options.incoming ?? null;
  for (const sql of scopeStatements(windowMs, incoming?.table ?? null)) await tx.exec(sql);
  // Into an empty store (a first import) nothing can be extended: the append path is not even planned.
  let appended = incoming !== null && (await tx.query(`SELECT 1 AS x FROM journeys LIMIT 1`)).length > 0;
  if (incoming !== null && appended) {
    for (const sql of appendPlanStatements(incoming.table)) await tx.exec(sql);
    const [planned] = await tx.query(`SELECT coalesce(sum(last_steps), 0) AS n FROM jappend`);
    appended = Number(planned?.n ?? 0) >= (options.appendFromSteps ?? APPEND_FROM_STEPS);
    if (appended) for (const sql of appendStepStatements(windowMs, incoming.table)) await tx.exec(sql);
    else await tx.exec(`DROP TABLE jappend`);
  }
  const statements = [
    ...assignStatements(windowMs, incoming?.table ?? null),
    ...(appended ? extendStatements(stringAgg) : []),
    ...stepStatements(incoming, appended),
  ];
  for (const sql of statements) await tx.exec(sql);
  // The ordered aggregates that make paths cannot spill to disk in DuckDB: over the ten million
  // steps of a large first import they ran out of its memory limit. Whole journeys go in slices
  // of about a million steps, each journey in exactly one (by its `bucket`).
  const [counted] = await tx.query(`SELECT count(*) AS n FROM jsteps`);
  const slices = Math.ceil(Number(counted?.n ?? 0) / (options.sliceSteps ?? JOURNEY_SLICE_STEPS));
  if (slices <= 1) {
    await tx.exec(journeyRowsSql(stringAgg, 'jsteps'));
  } else {
    for (let i = 0; i < slices; i++) {
      await tx.exec(`DROP TABLE IF EXISTS jslice`);
      // Only the columns the journey rows read: a slice is written once and read four times.
      await tx.exec(`CREATE TEMP TABLE jslice AS SELECT ${SLICE_COLUMNS} FROM jsteps WHERE bucket % ${slices} = ${i}`);
      await tx.exec(journeyRowsSql(stringAgg, 'jslice'));
      await tx.exec(`DROP TABLE jslice`);
    }
  }
  await tx.exec(`DROP TABLE jsteps`);
  await tx.exec(`DROP TABLE jassign`);
  await tx.exec(`DROP TABLE jscope`);
  if (appended) {
    await tx.exec(`DROP TABLE jappsteps`);
    await tx.exec(`DROP TABLE jappend`);
  }
}

/** The columns of jsteps that journeyRowsSql reads. */
const SLICE_COLUMNS = 'journey_id, customer_key, intent, journey_ref, ts, seq, channel, activity, outcome, duration_s, wait_s, step_no, next_ts, prev_channel';

/** Steps per slice of journey rows written at once (see rebuildJourneys): a 1M-event import writes all at once within DuckDB's default 768 MB. */
const JOURNEY_SLICE_STEPS = 1_000_000;

/**
 * Statements that re-derive every stored journey from its events without re-sessionising (the
 * journey ids stay as they are): for a schema migration that adds derived journey columns.
 */
export function rederiveAllJourneysStatements(stringAgg: StringAgg): string[] {
  return [
    `DROP TABLE IF EXISTS jscope`,
    `CREATE TEMP TABLE jscope (customer_key TEXT, intent TEXT, from_ts BIGINT)`,
    `DROP TABLE IF EXISTS jassign`,
    `CREATE TEMP TABLE jassign AS SELECT seq, journey_id FROM interactions WHERE journey_id IS NOT NULL`,
    ...applyStatements(stringAgg),
    `DROP TABLE jassign`,
    `DROP TABLE jscope`,
  ];
}

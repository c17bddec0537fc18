/**
 * Versioned schema migrations, shared by every dialect. A migration is a list of statements
 * built for a dialect; `applyMigrations` runs the ones a database has not seen, each in its own
 * transaction, and records them in `schema_migrations`. Never edit a released migration: add one.
 */
import { IDENTIFIER_TYPES } from '../../core/records.ts';
import { feedbackLoopStatements, messagesStatements } from '../../feedback/schema.ts';
import { insightStatements } from '../../insight/schema.ts';
import { rederiveAllJourneysStatements } from '../../journey/build.ts';
import { recordTableDdl, SUPPORT_TABLES, V1_KINDS } from '../schema.ts';
import type { Dialect, Queryable, SqlDialect, Store } from '../store.ts';
import { renormalizePhones } from './phones.ts';

export interface Migration {
  readonly version: number;
  readonly name: string;
  statements(dialect: Dialect): readonly string[];
  /** Work SQL alone cannot do (reading values again in code), run after the statements in the same transaction. */
  run?(tx: Queryable, sql: SqlDialect): Promise<void>;
}


export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'records, identity tuples, journeys',
    statements(dialect) {
      // The kinds of version 1, named: kinds added later come with their own migration.
      const out = [...V1_KINDS.map(recordTableDdl), ...SUPPORT_TABLES];
      if (dialect === 'postgres') {
        // DuckDB scans columns fast enough without indexes (and ART indexes cost memory on bulk
        // loads); PostgreSQL needs them for the id checks, lookups and per-customer rebuilds.
        out.push(
          `CREATE UNIQUE INDEX interactions_event_id ON interactions (event_id)`,
          `CREATE INDEX interactions_customer ON interactions (customer_key, intent, ts, seq)`,
          `CREATE INDEX interactions_tuple ON interactions (tuple_id)`,
          `CREATE UNIQUE INDEX feedback_response_id ON feedback (response_id)`,
          `CREATE INDEX feedback_customer ON feedback (customer_key)`,
          `CREATE UNIQUE INDEX promises_promise_id ON promises (promise_id)`,
          `CREATE UNIQUE INDEX profiles_profile_id ON profiles (profile_id)`,
          `CREATE UNIQUE INDEX holdings_holding_id ON holdings (holding_id)`,
          `CREATE UNIQUE INDEX consents_consent_id ON consents (consent_id)`,
          `CREATE UNIQUE INDEX id_tuples_key ON id_tuples (tuple_key)`,
          `CREATE UNIQUE INDEX journeys_id ON journeys (journey_id)`,
          `CREATE INDEX journeys_customer ON journeys (customer_key)`,
        );
      }
      return out;
    },
  },
  {
    version: 2,
    name: 'journey paths, effort and containment; step positions',
    statements(dialect) {
      return [
        ...(dialect === 'postgres' ? [`CREATE INDEX interactions_journey ON interactions (journey_id)`] : []),
        `ALTER TABLE journeys ADD COLUMN effort_s DOUBLE PRECISION`,
        `ALTER TABLE journeys ADD COLUMN path TEXT`,
        `ALTER TABLE journeys ADD COLUMN contained BOOLEAN`,
        // Each step's place in its journey and the step after it, so that the journey map and
        // variants read precomputed columns instead of sorting every event on every query.
        `ALTER TABLE interactions ADD COLUMN step_no INTEGER`,
        `ALTER TABLE interactions ADD COLUMN next_ts BIGINT`,
        `ALTER TABLE interactions ADD COLUMN next_channel TEXT`,
        `ALTER TABLE interactions ADD COLUMN next_activity TEXT`,
        // Journeys stored before this version get the new values from the same SQL a rebuild
        // runs (journey/build.ts); string_agg with ORDER BY is spelled alike in both dialects.
        ...rederiveAllJourneysStatements((e, sep, order) => `string_agg(${e}, '${sep}' ORDER BY ${order})`),
      ];
    },
  },
  {
    version: 3,
    name: 'feedback loop: surveys, survey tokens and sessions, cases, staff, praise, comment analysis',
    statements: (dialect) => feedbackLoopStatements(dialect),
  },
  {
    version: 4,
    name: 'real-time service: API keys, engagement decisions',
    statements(dialect) {
      const out = [
        // Only a salted hash of each key is kept (docs/security.md); the key itself is shown once.
        `CREATE TABLE api_keys (key_id TEXT PRIMARY KEY, name TEXT, role TEXT NOT NULL, salt TEXT NOT NULL, hash TEXT NOT NULL,
           created_at BIGINT NOT NULL, revoked_at BIGINT)`,
        // Every engagement-guard decision, so marketing can see why a contact was stopped (docs/engagement.md).
        `CREATE TABLE engagement_decisions (decision_id TEXT PRIMARY KEY, evaluation_id TEXT NOT NULL, evaluated_at BIGINT NOT NULL,
           customer_key TEXT NOT NULL, action_id TEXT NOT NULL, kind TEXT NOT NULL, product TEXT, channel TEXT NOT NULL,
           decision TEXT NOT NULL, final_channel TEXT, defer_until BIGINT, priority DOUBLE PRECISION NOT NULL,
           reasons TEXT NOT NULL, key_id TEXT)`,
      ];
      if (dialect === 'postgres') {
        out.push(
          `CREATE INDEX engagement_decisions_customer ON engagement_decisions (customer_key, evaluated_at)`,
          `CREATE INDEX engagement_decisions_time ON engagement_decisions (evaluated_at)`,
        );
      }
      return out;
    },
  },
  {
    version: 5,
    name: 'insight: the case each broken promise opened',
    statements: (dialect) => insightStatements(dialect),
  },
  {
    version: 6,
    name: 'PostgreSQL: indexes for collector merges and per-customer lookups',
    statements(dialect) {
      if (dialect !== 'postgres') return [];
      return [
        // Every merge finds its own records by sequence range (the customers whose journeys it
        // rebuilds, the answers that may open cases): without these, each collector batch scans
        // every stored event.
        `CREATE INDEX interactions_seq ON interactions (seq)`,
        `CREATE INDEX feedback_seq ON feedback (seq)`,
        // Stitching writes key changes by tuple id and re-keys the records of changed tuples.
        `CREATE UNIQUE INDEX id_tuples_id ON id_tuples (tuple_id)`,
        ...['feedback', 'profiles', 'holdings', 'promises', 'consents'].map((t) => `CREATE INDEX ${t}_tuple ON ${t} (tuple_id)`),
        // Live lookups while a customer is on the line: by key (context, summary, survey answers)
        // and by any identifier (`phone:5551234567`). Partial: most identifier cells are empty,
        // and every stitch rewrites tuples, so empty cells are not worth an index entry each.
        `CREATE INDEX id_tuples_customer ON id_tuples (customer_key)`,
        ...IDENTIFIER_TYPES.map((t) => `CREATE INDEX id_tuples_${t} ON id_tuples (${t}) WHERE ${t} IS NOT NULL`),
        ...['profiles', 'holdings', 'promises', 'consents'].map((t) => `CREATE INDEX ${t}_customer ON ${t} (customer_key)`),
        // Answers joined to the contact they rate (journey satisfaction, agents, cases).
        `CREATE INDEX feedback_event ON feedback (event_id)`,
      ];
    },
  },
  {
    version: 7,
    name: 'identity: the component of each identity tuple, so that a merge stitches only what it touches',
    statements(dialect) {
      return [
        // Left NULL here: the next merge resolves the whole graph once and fills it in
        // (src/identity/restitch.ts), so this migration stays instant on a large store.
        `ALTER TABLE id_tuples ADD COLUMN component_id BIGINT`,
        // Each merge loads the tuples of the components it touches. DuckDB finds them with a
        // scan (tens of milliseconds on a store of a million events); an index there would cost
        // every bulk load, as migration 1 notes.
        ...(dialect === 'postgres' ? [`CREATE INDEX id_tuples_component ON id_tuples (component_id)`] : []),
      ];
    },
  },
  {
    version: 8,
    name: 'collector: dead letters, the records a merge could not take, set aside so the rest merges',
    statements() {
      // `fields` is the record as JSON text (escaped, so any record can be kept); `journal` and
      // `position` say which journal line it came from.
      return [
        `CREATE TABLE dead_letters (letter_id TEXT PRIMARY KEY, journal TEXT NOT NULL, position BIGINT NOT NULL, kind TEXT NOT NULL, line INTEGER NOT NULL, fields TEXT NOT NULL, reason TEXT NOT NULL, set_aside_at BIGINT NOT NULL)`,
      ];
    },
  },
  {
    version: 9,
    name: 'identity: phone numbers in E.164, and the customers that joins',
    statements: () => [],
    run: (tx, sql) => renormalizePhones(tx, sql),
  },
  {
    version: 10,
    name: 'messages, their text analysis, and the terms that topics are discovered from',
    statements: (dialect) => messagesStatements(dialect),
  },
  {
    version: 11,
    name: 'staff directory and employee feedback as imported kinds',
    statements(dialect) {
      return [
        // The directory of migration 3 (filled from survey staff lists) becomes the `staff` kind's
        // table; its rows carry over with no seq, which marks them as not imported.
        `ALTER TABLE staff RENAME TO staff_v3`,
        recordTableDdl('staff'),
        `INSERT INTO staff (staff_id, name, team, site) SELECT staff_id, name, team, store FROM staff_v3`,
        `DROP TABLE staff_v3`,
        recordTableDdl('employee_feedback'),
        ...(dialect === 'postgres'
          ? [
              `CREATE UNIQUE INDEX staff_staff_id ON staff (staff_id)`,
              `CREATE UNIQUE INDEX employee_feedback_response_id ON employee_feedback (response_id)`,
              `CREATE INDEX employee_feedback_team ON employee_feedback (team)`,
            ]
          : []),
      ];
    },
  },
  {
    version: 12,
    name: 'security: the signing secret of SMS gateway keys',
    // The HMAC key a gateway signs its requests with (docs/security.md); NULL for other roles.
    statements: () => [`ALTER TABLE api_keys ADD COLUMN signing_secret TEXT`],
  },
  {
    version: 13,
    name: 'feedback: sentiment models learnt from scored comments, and which scorer read each comment',
    statements() {
      return [
        // One row per trained version; the latest reads texts that carry no score.
        `CREATE TABLE sentiment_models (version INTEGER PRIMARY KEY, trained_at BIGINT NOT NULL, examples INTEGER NOT NULL, model TEXT NOT NULL)`,
        // 'rules' or 'model:v<version>'; an analysis made by another scorer is redone.
        `ALTER TABLE comment_analysis ADD COLUMN scorer TEXT`,
        `ALTER TABLE message_analysis ADD COLUMN scorer TEXT`,
      ];
    },
  },
];

/**
 * Several processes may open a shared store at once (servers starting together on a fresh
 * PostgreSQL database). Each migration runs in a write transaction — one at a time across
 * processes — and checks again inside it whether another process applied it meanwhile. An
 * up-to-date database is recognised with plain reads, so opening one never waits for a writer.
 */
export async function applyMigrations(store: Store, now: () => number = Date.now): Promise<number[]> {
  const [exists] = await store.query(
    `SELECT 1 AS x FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'schema_migrations'`,
  );
  if (exists === undefined) {
    await store.transaction((tx) =>
      tx.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`),
    );
  }
  const rows = await store.query('SELECT version FROM schema_migrations');
  const done = new Set(rows.map((r) => Number(r.version)));
  const applied: number[] = [];
  for (const m of MIGRATIONS) {
    if (done.has(m.version)) continue;
    const ran = await store.transaction(async (tx) => {
      const [again] = await tx.query('SELECT 1 AS x FROM schema_migrations WHERE version = $1', [m.version]);
      if (again !== undefined) return false;
      for (const s of m.statements(store.dialect)) await tx.exec(s);
      await m.run?.(tx, store.sql);
      await tx.exec('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, now()]);
      return true;
    });
    if (ran) applied.push(m.version);
  }
  return applied;
}

export function latestVersion(): number {
  return MIGRATIONS[MIGRATIONS.length - 1]!.version;
}

/**
 * The tables, defined once. Both dialects build their DDL and their bulk loaders from these
 * column lists, so the staging appender, the merge SQL and the export agree by construction.
 *
 * Timestamps are stored as BIGINT epoch milliseconds (UTC): the same bytes in every dialect,
 * no session time zone to get wrong, and arithmetic on gaps is plain subtraction.
 */
import { IDENTIFIER_TYPES } from '../core/records.ts';
import type { Kind, RecordOfKind } from '../core/records.ts';
import type { SqlParam } from './store.ts';

export type ColumnType = 'text' | 'bigint' | 'double' | 'integer' | 'boolean';

export interface Column<K extends Kind> {
  readonly name: string;
  readonly type: ColumnType;
  readonly get: (r: RecordOfKind[K]) => SqlParam;
}

type Columns<K extends Kind> = readonly Column<K>[];

const text = <K extends Kind>(name: string, get: (r: RecordOfKind[K]) => string | null): Column<K> => ({ name, type: 'text', get });
const bigint = <K extends Kind>(name: string, get: (r: RecordOfKind[K]) => number | null): Column<K> => ({ name, type: 'bigint', get });
const double = <K extends Kind>(name: string, get: (r: RecordOfKind[K]) => number | null): Column<K> => ({ name, type: 'double', get });

/** The id column of each kind: the idempotency key of a record. */
export const ID_COLUMN: Readonly<Record<Kind, string>> = {
  profiles: 'profile_id',
  interactions: 'event_id',
  feedback: 'response_id',
  holdings: 'holding_id',
  promises: 'promise_id',
  consents: 'consent_id',
  messages: 'message_id',
  // The directory predates the kind (migration 3 named its key staff_id; readers still do).
  staff: 'staff_id',
  employee_feedback: 'response_id',
};

/** The contract fields of each kind, in contract order, after the id. */
export const FIELDS: { readonly [K in Kind]: Columns<K> } = {
  profiles: [text('profile_id', (r) => r.profile_id)],
  interactions: [
    text('event_id', (r) => r.event_id),
    bigint('ts', (r) => r.ts),
    text('channel', (r) => r.channel),
    text('activity', (r) => r.activity),
    text('outcome', (r) => r.outcome),
    text('direction', (r) => r.direction),
    text('agent_id', (r) => r.agent_id),
    text('intent', (r) => r.intent),
    // The input's journey_id is kept as journey_ref; journey_id holds the journey the event belongs to.
    text('journey_ref', (r) => r.journey_id),
    double('duration_s', (r) => r.duration_s),
    double('wait_s', (r) => r.wait_s),
    text('text', (r) => r.text),
  ],
  feedback: [
    text('response_id', (r) => r.response_id),
    bigint('ts', (r) => r.ts),
    text('survey_id', (r) => r.survey_id),
    text('metric', (r) => r.metric),
    text('scope', (r) => r.scope),
    double('score', (r) => r.score),
    text('comment', (r) => r.comment),
    text('event_id', (r) => r.event_id),
    text('agent_id', (r) => r.agent_id),
  ],
  holdings: [
    text('holding_id', (r) => r.holding_id),
    text('product', (r) => r.product),
    bigint('since', (r) => r.since),
    bigint('until', (r) => r.until),
  ],
  promises: [
    text('promise_id', (r) => r.promise_id),
    bigint('ts', (r) => r.ts),
    bigint('due', (r) => r.due),
    text('kind', (r) => r.kind),
    text('agent_id', (r) => r.agent_id),
    text('event_id', (r) => r.event_id),
    text('description', (r) => r.description),
    bigint('kept_at', (r) => r.kept_at),
  ],
  consents: [
    text('consent_id', (r) => r.consent_id),
    text('channel', (r) => r.channel),
    text('status', (r) => r.status),
    bigint('ts', (r) => r.ts),
    text('timezone', (r) => r.timezone),
    text('quiet_start', (r) => r.quiet_start),
    text('quiet_end', (r) => r.quiet_end),
  ],
  // No customer of its own on agent and bot turns: a conversation's customer is that of its
  // customer turns (docs/feedback.md, "Messages"), so conversations group by conversation_id.
  messages: [
    text('message_id', (r) => r.message_id),
    bigint('ts', (r) => r.ts),
    text('speaker', (r) => r.speaker),
    text('text', (r) => r.text),
    text('conversation_id', (r) => r.conversation_id),
    text('channel', (r) => r.channel),
    text('agent_id', (r) => r.agent_id),
    text('event_id', (r) => r.event_id),
    text('in_reply_to', (r) => r.in_reply_to),
  ],
  staff: [
    text('staff_id', (r) => r.employee_id),
    text('name', (r) => r.name),
    text('team', (r) => r.team),
    text('site', (r) => r.site),
    text('manager_id', (r) => r.manager_id),
    text('role', (r) => r.role),
    bigint('since', (r) => r.since),
    bigint('until', (r) => r.until),
  ],
  employee_feedback: [
    text('response_id', (r) => r.response_id),
    bigint('ts', (r) => r.ts),
    text('survey_id', (r) => r.survey_id),
    text('metric', (r) => r.metric),
    double('score', (r) => r.score),
    text('team', (r) => r.team),
    text('employee_id', (r) => r.employee_id),
    text('comment', (r) => r.comment),
  ],
};

/** Columns every record table has after its fields: attributes and the normalised identifiers. */
export function commonColumns<K extends Kind>(): Columns<K> {
  return [
    text<K>('attrs', (r) => (Object.keys(r.attrs).length === 0 ? null : JSON.stringify(r.attrs))),
    ...IDENTIFIER_TYPES.map((t) => text<K>(t, (r) => r.ids[t])),
  ];
}

/** Staging table columns: seq, the kind's fields, common columns, and the identifier tuple key. */
export function stagingColumns(kind: Kind): readonly { name: string; type: ColumnType }[] {
  return [
    { name: 'seq', type: 'bigint' },
    ...FIELDS[kind].map((c) => ({ name: c.name, type: c.type })),
    ...commonColumns().map((c) => ({ name: c.name, type: c.type })),
    { name: 'tuple_key', type: 'text' },
  ];
}

/** Main table columns: staging columns without tuple_key, plus the resolved links. */
export function tableColumns(kind: Kind): readonly { name: string; type: ColumnType }[] {
  const cols = stagingColumns(kind).filter((c) => c.name !== 'tuple_key');
  cols.push({ name: 'tuple_id', type: 'bigint' }, { name: 'customer_key', type: 'text' });
  if (kind === 'interactions') cols.push({ name: 'journey_id', type: 'text' });
  return cols;
}

export function sqlType(t: ColumnType): string {
  switch (t) {
    case 'text':
      return 'TEXT';
    case 'bigint':
      return 'BIGINT';
    case 'double':
      return 'DOUBLE PRECISION';
    case 'integer':
      return 'INTEGER';
    case 'boolean':
      return 'BOOLEAN';
  }
}

/** Tables that are not record tables. Shared DDL; each dialect adds its own indexes. */
export const SUPPORT_TABLES: readonly string[] = [
  `CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
  // One row per distinct combination of normalised identifiers seen on a record: the identity
  // graph is built from these, which is far smaller than the records themselves. Migration 7
  // adds component_id, which lets a merge stitch only what it touches (src/identity/restitch.ts).
  `CREATE TABLE id_tuples (
     tuple_id BIGINT NOT NULL, tuple_key TEXT NOT NULL,
     customer_id TEXT, account_id TEXT, phone TEXT, email TEXT, device_id TEXT, cookie_id TEXT,
     first_seq BIGINT NOT NULL, customer_key TEXT)`,
  `CREATE TABLE journeys (
     journey_id TEXT NOT NULL, customer_key TEXT NOT NULL, intent TEXT, explicit BOOLEAN NOT NULL,
     start_ts BIGINT NOT NULL, end_ts BIGINT NOT NULL, first_seq BIGINT NOT NULL, steps INTEGER NOT NULL,
     first_channel TEXT, last_channel TEXT, channels TEXT, channel_switches INTEGER NOT NULL,
     assisted INTEGER NOT NULL, failures INTEGER NOT NULL, last_outcome TEXT, outcome TEXT NOT NULL)`,
];

/**
 * The kinds whose tables version 1 of the schema created. Migrations name them rather than read
 * KINDS, whose later kinds get their tables from migrations of their own: a migration before
 * those must not touch (or create) their tables.
 */
export const V1_KINDS: readonly Kind[] = ['profiles', 'interactions', 'feedback', 'holdings', 'promises', 'consents'];

export function recordTableDdl(kind: Kind): string {
  return `CREATE TABLE ${kind} (${tableColumns(kind)
    .map((c) => `${c.name} ${sqlType(c.type)}`)
    .join(', ')})`;
}

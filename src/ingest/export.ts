/**
 * Export: every stored interaction back in the data contract's shape, plus the customer key and
 * journey it was resolved to. Streams, so an export of millions of events stays small in memory.
 */
import fs from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { AppError } from '../core/errors.ts';
import { IDENTIFIER_TYPES } from '../core/records.ts';
import { toIso } from '../core/time.ts';
import { messageCustomerSql } from '../feedback/messages.ts';
import type { Row, Store } from '../store/store.ts';
import { exportXes } from './export-xes.ts';

export type ExportFormat = 'jsonl' | 'csv' | 'xes';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['jsonl', 'csv', 'xes'];

const COLUMNS = [
  'event_id',
  'ts',
  'channel',
  'activity',
  'outcome',
  'direction',
  'agent_id',
  'intent',
  'duration_s',
  'wait_s',
  'text',
  ...IDENTIFIER_TYPES,
  'customer_key',
  'journey_id',
] as const;

function toRecord(r: Row): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const c of COLUMNS) {
    const v = c === 'ts' ? toIso(r.ts as number) : r[c];
    if (v !== null && v !== undefined) out[c] = v;
  }
  // Outbound contacts belong to no journey; an explicit journey_id is kept as given.
  if (out.journey_id === undefined && r.journey_ref !== null) out.journey_id = r.journey_ref;
  if (typeof r.attrs === 'string') {
    // hasOwn, not `in`: an attribute named `constructor` or `toString` is data, not inherited.
    for (const [k, v] of Object.entries(JSON.parse(r.attrs) as Record<string, unknown>)) if (!Object.hasOwn(out, k)) out[k] = v;
  }
  return out;
}

/**
 * One CSV cell (RFC 4180), safe to open in a spreadsheet (OWASP, "CSV Injection"): text that
 * starts with `=`, `+`, `-`, `@`, a tab or a carriage return would be run as a formula, so it
 * is written with a leading `'` and quoted. Numbers are numbers, never formulas: `-5` stays
 * `-5`, so numeric columns read back as they were (docs/security.md).
 */
export function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  const s = typeof v === 'object' ? JSON.stringify(v) : String(v);
  if (/^[=+\-@\t\r]/.test(s)) return `"'${s.replace(/"/g, '""')}"`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export async function exportEvents(store: Store, format: ExportFormat, out: Writable): Promise<number> {
  if (!EXPORT_FORMATS.includes(format)) {
    throw new AppError('usage', `unknown export format ${String(format)}`, { hint: `use --format ${EXPORT_FORMATS.join(', ')}` });
  }
  if (format === 'xes') return exportXes(store, out);
  const write = async (text: string): Promise<void> => {
    if (!out.write(text)) await once(out, 'drain');
  };
  if (format === 'csv') await write([...COLUMNS, 'attrs'].join(',') + '\n');
  let n = 0;
  for await (const batch of store.stream(`SELECT * FROM interactions ORDER BY seq`)) {
    let chunk = '';
    for (const r of batch) {
      if (format === 'jsonl') {
        chunk += JSON.stringify(toRecord(r)) + '\n';
      } else {
        const rec = toRecord(r);
        chunk += [...COLUMNS.map((c) => csvCell(rec[c])), csvCell(r.attrs)].join(',') + '\n';
      }
      n++;
    }
    await write(chunk);
  }
  return n;
}

const MESSAGE_COLUMNS = ['message_id', 'ts', 'speaker', 'text', 'conversation_id', 'channel', 'agent_id', 'event_id', 'in_reply_to', ...IDENTIFIER_TYPES, 'customer_key'] as const;

/**
 * Every stored message in the contract's shape, oldest first, plus `customer_key`: for an
 * employee's or bot's turn, the customer of its conversation (conversationCustomerSql).
 */
export async function exportMessages(store: Store, format: ExportFormat, out: Writable): Promise<number> {
  if (format !== 'jsonl' && format !== 'csv') {
    throw new AppError('usage', `unknown export format ${String(format)}`, { hint: 'use --format jsonl or --format csv' });
  }
  const write = async (text: string): Promise<void> => {
    if (!out.write(text)) await once(out, 'drain');
  };
  if (format === 'csv') await write([...MESSAGE_COLUMNS, 'attrs'].join(',') + '\n');
  let n = 0;
  const sql = `SELECT m.*, ${messageCustomerSql('m')} AS conversation_customer FROM messages m ORDER BY m.ts, m.seq`;
  for await (const batch of store.stream(sql)) {
    let chunk = '';
    for (const r of batch) {
      const rec: Record<string, unknown> = {};
      for (const c of MESSAGE_COLUMNS) {
        const v = c === 'ts' ? toIso(r.ts as number) : c === 'customer_key' ? r.conversation_customer : r[c];
        if (v !== null && v !== undefined) rec[c] = v;
      }
      if (format === 'jsonl') {
        if (typeof r.attrs === 'string') for (const [k, v] of Object.entries(JSON.parse(r.attrs) as Record<string, unknown>)) if (!Object.hasOwn(rec, k)) rec[k] = v;
        chunk += JSON.stringify(rec) + '\n';
      } else {
        chunk += [...MESSAGE_COLUMNS.map((c) => csvCell(rec[c])), csvCell(r.attrs)].join(',') + '\n';
      }
      n++;
    }
    await write(chunk);
  }
  return n;
}

export function openOutput(path: string | undefined): { stream: Writable; done: () => Promise<void> } {
  if (path === undefined || path === '-') return { stream: process.stdout, done: async () => undefined };
  const stream = fs.createWriteStream(path);
  return {
    stream,
    done: () =>
      new Promise<void>((resolve, reject) => {
        stream.end(() => resolve());
        stream.once('error', reject);
      }),
  };
}

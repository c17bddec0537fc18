/**
 * Test data for the journey tests: `createTest*(overrides)` factories for contract records and a
 * CSV writer, so each test states only what matters to it. Tests import the files with the real
 * importer into a real DuckDB file; nothing here touches a store.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

export type Cells = Record<string, string | number | null | undefined>;

const BASE = Date.UTC(2026, 5, 1, 9, 0, 0);

/** An ISO time `day` days and `minutes` minutes after 2026-06-01T09:00Z. */
export function at(day: number, minutes = 0): string {
  return new Date(BASE + day * 86_400_000 + minutes * 60_000).toISOString();
}

let nextEvent = 1;
let nextResponse = 1;

export interface TestEvent extends Cells {
  event_id: string;
  ts: string;
  customer_id: string;
  channel: string;
  activity: string;
  outcome: string;
}

/** One interaction: a successful web step by customer C1 unless told otherwise. */
export function createTestEvent(overrides: Cells = {}): TestEvent {
  return {
    event_id: `E${String(nextEvent++).padStart(6, '0')}`,
    ts: at(0),
    customer_id: 'C1',
    channel: 'web',
    activity: 'pay_bill/view_bill',
    outcome: 'success',
    ...overrides,
  } as TestEvent;
}

/** One survey answer: a transaction CSAT of 5 by C1 unless told otherwise. */
export function createTestFeedback(overrides: Cells = {}): Cells {
  return {
    response_id: `R${String(nextResponse++).padStart(6, '0')}`,
    ts: at(0),
    survey_id: 'post_contact_csat',
    metric: 'csat',
    scope: 'transaction',
    score: 5,
    customer_id: 'C1',
    ...overrides,
  };
}

function cell(v: Cells[string]): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** RFC 4180 text with the union of the rows' keys as header, in first-seen order. */
export function toCsv(rows: readonly Cells[]): string {
  const header: string[] = [];
  for (const r of rows) for (const k of Object.keys(r)) if (!header.includes(k)) header.push(k);
  return [header.join(','), ...rows.map((r) => header.map((h) => cell(r[h])).join(','))].join('\n') + '\n';
}

export async function writeCsv(dir: string, name: string, rows: readonly Cells[]): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, toCsv(rows));
  return file;
}

/** A fresh temporary folder and a function that removes it. */
export async function createTestDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'throughline-journey-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** A small deterministic generator (mulberry32), so planted datasets are the same on every run. */
export function createTestRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

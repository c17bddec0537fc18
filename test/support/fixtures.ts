/**
 * Test data factories: `createTest*(overrides)` return records in the data contract, and
 * `writeCsv` / `writeJsonl` put them in a temp folder, so each test states only what it cares about.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export type Fields = Record<string, string | number | undefined>;

let counter = 0;

export function createTestInteraction(overrides: Fields = {}): Fields {
  counter++;
  return {
    event_id: `e${counter}`,
    ts: '2026-06-01T09:00:00Z',
    channel: 'web',
    activity: 'pay_bill/submit_payment',
    outcome: 'success',
    customer_id: 'C1',
    ...overrides,
  };
}

export function createTestFeedback(overrides: Fields = {}): Fields {
  counter++;
  return {
    response_id: `r${counter}`,
    ts: '2026-06-02T09:00:00Z',
    survey_id: 'rel_nps_q',
    metric: 'nps',
    scope: 'relationship',
    score: 9,
    customer_id: 'C1',
    ...overrides,
  };
}

export function tempDir(prefix = 'throughline-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

function cell(v: string | number | undefined): string {
  if (v === undefined) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Writes rows as CSV with the union of their keys as the header (in first-seen order). */
export function writeCsv(dir: string, name: string, rows: readonly Fields[], columns?: readonly string[]): string {
  const cols = columns ?? [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const text = [cols.join(','), ...rows.map((r) => cols.map((c) => cell(r[c])).join(','))].join('\n') + '\n';
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

export function writeJsonl(dir: string, name: string, rows: readonly unknown[]): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return file;
}

export function readJsonl(file: string): Record<string, unknown>[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

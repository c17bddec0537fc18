/**
 * Test data for the insight tests (test code only): contract rows written as CSV files beside
 * each other, ready for the real importer. Record factories and times come from the journey
 * module's test helpers, so every test states only the rows it cares about.
 */
import type { Cells } from '../journey/testing.ts';
import { writeCsv } from '../journey/testing.ts';

export { at, createTestDir, createTestEvent, createTestFeedback } from '../journey/testing.ts';
export type { Cells } from '../journey/testing.ts';

export interface InsightRows {
  interactions?: readonly Cells[];
  feedback?: readonly Cells[];
  promises?: readonly Cells[];
  holdings?: readonly Cells[];
}

/** Writes the non-empty kinds as `<kind>.csv` in `dir` and returns the paths, interactions first. */
export async function writeInsightFiles(dir: string, rows: InsightRows): Promise<string[]> {
  const out: string[] = [];
  for (const kind of ['interactions', 'feedback', 'promises', 'holdings'] as const) {
    const list = rows[kind];
    if (list !== undefined && list.length > 0) out.push(await writeCsv(dir, `${kind}.csv`, list));
  }
  return out;
}

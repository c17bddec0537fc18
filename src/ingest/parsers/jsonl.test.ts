import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppError } from '../../core/errors.ts';
import { MAX_RAW_CHARS } from './fields.ts';
import { arrayElementLines, jsonlItems, MAX_JSON_ARRAY_CHARS, MAX_LINE_CHARS, openJsonl } from './jsonl.ts';
import type { ParsedText, SourceItem } from './types.ts';

async function* chunked(chunks: Iterable<string>): AsyncGenerator<string> {
  for (const chunk of chunks) yield chunk;
}

async function collect(items: AsyncIterable<SourceItem>): Promise<SourceItem[]> {
  const out: SourceItem[] = [];
  for await (const item of items) out.push(item);
  return out;
}

async function parse(input: string | readonly string[]): Promise<SourceItem[]> {
  return collect(jsonlItems(chunked(typeof input === 'string' ? [input] : input)));
}

async function open(input: string | readonly string[]): Promise<ParsedText> {
  return openJsonl(() => chunked(typeof input === 'string' ? [input] : input), { name: 'test.jsonl' });
}

test('each line that is a JSON object becomes a row with its line number and JSON types', async () => {
  const items = await parse('{"id":"a","n":1,"tags":["x"]}\n{"id":"b","ok":true,"none":null}\n');
  assert.deepEqual(items, [
    { ok: true, row: { line: 1, fields: { id: 'a', n: 1, tags: ['x'] } } },
    { ok: true, row: { line: 2, fields: { id: 'b', ok: true, none: null } } },
  ]);
});

test('a line that is not valid JSON is a bad item with the parser message and the line as raw', async () => {
  const items = await parse('{"id":"a"}\n{"id": oops}\n{"id":"c"}\n');
  assert.equal(items.length, 3);
  const bad = items[1];
  assert.ok(bad !== undefined && !bad.ok);
  assert.equal(bad.line, 2);
  assert.match(bad.reason, /^line is not a JSON object: .+/);
  assert.equal(bad.raw, '{"id": oops}');
  assert.ok(items[2]?.ok);
});

test('a line holding JSON that is not an object is a bad item saying what was found', async () => {
  const items = await parse('[1,2]\n"text"\n42\nnull\n');
  assert.deepEqual(
    items.map((item) => (item.ok ? 'ok' : `${item.line}: ${item.reason}`)),
    [
      '1: line is not a JSON object: found an array',
      '2: line is not a JSON object: found a string',
      '3: line is not a JSON object: found a number',
      '4: line is not a JSON object: found null',
    ],
  );
});

test('blank lines and CRLF endings are tolerated, and blank lines still count', async () => {
  const items = await parse('\r\n{"a":1}\r\n   \r\n\t\n{"a":2}');
  assert.deepEqual(
    items.map((item) => (item.ok ? item.row.line : -1)),
    [2, 5],
  );
});

test('the raw text of a bad line is cut to 2000 characters', async () => {
  const long = `{"a": ${'x'.repeat(5000)}}`;
  const [bad] = await parse(`${long}\n`);
  assert.ok(bad !== undefined && !bad.ok);
  assert.equal(bad.raw.length, MAX_RAW_CHARS + 1); // the text plus an ellipsis
  assert.ok(bad.raw.startsWith('{"a": xxx'));
});

test('a line split across chunks at any point is put back together', async () => {
  const text = '{"a":"é1"}\n\n{"b":[1,2,{"c":"}\\n"}]}\r\nnope\n{"d":4}';
  const whole = await parse(text);
  assert.equal(whole.length, 4);
  for (let cut = 1; cut < text.length; cut++) {
    assert.deepEqual(await parse([text.slice(0, cut), text.slice(cut)]), whole, `cut at ${cut}`);
  }
  assert.deepEqual(await parse([...text]), whole);
});

test('a line longer than the limit is a bad item and the lines after it are still read', async () => {
  const mib = 'x'.repeat(1024 * 1024);
  const chunks = function* (): Generator<string> {
    yield '{"a":1}\n{"big":"';
    for (let k = 0; k <= MAX_LINE_CHARS / mib.length; k++) yield mib;
    yield '"}\n{"a":3}\n';
  };
  const items = await collect(jsonlItems(chunked(chunks())));
  assert.deepEqual(
    items.map((item) => (item.ok ? `${item.row.line} ok` : `${item.line} ${item.reason}`)),
    ['1 ok', '2 line is longer than 1 MiB', '3 ok'],
  );
});

test('the header is the keys of the first valid object', async () => {
  const parsed = await open('not json\n{"ts":"2026-06-01T00:00:00Z","event_id":"e1"}\n{"other":1}\n');
  assert.deepEqual(parsed.header, ['ts', 'event_id']);
  assert.equal((await collect(parsed.items())).length, 3);
});

test('a small JSON array of objects is read, each element on the line where it starts', async () => {
  const parsed = await open('[\n  {"id": "a", "s": "[{,\\"]"},\n  {\n    "id": "b"\n  },\n  7, [1], "x" ,\n{"id":"c"}]\n');
  assert.deepEqual(parsed.header, ['id', 's']);
  const items = await collect(parsed.items());
  assert.deepEqual(
    items.map((item) => (item.ok ? `${item.row.line} ${String(item.row.fields['id'])}` : `${item.line} ${item.reason}`)),
    [
      '2 a',
      '3 b',
      '6 array element is not a JSON object: found a number',
      '6 array element is not a JSON object: found an array',
      '6 array element is not a JSON object: found a string',
      '7 c',
    ],
  );
});

test('element lines are found in compact and empty arrays too', () => {
  assert.deepEqual(arrayElementLines('[{"a":1},{"a":2}]'), [1, 1]);
  assert.deepEqual(arrayElementLines('[]'), []);
  assert.deepEqual(arrayElementLines(' [\n\n"a\\\\",\n"b"\n]'), [3, 4]);
});

test('an invalid JSON array fails at open time', async () => {
  await assert.rejects(open('[{"a":1},\n{"a":]'), (e: unknown) => {
    assert.ok(e instanceof AppError && e.code === 'input');
    assert.match(e.message, /test\.jsonl is not valid JSON/);
    return true;
  });
});

test('a JSON array larger than 64 MiB is refused with advice to use JSON Lines', async () => {
  const mib = `${'{"a":1},'.repeat(128 * 1024)}`; // 1 MiB of elements
  const chunks = function* (): Generator<string> {
    yield '[';
    for (let k = 0; k <= MAX_JSON_ARRAY_CHARS / mib.length; k++) yield mib;
    yield '{"a":1}]';
  };
  await assert.rejects(openJsonl(() => chunked(chunks()), { name: 'big.json' }), (e: unknown) => {
    assert.ok(e instanceof AppError && e.code === 'input');
    assert.match(e.message, /big\.json is a JSON array larger than 64 MiB.*JSON Lines/);
    return true;
  });
});

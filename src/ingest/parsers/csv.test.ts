import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppError } from '../../core/errors.ts';
import { csvItems, detectDelimiter, openCsv } from './csv.ts';
import type { SourceItem } from './types.ts';

async function* chunked(chunks: readonly string[]): AsyncGenerator<string> {
  for (const chunk of chunks) yield chunk;
}

async function parse(input: string | readonly string[], delimiter = ','): Promise<SourceItem[]> {
  const items: SourceItem[] = [];
  for await (const item of csvItems(chunked(typeof input === 'string' ? [input] : input), delimiter, 'test.csv')) items.push(item);
  return items;
}

function rows(items: readonly SourceItem[]): { line: number; fields: Record<string, unknown> }[] {
  return items.map((item) => {
    assert.ok(item.ok, `expected a good row, got ${JSON.stringify(item)}`);
    return { line: item.row.line, fields: item.row.fields };
  });
}

/** Cuts `text` into pieces of `size` characters. */
function pieces(text: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

test('records become rows keyed by the header, with empty cells as empty strings', async () => {
  const items = await parse('id,name,note\n1,Ann,\n2,,x\n');
  assert.deepEqual(rows(items), [
    { line: 2, fields: { id: '1', name: 'Ann', note: '' } },
    { line: 3, fields: { id: '2', name: '', note: 'x' } },
  ]);
});

test('a quoted field may hold newlines and delimiters, and later records keep their physical line numbers', async () => {
  const items = await parse('id,text\n1,"line one\nline two, still\nline three"\n2,plain\n');
  assert.deepEqual(rows(items), [
    { line: 2, fields: { id: '1', text: 'line one\nline two, still\nline three' } },
    { line: 5, fields: { id: '2', text: 'plain' } },
  ]);
});

test('doubled quotes inside a quoted field become one quote', async () => {
  const items = await parse('a,b\n"say ""hi""","""x"""\n');
  assert.deepEqual(rows(items)[0]?.fields, { a: 'say "hi"', b: '"x"' });
});

test('a quote inside an unquoted field is kept as it is', async () => {
  const items = await parse('size,b\n5" screen,x\n');
  assert.deepEqual(rows(items)[0]?.fields, { size: '5" screen', b: 'x' });
});

test('CRLF line endings are removed, also after a quoted last cell', async () => {
  const items = await parse('a,b\r\n1,2\r\n"3","4"\r\n5,"six\r\nlines"\r\n');
  assert.deepEqual(rows(items), [
    { line: 2, fields: { a: '1', b: '2' } },
    { line: 3, fields: { a: '3', b: '4' } },
    { line: 4, fields: { a: '5', b: 'six\r\nlines' } },
  ]);
});

test('blank lines are skipped without becoming errors, but still count as lines', async () => {
  const items = await parse('\n\na,b\n\n1,2\r\n\r\n3,4\n\n');
  assert.deepEqual(rows(items), [
    { line: 5, fields: { a: '1', b: '2' } },
    { line: 7, fields: { a: '3', b: '4' } },
  ]);
});

test('a quoted empty line in a one-column file is a record, not a blank line', async () => {
  const items = await parse('a\nx\n""\n\ny\n');
  assert.deepEqual(rows(items), [
    { line: 2, fields: { a: 'x' } },
    { line: 3, fields: { a: '' } },
    { line: 5, fields: { a: 'y' } },
  ]);
});

test('a row with the wrong number of cells is a bad item that names both counts', async () => {
  const items = await parse('a,b,c\n1,2\n1,2,3,4\n"x,y",2,3\n');
  assert.deepEqual(items, [
    { ok: false, line: 2, reason: 'row has 2 cells, header has 3', raw: '1,2' },
    { ok: false, line: 3, reason: 'row has 4 cells, header has 3', raw: '1,2,3,4' },
    { ok: true, row: { line: 4, fields: { a: 'x,y', b: '2', c: '3' } } },
  ]);
});

test('an unterminated quote at the end of the file is a bad item on the line where it opens', async () => {
  const items = await parse('a,b\n1,2\n3,"never\nclosed\n');
  assert.equal(items.length, 2);
  const bad = items[1];
  assert.ok(bad !== undefined && !bad.ok);
  assert.equal(bad.line, 3);
  assert.match(bad.reason, /never closed/);
  assert.equal(bad.raw, '3,"never\nclosed\n"');
});

test('text after a closing quote makes the row bad instead of being silently merged', async () => {
  const items = await parse('a,b\n"x"y,2\n3,4\n');
  assert.equal(items.length, 2);
  const bad = items[0];
  assert.ok(bad !== undefined && !bad.ok);
  assert.equal(bad.line, 2);
  assert.match(bad.reason, /column 1 has text after its closing quote/);
  assert.deepEqual(rows(items.slice(1)), [{ line: 3, fields: { a: '3', b: '4' } }]);
});

test('the last record is read without a final newline, including a trailing empty cell', async () => {
  assert.deepEqual(rows(await parse('a,b\n1,2')), [{ line: 2, fields: { a: '1', b: '2' } }]);
  assert.deepEqual(rows(await parse('a,b\n1,')), [{ line: 2, fields: { a: '1', b: '' } }]);
  assert.deepEqual(rows(await parse('a,b\n1,"2"')), [{ line: 2, fields: { a: '1', b: '2' } }]);
  assert.deepEqual(rows(await parse('a,b\r\n1,2\r')), [{ line: 2, fields: { a: '1', b: '2' } }]);
});

test('a record split at any point across chunks parses the same as when read whole', async () => {
  const text = 'id;text;n\r\n1;"a; ""quoted""\r\nvalue";7\r\n\r\n2;plain;\r\n3;"x"junk;9\r\n4;"";5\n5;short\n6;"tail';
  const whole = await parse(text, ';');
  assert.equal(whole.length, 6);
  for (let cut = 1; cut < text.length; cut++) {
    assert.deepEqual(await parse([text.slice(0, cut), text.slice(cut)], ';'), whole, `cut at ${cut}`);
  }
  for (const size of [1, 2, 3, 5]) {
    assert.deepEqual(await parse(pieces(text, size), ';'), whole, `pieces of ${size}`);
  }
});

test('the delimiter is the candidate that occurs most outside quotes on the header line', () => {
  assert.equal(detectDelimiter('a;b;c\n1,2,3,4,5,6\n'), ';');
  assert.equal(detectDelimiter('"a,b,c";d;e\n'), ';');
  assert.equal(detectDelimiter('a\tb\tc|d\n'), '\t');
  assert.equal(detectDelimiter('\n\na|b\n'), '|');
  assert.equal(detectDelimiter('single\n'), ',');
  assert.equal(detectDelimiter('a,b;c\n'), ',');
});

test('openCsv detects the delimiter, reads the header and leaves the records to items()', async () => {
  const parsed = await openCsv(() => chunked(['name;ci', 'ty\nAnn;Oslo\n']), { name: 'test.csv' });
  assert.deepEqual(parsed.header, ['name', 'city']);
  assert.equal(parsed.delimiter, ';');
  const items: SourceItem[] = [];
  for await (const item of parsed.items()) items.push(item);
  assert.deepEqual(rows(items), [{ line: 2, fields: { name: 'Ann', city: 'Oslo' } }]);
});

test('a header that spans two lines puts the first data record on line 3', async () => {
  const parsed = await openCsv(() => chunked(['"first\ncolumn",b\n1,2\n']), { name: 'test.csv' });
  assert.deepEqual(parsed.header, ['first\ncolumn', 'b']);
  const items: SourceItem[] = [];
  for await (const item of parsed.items()) items.push(item);
  assert.deepEqual(rows(items), [{ line: 3, fields: { 'first\ncolumn': '1', b: '2' } }]);
});

test('a duplicate column name fails at open time and names the column', async () => {
  await assert.rejects(openCsv(() => chunked(['id,email,Email,email\n1,a,b,c\n']), { name: 'dup.csv' }), (e: unknown) => {
    assert.ok(e instanceof AppError);
    assert.equal(e.code, 'input');
    assert.match(e.message, /dup\.csv: column "email" appears twice in the header \(columns 2 and 4\)/);
    return true;
  });
});

test('a file with only blank lines has no header and fails at open time', async () => {
  await assert.rejects(openCsv(() => chunked(['\n\r\n\n']), { name: 'blank.csv' }), (e: unknown) => {
    assert.ok(e instanceof AppError && e.code === 'input');
    assert.match(e.message, /has no header row/);
    return true;
  });
});

test('a file with CR-only line endings is refused at open time instead of read as one record', async () => {
  await assert.rejects(openCsv(() => chunked(['a,b\r1,2\r3,4\r']), { name: 'mac.csv' }), /CR line endings/);
});

test('a delimiter option that is not one character is a usage error', async () => {
  await assert.rejects(openCsv(() => chunked(['a,b\n']), { name: 'x.csv', delimiter: ';;' }), (e: unknown) => {
    assert.ok(e instanceof AppError && e.code === 'usage');
    return true;
  });
});

test('a column named __proto__ is kept as an ordinary field', async () => {
  const [item] = await parse('__proto__,b\nx,y\n');
  assert.ok(item?.ok);
  assert.deepEqual(Object.keys(item.row.fields), ['__proto__', 'b']);
  assert.equal(Object.getOwnPropertyDescriptor(item.row.fields, '__proto__')?.value, 'x');
  assert.equal(Object.getPrototypeOf(item.row.fields), Object.prototype);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppError } from '../../core/errors.ts';
import { openXes, xesItems } from './xes.ts';
import type { SourceItem } from './types.ts';

async function* chunked(chunks: readonly string[]): AsyncGenerator<string> {
  for (const chunk of chunks) yield chunk;
}

async function parse(input: string | readonly string[]): Promise<SourceItem[]> {
  const out: SourceItem[] = [];
  for await (const item of xesItems(chunked(typeof input === 'string' ? [input] : input), 'test.xes')) out.push(item);
  return out;
}

function rows(items: readonly SourceItem[]): { line: number; fields: Record<string, unknown> }[] {
  return items.map((item) => {
    assert.ok(item.ok, `expected a good row, got ${JSON.stringify(item)}`);
    return { line: item.row.line, fields: item.row.fields };
  });
}

const LOG = `<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1849-2016" xmlns="http://www.xes-standard.org/">
  <extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>
  <string key="log-level" value="ignored"/>
  <global scope="trace">
    <string key="concept:name" value="UNKNOWN"/>
  </global>
  <global scope="event">
    <string key="lifecycle:transition" value="complete"/>
    <string key="org:resource" value="nobody"/>
  </global>
  <classifier name="Activity" keys="concept:name"/>
  <trace>
    <string key="concept:name" value="case-1"/>
    <int key="priority" value="2"/>
    <event>
      <string key="concept:name" value="open &amp; check"/>
      <date key="time:timestamp" value="2026-06-01T09:03:00.000+02:00"/>
      <string key="org:resource" value="Ann"/>
      <int key="count" value="-3"/>
      <float key="cost" value="12.5"/>
      <boolean key="urgent" value="true"/>
      <id key="ref" value="a1b2"/>
    </event>
    <event>
      <string key="concept:name" value="close"/>
      <string key="lifecycle:transition" value="start"/>
      <string key="note" value="has meta">
        <string key="author" value="nested, ignored"/>
      </string>
      <list key="items">
        <values><string key="item" value="ignored"/></values>
      </list>
    </event>
  </trace>
  <trace>
    <event>
      <string key="concept:name" value="orphan"/>
    </event>
  </trace>
</log>
`;

test('every event becomes a row with its own attributes and the trace attributes under case:', async () => {
  const items = await parse(LOG);
  assert.deepEqual(rows(items), [
    {
      line: 16,
      fields: {
        'concept:name': 'open & check',
        'time:timestamp': '2026-06-01T09:03:00.000+02:00',
        'org:resource': 'Ann',
        count: -3,
        cost: 12.5,
        urgent: true,
        ref: 'a1b2',
        'lifecycle:transition': 'complete',
        'case:concept:name': 'case-1',
        'case:priority': 2,
      },
    },
    {
      line: 25,
      fields: {
        'concept:name': 'close',
        'lifecycle:transition': 'start',
        note: 'has meta',
        'org:resource': 'nobody',
        'case:concept:name': 'case-1',
        'case:priority': 2,
      },
    },
    // Trace-scope globals are not applied: a default case id would merge nameless traces.
    { line: 37, fields: { 'concept:name': 'orphan', 'lifecycle:transition': 'complete', 'org:resource': 'nobody' } },
  ]);
});

test('an XES text split at any point across chunks parses the same as when read whole', async () => {
  const whole = await parse(LOG);
  for (let cut = 1; cut < LOG.length; cut += 7) {
    assert.deepEqual(await parse([LOG.slice(0, cut), LOG.slice(cut)]), whole, `cut at ${cut}`);
  }
});

test('the line of an event is where its start tag opens, even when the tag name ends a line', async () => {
  const text = '<log><trace>\n<event\n><string key="a" value="1"/></event><event><string key="a" value="2"/></event>\n\n  <event a="x"\n  ><string key="a" value="3"/></event></trace></log>';
  assert.deepEqual(
    rows(await parse(text)).map((r) => r.line),
    [2, 3, 5],
  );
});

test('trace attributes written after the events still reach those events', async () => {
  const text = '<log><trace><event><string key="concept:name" value="a"/></event><string key="concept:name" value="late"/></trace></log>';
  assert.deepEqual(rows(await parse(text))[0]?.fields, { 'concept:name': 'a', 'case:concept:name': 'late' });
});

test('element names with a namespace prefix are recognised', async () => {
  const text = '<xes:log xmlns:xes="http://www.xes-standard.org/"><xes:trace><xes:string key="concept:name" value="t"/><xes:event><xes:string key="concept:name" value="a"/></xes:event></xes:trace></xes:log>';
  assert.deepEqual(rows(await parse(text))[0]?.fields, { 'concept:name': 'a', 'case:concept:name': 't' });
});

test('an int beyond 2^53 stays the literal string rather than be rounded', async () => {
  const text = '<log><trace><event><int key="big" value="9007199254740993"/></event></trace></log>';
  assert.deepEqual(rows(await parse(text))[0]?.fields, { big: '9007199254740993' });
});

test('a value that does not parse as its type makes the event a bad item, and only that event', async () => {
  const text = `<log><trace>
<event><int key="n" value="twelve"/></event>
<event><float key="x" value="1.5"/><boolean key="b" value="yes"/></event>
<event><string key="a"/></event>
<event><string key="a" value="1"/><string key="a" value="2"/></event>
<event><float key="x" value="1e3"/><boolean key="b" value="FALSE"/></event>
</trace></log>`;
  const items = await parse(text);
  assert.deepEqual(
    items.map((item) => (item.ok ? `${item.row.line} ok` : `${item.line} ${item.reason}`)),
    [
      '2 attribute "n" is not a valid int: "twelve"',
      '3 attribute "b" is not a valid boolean: "yes"',
      '4 attribute "a" has no value',
      '5 attribute "a" appears twice in the event',
      '6 ok',
    ],
  );
  assert.deepEqual(rows(items.slice(4))[0]?.fields, { x: 1000, b: false });
  const bad = items[0];
  assert.ok(bad !== undefined && !bad.ok);
  assert.equal(bad.raw, '{"n":"twelve"}');
});

test('a bad trace attribute makes every event of that trace a bad item', async () => {
  const text = '<log><trace><date key="x" value="d"/><int key="n" value="x"/><event/><event/></trace><trace><event/></trace></log>';
  const items = await parse(text);
  assert.deepEqual(
    items.map((item) => (item.ok ? 'ok' : item.reason)),
    ['trace attribute "n" is not a valid int: "x"', 'trace attribute "n" is not a valid int: "x"', 'ok'],
  );
});

test('malformed XML fails with an input error naming the file and line', async () => {
  const text = '<log>\n<trace>\n<event></trace>\n</log>';
  await assert.rejects(parse(text), (e: unknown) => {
    assert.ok(e instanceof AppError && e.code === 'input');
    assert.match(e.message, /^test\.xes:3:\d+: .*malformed/);
    return true;
  });
});

test('a truncated file fails at the end with an input error', async () => {
  await assert.rejects(parse('<log><trace><event>'), (e: unknown) => e instanceof AppError && e.code === 'input');
});

test('a file whose root is not <log> is refused at open time', async () => {
  await assert.rejects(openXes(() => chunked(['<?xml version="1.0"?>\n<html><body/></html>']), { name: 'page.xes' }), (e: unknown) => {
    assert.ok(e instanceof AppError && e.code === 'input');
    assert.match(e.message, /not <log>/);
    return true;
  });
  await assert.rejects(openXes(() => chunked(['no xml here']), { name: 'x.xes' }), (e: unknown) => e instanceof AppError && e.code === 'input');
});

test('openXes reads only up to the root element and has no header', async () => {
  let reads = 0;
  async function* counted(): AsyncGenerator<string> {
    for (const chunk of ['<log>', '<trace><event/></trace>', '</log>']) {
      reads++;
      yield chunk;
    }
  }
  const parsed = await openXes(counted, { name: 'x.xes' });
  assert.equal(reads, 1);
  assert.equal(parsed.header, undefined);
});

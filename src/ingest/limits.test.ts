import assert from 'node:assert/strict';
import { test } from 'node:test';
import { contentProblem, MAX_DEPTH, MAX_FIELD_BYTES } from './limits.ts';

const nest = (arrays: number): unknown => {
  let v: unknown = 1;
  for (let i = 0; i < arrays; i++) v = [v];
  return v;
};

test('a field is measured in UTF-8 bytes: 32 KB of them passes, one more does not', () => {
  assert.equal(contentProblem({ text: 'x'.repeat(MAX_FIELD_BYTES) }), null);
  assert.match(contentProblem({ text: 'x'.repeat(MAX_FIELD_BYTES + 1) }) ?? '', /field "text" is 32769 bytes; the limit is 32 KB/);
  // 11,000 three-byte characters are 33,000 bytes though only 11,000 characters.
  assert.match(contentProblem({ text: '✓'.repeat(11_000) }) ?? '', /33000 bytes/);
  assert.match(contentProblem({ attrs: { a: 'x'.repeat(MAX_FIELD_BYTES) } }) ?? '', /bytes of JSON/);
});

test('nesting counts the record as level 1, and a value 100,000 levels deep is refused without overflowing the stack', () => {
  assert.equal(contentProblem({ n: nest(MAX_DEPTH - 1) }), null);
  assert.match(contentProblem({ n: nest(MAX_DEPTH) }) ?? '', /field "n" is nested deeper than 32 levels/);
  assert.match(contentProblem({ n: nest(100_000) }) ?? '', /nested deeper/);
});

test('bad bytes (lone surrogates, or the XML mark) are refused in values and keys; paired surrogates are text', () => {
  assert.equal(contentProblem({ text: 'emoji 😀 fine' }), null);
  for (const bad of ['caf\udce9', '\ud800', 'x\uFDD0y']) assert.match(contentProblem({ text: bad }) ?? '', /not UTF-8/, JSON.stringify(bad));
  assert.match(contentProblem({ ['k\udce9']: 'v' }) ?? '', /a field name holds bytes that are not UTF-8/);
  assert.match(contentProblem({ attrs: { list: ['ok', { deep: 'caf\udce9' }] } }) ?? '', /not UTF-8/);
});

test('a __proto__ key is refused at any depth; constructor, prototype and toString are data; an empty __proto__ cell is absent', () => {
  assert.match(contentProblem(JSON.parse('{"__proto__": {"x": 1}}') as Record<string, unknown>) ?? '', /"__proto__" is not allowed/);
  assert.match(contentProblem(JSON.parse('{"a": [{"__proto__": 1}]}') as Record<string, unknown>) ?? '', /"__proto__", which is not allowed/);
  assert.equal(contentProblem(JSON.parse('{"__proto__": ""}') as Record<string, unknown>), null);
  assert.equal(contentProblem({ constructor: 'c', prototype: 'p', toString: 't', nested: { constructor: { prototype: 1 } } }), null);
});

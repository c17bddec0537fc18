import assert from 'node:assert/strict';
import { test } from 'node:test';
import { collectGarbage } from './memory.ts';

test('collectGarbage frees typed arrays nothing refers to any more, at once', () => {
  const MB = 1024 * 1024;
  collectGarbage();
  const before = process.memoryUsage().arrayBuffers;
  let held: Float64Array | null = new Float64Array((256 * MB) / 8).fill(1);
  // Absolute, not against `before`: buffers of the runner's own may be freed meanwhile.
  assert.ok(process.memoryUsage().arrayBuffers >= 256 * MB);
  assert.equal(held[0], 1);
  held = null;
  collectGarbage();
  assert.ok(process.memoryUsage().arrayBuffers - before < 16 * MB, 'the 256 MB are back');
});

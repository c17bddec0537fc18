import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseTimestamp } from './time.ts';

const ms = (raw: unknown, zone?: string): number => {
  const r = parseTimestamp(raw, zone);
  assert.ok(r.ok, r.ok ? '' : r.reason);
  return r.ms;
};

test('timestamps with offsets are normalised to UTC', () => {
  assert.equal(ms('2026-06-01T09:03:00-05:00'), Date.UTC(2026, 5, 1, 14, 3));
  assert.equal(ms('2026-06-01T09:03:00Z'), Date.UTC(2026, 5, 1, 9, 3));
  assert.equal(ms('2011-10-11 13:45:40.276000+02:00'), Date.UTC(2011, 9, 11, 11, 45, 40, 276));
  assert.equal(ms('2010-12-30T14:32:00.000+0100'), Date.UTC(2010, 11, 30, 13, 32));
});

test('integer epoch milliseconds are accepted as numbers and strings', () => {
  assert.equal(ms(1780304580000), 1780304580000);
  assert.equal(ms('1780304580000'), 1780304580000);
});

test('a timestamp without an offset is rejected unless a zone is named', () => {
  const r = parseTimestamp('2013-02-13 12:03:35');
  assert.equal(r.ok, false);
  assert.match(r.ok ? '' : r.reason, /--timezone/);
  assert.equal(ms('2013-02-13 12:03:35', 'UTC'), Date.UTC(2013, 1, 13, 12, 3, 35));
  assert.equal(ms('2016-01-12', 'Europe/Amsterdam'), Date.UTC(2016, 0, 11, 23, 0));
  assert.equal(ms('2026-07-01T12:00:00', 'America/New_York'), Date.UTC(2026, 6, 1, 16, 0));
});

test('impossible dates, epoch seconds and garbage are rejected with a reason', () => {
  for (const bad of ['2026-02-30T00:00:00Z', 'yesterday', '1780304580', '2026-13-01T00:00:00Z', '']) {
    const r = parseTimestamp(bad);
    assert.equal(r.ok, false, bad);
  }
});

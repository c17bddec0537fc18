import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseTimestamp, parseTimestampGeneral } from './time.ts';

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

test('the fast path for the common ISO shape agrees with the general parser on every input', () => {
  // Each position of the common shapes replaced by edge values: out-of-range fields, leap days,
  // centuries, years before 1000, other separators, lowercase z, offsets past ±14:00.
  const bases = ['2024-02-29T23:59:59Z', '2023-12-31T00:00:00.999Z', '1999-01-01 12:30:45+05:30', '2026-06-01T09:03:00.123-14:00'];
  const swaps = '0123456789-+:. TZz/';
  const seen = new Set<string>();
  let fast = 0;
  for (const base of bases) {
    for (let i = 0; i < base.length; i++) {
      for (const c of swaps) {
        const s = base.slice(0, i) + c + base.slice(i + 1);
        if (seen.has(s)) continue;
        seen.add(s);
        assert.deepEqual(parseTimestamp(s), parseTimestampGeneral(s), s);
        if (parseTimestamp(s).ok) fast++;
      }
    }
  }
  // Dates the digit-by-digit path must check itself.
  for (const s of ['1900-02-29T00:00:00Z', '2000-02-29T00:00:00Z', '2100-02-29T00:00:00Z', '2023-04-31T00:00:00Z', '0999-01-01T00:00:00Z', '1000-01-01T00:00:00Z', '2026-06-01T24:00:00Z', '2026-06-01T09:60:00Z', '2026-06-01T09:00:60Z', '2026-06-01T09:00:00+15:00', '2026-06-01T09:00:00+14:60']) {
    assert.deepEqual(parseTimestamp(s), parseTimestampGeneral(s), s);
  }
  // Random instants written in each shape and offset.
  let seed = 7;
  const rand = (): number => (seed = (seed * 48271) % 2147483647) / 2147483647;
  for (let k = 0; k < 5000; k++) {
    const ms = Math.floor(rand() * 4e12 - 1e12);
    const iso = new Date(ms).toISOString();
    const offMin = Math.floor(rand() * 29 - 14) * 60 + (rand() < 0.3 ? 30 : 0);
    const sign = offMin < 0 ? '-' : '+';
    const a = Math.abs(offMin);
    const off = `${sign}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
    const local = new Date(ms + offMin * 60_000).toISOString();
    for (const s of [iso, iso.slice(0, 19) + 'Z', local.slice(0, 23) + off, local.slice(0, 19) + off]) {
      assert.deepEqual(parseTimestamp(s), parseTimestampGeneral(s), s);
    }
  }
  assert.ok(fast > 100, `only ${fast} variants parsed: the test lost its valid inputs`);
});

test('a timestamp outside 1900-01-01..2200-01-01 is rejected in every form', () => {
  for (const bad of [1e20, -2208988800001, 8640000000000001, '8640000000000001', '-2208988800001', '1899-12-31T23:59:59Z', '2200-01-01T00:00:00.001Z', '2200-01-01T00:00:01+00:00', '9999-12-31T23:59:59Z', '0999-01-01T00:00:00Z']) {
    const r = parseTimestamp(bad);
    assert.equal(r.ok, false, String(bad));
    if (!r.ok && typeof bad === 'number' && bad > 0) assert.match(r.reason, /1900-01-01 to 2200-01-01/);
  }
  for (const good of [Date.UTC(1900, 0, 1), Date.UTC(2200, 0, 1), '1900-01-01T00:00:00Z', '2200-01-01T00:00:00Z', String(Date.UTC(2199, 11, 31))]) {
    assert.equal(parseTimestamp(good).ok, true, String(good));
  }
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { promisedCallTime } from './contact-rules.ts';
import type { CallHours } from './contact-rules.ts';

const HOUR = 3600_000;
// The customer's own SMS consent: quiet from 20:00 to 09:00 in Chicago (UTC−5 in June).
const chicago: CallHours = { zone: 'America/Chicago', quiet_start: '20:00', quiet_end: '09:00', source: "the customer's sms quiet hours" };
const local = (day: number, hour: number, minute = 0): number => Date.UTC(2026, 5, day, hour + 5, minute);

test('a callback is promised for the time asked, moved out of the customer\'s own quiet hours', () => {
  const now = local(6, 10);
  // "after 5": today 17:00 in Chicago.
  assert.deepEqual(promisedCallTime(now, { day: 0, minute: 17 * 60, relation: 'after' }, chicago, 24 * HOUR), { at: local(6, 17), relation: 'after', moved: false });
  // "at 8:30 pm": inside 20:00–09:00, so from 09:00 the next morning.
  assert.deepEqual(promisedCallTime(now, { day: 0, minute: 20 * 60 + 30, relation: 'at' }, chicago, 24 * HOUR), { at: local(7, 9), relation: 'after', moved: true });
  // "at 10am" said at 10:30: tomorrow's 10:00.
  assert.equal(promisedCallTime(local(6, 10, 30), { day: 0, minute: 10 * 60, relation: 'at' }, chicago, 24 * HOUR).at, local(7, 10));
  // "after 5" said at 18:00: now.
  assert.equal(promisedCallTime(local(6, 18), { day: 0, minute: 17 * 60, relation: 'after' }, chicago, 24 * HOUR).at, local(6, 18));
});

test('a default promise that would fall in quiet hours is brought back to their start, or moved to their end', () => {
  // Asked at 21:30: 24 hours on is 21:30 tomorrow, inside the window; its start (20:00) is still ahead.
  assert.deepEqual(promisedCallTime(local(6, 21, 30), null, chicago, 24 * HOUR), { at: local(7, 20), relation: 'by', moved: true });
  // With a 1-hour promise at 19:30, the window's start is too close: the end of the window.
  assert.deepEqual(promisedCallTime(local(6, 19, 30), null, chicago, HOUR), { at: local(7, 9), relation: 'by', moved: true });
  // Outside quiet hours nothing moves.
  assert.deepEqual(promisedCallTime(local(6, 10), null, chicago, 24 * HOUR), { at: local(7, 10), relation: 'by', moved: false });
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IDENTIFIER_TYPES } from '../core/records.ts';
import type { Identifiers } from '../core/records.ts';
import { isPlaceholder, normalizeIdentifier, parseIdentifier } from './normalize.ts';
import { stitch } from './stitch.ts';
import type { IdTuple } from './stitch.ts';

function createTestTuple(id: number, ids: Partial<Identifiers>, customer_key: string | null = null): IdTuple {
  const full = Object.fromEntries(IDENTIFIER_TYPES.map((t) => [t, ids[t] ?? null])) as Identifiers;
  return { tuple_id: id, ids: full, first_seq: id, customer_key };
}

/** Tuples keyed to their customer, with the result's keys alongside for readable asserts. */
function keysOf(tuples: IdTuple[]): (string | null)[] {
  const r = stitch(tuples);
  return tuples.map((t) => r.keys.get(t.tuple_id) ?? null);
}

test('phones are normalised to digits and emails trimmed and lower-cased', () => {
  assert.equal(normalizeIdentifier('phone', '(555) 123-4567'), '5551234567');
  assert.equal(normalizeIdentifier('phone', '+1 555 123 4567'), '15551234567');
  assert.equal(normalizeIdentifier('email', '  Ann.Lee@Example.COM '), 'ann.lee@example.com');
  assert.equal(normalizeIdentifier('customer_id', '  C1 '), 'C1');
  assert.equal(normalizeIdentifier('email', '   '), null);
  assert.deepEqual(parseIdentifier('phone:555-123-4567'), { type: 'phone', value: '5551234567' });
  assert.throws(() => parseIdentifier('fax:123'), /not an identifier/);
});

test('blocked caller ids and dummy emails are placeholders', () => {
  assert.ok(isPlaceholder('phone', '0000000000'));
  assert.ok(isPlaceholder('phone', '123'));
  assert.ok(isPlaceholder('email', 'none@none.com'));
  assert.ok(isPlaceholder('email', 'noemail@example.com'));
  assert.ok(isPlaceholder('customer_id', 'unknown'));
  assert.ok(!isPlaceholder('phone', '5551234567'));
  assert.ok(!isPlaceholder('email', 'ann@example.com'));
});

test('records sharing an identifier become one customer', () => {
  const [a, b, c] = keysOf([
    createTestTuple(1, { customer_id: 'C1', phone: '5551234567' }),
    createTestTuple(2, { phone: '5551234567' }),
    createTestTuple(3, { customer_id: 'C2' }),
  ]);
  assert.equal(a, b);
  assert.notEqual(a, c);
});

test('a shared household phone never merges two customers and links nothing', () => {
  const [a, b, ivr] = keysOf([
    createTestTuple(1, { customer_id: 'C1', phone: '5550000001' }),
    createTestTuple(2, { customer_id: 'C2', phone: '5550000001' }),
    createTestTuple(3, { phone: '5550000001' }),
  ]);
  assert.notEqual(a, b);
  assert.equal(ivr, null, 'a call from the household phone alone cannot be told apart');
  const r = stitch([createTestTuple(1, { customer_id: 'C1', phone: '5550000001' }), createTestTuple(2, { customer_id: 'C2', phone: '5550000001' })]);
  assert.deepEqual(r.ambiguous, ['phone:5550000001']);
});

test('an ambiguous phone does not stop the customer own email from linking', () => {
  const [a, , mail] = keysOf([
    createTestTuple(1, { customer_id: 'C1', phone: '5550000001', email: 'a@x.com' }),
    createTestTuple(2, { customer_id: 'C2', phone: '5550000001' }),
    createTestTuple(3, { email: 'a@x.com' }),
  ]);
  assert.equal(mail, a);
});

test('strong identifiers on one record join, and a weak chain between two customers does not', () => {
  const [a, b, c, d] = keysOf([
    createTestTuple(1, { customer_id: 'C1', account_id: 'A1' }),
    createTestTuple(2, { account_id: 'A1', email: 'a@x.com' }),
    createTestTuple(3, { customer_id: 'C2', cookie_id: 'k9' }),
    createTestTuple(4, { email: 'a@x.com', cookie_id: 'k9' }),
  ]);
  assert.equal(a, b);
  assert.notEqual(a, c);
  assert.equal(d, null, 'the cookie and email point at different customers');
});

test('placeholders never link records', () => {
  const [a, b, c] = keysOf([
    createTestTuple(1, { customer_id: 'C1', phone: '0000000000' }),
    createTestTuple(2, { customer_id: 'C2', email: 'none@none.com', phone: '0000000000' }),
    createTestTuple(3, { phone: '0000000000' }),
  ]);
  assert.notEqual(a, b);
  assert.equal(c, null);
  assert.deepEqual(stitch([createTestTuple(3, { phone: '0000000000' })]).placeholders, ['phone:0000000000']);
});

test('an anonymous cookie joins the customer once a later record links it, keeping the customer key', () => {
  const before = stitch([createTestTuple(1, { cookie_id: 'k1' }), createTestTuple(2, { customer_id: 'C1' })]);
  const anon = before.keys.get(1)!;
  const cust = before.keys.get(2)!;
  assert.notEqual(anon, cust);
  const after = stitch([
    createTestTuple(1, { cookie_id: 'k1' }, anon),
    createTestTuple(2, { customer_id: 'C1' }, cust),
    createTestTuple(3, { cookie_id: 'k1', customer_id: 'C1' }),
  ]);
  assert.equal(after.keys.get(1), cust);
  assert.equal(after.keys.get(3), cust);
});

test('customer keys are stable across later imports', () => {
  const first = stitch([createTestTuple(1, { customer_id: 'C1' }), createTestTuple(2, { customer_id: 'C2', email: 'b@x.com' })]);
  const second = stitch([
    createTestTuple(0, { customer_id: 'C0' }),
    createTestTuple(1, { customer_id: 'C1' }, first.keys.get(1)!),
    createTestTuple(2, { customer_id: 'C2', email: 'b@x.com' }, first.keys.get(2)!),
    createTestTuple(5, { email: 'b@x.com', phone: '5557654321' }),
  ]);
  assert.equal(second.keys.get(1), first.keys.get(1));
  assert.equal(second.keys.get(2), first.keys.get(2));
  assert.equal(second.keys.get(5), first.keys.get(2));
  assert.equal(second.customers, 3);
});

test('keys do not depend on whether records arrive in one import or day by day', () => {
  const cookieFirst = [createTestTuple(1, { cookie_id: 'k1' }), createTestTuple(2, { cookie_id: 'k1', customer_id: 'C1' })];
  const atOnce = stitch(cookieFirst);
  const day1 = stitch([cookieFirst[0]!]);
  const day2 = stitch([createTestTuple(1, { cookie_id: 'k1' }, day1.keys.get(1)!), cookieFirst[1]!]);
  assert.equal(day2.keys.get(2), atOnce.keys.get(2));
  assert.equal(day2.keys.get(1), atOnce.keys.get(1));
});

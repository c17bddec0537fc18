import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IDENTIFIER_TYPES } from '../core/records.ts';
import type { Identifiers } from '../core/records.ts';
import { isPlaceholder, normalizeIdentifier, parseIdentifier } from './normalize.ts';
import { mintKey, stitch } from './stitch.ts';
import type { IdTuple } from './stitch.ts';
import { createPrng, createRandomIdentityRecords } from './test-fixture.ts';

function createTestTuple(id: number, ids: Partial<Identifiers>, customer_key: string | null = null): IdTuple {
  const full = Object.fromEntries(IDENTIFIER_TYPES.map((t) => [t, ids[t] ?? null])) as Identifiers;
  return { tuple_id: id, ids: full, first_seq: id, customer_key };
}

/** Tuples keyed to their customer, with the result's keys alongside for readable asserts. */
async function keysOf(tuples: IdTuple[]): Promise<(string | null)[]> {
  const r = await stitch(tuples);
  return tuples.map((t) => r.keys.get(t.tuple_id) ?? null);
}

test('phones are normalised to E.164 and emails trimmed and lower-cased', () => {
  assert.equal(normalizeIdentifier('phone', '(555) 123-4567'), '+15551234567');
  assert.equal(normalizeIdentifier('phone', '+1 555 123 4567'), '+15551234567');
  assert.equal(normalizeIdentifier('email', '  Ann.Lee@Example.COM '), 'ann.lee@example.com');
  assert.equal(normalizeIdentifier('customer_id', '  C1 '), 'C1');
  assert.equal(normalizeIdentifier('email', '   '), null);
  assert.deepEqual(parseIdentifier('phone:555-123-4567'), { type: 'phone', value: '+15551234567' });
  assert.throws(() => parseIdentifier('fax:123'), /not an identifier/);
});

test('blocked caller ids and dummy emails are placeholders', () => {
  assert.ok(isPlaceholder('phone', '0000000000'));
  assert.ok(isPlaceholder('phone', '123'));
  assert.ok(isPlaceholder('email', 'none@none.com'));
  assert.ok(isPlaceholder('email', 'noemail@example.com'));
  assert.ok(isPlaceholder('customer_id', 'unknown'));
  assert.ok(isPlaceholder('phone', '555123456'), 'not a possible number, kept as digits');
  assert.ok(!isPlaceholder('phone', '+15551234567'));
  assert.ok(!isPlaceholder('email', 'ann@example.com'));
});

test('records sharing an identifier become one customer', async () => {
  const [a, b, c] = await keysOf([
    createTestTuple(1, { customer_id: 'C1', phone: '+15551234567' }),
    createTestTuple(2, { phone: '+15551234567' }),
    createTestTuple(3, { customer_id: 'C2' }),
  ]);
  assert.equal(a, b);
  assert.notEqual(a, c);
});

test('a shared household phone never merges two customers and links nothing', async () => {
  const [a, b, ivr] = await keysOf([
    createTestTuple(1, { customer_id: 'C1', phone: '+15550000001' }),
    createTestTuple(2, { customer_id: 'C2', phone: '+15550000001' }),
    createTestTuple(3, { phone: '+15550000001' }),
  ]);
  assert.notEqual(a, b);
  assert.equal(ivr, null, 'a call from the household phone alone cannot be told apart');
  const r = await stitch([createTestTuple(1, { customer_id: 'C1', phone: '+15550000001' }), createTestTuple(2, { customer_id: 'C2', phone: '+15550000001' })]);
  assert.deepEqual(r.ambiguous, ['phone:+15550000001']);
});

test('an ambiguous phone does not stop the customer own email from linking', async () => {
  const [a, , mail] = await keysOf([
    createTestTuple(1, { customer_id: 'C1', phone: '+15550000001', email: 'a@x.com' }),
    createTestTuple(2, { customer_id: 'C2', phone: '+15550000001' }),
    createTestTuple(3, { email: 'a@x.com' }),
  ]);
  assert.equal(mail, a);
});

test('strong identifiers on one record join, and a weak chain between two customers does not', async () => {
  const [a, b, c, d] = await keysOf([
    createTestTuple(1, { customer_id: 'C1', account_id: 'A1' }),
    createTestTuple(2, { account_id: 'A1', email: 'a@x.com' }),
    createTestTuple(3, { customer_id: 'C2', cookie_id: 'k9' }),
    createTestTuple(4, { email: 'a@x.com', cookie_id: 'k9' }),
  ]);
  assert.equal(a, b);
  assert.notEqual(a, c);
  assert.equal(d, null, 'the cookie and email point at different customers');
});

test('placeholders never link records', async () => {
  const [a, b, c] = await keysOf([
    createTestTuple(1, { customer_id: 'C1', phone: '0000000000' }),
    createTestTuple(2, { customer_id: 'C2', email: 'none@none.com', phone: '0000000000' }),
    createTestTuple(3, { phone: '0000000000' }),
  ]);
  assert.notEqual(a, b);
  assert.equal(c, null);
  assert.deepEqual((await stitch([createTestTuple(3, { phone: '0000000000' })])).placeholders, ['phone:0000000000']);
});

test('an anonymous cookie joins the customer once a later record links it, keeping the customer key', async () => {
  const before = await stitch([createTestTuple(1, { cookie_id: 'k1' }), createTestTuple(2, { customer_id: 'C1' })]);
  const anon = before.keys.get(1)!;
  const cust = before.keys.get(2)!;
  assert.notEqual(anon, cust);
  const after = await stitch([
    createTestTuple(1, { cookie_id: 'k1' }, anon),
    createTestTuple(2, { customer_id: 'C1' }, cust),
    createTestTuple(3, { cookie_id: 'k1', customer_id: 'C1' }),
  ]);
  assert.equal(after.keys.get(1), cust);
  assert.equal(after.keys.get(3), cust);
});

test('customer keys are stable across later imports', async () => {
  const first = await stitch([createTestTuple(1, { customer_id: 'C1' }), createTestTuple(2, { customer_id: 'C2', email: 'b@x.com' })]);
  const second = await stitch([
    createTestTuple(0, { customer_id: 'C0' }),
    createTestTuple(1, { customer_id: 'C1' }, first.keys.get(1)!),
    createTestTuple(2, { customer_id: 'C2', email: 'b@x.com' }, first.keys.get(2)!),
    createTestTuple(5, { email: 'b@x.com', phone: '+15557654321' }),
  ]);
  assert.equal(second.keys.get(1), first.keys.get(1));
  assert.equal(second.keys.get(2), first.keys.get(2));
  assert.equal(second.keys.get(5), first.keys.get(2));
  assert.equal(second.customers, 3);
});

test('keys do not depend on whether records arrive in one import or day by day', async () => {
  const cookieFirst = [createTestTuple(1, { cookie_id: 'k1' }), createTestTuple(2, { cookie_id: 'k1', customer_id: 'C1' })];
  const atOnce = await stitch(cookieFirst);
  const day1 = await stitch([cookieFirst[0]!]);
  const day2 = await stitch([createTestTuple(1, { cookie_id: 'k1' }, day1.keys.get(1)!), cookieFirst[1]!]);
  assert.equal(day2.keys.get(2), atOnce.keys.get(2));
  assert.equal(day2.keys.get(1), atOnce.keys.get(1));
});

test('a key minted for a new customer that a later customer already holds goes to the new one, and the later one mints its own', async () => {
  // The new customer comes first in input order, so it claims the key its cookie mints; the
  // customer that held it (an earlier collision) has to give it up, as a full resolve would.
  const taken = mintKey('cookie_id:k-new');
  const r = await stitch([createTestTuple(1, { cookie_id: 'k-new' }), createTestTuple(2, { cookie_id: 'k-old' }, taken)]);
  assert.deepEqual([r.keys.get(1), r.keys.get(2)], [taken, mintKey('cookie_id:k-old')]);
});

test('a stored key that Throughline did not mint is an error, not a silent new customer', async () => {
  await assert.rejects(stitch([createTestTuple(1, { cookie_id: 'k1' }, 'C-42')]), /customer key "C-42" in id_tuples was not minted by Throughline/);
});

test('tuples joined only through a placeholder or an ambiguous phone are told apart, yet one component through the phone', async () => {
  const r = await stitch([
    createTestTuple(1, { customer_id: 'C1', phone: '+15550000001' }),
    createTestTuple(2, { customer_id: 'C2', phone: '+15550000001' }),
    createTestTuple(3, { customer_id: 'C3', phone: '0000000000' }),
    createTestTuple(4, { phone: '0000000000' }),
    createTestTuple(5, {}),
  ]);
  assert.notEqual(r.keys.get(1), r.keys.get(2));
  // The ambiguous phone still connects: whether it links depends on both customers.
  assert.deepEqual([...r.components].sort((a, b) => a[0] - b[0]), [
    [1, 1],
    [2, 1],
    [3, 3],
    [4, 4],
    [5, 5],
  ]);
});

/**
 * A merge stitches only the components its new tuples touch (src/identity/restitch.ts does the
 * same against the store). Here, in memory, against a full resolve after every batch: the way
 * every merge stitched before it became incremental.
 */
async function importInBatches(records: readonly Partial<Identifiers>[], cuts: readonly number[], incremental: boolean): Promise<Map<string, IdTuple>> {
  const tuples = new Map<string, IdTuple>();
  let lastId = 0;
  let from = 0;
  for (const to of [...cuts, records.length]) {
    const fresh: IdTuple[] = [];
    for (let seq = from; seq < to; seq++) {
      const ids = Object.fromEntries(IDENTIFIER_TYPES.map((t) => [t, records[seq]![t] ?? null])) as Identifiers;
      const key = IDENTIFIER_TYPES.map((t) => ids[t] ?? '').join('\u001f');
      if (tuples.has(key)) continue;
      const t: IdTuple = { tuple_id: ++lastId, ids, first_seq: seq, customer_key: null, component_id: null };
      tuples.set(key, t);
      fresh.push(t);
    }
    from = to;
    let part = [...tuples.values()];
    if (incremental) {
      const values = new Set(fresh.flatMap((t) => IDENTIFIER_TYPES.filter((type) => t.ids[type] !== null && !isPlaceholder(type, t.ids[type]!)).map((type) => `${type}:${t.ids[type]}`)));
      const touched = new Set(part.filter((t) => t.component_id !== null && IDENTIFIER_TYPES.some((type) => values.has(`${type}:${t.ids[type]}`))).map((t) => t.component_id));
      part = part.filter((t) => t.component_id === null || touched.has(t.component_id));
    }
    const r = await stitch(part);
    for (const t of part) tuples.set(IDENTIFIER_TYPES.map((type) => t.ids[type] ?? '').join('\u001f'), { ...t, customer_key: r.keys.get(t.tuple_id)!, component_id: r.components.get(t.tuple_id)! });
  }
  return tuples;
}

test('stitching only the components new tuples touch gives every tuple the key and component a full resolve gives it', async () => {
  for (let seed = 1; seed <= 600; seed++) {
    const records = createRandomIdentityRecords(seed);
    const random = createPrng(seed * 7919);
    const cuts = records.map((_, i) => i).filter((i) => i > 0 && random() < 0.15);
    const incremental = await importInBatches(records, cuts, true);
    const full = await importInBatches(records, cuts, false);
    for (const [key, t] of incremental) {
      const f = full.get(key)!;
      assert.deepEqual([t.customer_key, t.component_id], [f.customer_key, f.component_id], `seed ${seed}, tuple ${t.tuple_id}`);
    }
    // And the stored state is what one more full resolve of the whole graph leaves unchanged.
    const again = await stitch([...incremental.values()]);
    for (const t of incremental.values()) assert.equal(again.keys.get(t.tuple_id), t.customer_key, `seed ${seed}, tuple ${t.tuple_id}`);
  }
});

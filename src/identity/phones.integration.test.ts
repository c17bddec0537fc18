/**
 * Phone numbers in any spelling name one customer (DATA.md v2): in a store imported now, and in
 * one imported before numbers were E.164, once migration 9 has run on it. Runs on DuckDB, and on
 * PostgreSQL where one answers.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { testOnEachStore } from '../../test/support/store-targets.ts';
import { IDENTIFIER_TYPES } from '../core/records.ts';
import { importRecords } from '../ingest/import.ts';
import { startTestServer } from '../server/testing.ts';
import { openStore } from '../store/open.ts';
import type { Store } from '../store/store.ts';
import { customerSummary, resolveCustomer } from './customers.ts';
import { isPlaceholder, normalizeIdentifier, parseIdentifier } from './normalize.ts';

const SPELLINGS = ['+1 (215) 206-3996', '215-206-3996', '12152063996', '2152063996'];

const interaction = (n: number, ids: Record<string, string>): Record<string, unknown> => ({
  event_id: `e${n}`,
  ts: new Date(Date.UTC(2026, 5, 1, 9, n)).toISOString(),
  channel: 'call',
  activity: 'pay_bill/ask',
  outcome: 'success',
  ...ids,
});

async function load(store: Store, rows: Record<string, unknown>[]): Promise<void> {
  const r = await importRecords(store, rows.map((fields, i) => ({ source: 'test', line: i + 1, kind: 'interactions' as const, fields })));
  assert.equal(r.rejected, 0);
}

/** Every spelling, alone and as `phone:…`, resolves to the customer `customer_id:C1` names. */
async function assertSpellingsReachC1(store: Store): Promise<string> {
  const c1 = await resolveCustomer(store, 'customer_id:C1');
  for (const s of SPELLINGS) {
    assert.equal(await resolveCustomer(store, s), c1, `a bare ${s}`);
    assert.equal(await resolveCustomer(store, `phone:${s}`), c1, `phone:${s}`);
  }
  return c1;
}

test('every spelling of a number is one E.164 value; what is not a possible number stays digits and links nothing', () => {
  for (const s of SPELLINGS) assert.equal(normalizeIdentifier('phone', s), '+12152063996', s);
  assert.equal(normalizeIdentifier('phone', '+44 20 7946 0958'), '+442079460958');
  assert.equal(normalizeIdentifier('phone', '442079460958'), '+442079460958', 'digits that fit only with a country code in front');
  for (const blocked of ['0000000000', '(000) 000-0000', '555000003', '123']) {
    const v = normalizeIdentifier('phone', blocked)!;
    assert.match(v, /^\d+$/, blocked);
    assert.ok(isPlaceholder('phone', v), `${blocked} links nothing`);
  }
  assert.deepEqual(parseIdentifier('2158326115'), { type: 'phone', value: '+12158326115' }, 'a bare number is a phone');
  assert.throws(() => parseIdentifier('C1'), /not an identifier/);
});

testOnEachStore('records imported with any spelling of a number are one customer, and a lookup by any spelling finds it', async (target) => {
  const store = await openStore(await target.freshLocation('phones-new'));
  try {
    await load(store, [
      interaction(1, { customer_id: 'C1', phone: SPELLINGS[0]! }),
      ...SPELLINGS.slice(1).map((phone, i) => interaction(2 + i, { phone })),
      // Blocked caller ids on two customers' records never join them.
      interaction(10, { customer_id: 'C2', phone: '0000000000' }),
      interaction(11, { customer_id: 'C3', phone: '000-000-0000' }),
    ]);
    const c1 = await assertSpellingsReachC1(store);
    assert.equal((await customerSummary(store, c1)).records.interactions, 4);
    assert.notEqual(await resolveCustomer(store, 'customer_id:C2'), await resolveCustomer(store, 'customer_id:C3'));
    await assert.rejects(resolveCustomer(store, '0000000000'), /placeholder/);
  } finally {
    await store.close();
  }
});

testOnEachStore('a store imported before phones were E.164 reaches the customer by any spelling after migration 9, and is stitched again', async (target) => {
  const location = await target.freshLocation('phones-old');
  // The old store, as the importer before DATA.md v2 made it: numbers as bare digits, each
  // spelling its own identifier. Those identifiers are imported here as emails (which link as
  // old phones did, and keep their spelling), then moved into the phone column and the old
  // rules version recorded, so that keys, tuples and journeys are what the old code stored.
  const asEmail = (digits: string): string => `${digits}@phone.test`;
  let store = await openStore(location);
  let ivr: string;
  try {
    await load(store, [
      interaction(1, { customer_id: 'C1', email: asEmail('12152063996') }), // was '+1 (215) 206-3996'
      interaction(2, { email: asEmail('2152063996') }), // an IVR call, written 215-206-3996
      interaction(7, { email: asEmail('12152063996') }), // another call, written +1 215 206 3996
      interaction(3, { customer_id: 'C2', email: 'none@none.com' }), // a blocked caller id, 0000000000
      interaction(4, { customer_id: 'C3', email: 'none@none.com' }),
      interaction(5, { customer_id: 'C4', email: asEmail('442079460958') }), // was '+44 20 7946 0958'
    ]);
    ivr = await resolveCustomer(store, `email:${asEmail('2152063996')}`);
    assert.notEqual(ivr, await resolveCustomer(store, 'customer_id:C1'), 'the old store holds the call apart from C1');
    const key = IDENTIFIER_TYPES.map((t) => `coalesce(${t}, '') || chr(31)`).join(' || ');
    for (const table of ['id_tuples', 'interactions']) {
      await store.exec(`UPDATE ${table} SET phone = CASE WHEN email = 'none@none.com' THEN '0000000000' ELSE replace(email, '@phone.test', '') END, email = NULL`);
    }
    await store.exec(`UPDATE id_tuples SET tuple_key = ${key}`);
    await store.exec(`UPDATE settings SET value = '1' WHERE key = 'stitch_rules'`);
    await store.exec(`DELETE FROM schema_migrations WHERE version = 9`);
  } finally {
    await store.close();
  }

  store = await openStore(location);
  try {
    const c1 = await assertSpellingsReachC1(store);
    const summary = await customerSummary(store, c1);
    assert.equal(summary.records.interactions, 3, 'the call joined C1');
    assert.deepEqual(summary.identifiers.map((i) => `${i.type}:${i.value}`), ['customer_id:C1', 'phone:+12152063996']);
    assert.equal(summary.journeys, 1, "the call is a step of C1's journey now");
    const [orphans] = await store.query(`SELECT count(*) AS n FROM journeys WHERE customer_key = $1`, [ivr]);
    assert.equal(Number(orphans!.n), 0, 'no journey is left under the key the call had');
    const [tuples] = await store.query(`SELECT count(*) AS n FROM id_tuples WHERE phone = '+12152063996'`);
    assert.equal(Number(tuples!.n), 2, 'the two calls, one number now, are one tuple');
    assert.notEqual(await resolveCustomer(store, 'customer_id:C2'), await resolveCustomer(store, 'customer_id:C3'), 'a blocked caller id still links nothing');
    assert.equal(await resolveCustomer(store, '+44 20 7946 0958'), await resolveCustomer(store, 'customer_id:C4'));

    // New records in any spelling join the migrated customer.
    await load(store, [interaction(6, { phone: '(215) 206-3996' })]);
    assert.equal((await customerSummary(store, c1)).records.interactions, 4);
  } finally {
    await store.close();
  }
});

test("the server's lookups take a bare number in any spelling, as an agent types it", async () => {
  const s = await startTestServer({ preloadContextCache: false });
  try {
    await s.load('interactions', [interaction(1, { customer_id: 'C1', phone: '+1 215 206 3996' }), interaction(2, { phone: '215.206.3996' })]);
    const key = (await s.call('agent', { method: 'GET', url: '/api/v1/customers/customer_id%3AC1' })).json<{ customer_key: string }>().customer_key;
    for (const spelling of [...SPELLINGS, 'phone:215-206-3996']) {
      const url = `/api/v1/customers/${encodeURIComponent(spelling)}`;
      const summary = await s.call('agent', { method: 'GET', url });
      assert.equal(summary.statusCode, 200, `${spelling}: ${summary.body}`);
      assert.equal(summary.json<{ customer_key: string }>().customer_key, key, spelling);
      const context = await s.call('agent', { method: 'GET', url: `${url}/context` });
      assert.equal(context.json<{ customer_key: string }>().customer_key, key, `${spelling} (context)`);
    }
    const unknown = await s.call('agent', { method: 'GET', url: '/api/v1/customers/2158326115' });
    assert.equal(unknown.statusCode, 404, 'an unknown number is not found, not "not an identifier"');
  } finally {
    await s.close();
  }
});

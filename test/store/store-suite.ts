/**
 * The store conformance suite: every store (DuckDB, PostgreSQL) runs these same tests unchanged.
 * A store passes when the domain cannot tell it apart from the others.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { IDENTIFIER_TYPES } from '../../src/core/records.ts';
import type { Interaction } from '../../src/core/records.ts';
import { applyMigrations, latestVersion } from '../../src/store/migrations/index.ts';
import { ANNOUNCE_MAX_BYTES } from '../../src/store/store.ts';
import type { Row, Store } from '../../src/store/store.ts';

export function createTestStagedInteraction(seq: number, overrides: Partial<Interaction> = {}): Interaction {
  return {
    event_id: `e${seq}`,
    ts: Date.UTC(2026, 5, 1, 9, 0) + seq * 1000,
    channel: 'web',
    activity: 'pay_bill/login',
    outcome: 'success',
    direction: 'inbound',
    agent_id: null,
    intent: 'pay_bill',
    journey_id: null,
    duration_s: 1.5,
    wait_s: null,
    text: 'a "quoted", text\nwith a newline',
    ids: Object.fromEntries(IDENTIFIER_TYPES.map((t) => [t, t === 'customer_id' ? 'C1' : null])) as Interaction['ids'],
    attrs: { plan: 'gold' },
    line: seq + 1,
    ...overrides,
  };
}

export function runStoreSuite(name: string, openFresh: () => Promise<Store>): void {
  describe(`${name} store`, () => {
    let store: Store;
    before(async () => {
      store = await openFresh();
    });
    after(async () => {
      await store.close();
    });

    test('migrations are recorded and running them again changes nothing', async () => {
      const rows = await store.query('SELECT max(version) AS v FROM schema_migrations');
      assert.equal(rows[0]!.v, latestVersion());
      assert.deepEqual(await applyMigrations(store), []);
    });

    test('big integers come back as numbers, never as bigint', async () => {
      const [row] = await store.query('SELECT CAST($1 AS BIGINT) AS n, CAST(NULL AS TEXT) AS s', [1780304580000]);
      assert.equal(row!.n, 1780304580000);
      assert.equal(row!.s, null);
      assert.doesNotThrow(() => JSON.stringify(row));
    });

    test('a failed transaction leaves nothing behind', async () => {
      await assert.rejects(
        store.transaction(async (tx) => {
          await tx.exec(`INSERT INTO settings (key, value) VALUES ('probe', 'x')`);
          throw new Error('boom');
        }),
        /boom/,
      );
      assert.deepEqual(await store.query(`SELECT value FROM settings WHERE key = 'probe'`), []);
      await store.transaction((tx) => tx.exec(`INSERT INTO settings (key, value) VALUES ('probe', 'y')`));
      assert.deepEqual(await store.query(`SELECT value FROM settings WHERE key = 'probe'`), [{ value: 'y' }]);
    });

    test('staged records are visible to SQL after a flush, with every value intact', async () => {
      const staging = await store.openStaging();
      try {
        for (let i = 1; i <= 3; i++) staging.append('interactions', { seq: i, tupleKey: `k${i}`, record: createTestStagedInteraction(i) });
        await staging.flush();
        // Staging tables belong to the staging's own session: read them in its transaction.
        const rows = await staging.transaction((tx) =>
          tx.query('SELECT seq, event_id, ts, duration_s, text, attrs, customer_id, phone, tuple_key FROM stg_interactions ORDER BY seq'),
        );
        assert.equal(rows.length, 3);
        assert.deepEqual(rows[0], {
          seq: 1,
          event_id: 'e1',
          ts: Date.UTC(2026, 5, 1, 9, 0) + 1000,
          duration_s: 1.5,
          text: 'a "quoted", text\nwith a newline',
          attrs: '{"plan":"gold"}',
          customer_id: 'C1',
          phone: null,
          tuple_key: 'k1',
        });
      } finally {
        await staging.release();
        await staging.release();
      }
    });

    test('bulk inserts land inside a transaction and roll back with it', async () => {
      await store.exec('CREATE TABLE IF NOT EXISTS probe_bulk (a BIGINT, b TEXT, c DOUBLE PRECISION)');
      await store.bulkInsert('probe_bulk', ['a', 'b', 'c'], [
        [1, 'x', 0.5],
        [2, null, null],
      ]);
      await assert.rejects(
        store.transaction(async (tx) => {
          await tx.bulkInsert('probe_bulk', ['a', 'b', 'c'], [[3, 'z', 1]]);
          throw new Error('undo');
        }),
      );
      assert.deepEqual(await store.query('SELECT a, b, c FROM probe_bulk ORDER BY a'), [
        { a: 1, b: 'x', c: 0.5 },
        { a: 2, b: null, c: null },
      ]);
    });

    test('text holding a NUL character is written by parameters, bulk inserts and staging alike', async () => {
      const text = 'before\u0000after';
      // PostgreSQL text cannot hold NUL: it keeps U+FFFD in its place (postgres-values.ts).
      const storable = (v: unknown): boolean => v === text || v === text.replaceAll('\u0000', '\uFFFD');
      await store.transaction((tx) => tx.exec(`INSERT INTO settings (key, value) VALUES ($1, $2)`, ['probe-nul', text]));
      const [set] = await store.query(`SELECT value FROM settings WHERE key = $1`, ['probe-nul']);
      assert.ok(storable(set?.value), JSON.stringify(set));
      await store.exec('CREATE TABLE IF NOT EXISTS probe_nul (b TEXT)');
      await store.bulkInsert('probe_nul', ['b'], [[text]]);
      const [bulk] = await store.query('SELECT b FROM probe_nul');
      assert.ok(storable(bulk?.b), JSON.stringify(bulk));
      const staging = await store.openStaging();
      try {
        staging.append('interactions', { seq: 1, tupleKey: 'k1', record: createTestStagedInteraction(1, { activity: text }) });
        await staging.flush();
        const [staged] = await staging.transaction((tx) => tx.query('SELECT activity FROM stg_interactions'));
        assert.ok(storable(staged?.activity), JSON.stringify(staged));
      } finally {
        await staging.release();
      }
    });

    test('a large result streams in batches', async () => {
      let rows = 0;
      let batches = 0;
      for await (const batch of store.stream('SELECT * FROM generate_series(1, 10000) AS g(n)')) {
        rows += batch.length;
        batches++;
      }
      assert.equal(rows, 10000);
      assert.ok(batches > 1, 'more than one batch');
    });

    test('statements sent at once, in a transaction or not, each come back whole', async () => {
      // Analyses send independent queries together (journeysDocument, brokenSteps), also inside
      // an import's transaction: each answer must be its own and complete.
      const sizes = [50_000, 3, 20_000, 70_000];
      const together = (q: Pick<Store, 'query'>): Promise<Row[][]> =>
        Promise.all(sizes.map((n) => q.query(`SELECT ${n} AS size, g.n AS n FROM generate_series(1, ${n}) AS g(n)`)));
      const check = (results: Row[][], where: string): void => {
        results.forEach((rows, i) => {
          assert.equal(rows.length, sizes[i], `${where}: query ${i} came back with ${rows.length} of ${sizes[i]} rows`);
          assert.ok(
            rows.every((r) => r.size === sizes[i]),
            `${where}: query ${i} holds rows of another`,
          );
          assert.equal(rows.reduce((s, r) => s + Number(r.n), 0), (sizes[i]! * (sizes[i]! + 1)) / 2, `${where}: query ${i}`);
        });
      };
      // A driver that had to queue them itself may say so (pg 8 warns that pg 9 will not).
      const warnings: string[] = [];
      const onWarning = (w: Error): void => void warnings.push(`${w.name}: ${w.message}`);
      process.on('warning', onWarning);
      check(await together(store), 'outside a transaction');
      await store.exec(`CREATE TABLE concurrent_t (n BIGINT)`);
      try {
        await store.transaction(async (tx) => {
          await tx.exec(`INSERT INTO concurrent_t SELECT g.n FROM generate_series(1, 1000) AS g(n)`);
          check(await together(tx), 'in a transaction');
          // The store itself, called from inside the transaction, takes its turn there too.
          const [mine, counted] = await Promise.all([together(store), store.query(`SELECT count(*) AS n FROM concurrent_t`)]);
          check(mine, 'the store inside a transaction');
          assert.equal(counted[0]!.n, 1000, 'a statement inside the transaction sees its uncommitted rows');
        });
      } finally {
        await store.exec(`DROP TABLE concurrent_t`);
        await new Promise((resolve) => setImmediate(resolve));
        process.off('warning', onWarning);
      }
      assert.deepEqual(warnings, [], 'statements sent together must wait their turn in the store, not in the driver');
    });

    test('a reader reads while a write transaction is open, and sees only what was committed', async () => {
      const reader = await store.openReader();
      try {
        await store.transaction((tx) => tx.exec(`INSERT INTO settings (key, value) VALUES ('reader-probe', 'committed')`));
        let during: unknown[] = [];
        await store.transaction(async (tx) => {
          await tx.exec(`UPDATE settings SET value = 'uncommitted' WHERE key = 'reader-probe'`);
          // On one connection this read would wait for the transaction, which waits for it: it would never end.
          during = await reader.query(`SELECT value FROM settings WHERE key = 'reader-probe'`);
        });
        assert.deepEqual(during, [{ value: 'committed' }]);
        assert.deepEqual(await reader.query(`SELECT value FROM settings WHERE key = 'reader-probe'`), [{ value: 'uncommitted' }]);
        let streamed = 0;
        for await (const batch of reader.stream('SELECT * FROM generate_series(1, 5000) AS g(n)')) streamed += batch.length;
        assert.equal(streamed, 5000);
      } finally {
        await reader.close();
      }
      // Closing a reader leaves the store working.
      assert.deepEqual(await store.query(`SELECT value FROM settings WHERE key = 'reader-probe'`), [{ value: 'uncommitted' }]);
    });

    test('an announcement reaches every watcher in the process, until it stops watching', async () => {
      const heard = [0, 0];
      const stops = [await store.watch('api_keys', () => heard[0]!++), await store.watch('api_keys', () => heard[1]!++)];
      // A watcher may hear more than was announced (PostgreSQL calls it once it listens), never less.
      const before = [...heard];
      await store.announce('api_keys');
      for (let waited = 0; heard.some((n, i) => n === before[i]) && waited < 3000; waited += 20) await new Promise((r) => setTimeout(r, 20));
      assert.ok(heard[0]! > before[0]! && heard[1]! > before[1]!, `both watchers heard it: ${heard.join(', ')} after ${before.join(', ')}`);
      await stops[0]!();
      const stopped = heard[0]!;
      const still = heard[1]!;
      await store.announce('api_keys');
      for (let waited = 0; heard[1] === still && waited < 3000; waited += 20) await new Promise((r) => setTimeout(r, 20));
      assert.ok(heard[1]! > still, 'the other watcher still hears');
      assert.equal(heard[0], stopped, 'a watcher that stopped hears nothing more');
      await stops[1]!();
    });

    test('an announcement carries its payload to the watchers of its topic only, and must fit a NOTIFY', async () => {
      const customers: (string | null)[] = [];
      const keys: (string | null)[] = [];
      const stops = [await store.watch('customers', (n) => customers.push(n)), await store.watch('api_keys', (n) => keys.push(n))];
      await store.announce('customers', '{"c":["k1"]}');
      for (let waited = 0; !customers.includes('{"c":["k1"]}') && waited < 3000; waited += 20) await new Promise((r) => setTimeout(r, 20));
      assert.ok(customers.includes('{"c":["k1"]}'), `heard ${JSON.stringify(customers)}`);
      assert.ok(!keys.includes('{"c":["k1"]}'), 'the other topic heard nothing of it');
      await store.announce('customers', ['one', 'two']);
      for (let waited = 0; !(customers.includes('one') && customers.includes('two')) && waited < 3000; waited += 20) await new Promise((r) => setTimeout(r, 20));
      assert.ok(customers.includes('one') && customers.includes('two'), `several announced at once are each heard: ${JSON.stringify(customers)}`);
      await assert.rejects(store.announce('customers', 'x'.repeat(ANNOUNCE_MAX_BYTES + 1)), /more than 7900/);
      for (const stop of stops) await stop();
    });
  });
}

/**
 * A revoked key is refused by every server at once, not when each server's cache of verified
 * keys expires (30 s): revoking announces it (NOTIFY on PostgreSQL), and every server listening
 * forgets what it cached. Several servers share one PostgreSQL database (issue 8); here each
 * "server" is an app over a store of its own (its own pool and listening connection, as a
 * process has), and the "CLI" is a third store on the same database.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { createApp, createKey, revokeKey } from '../../src/server/index.ts';
import { openStore } from '../../src/store/open.ts';
import type { Store } from '../../src/store/store.ts';
import { describeOn, storeTargets, testOnEachStore } from '../support/store-targets.ts';

/** Within this a notice must have arrived: below the key cache's 30 s, which only a notice beats, and loose enough for a loaded machine. */
const PROMPTLY_MS = 15_000;

async function answer(app: FastifyInstance, key: string): Promise<number> {
  return (await app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${key}` } })).statusCode;
}

/** Polls until `app` refuses `key`; returns how long it took, or fails after PROMPTLY_MS. */
async function refusedWithin(app: FastifyInstance, key: string, what: string): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    const status = await answer(app, key);
    if (status === 401) return Date.now() - t0;
    assert.equal(status, 200, `${what}: ${status} before the key was refused`);
    if (Date.now() - t0 > PROMPTLY_MS) assert.fail(`${what}: the revoked key was still accepted after ${PROMPTLY_MS} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

// One process holds a DuckDB file: what the CLI would do goes through the server's own store.
testOnEachStore('a key revoked beside a running server, not through its API, is refused at once', async (target) => {
  const location = await target.freshLocation('revoke');
  const store = await openStore(location);
  const cli = target.dialect === 'duckdb' ? store : await openStore(location);
  const app = await createApp({ store });
  try {
    const { id, key } = await createKey(cli, 'analyst', 'revoked beside', Date.now());
    assert.equal(await answer(app, key), 200, 'the new key works (and is now cached for 30 s)');
    await revokeKey(cli, id, Date.now());
    await refusedWithin(app, key, 'the server');
  } finally {
    await app.close();
    if (cli !== store) await cli.close();
    await store.close();
  }
});

for (const target of storeTargets().filter((t) => t.dialect === 'postgres')) {
  describeOn(target, 'two servers and a CLI on one database', () => {
    let stores: Store[] = [];
    let a: FastifyInstance;
    let b: FastifyInstance;
    let cli: Store;
    let admin: string;

    before(async () => {
      const location = await target.freshLocation('revoke2');
      stores = [await openStore(location), await openStore(location), await openStore(location)];
      cli = stores[2]!;
      a = await createApp({ store: stores[0]! });
      b = await createApp({ store: stores[1]! });
      admin = (await createKey(cli, 'admin', 'revocation test', Date.now())).key;
    });

    after(async () => {
      await a?.close();
      await b?.close();
      for (const s of stores) await s.close();
    });

    async function usedOnBoth(): Promise<{ id: string; key: string }> {
      const created = await createKey(cli, 'agent', 'used on both', Date.now());
      assert.equal(await answer(a, created.key), 200);
      assert.equal(await answer(b, created.key), 200);
      return created;
    }

    test('revoked through one server’s API, the key is refused by the other at once', async () => {
      const { id, key } = await usedOnBoth();
      const r = await a.inject({ method: 'DELETE', url: `/api/v1/keys/${id}`, headers: { authorization: `Bearer ${admin}` } });
      assert.equal(r.statusCode, 200, r.body);
      assert.equal(await answer(a, key), 401, 'the server that revoked it refuses it at once');
      await refusedWithin(b, key, 'the other server');
    });

    test('revoked by the CLI, the key is refused by both servers', async () => {
      const { id, key } = await usedOnBoth();
      await revokeKey(cli, id, Date.now());
      await refusedWithin(a, key, 'server A');
      await refusedWithin(b, key, 'server B');
    });

    test('a server that lost its listening connection forgets its cache when it is back', async () => {
      const { id, key } = await usedOnBoth();
      // Cut every listening session, then revoke while they are down: the notice is lost.
      const cut = await cli.query(`SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE 'LISTEN %'`);
      assert.equal(cut.length, 2, 'each server listens on a connection of its own');
      await revokeKey(cli, id, Date.now());
      await refusedWithin(a, key, 'server A, reconnected');
      await refusedWithin(b, key, 'server B, reconnected');
    });
  });
}

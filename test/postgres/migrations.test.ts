/**
 * Servers started together against a fresh shared database (replicas of one deployment) all open
 * it: the migrations run once, whoever gets there first, and nobody fails on a table another
 * process just created. Skips itself, and says so, where no PostgreSQL answers.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { applyMigrations, latestVersion, MIGRATIONS } from '../../src/store/migrations/index.ts';
import { openStore } from '../../src/store/open.ts';
import { createTestDatabase, dropTestDatabase, NO_POSTGRES } from '../../src/store/postgres/postgres-testing.ts';

const url = await createTestDatabase('tl_migrate');

if (url === null) {
  test('stores opened at once on a fresh database migrate it once', (t) => t.skip(`${NO_POSTGRES}: skipped`));
} else {
  after(() => dropTestDatabase(url));

  test('stores opened at once on a fresh database migrate it once', async () => {
    const stores = await Promise.all(Array.from({ length: 4 }, () => openStore(url)));
    try {
      const rows = await stores[0]!.query('SELECT version FROM schema_migrations ORDER BY version');
      assert.deepEqual(rows.map((r) => r.version), MIGRATIONS.map((m) => m.version));
      assert.equal(rows.at(-1)!.version, latestVersion());
      assert.deepEqual(await applyMigrations(stores[1]!), [], 'nothing is left to run');
    } finally {
      for (const s of stores) await s.close();
    }
  });
}

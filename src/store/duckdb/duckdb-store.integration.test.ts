import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { runStoreSuite } from '../../../test/store/store-suite.ts';
import { tempDir } from '../../../test/support/fixtures.ts';
import { isAppError } from '../../core/errors.ts';
import { openStore } from '../open.ts';
import type { Queryable } from '../store.ts';

runStoreSuite('DuckDB', () => openStore(path.join(tempDir(), 'suite.duckdb')));

test('a second process gets a clear "in use" error instead of a raw lock error', async () => {
  const file = path.join(tempDir(), 'locked.duckdb');
  (await openStore(file)).close();
  // Another process holds the file read-write, as `throughline serve` does.
  const holder = spawn(
    process.execPath,
    ['--input-type=module', '-e', `import { DuckDBInstance } from '@duckdb/node-api'; await DuckDBInstance.create(${JSON.stringify(file)}); console.log('ready'); setTimeout(() => {}, 30000);`],
    { cwd: path.resolve(import.meta.dirname, '../../..'), stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
    const err = await openStore(file).then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(isAppError(err), 'an AppError');
    assert.equal(err.code, 'locked');
    assert.match(err.message, /in use by another Throughline process \(pid \d+\)/);
    assert.doesNotMatch(err.message, /IO Error|Could not set lock/);
  } finally {
    holder.kill();
  }
});

test('THROUGHLINE_DUCKDB_MEMORY sets DuckDB’s memory limit; something that is not an amount is refused', async () => {
  const limitOf = async (value: string | undefined): Promise<unknown> => {
    const before = process.env.THROUGHLINE_DUCKDB_MEMORY;
    if (value === undefined) delete process.env.THROUGHLINE_DUCKDB_MEMORY;
    else process.env.THROUGHLINE_DUCKDB_MEMORY = value;
    try {
      const store = await openStore(path.join(tempDir(), 'memory.duckdb'));
      try {
        return (await store.query(`SELECT current_setting('memory_limit') AS v`))[0]!.v;
      } finally {
        await store.close();
      }
    } finally {
      if (before === undefined) delete process.env.THROUGHLINE_DUCKDB_MEMORY;
      else process.env.THROUGHLINE_DUCKDB_MEMORY = before;
    }
  };
  assert.equal(await limitOf(undefined), '732.4 MiB');
  assert.equal(await limitOf('2GB'), '1.8 GiB');
  await assert.rejects(limitOf('lots'), (e: unknown) => isAppError(e) && e.code === 'usage' && /is not an amount of memory/.test(e.message));
});

test('memory lent to a step inside a transaction comes back after it, also when the step fails and aborts the transaction', async () => {
  const store = await openStore(path.join(tempDir(), 'lend.duckdb'));
  try {
    const limit = async (q: Queryable): Promise<unknown> => (await q.query(`SELECT current_setting('memory_limit') AS v`))[0]!.v;
    assert.equal(await limit(store), '732.4 MiB');
    await store.transaction(async (tx) => {
      assert.ok(tx.lendMemory, 'DuckDB shares the process, so it has memory to lend');
      assert.equal(await tx.lendMemory(() => limit(tx)), '366.2 MiB');
      assert.equal(await limit(tx), '732.4 MiB');
    });
    await store.exec(`CREATE TABLE once (a INTEGER PRIMARY KEY)`);
    // DuckDB refuses every statement in an aborted transaction, a SET too, until the rollback.
    const failing = store.transaction((tx) => tx.lendMemory!(() => tx.exec(`INSERT INTO once VALUES (1), (1)`)));
    await assert.rejects(failing, /PRIMARY KEY or UNIQUE constraint/);
    assert.equal(await limit(store), '732.4 MiB');
  } finally {
    await store.close();
  }
});

test('a statement while a stream is read in a transaction is an error, never a stream cut short', async () => {
  const store = await openStore(path.join(tempDir(), 'streams.duckdb'));
  try {
    await store.transaction(async (tx) => {
      let read = 0;
      await assert.rejects(
        (async () => {
          for await (const batch of tx.stream('SELECT * FROM range(100000)')) {
            read += batch.length;
            await tx.query('SELECT 1 AS one');
          }
        })(),
        /while a stream on the same DuckDB connection was still being read/,
      );
      assert.ok(read > 0 && read < 100_000, 'the error came on the first statement, after the first batch');
      // Read to the end first, then query: both whole.
      let all = 0;
      for await (const batch of tx.stream('SELECT * FROM range(100000)')) all += batch.length;
      assert.equal(all, 100_000);
      assert.deepEqual(await tx.query('SELECT 1 AS one'), [{ one: 1 }]);
    });
  } finally {
    await store.close();
  }
});

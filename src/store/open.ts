/**
 * The entry point that picks a concrete store from a location: a `postgres://` URL or a file
 * path for DuckDB. Only the edges (CLI, server, benchmarks, tests) import this file.
 */
import { AppError } from '../core/errors.ts';
import { bytesOf } from './memory-amount.ts';
import { applyMigrations } from './migrations/index.ts';
import { readServerNote } from './server-note.ts';
import type { Store } from './store.ts';

export function isPostgresLocation(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

/** `THROUGHLINE_DUCKDB_MEMORY` (such as `4GB` or `512MiB`): DuckDB's own memory limit instead of the default. */
export function duckdbMemoryLimit(value: string | undefined): string | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  try {
    // The store reads the amount with the same parser (half of it for a read-only opening).
    bytesOf(value);
  } catch {
    throw new AppError('usage', `THROUGHLINE_DUCKDB_MEMORY="${value}" is not an amount of memory`, { hint: 'give a number and a unit, such as 4GB or 512MiB' });
  }
  return value.trim();
}

// Each store's module (and its database client, native or not) is loaded only when a store of
// its kind is opened: a command that needs none, or one kind, starts without the others.
export async function openStore(location: string): Promise<Store> {
  if (isPostgresLocation(location)) {
    const { PostgresStore } = await import('./postgres/postgres-store.ts');
    const store = await PostgresStore.open(location);
    try {
      await applyMigrations(store);
    } catch (e) {
      await store.close();
      throw e;
    }
    return store;
  }
  const { DuckDbStore } = await import('./duckdb/duckdb-store.ts');
  let store: Store;
  const memoryLimit = duckdbMemoryLimit(process.env.THROUGHLINE_DUCKDB_MEMORY);
  try {
    store = await DuckDbStore.open(location, memoryLimit === undefined ? {} : { memoryLimit });
  } catch (e) {
    throw explainLock(location, e);
  }
  try {
    await applyMigrations(store);
  } catch (e) {
    await store.close();
    throw e;
  }
  return store;
}

/** A lock held by a running `throughline serve`: say where it listens and what to do instead. */
function explainLock(location: string, e: unknown): unknown {
  if (!(e instanceof AppError) || e.code !== 'locked') return e;
  const note = readServerNote(location);
  if (note === null) return e;
  return new AppError('locked', `${location} is held by a running Throughline server (pid ${note.pid}, ${note.url})`, {
    hint: `while it runs, use its API: send data to POST ${note.url}/api/v1/events (or Segment's /v1/batch), read analyses at ${note.url}/api/v1/<command>, contexts at ${note.url}/api/v1/customers/<id>/context, keys at ${note.url}/api/v1/keys; or stop it (Ctrl-C, or kill ${note.pid}) and run this command again`,
    cause: e,
  });
}

/**
 * The entry point that picks a concrete store from a location: a `postgres://` URL or a file
 * path for DuckDB. Only the edges (CLI, server, benchmarks, tests) import this file.
 */
import { AppError } from '../core/errors.ts';
import { DuckDbStore } from './duckdb/duckdb-store.ts';
import { applyMigrations } from './migrations/index.ts';
import type { Store } from './store.ts';

export function isPostgresLocation(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

export async function openStore(location: string): Promise<Store> {
  if (isPostgresLocation(location)) {
    throw new AppError('usage', `PostgreSQL stores are not available yet (${location})`, {
      hint: 'use a DuckDB file path with --db for now',
    });
  }
  const store = await DuckDbStore.open(location);
  try {
    await applyMigrations(store);
  } catch (e) {
    await store.close();
    throw e;
  }
  return store;
}

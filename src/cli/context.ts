/** What every command receives from the program: where the data lives, how to print, the config. */
import fs from 'node:fs';
import { AppError } from '../core/errors.ts';
import type { Config } from '../config/index.ts';
import { isPostgresLocation, openStore } from '../store/open.ts';
import { journalBeside, journalPositionKey, journalTail } from '../server/journal.ts';
import type { Store } from '../store/store.ts';
import { stderrLogger } from './output.ts';
import type { Io } from './output.ts';

export interface GlobalOptions {
  db?: string;
  phoneRegion?: string;
  json?: boolean;
  verbose?: boolean;
  wide?: boolean;
}

export interface CommandContext {
  readonly io: Io;
  readonly config: Config;
  readonly global: () => GlobalOptions;
}

export function dbLocation(ctx: CommandContext): string {
  return ctx.global().db ?? ctx.config.db;
}

/**
 * Opens the store for one command and always closes it, so the file lock is released. Only the
 * commands that put something in a store (`create`) may make a new DuckDB file: a read on a
 * mistyped --db would otherwise answer from an empty store it just made, and leave it behind.
 */
export async function withStore<T>(ctx: CommandContext, fn: (store: Store) => Promise<T>, options: { create?: boolean } = {}): Promise<T> {
  const location = dbLocation(ctx);
  if (options.create !== true && !isPostgresLocation(location) && location !== ':memory:' && !fs.existsSync(location)) {
    throw new AppError('usage', `there is no Throughline store at ${location}`, {
      hint: 'give --db (or THROUGHLINE_DB) the path of an existing store, import data first (throughline import FILE), or run npm start for the demo',
    });
  }
  const store = await openStore(location);
  // On a shared store, servers keep live caches of customers: what this command writes (an
  // import, a case closed, a promise kept) is announced to them (docs/scaling.md, "The live context").
  const live = store.dialect === 'postgres' ? await import('../server/customer-cache.ts') : null;
  const changes = live === null ? null : new live.LiveChanges(store, stderrLogger(ctx.io, false));
  try {
    await warnOfUnmergedJournal(ctx, store);
    return await fn(live === null || changes === null ? store : live.watchWrites(store, changes));
  } finally {
    await changes?.flush();
    await store.close();
  }
}

/**
 * After a server on this DuckDB file was killed, its journal holds events it acknowledged and
 * did not merge; only a server starting on the file merges them. Until then every answer here
 * lacks them: say so rather than answer short in silence.
 */
async function warnOfUnmergedJournal(ctx: CommandContext, store: Store): Promise<void> {
  if (store.dialect !== 'duckdb' || store.location === ':memory:') return;
  const dir = journalBeside(store.location);
  const tail = journalTail(dir);
  if (tail === null) return;
  const [row] = await store.query(`SELECT value FROM settings WHERE key = $1`, [journalPositionKey(tail.id)]);
  const pending = tail.end - (row === undefined ? 0 : Number(row.value));
  if (pending <= 0) return;
  ctx.io.err(
    `warning: the collector's journal ${dir} holds ${Math.ceil(pending / 1024).toLocaleString('en-US')} KB of events not merged into the database (its server stopped without a clean shutdown); ` +
      'what this command reports lacks them until `throughline serve` starts on this database and merges them',
  );
}

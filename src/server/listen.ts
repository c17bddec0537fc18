/**
 * Running the server for real: open the store (the server owns the file while it runs), build
 * the app with the collector's journal (replaying what a crash left unmerged), add the
 * dashboard (src/web), listen, leave a note beside the file saying where
 * (store/server-note.ts), and on `close()` stop accepting, merge what the journal holds, close
 * the store and remove the note.
 */
import type { FastifyInstance } from 'fastify';
import { AppError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { isPostgresLocation, openStore } from '../store/open.ts';
import { removeServerNote, writeServerNote } from '../store/server-note.ts';
import type { Store } from '../store/store.ts';
import { DEFAULT_DIST_DIR, registerDashboard } from '../web/index.ts';
import { createApp } from './app.ts';
import type { AppDeps } from './app.ts';
import { journalBeside } from './journal.ts';

export interface StartOptions extends Omit<AppDeps, 'store' | 'logger'> {
  readonly db: string;
  /**
   * The collector's journal directory. Default: `<db>.journal` beside a DuckDB file; none for
   * PostgreSQL (several servers share the database, and each needs a directory of its own, so
   * only the operator can name it): the collector then answers after each merge, as before.
   */
  readonly journal?: string;
  readonly host: string;
  readonly port: number;
  readonly logger: Logger;
  /** The built dashboard to serve at `/` (default web/dist); null serves none. */
  readonly dashboardDir?: string | null;
}

export interface RunningServer {
  readonly url: string;
  readonly app: FastifyInstance;
  readonly store: Store;
  /** The collector's journal directory, or null when acknowledgements wait for the merge. */
  readonly journal: string | null;
  /** Safe to call twice; resolves when the store is closed. */
  close(): Promise<void>;
}

export async function startServer(options: StartOptions): Promise<RunningServer> {
  const store = await openStore(options.db);
  const journal = options.journal ?? defaultJournal(options.db);
  let app: FastifyInstance | undefined;
  let address: string;
  try {
    app = await createApp({ ...options, store, ...(journal !== undefined ? { journal } : {}) });
    if (options.dashboardDir !== null) await registerDashboard(app, { distDir: options.dashboardDir ?? DEFAULT_DIST_DIR });
    address = await app.listen({ host: options.host, port: options.port });
  } catch (e) {
    // Closing the app gives the journal's lock back (and merges what it replayed).
    await app?.close().catch(() => undefined);
    await store.close();
    const code = (e as { code?: string }).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
      throw new AppError('usage', `cannot listen on ${options.host}:${options.port} (${code === 'EADDRINUSE' ? 'the port is in use' : code === 'EACCES' ? 'permission denied' : 'no such address here'})`, {
        hint: 'pick another --port (0 picks a free one) or --host',
        cause: e,
      });
    }
    throw e;
  }
  const url = address.replace('://[::1]', '://localhost');
  const local = !isPostgresLocation(options.db);
  if (local) writeServerNote(options.db, { pid: process.pid, url, started_at: new Date().toISOString() });
  const served = app;
  let closing: Promise<void> | null = null;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      try {
        await served.close();
      } finally {
        await store.close();
        if (local) removeServerNote(options.db);
      }
    })());
  return { url, app: served, store, close, journal: journal ?? null };
}

/** Beside a DuckDB file; none for PostgreSQL or an in-memory database (see StartOptions.journal). */
export function defaultJournal(db: string): string | undefined {
  return isPostgresLocation(db) || db === ':memory:' ? undefined : journalBeside(db);
}

/**
 * Test harness for the server: a real DuckDB file in a temp folder, one key per role, and the
 * app, not listening (tests call `app.inject()`). Nothing here is used outside tests.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import type { Kind } from '../core/records.ts';
import { importRecords } from '../ingest/import.ts';
import { openStore } from '../store/open.ts';
import type { Store } from '../store/store.ts';
import { createApp } from './app.ts';
import type { AppDeps } from './app.ts';
import { createKey } from './keys.ts';
import type { Role } from './keys.ts';

export interface TestServer {
  readonly dir: string;
  readonly db: string;
  readonly store: Store;
  readonly app: FastifyInstance;
  /** One valid key per role. */
  readonly keys: Readonly<Record<Role, string>>;
  /** Injects a request with the key of `role` as a Bearer key (or no key with `null`). */
  call(role: Role | null, options: InjectOptions): Promise<LightMyRequestResponse>;
  /** Loads contract records straight through the importer (as `throughline import` would). */
  load(kind: Kind, records: readonly Record<string, unknown>[]): Promise<void>;
  close(): Promise<void>;
}

export async function startTestServer(deps: Omit<AppDeps, 'store'> = {}): Promise<TestServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'throughline-server-'));
  const db = path.join(dir, 'db.duckdb');
  const store = await openStore(db);
  const keys = {} as Record<Role, string>;
  for (const role of ['admin', 'analyst', 'agent', 'collector'] as const) keys[role] = (await createKey(store, role, `test ${role}`, Date.now())).key;
  // Tests fire many requests with one key; the per-key limits have their own test.
  const generous = { perSecond: 100_000, burst: 100_000 };
  const app = await createApp({ rateLimits: { admin: generous, analyst: generous, agent: generous, collector: generous }, ...deps, store });
  return {
    dir,
    db,
    store,
    app,
    keys,
    call: (role, options) =>
      app.inject({ ...options, headers: { ...(role === null ? {} : { authorization: `Bearer ${keys[role]}` }), ...(options.headers ?? {}) } }),
    load: async (kind, records) => {
      await importRecords(store, records.map((fields, i) => ({ source: 'test', line: i + 1, kind, fields })), {
        onReject: (r, reason) => {
          throw new Error(`test record ${r.line} rejected: ${reason}`);
        },
      });
      // Written behind the server's back, as no real client can while it holds the file.
      app.customerCache.changed('all');
    },
    close: async () => {
      await app.close();
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An ISO instant `minutes` before `now`. */
export function minutesAgo(now: number, minutes: number): string {
  return new Date(now - minutes * 60_000).toISOString();
}

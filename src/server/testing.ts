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
import { gatewaySignature, SIGNATURE_HEADER } from './gateway-signature.ts';
import { createKey } from './keys.ts';
import type { Role } from './keys.ts';

export interface TestServer {
  readonly dir: string;
  readonly db: string;
  readonly store: Store;
  readonly app: FastifyInstance;
  /** One valid key per role. */
  readonly keys: Readonly<Record<Role, string>>;
  /** The signing secret of `keys.gateway`. */
  readonly gatewaySecret: string;
  /** Posts an inbound text as the SMS gateway does: its key, and the body signed with its secret. */
  inbound(body: Readonly<Record<string, string>>): Promise<LightMyRequestResponse>;
  /** Injects a request with the key of `role` as a Bearer key (or no key with `null`). */
  call(role: Role | null, options: InjectOptions): Promise<LightMyRequestResponse>;
  /** Loads contract records straight through the importer (as `throughline import` would). */
  load(kind: Kind, records: readonly Record<string, unknown>[]): Promise<void>;
  close(): Promise<void>;
}

const INBOUND = '/api/v1/conversations/inbound';

export async function startTestServer(deps: Omit<AppDeps, 'store'> = {}): Promise<TestServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'throughline-server-'));
  const db = path.join(dir, 'db.duckdb');
  const store = await openStore(db);
  const keys = {} as Record<Role, string>;
  for (const role of ['admin', 'analyst', 'agent', 'collector'] as const) keys[role] = (await createKey(store, role, `test ${role}`, Date.now())).key;
  const gateway = await createKey(store, 'gateway', 'test gateway', Date.now());
  keys.gateway = gateway.key;
  const gatewaySecret = gateway.signing_secret!;
  // Tests fire many requests with one key; the per-key limits have their own test.
  const generous = { perSecond: 100_000, burst: 100_000 };
  const app = await createApp({ rateLimits: { admin: generous, analyst: generous, agent: generous, collector: generous, gateway: generous }, ...deps, store });
  return {
    dir,
    db,
    store,
    app,
    keys,
    gatewaySecret,
    inbound: (body) =>
      app.inject({
        method: 'POST',
        url: INBOUND,
        headers: { host: 'throughline.test', authorization: `Bearer ${keys.gateway}`, [SIGNATURE_HEADER]: gatewaySignature(gatewaySecret, `http://throughline.test${INBOUND}`, body) },
        payload: body,
      }),
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

/**
 * `createApp(deps)`: the HTTP API, the Segment-compatible collector, the live customer context
 * and the engagement guard, as a Fastify instance that has not opened a port — tests call
 * `app.inject()`; `serve` calls `listen()`. The store is the caller's: the app never opens or
 * closes it; on close it merges what the collector's journal holds (write-queue.ts).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { silentLogger } from '../core/logger.ts';
import { DEFAULT_POLICIES } from '../engage/index.ts';
import type { Policies } from '../engage/index.ts';
import { importRecords } from '../ingest/import.ts';
import { decodeUtf8 } from '../ingest/parsers/utf8.ts';
import { DEFAULT_JOURNEY_WINDOW_MS } from '../journey/index.ts';
import type { Store } from '../store/store.ts';
import { DEFAULT_RATE_LIMITS, installAuth, keyFromHeader } from './auth.ts';
import type { RateLimits } from './auth.ts';
import { installContentEncoding } from './content-encoding.ts';
import { installCors } from './cors.ts';
import { documentResponses } from './documents.ts';
import { clientErrorHandler, frameworkErrors, installErrorHandling } from './errors.ts';
import { ANALYSES, registerAnalyses } from './routes/analyses.ts';
import type { Analysis } from './routes/analyses.ts';
import { DEFAULT_COLLECTOR_LIMITS, registerCollector } from './routes/collector.ts';
import type { CollectorLimits } from './routes/collector.ts';
import { registerCases } from './routes/cases.ts';
import { registerCustomers } from './routes/customers.ts';
import { registerEngage } from './routes/engage.ts';
import { registerKeys } from './routes/keys.ts';
import { registerSurveyPage } from './routes/survey-page.ts';
import { registerSurveys } from './routes/surveys.ts';
import { DEFAULT_WEBHOOK_TIMEOUT_MS, WebhookSender } from './routes/webhooks.ts';
import { CustomerCache, DEFAULT_CACHE_CUSTOMERS, LiveChanges, watchWrites } from './customer-cache.ts';
import type { ChangeSink } from './customer-cache.ts';
import { Journal } from './journal.ts';
import { verifyKey } from './keys.ts';
import { DEFAULT_WRITE_QUEUE, WriteQueue } from './write-queue.ts';
import type { WriteQueueOptions } from './write-queue.ts';

declare module 'fastify' {
  interface FastifyInstance {
    customerCache: CustomerCache;
  }
}

export interface AppDeps {
  readonly store: Store;
  /** Where 500s (with their stacks) and collector failures are reported. */
  readonly logger?: Logger;
  /** The clock of contexts, decisions and keys; tests pin it. */
  readonly now?: () => number;
  readonly policies?: Policies;
  readonly limits?: Partial<CollectorLimits>;
  readonly rateLimits?: Partial<RateLimits>;
  readonly writeQueue?: Partial<WriteQueueOptions>;
  /**
   * The collector's journal directory (journal.ts), one per server and never shared. With one,
   * a Segment call is answered once its events are durable there and merged right after;
   * without one (tests, a PostgreSQL server not given --journal) a throwaway journal is used and
   * every call is answered after its merge commits, as nothing would replay it after a crash.
   */
  readonly journal?: string;
  readonly journeyWindowMs?: number;
  /** How long a verified key is trusted before it is looked up again (revocations over the API clear it at once). */
  readonly keyCacheTtlMs?: number;
  readonly analyses?: readonly Analysis[];
  readonly version?: string;
  /** How long a survey webhook's receiver is waited for (default 5 s). */
  readonly webhookTimeoutMs?: number;
  /**
   * Customers the live context cache holds (customer-cache.ts), least recently used dropped
   * beyond it; 0 turns it off. Default 250,000. On PostgreSQL every writer announces what it
   * changed and each server's cache drops exactly that.
   */
  readonly contextCacheCustomers?: number;
  /** Warm the cache in the background when the app starts (default true; tests that count reads turn it off). */
  readonly preloadContextCache?: boolean;
  /**
   * Origins (`https://shop.example.com`) whose pages may send events to the Segment collector
   * from a browser (analytics.js), answered with CORS headers; none by default (cors.ts).
   */
  readonly corsOrigins?: readonly string[];
}

export async function createApp(deps: AppDeps): Promise<FastifyInstance> {
  const logger = deps.logger ?? silentLogger;
  const now = deps.now ?? Date.now;
  const policies = deps.policies ?? DEFAULT_POLICIES;
  const limits: CollectorLimits = { ...DEFAULT_COLLECTOR_LIMITS, ...deps.limits };
  const app = Fastify({
    logger: false,
    bodyLimit: 64 * 1024,
    // Shutdown drains the write queue; requests that arrive meanwhile get the queue's own answer.
    return503OnClosing: false,
    // Errors before routing (a URL that does not decode, headers too large) in the API's error shape.
    frameworkErrors,
    clientErrorHandler,
    // Unknown query parameters are refused (400) like unknown options on the command line,
    // instead of being silently dropped.
    // `verbose` gives an error the schema it broke, so a number out of range is answered with the range.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: false, verbose: true } },
  });
  installErrorHandling(app, logger);
  installContentEncoding(app);
  // Bodies are decoded keeping bytes that are not UTF-8 visible (as lone surrogates) rather than
  // replaced, so the record that holds them is rejected as that record (ingest/limits.ts).
  app.addContentTypeParser(['application/x-ndjson', 'application/jsonl', 'application/x-jsonlines'], { parseAs: 'buffer' }, (_req, body, done) => done(null, decodeUtf8(body as Buffer)));
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) => {
    const text = decodeUtf8(body as Buffer);
    if (text.trim() === '') return done(new AppError('input', 'the body is empty; send a JSON document'), undefined);
    // Plain JSON.parse: `__proto__` stays an own key (never a prototype), for the collector to reject as that message's.
    try {
      done(null, JSON.parse(text));
    } catch {
      done(new AppError('input', 'the body is not valid JSON'), undefined);
    }
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Throughline API',
        version: deps.version ?? '1',
        description:
          'Every CLI analysis at /api/v1/<command> (the documents of spec/CLI.md), a Segment-compatible collector, the live customer context and the engagement guard. Every endpoint but /healthz and these docs needs an API key (docs/security.md).',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'Authorization: Bearer <key> (throughline keys create --role ROLE)' },
          segmentWriteKey: { type: 'http', scheme: 'basic', description: 'Segment style: the write key (a collector key) as the user, no password' },
        },
      },
      security: [{ bearer: [] }, { segmentWriteKey: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs' });
  // Before any route: each is given its answer's document (documents.ts).
  documentResponses(app);

  const maxCustomers = deps.contextCacheCustomers ?? DEFAULT_CACHE_CUSTOMERS;
  // The cache's long reads go through a connection of their own, so merges never queue behind them.
  const cacheReader = maxCustomers > 0 ? await deps.store.openReader() : null;
  // DuckDB scans each table once per batch, so its batches are large; PostgreSQL looks keys up by index.
  const warmBatch = deps.store.dialect === 'duckdb' ? 10_000 : 1_000;
  const cache = new CustomerCache(deps.store, { maxCustomers, logger, warmBatch }, cacheReader ?? deps.store);
  // On a shared store, what this server writes is announced to the others' caches (even with
  // its own cache off), and what they announce is dropped from this one.
  const live = deps.store.dialect === 'postgres' ? new LiveChanges(deps.store, logger) : null;
  const sink: ChangeSink = {
    changed: (changes, cases = true) => {
      cache.changed(changes, cases);
      live?.changed(changes, cases);
    },
  };
  const unwatchCustomers = cache.enabled && live !== null ? await deps.store.watch('customers', (notice) => cache.hear(notice, live.origin)) : null;
  // Routes write through a store that tells the cache; the collector's merges say precisely what they changed.
  const store = cache.enabled || live !== null ? watchWrites(deps.store, sink) : deps.store;
  const writeOptions = { ...DEFAULT_WRITE_QUEUE, ...deps.writeQueue };
  const journal = Journal.open(deps.journal ?? fs.mkdtempSync(path.join(os.tmpdir(), 'throughline-journal-')), {
    segmentBytes: writeOptions.segmentBytes,
    // A throwaway journal is never replayed, so syncing it would buy nothing.
    sync: deps.journal !== undefined,
    logger,
  });
  const queue = await WriteQueue.open({
    store: deps.store,
    importer: async (records, options) => {
      const summary = await importRecords(deps.store, records, {
        ...options,
        journeyWindowMs: deps.journeyWindowMs ?? DEFAULT_JOURNEY_WINDOW_MS,
        logger: silentLogger,
        reportChanges: cache.enabled || live !== null,
      });
      if (summary.changes !== undefined) sink.changed(summary.changes, summary.cases_opened > 0);
      return summary;
    },
    journal,
    durable: deps.journal !== undefined,
    options: writeOptions,
    logger,
  }).catch(async (e: unknown) => {
    await journal.close();
    await unwatchCustomers?.();
    throw e;
  });
  const webhooks = new WebhookSender(logger, deps.webhookTimeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS);
  app.addHook('onClose', async () => {
    await queue.close();
    await webhooks.drain();
    await unwatchCustomers?.();
    await live?.flush();
    await cache.close();
    await cacheReader?.close();
  });
  if (cache.enabled && deps.preloadContextCache !== false) void cache.preload();
  // For whoever writes to the store behind the app's back (tests loading data): tell the cache.
  app.decorate('customerCache', cache);

  // Before the key is checked, so that an error answer to an allowed origin carries CORS headers.
  installCors(app, deps.corsOrigins ?? []);
  const auth = installAuth(app, { db: deps.store, rateLimits: { ...DEFAULT_RATE_LIMITS, ...deps.rateLimits }, cacheTtlMs: deps.keyCacheTtlMs ?? 30_000 });
  // A key revoked anywhere (through another server, or by the CLI beside them on PostgreSQL) is
  // forgotten here at once; the cache's lifetime only bounds what a lost notice could leave.
  const unwatchKeys = await deps.store.watch('api_keys', auth.forget);
  app.addHook('onClose', unwatchKeys);

  app.get(
    '/healthz',
    {
      config: { access: 'public' },
      schema: {
        tags: ['health'],
        summary: 'Liveness: no key needed; 503 once the collector cannot take events until a restart',
        description: 'Without a key: whether the server is well, and how many collected records were set aside as dead letters. With an admin key: also the collector and context-cache details (docs/collector.md).',
      },
    },
    async (request, reply) => {
      const collector = queue.health();
      // A journal that failed a write refuses every event until the process restarts, and
      // merges that keep failing hold every new event back: for a load balancer or a
      // supervisor this server is down, whatever else still answers.
      const reason = queue.failing();
      if (reason !== null) reply.code(503);
      const status = reason === null ? { status: 'ok' } : { status: 'failing', reason };
      // The details (how many customers and identifiers the cache holds, what was merged) say
      // how big the store is: an admin's to know, not anyone's who can reach the port.
      const key = keyFromHeader(request.headers.authorization);
      const principal = key === null ? null : await verifyKey(deps.store, key).catch(() => null);
      if (principal?.role !== 'admin') return { ...status, dead_letters: collector.dead_letters };
      return { ...status, dead_letters: collector.dead_letters, collector, context_cache: cache.describe() };
    },
  );
  registerAnalyses(app, { store, now }, deps.analyses ?? ANALYSES);
  registerCustomers(app, { store, now, policies, cache });
  registerCases(app, { store, now });
  registerEngage(app, { store, now, policies, cache });
  registerCollector(app, { queue, now, limits });
  registerKeys(app, { store, now });
  registerSurveys(app, { store, now, webhooks });
  await registerSurveyPage(app, { store, now, webhooks, logger });
  return app;
}

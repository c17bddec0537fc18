/** `throughline serve`: runs the API, the collector, the live context and the guard until Ctrl-C. */
import fs from 'node:fs';
import type { Command } from 'commander';
import { AppError } from '../core/errors.ts';
import { parseOrigin } from '../server/cors.ts';
import { parsePolicies } from '../engage/index.ts';
import type { Policies } from '../engage/index.ts';
import type { CommandContext } from './context.ts';
import { dbLocation } from './context.ts';
import { printJson, stderrLogger } from './output.ts';

function port(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65_535) throw new AppError('usage', `--port must be a port number (0–65535; 0 picks a free one), not "${v}"`);
  return n;
}

function customers(v: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new AppError('usage', `--context-cache (or THROUGHLINE_CONTEXT_CACHE) must be a number of customers (0 turns the cache off), not "${v}"`);
  return n;
}

/** `--cors-origin` may be repeated, and each may list several origins separated by commas. */
function origins(v: string, previous: readonly string[] = []): string[] {
  const given = v.split(',').filter((o) => o.trim() !== '');
  if (given.length === 0) throw new AppError('usage', '--cors-origin needs an origin, e.g. --cors-origin https://shop.example.com');
  return [...previous, ...given.map(parseOrigin)];
}

/** Reads and validates a policy file; a bad file stops `serve` before it listens. */
export function loadPolicies(file: string | undefined): Policies | undefined {
  if (file === undefined) return undefined;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new AppError('input', `cannot read the policy file ${file}`, { hint: 'check the path given with --policies' });
  }
  return parsePolicies(text, file);
}

export function registerServe(program: Command, ctx: CommandContext): void {
  program
    .command('serve')
    .description('run the HTTP API, the Segment-compatible collector, live customer contexts and the engagement guard (docs/security.md)')
    .option('--port <port>', 'port to listen on (0 picks a free one)', port, 4319)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--policies <file>', 'engagement policies JSON (docs/engagement.md; default: the documented defaults)')
    .option('--journal <dir>', "the collector's journal, one directory per server (docs/collector.md; default: <db>.journal beside a DuckDB file, none for PostgreSQL)")
    .option(
      '--context-cache <customers>',
      'customers whose rows the live context keeps in memory, least recently used dropped beyond it (docs/scaling.md; 0 turns it off; default THROUGHLINE_CONTEXT_CACHE or 250000)',
      customers,
    )
    .option(
      '--cors-origin <origins>',
      'an origin whose web pages may send events to the collector with Segment\'s browser library (analytics.js), e.g. https://shop.example.com; repeat it or separate origins with commas (docs/collector.md; default: none)',
      origins,
    )
    .action(async (flags: { port: number; host: string; policies?: string; journal?: string; contextCache?: number; corsOrigin?: string[] }) => {
      const g = ctx.global();
      // The server (Fastify, OpenAPI) loads only for this command: every other command starts faster.
      const { listKeys, startServer } = await import('../server/index.ts');
      const policies = loadPolicies(flags.policies);
      const db = dbLocation(ctx);
      const fromEnv = process.env.THROUGHLINE_CONTEXT_CACHE;
      const contextCache = flags.contextCache ?? (fromEnv !== undefined && fromEnv !== '' ? customers(fromEnv) : undefined);
      const server = await startServer({
        db,
        host: flags.host,
        port: flags.port,
        logger: stderrLogger(ctx.io, Boolean(g.verbose)),
        journeyWindowMs: ctx.config.journeyWindowMs,
        ...(policies !== undefined ? { policies } : {}),
        ...(flags.journal !== undefined ? { journal: flags.journal } : {}),
        ...(contextCache !== undefined ? { contextCacheCustomers: contextCache } : {}),
        ...(flags.corsOrigin !== undefined ? { corsOrigins: flags.corsOrigin } : {}),
      });
      // Listen for the stop signals before saying where we listen: whoever reads that line may
      // send SIGTERM at once, and a signal that arrives before a handler exists kills the process
      // without closing the database or merging the journal.
      const stopped = new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolve();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      const keys = await listKeys(server.store);
      if (g.json) printJson(ctx.io, { url: server.url, pid: process.pid, db });
      ctx.io.err(`Throughline is serving ${db} at ${server.url} (API docs: ${server.url}/api/docs). Ctrl-C stops it.`);
      ctx.io.err(
        server.journal !== null
          ? `The collector answers once events are in its journal ${server.journal} and merges them right after.`
          : 'The collector answers once events are merged into the database; give this server --journal DIR (its own directory) to answer as soon as they are on disk.',
      );
      if (!keys.some((k) => k.revoked_at === null && k.role === 'admin')) {
        ctx.io.err('warning: no admin API key exists, so nothing but /healthz answers; stop the server and run: throughline keys create --role admin');
      }
      await stopped;
      ctx.io.err("Stopping: merging the collector's journal and closing the database...");
      await server.close();
      ctx.io.err('Stopped.');
    });
}

/**
 * Authentication, authorisation and rate limiting at the edge (docs/security.md). Every route
 * declares who may call it in its `config.access`: `public`, or the roles allowed (admin is
 * always allowed). A route without a declaration is admin-only, so a forgotten one fails closed.
 * Keys come as `Authorization: Bearer <key>`, as HTTP Basic with the key as user (Segment's
 * write key), or — on collector routes only — as `writeKey` in the JSON body.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../core/errors.ts';
import type { Queryable } from '../store/store.ts';
import { verifyKey } from './keys.ts';
import type { Principal, Role } from './keys.ts';
import { RateLimiter } from './rate-limit.ts';
import type { BucketSpec } from './rate-limit.ts';

export type Access = 'public' | readonly Role[];

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route; admin always may. */
    access?: Access;
    /** Collector routes also take the key as `writeKey` in the body (Segment's browser form). */
    bodyWriteKey?: boolean;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

export type RateLimits = Readonly<Record<Role, BucketSpec>>;

/** Defaults per role: collectors send many small requests; people and dashboards fewer. */
export const DEFAULT_RATE_LIMITS: RateLimits = Object.freeze({
  admin: { perSecond: 50, burst: 100 },
  analyst: { perSecond: 20, burst: 40 },
  agent: { perSecond: 200, burst: 400 },
  collector: { perSecond: 1000, burst: 2000 },
  gateway: { perSecond: 100, burst: 200 },
});

/** The key in an Authorization header: Bearer, or Basic with the key as user (or as password). */
export function keyFromHeader(header: string | undefined): string | null {
  if (header === undefined) return null;
  const m = /^(\w+)\s+(.+)$/.exec(header.trim());
  if (m === null) return null;
  const scheme = m[1]!.toLowerCase();
  if (scheme === 'bearer') return m[2]!.trim();
  if (scheme === 'basic') {
    const decoded = Buffer.from(m[2]!.trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const user = colon < 0 ? decoded : decoded.slice(0, colon);
    const pass = colon < 0 ? '' : decoded.slice(colon + 1);
    return user !== '' ? user : pass !== '' ? pass : null;
  }
  return null;
}

/** Verified keys for a short while, so a busy collector does not hit the store per request. */
class KeyCache {
  private readonly entries = new Map<string, { p: Principal | null; until: number }>();
  constructor(
    private readonly db: Queryable,
    private readonly ttlMs: number,
  ) {}

  async verify(key: string): Promise<Principal | null> {
    // Entries are keyed by a digest, so the heap never holds a map of valid keys.
    const id = createHash('sha256').update(key).digest('base64');
    const now = Date.now();
    const hit = this.entries.get(id);
    if (hit !== undefined && hit.until > now) return hit.p;
    const p = await verifyKey(this.db, key);
    if (this.entries.size > 10_000) this.entries.clear();
    this.entries.set(id, { p, until: now + (p === null ? Math.min(this.ttlMs, 5000) : this.ttlMs) });
    return p;
  }

  clear(): void {
    this.entries.clear();
  }
}

export interface AuthOptions {
  readonly db: Queryable;
  readonly rateLimits: RateLimits;
  readonly cacheTtlMs: number;
}

export interface Auth {
  /** Forgets verified keys: createApp calls it whenever the store announces a change to keys. */
  readonly forget: () => void;
}

function accessOf(request: FastifyRequest): Access {
  const declared = request.routeOptions.config.access;
  if (declared !== undefined) return declared;
  // No route: the not-found handler answers 404 and holds nothing (which paths exist is in the
  // public API documentation anyway); a 403 would say a path exists that does not.
  if (request.routeOptions.url === undefined) return 'public';
  // The documentation routes belong to @fastify/swagger-ui, which declares nothing; they hold
  // no data (the OpenAPI description only).
  const url = request.routeOptions.url ?? '';
  if (url === '/api/docs' || url.startsWith('/api/docs/')) return 'public';
  return [];
}

export function installAuth(app: FastifyInstance, options: AuthOptions): Auth {
  const cache = new KeyCache(options.db, options.cacheTtlMs);
  const limiter = new RateLimiter();
  app.decorateRequest('principal', null);

  const admit = async (request: FastifyRequest, reply: FastifyReply, key: string, access: readonly Role[]): Promise<void> => {
    const p = await cache.verify(key);
    if (p === null) throw new AppError('unauthorized', 'the API key is not valid (unknown, revoked or mistyped)', { hint: 'create one with: throughline keys create --role ROLE' });
    if (p.role !== 'admin' && !access.includes(p.role)) {
      throw new AppError('forbidden', `a ${p.role} key may not call ${request.method} ${request.routeOptions.url ?? request.url}`, {
        hint: `this needs a key with role ${['admin', ...access].join(' or ')}`,
      });
    }
    const r = limiter.take(p.keyId, options.rateLimits[p.role]);
    if (!r.ok) {
      void reply.header('retry-after', String(Math.max(1, Math.ceil(r.retryAfterMs / 1000))));
      throw new AppError('rate_limited', `too many requests for key ${p.keyId}`, { hint: `slow down; retry after ${Math.ceil(r.retryAfterMs)} ms` });
    }
    request.principal = p;
  };

  app.addHook('onRequest', async (request, reply) => {
    const access = accessOf(request);
    if (access === 'public') return;
    const key = keyFromHeader(request.headers.authorization);
    if (key === null) {
      // Segment's browser library may put the write key in the body instead: checked once parsed.
      if (request.routeOptions.config.bodyWriteKey === true) return;
      throw new AppError('unauthorized', 'this endpoint needs an API key', { hint: 'send Authorization: Bearer <key>' });
    }
    await admit(request, reply, key, access);
  });

  app.addHook('preValidation', async (request, reply) => {
    if (request.principal !== null || request.routeOptions.config.bodyWriteKey !== true) return;
    const access = accessOf(request);
    if (access === 'public') return;
    const body = request.body as Record<string, unknown> | null | undefined;
    const key = body !== null && typeof body === 'object' && typeof body.writeKey === 'string' ? body.writeKey : null;
    if (key === null) throw new AppError('unauthorized', 'this endpoint needs a write key', { hint: 'send HTTP Basic with the key as user, a Bearer key, or writeKey in the body' });
    await admit(request, reply, key, access);
  });

  return { forget: () => cache.clear() };
}

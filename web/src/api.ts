/**
 * The one way the dashboard talks to the server: JSON over `/api/v1`, the key as a Bearer token,
 * errors as `ApiError` carrying the server's `{error: {code, message}}`. A 401 anywhere signs the
 * user out, because a revoked or mistyped key will not start working on the next request.
 */

export type Role = 'admin' | 'analyst' | 'agent' | 'collector' | 'gateway';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** The server has no such endpoint: an older or partial server, not a failure of this request. */
  get notAvailable(): boolean {
    return this.status === 404 && this.code === 'not_found' && /^no endpoint/.test(this.message);
  }
}

const STORAGE_KEY = 'throughline.session';

export interface Session {
  readonly key: string;
  readonly role: Role;
}

type Listener = (reason: string | null) => void;
const listeners = new Set<Listener>();
let current: Session | null = readSession();

function readSession(): Session | null {
  try {
    const raw = sessionStorage.getItem(STORAGE_KEY);
    if (raw === null) return null;
    const s = JSON.parse(raw) as Partial<Session>;
    return typeof s.key === 'string' && typeof s.role === 'string' ? { key: s.key, role: s.role as Role } : null;
  } catch {
    // Storage can be unavailable (privacy modes): then the key lives for this page only.
    return null;
  }
}

export function session(): Session | null {
  return current;
}

export function onSessionChange(fn: Listener): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function signIn(s: Session): void {
  current = s;
  try {
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify(s));
  } catch {
    // See readSession: keep going without storage.
  }
  for (const fn of listeners) fn(null);
}

/** `reason` is shown on the sign-in page, e.g. why the key stopped working. */
export function signOut(reason: string | null = null): void {
  current = null;
  try {
    sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // Nothing stored, nothing to remove.
  }
  for (const fn of listeners) fn(reason);
}

export type Query = Readonly<Record<string, string | number | boolean | null | undefined>>;

/** `/api/v1/<path>?<query>`, leaving out empty values: the server refuses unknown or empty parameters. */
export function apiPath(path: string, query: Query = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === '' || v === false) continue;
    q.set(k, String(v));
  }
  const s = q.toString();
  return `/api/v1/${path}${s === '' ? '' : `?${s}`}`;
}

async function send<T>(method: string, url: string, key: string, body: unknown, signal?: AbortSignal): Promise<T> {
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: { authorization: `Bearer ${key}`, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      ...(signal ? { signal } : {}),
    });
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
    throw new ApiError(0, 'network', 'the server did not answer; check that throughline serve is running');
  }
  const text = await res.text();
  let doc: unknown = null;
  try {
    doc = text === '' ? null : JSON.parse(text);
  } catch {
    throw new ApiError(res.status, 'bad_answer', `the server answered ${res.status} with something that is not JSON`);
  }
  if (!res.ok) {
    const err = (doc as { error?: { code?: string; message?: string } } | null)?.error;
    throw new ApiError(res.status, err?.code ?? 'http', err?.message ?? `the server answered ${res.status}`);
  }
  return doc as T;
}

/** Calls the API with the signed-in key; a 401 signs out with the server's reason. */
export async function api<T>(path: string, init: { method?: string; body?: unknown; signal?: AbortSignal; key?: string } = {}): Promise<T> {
  const key = init.key ?? current?.key;
  if (key === undefined) throw new ApiError(401, 'unauthorized', 'sign in with an API key first');
  try {
    return await send<T>(init.method ?? 'GET', path, key, init.body, init.signal);
  } catch (e) {
    if (e instanceof ApiError && e.status === 401 && init.key === undefined) signOut(e.message);
    throw e;
  }
}

/**
 * The endpoints this server offers, from its public OpenAPI description, as `METHOD /api/v1/...`
 * with `{param}` placeholders. Pages ask before calling, so a server that lacks an endpoint shows
 * "not available" instead of failing requests. Null when the description cannot be read: then
 * every endpoint is tried.
 */
export async function loadEndpoints(): Promise<ReadonlySet<string> | null> {
  try {
    const res = await fetch('/api/docs/json', { headers: { accept: 'application/json' } });
    if (!res.ok) return null;
    const doc = (await res.json()) as { paths?: Record<string, Record<string, unknown>> };
    const out = new Set<string>();
    for (const [path, ops] of Object.entries(doc.paths ?? {})) {
      for (const method of Object.keys(ops)) out.add(`${method.toUpperCase()} ${path}`);
    }
    return out;
  } catch {
    return null;
  }
}

/**
 * The role of a key. `GET /api/v1/me` answers it when the server has it; otherwise a few calls
 * that each role is or is not allowed stand in, admin first so an admin key makes no refused call.
 */
export async function detectRole(key: string, endpoints: ReadonlySet<string> | null): Promise<Role> {
  if (endpoints?.has('GET /api/v1/me')) {
    const me = await send<{ role?: unknown }>('GET', '/api/v1/me', key, undefined);
    if (typeof me?.role === 'string') return me.role as Role;
  }
  const allowed = async (path: string): Promise<boolean> => {
    try {
      await send('GET', path, key, undefined);
      return true;
    } catch (e) {
      if (e instanceof ApiError && e.status === 403) return false;
      throw e;
    }
  };
  if (await allowed('/api/v1/keys')) return 'admin';
  if (await allowed('/api/v1/metrics')) return 'analyst';
  // Agents list no cases (docs/security.md): the policies are what they and analysts share.
  if (await allowed('/api/v1/engage/policies')) return 'agent';
  return 'collector';
}

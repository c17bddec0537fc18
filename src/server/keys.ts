/**
 * API keys (docs/security.md). A key is `tl_<id>_<secret>`: the id finds the stored row in one
 * lookup; the secret is 32 random bytes of which only a salted SHA-256 is stored. A fast hash
 * is enough because the secret is random, not a password: 256 bits cannot be guessed offline,
 * so a slow KDF (scrypt) would only add latency to every request. The key is shown once.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { AppError } from '../core/errors.ts';
import type { Queryable, Store } from '../store/store.ts';

/** What creating and revoking a key needs: SQL, and telling every server that keys changed. */
type KeyStore = Queryable & Pick<Store, 'announce'>;

export const ROLES = ['admin', 'analyst', 'agent', 'collector', 'gateway'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(s: string): s is Role {
  return (ROLES as readonly string[]).includes(s);
}

export interface ApiKeyInfo {
  id: string;
  name: string | null;
  role: Role;
  created_at: string;
  revoked_at: string | null;
}

export interface CreatedKey {
  id: string;
  role: Role;
  name: string | null;
  /** The key itself: shown once, never stored. */
  key: string;
  /**
   * A gateway key's signing secret (the HMAC key of its requests' signatures) when it was made
   * here: shown once. Absent for other roles and when the caller gave one (a provider's token).
   */
  signing_secret?: string;
}

export interface Principal {
  readonly keyId: string;
  readonly role: Role;
  readonly name: string | null;
  /** A gateway key's signing secret; null for other roles. */
  readonly signingSecret: string | null;
}

const KEY_PATTERN = /^tl_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

function hashSecret(salt: string, secret: string): Buffer {
  return createHash('sha256').update(salt).update(':').update(secret).digest();
}

/**
 * Creates a key. A gateway key also gets a signing secret: `signingSecret` when given (the
 * provider's, e.g. a Twilio auth token), otherwise 32 random bytes. Unlike the key's own secret
 * it is stored as is, since checking an HMAC signature needs the HMAC key itself.
 */
export async function createKey(db: Queryable, role: Role, name: string | null, now: number, options: { signingSecret?: string } = {}): Promise<CreatedKey> {
  if (!isRole(role)) throw new AppError('usage', `${String(role)} is not a role`, { hint: `use one of ${ROLES.join(', ')}` });
  if (options.signingSecret !== undefined && role !== 'gateway') throw new AppError('usage', 'only gateway keys have a signing secret', { hint: 'use --role gateway' });
  const signing = role === 'gateway' ? (options.signingSecret ?? randomBytes(32).toString('base64url')) : null;
  if (signing !== null && (signing.length < 16 || signing.length > 200 || /\s/.test(signing))) {
    throw new AppError('usage', 'a signing secret is 16 to 200 characters without spaces', { hint: 'leave it out to have one made' });
  }
  const id = randomBytes(6).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  const salt = randomBytes(16).toString('hex');
  await db.exec(`INSERT INTO api_keys (key_id, name, role, salt, hash, created_at, revoked_at, signing_secret) VALUES ($1, $2, $3, $4, $5, $6, NULL, $7)`, [
    id,
    name,
    role,
    salt,
    hashSecret(salt, secret).toString('hex'),
    now,
    signing,
  ]);
  // A secret the caller gave is not echoed back: it has it, and every copy printed is one more to leak.
  return { id, role, name, key: `tl_${id}_${secret}`, ...(signing === null || options.signingSecret !== undefined ? {} : { signing_secret: signing }) };
}

function info(r: Record<string, unknown>): ApiKeyInfo {
  return {
    id: String(r.key_id),
    name: r.name === null ? null : String(r.name),
    role: String(r.role) as Role,
    created_at: new Date(Number(r.created_at)).toISOString(),
    revoked_at: r.revoked_at === null ? null : new Date(Number(r.revoked_at)).toISOString(),
  };
}

export async function listKeys(db: Queryable): Promise<ApiKeyInfo[]> {
  const rows = await db.query(`SELECT key_id, name, role, created_at, revoked_at FROM api_keys ORDER BY created_at, key_id`);
  return rows.map(info);
}

/**
 * Revokes a key; revoking a revoked key changes nothing. Every server using the store forgets
 * the verifications it cached (`announce`), so the key is refused everywhere at once, whether it
 * was revoked through one server's API or by the CLI beside them (PostgreSQL).
 */
export async function revokeKey(db: KeyStore, id: string, now: number): Promise<ApiKeyInfo> {
  const [row] = await db.query(`SELECT key_id, name, role, created_at, revoked_at FROM api_keys WHERE key_id = $1`, [id]);
  if (row === undefined) throw new AppError('not_found', `no API key has id ${id}`, { hint: 'list the keys with: throughline keys list' });
  if (row.revoked_at !== null) return info(row);
  await db.exec(`UPDATE api_keys SET revoked_at = $2 WHERE key_id = $1`, [id, now]);
  await db.announce('api_keys');
  return info({ ...row, revoked_at: now });
}

/** The principal a presented key stands for, or null when it is malformed, unknown or revoked. */
export async function verifyKey(db: Queryable, presented: string): Promise<Principal | null> {
  const m = KEY_PATTERN.exec(presented);
  if (m === null) return null;
  const [, id, secret] = m;
  const [row] = await db.query(`SELECT key_id, name, role, salt, hash, revoked_at, signing_secret FROM api_keys WHERE key_id = $1`, [id!]);
  if (row === undefined || row.revoked_at !== null) return null;
  const expected = Buffer.from(String(row.hash), 'hex');
  const actual = hashSecret(String(row.salt), secret!);
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return null;
  return {
    keyId: String(row.key_id),
    role: String(row.role) as Role,
    name: row.name === null ? null : String(row.name),
    signingSecret: row.signing_secret === null || row.signing_secret === undefined ? null : String(row.signing_secret),
  };
}

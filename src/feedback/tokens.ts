/**
 * Signed, expiring, one-use survey links. The link carries only a random id, its expiry and an
 * HMAC-SHA256 signature; everything else stays in the store. The key is generated on first use
 * (crypto.randomBytes) and kept in the settings table, so links survive restarts without a
 * secret in the environment.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { AppError } from '../core/errors.ts';
import type { Queryable } from '../store/store.ts';

const SECRET_KEY = 'survey_link_secret';

export async function linkSecret(db: Queryable): Promise<Buffer> {
  const read = async (): Promise<string | null> => {
    const [row] = await db.query(`SELECT value FROM settings WHERE key = $1`, [SECRET_KEY]);
    return row === undefined ? null : String(row.value);
  };
  let value = await read();
  if (value === null) {
    await db.exec(`INSERT INTO settings (key, value) SELECT $1, $2 WHERE NOT EXISTS (SELECT 1 FROM settings WHERE key = $1)`, [
      SECRET_KEY,
      randomBytes(32).toString('base64url'),
    ]);
    value = (await read())!;
  }
  return Buffer.from(value, 'base64url');
}

function sign(secret: Buffer, body: string): string {
  return createHmac('sha256', secret).update(body).digest('base64url').slice(0, 32);
}

export interface IssuedToken {
  token: string;
  token_id: string;
  expires_at: number;
}

/** Writes the invitation row and returns the signed token for it. */
export async function issueToken(
  db: Queryable,
  invite: { surveyId: string; customerKey: string; channel: string; eventId: string | null; ttlHours: number },
  now: number,
): Promise<IssuedToken> {
  const tokenId = randomBytes(12).toString('base64url');
  const expiresAt = now + Math.round(invite.ttlHours * 3600_000);
  await db.exec(
    `INSERT INTO survey_tokens (token_id, survey_id, customer_key, channel, event_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [tokenId, invite.surveyId, invite.customerKey, invite.channel, invite.eventId, now, expiresAt],
  );
  const body = `${tokenId}.${expiresAt.toString(36)}`;
  return { token: `${body}.${sign(await linkSecret(db), body)}`, token_id: tokenId, expires_at: expiresAt };
}

export interface TokenRow {
  token_id: string;
  survey_id: string;
  customer_key: string;
  channel: string;
  event_id: string | null;
  expires_at: number;
}

export interface TokenState extends TokenRow {
  /** When the link was redeemed, and the session it started; null while unused. */
  used_at: number | null;
  session_id: string | null;
}

const invalid = (): AppError => new AppError('unauthorized', 'this survey link is not valid', { hint: 'use the link exactly as it was sent' });

/** The id and expiry a token carries, once its signature is checked (a forged or mangled token is `unauthorized`). */
async function verifySignature(db: Queryable, token: string): Promise<{ tokenId: string; expiresAt: number }> {
  const parts = token.split('.');
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]+$/.test(p))) throw invalid();
  const [tokenId, exp, sig] = parts as [string, string, string];
  const expected = Buffer.from(sign(await linkSecret(db), `${tokenId}.${exp}`));
  const given = Buffer.from(sig);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid();
  return { tokenId, expiresAt: parseInt(exp, 36) };
}

function checkExpiry(expiresAt: number, now: number): void {
  if (!(now < expiresAt)) {
    throw new AppError('forbidden', `this survey link expired on ${new Date(expiresAt).toISOString().slice(0, 16).replace('T', ' ')} UTC`, {
      hint: 'links work for a limited time; nothing was recorded',
    });
  }
}

function tokenRow(row: Record<string, unknown>): TokenState {
  return {
    token_id: String(row.token_id),
    survey_id: String(row.survey_id),
    customer_key: String(row.customer_key),
    channel: String(row.channel),
    event_id: row.event_id === null ? null : String(row.event_id),
    expires_at: Number(row.expires_at),
    used_at: row.used_at === null ? null : Number(row.used_at),
    session_id: row.session_id === null ? null : String(row.session_id),
  };
}

const SELECT_TOKEN = `SELECT token_id, survey_id, customer_key, channel, event_id, expires_at, used_at, session_id FROM survey_tokens WHERE token_id = $1`;

/**
 * Checks a token without using it up, for the hosted page: showing the first question must not
 * spend the link (mail scanners and link previews fetch it before the customer does). Forged is
 * `unauthorized`, expired `forbidden` (unless `allowExpired`, for a conversation already begun).
 */
export async function readToken(db: Queryable, token: string, now: number, options: { allowExpired?: boolean } = {}): Promise<TokenState> {
  const { tokenId, expiresAt } = await verifySignature(db, token);
  if (options.allowExpired !== true) checkExpiry(expiresAt, now);
  const [row] = await db.query(SELECT_TOKEN, [tokenId]);
  if (row === undefined) throw invalid();
  return tokenRow(row);
}

/**
 * Checks a token and marks it used, atomically: of two requests with one link, one wins.
 * A forged or mangled link is `unauthorized`, an expired one `forbidden`, a used one `conflict`.
 */
export async function redeemToken(db: Queryable, token: string, sessionId: string, now: number): Promise<TokenRow> {
  const { tokenId, expiresAt } = await verifySignature(db, token);
  checkExpiry(expiresAt, now);
  const won = await db.query(`UPDATE survey_tokens SET used_at = $1, session_id = $2 WHERE token_id = $3 AND used_at IS NULL RETURNING token_id`, [
    now,
    sessionId,
    tokenId,
  ]);
  const [row] = await db.query(SELECT_TOKEN, [tokenId]);
  if (row === undefined) throw invalid();
  if (won.length === 0) throw usedError();
  const t = tokenRow(row);
  return { token_id: t.token_id, survey_id: t.survey_id, customer_key: t.customer_key, channel: t.channel, event_id: t.event_id, expires_at: t.expires_at };
}

/** The answer to a second use of a link. */
export function usedError(): AppError {
  return new AppError('conflict', 'this survey link has already been used', { hint: 'each link can be answered once' });
}

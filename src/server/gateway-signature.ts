/**
 * Signatures of SMS gateway requests, the way Twilio signs its webhooks (docs/security.md): the
 * full URL the gateway posted to, then every body parameter sorted by name as name and value
 * with no separator, HMAC-SHA1 with the gateway key's signing secret, base64, sent as
 * `X-Twilio-Signature`. A gateway's key says who it is; the signature says this request, at
 * this URL, with these words, came from whoever holds the signing secret.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';

export const SIGNATURE_HEADER = 'x-twilio-signature';

/** The string a gateway signs: the URL, then each parameter (sorted by name) as name + value. */
export function signedText(url: string, params: Readonly<Record<string, string>>): string {
  return url + Object.keys(params).sort().map((k) => k + params[k]).join('');
}

/** The signature of a request to `url` with `params`, as the gateway computes it. */
export function gatewaySignature(secret: string, url: string, params: Readonly<Record<string, string>>): string {
  return createHmac('sha1', secret).update(signedText(url, params), 'utf8').digest('base64');
}

/**
 * The URL as the gateway called it: `X-Forwarded-Proto` (set by the TLS proxy in front, else
 * `http`, which is what the server itself speaks), the `Host` header and the path with its query.
 * A proxy must pass `Host` through unchanged for signatures to match.
 */
export function requestUrl(request: FastifyRequest): string {
  const forwarded = request.headers['x-forwarded-proto'];
  const proto = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim().toLowerCase();
  return `${proto === 'https' ? 'https' : 'http'}://${request.headers.host ?? ''}${request.url}`;
}

/** Whether `presented` is the signature of this request; constant-time in the signature. */
export function verifyGatewaySignature(secret: string, url: string, params: Readonly<Record<string, string>>, presented: string | undefined): boolean {
  if (presented === undefined || presented === '') return false;
  const expected = Buffer.from(gatewaySignature(secret, url, params));
  const actual = Buffer.from(presented.trim());
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/**
 * UTF-8 decoding that keeps bytes that are not UTF-8 visible instead of replacing them: shared by
 * file import (open.ts) and the HTTP bodies of the collector, so a record holding such bytes is
 * rejected as that record (ingest/limits.ts) on every way in.
 */
import { isUtf8 } from 'node:buffer';

/**
 * UTF-8 text in which each byte that is not part of a valid sequence becomes the lone surrogate
 * U+DC80–U+DCFF (Python's "surrogateescape"). Valid UTF-8 never decodes to a lone surrogate, so
 * the record that holds one is known to have had bad bytes and is rejected as that record
 * (ingest/limits.ts), while every other line reads as the UTF-8 it is. U+FFFD, which a
 * replacing decoder would put there, is a character a file may really hold.
 */
function escapeInvalid(buf: Buffer): string {
  const parts: string[] = [];
  let i = 0;
  while (i < buf.length) {
    const start = i;
    while (i < buf.length && buf[i]! < 0x80) i++;
    if (i > start) parts.push(buf.toString('latin1', start, i));
    if (i >= buf.length) break;
    const b = buf[i]!;
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    if (need > 1 && i + need <= buf.length && isUtf8(buf.subarray(i, i + need))) {
      parts.push(buf.toString('utf8', i, i + need));
      i += need;
    } else {
      parts.push(String.fromCharCode(0xdc00 + b));
      i++;
    }
  }
  return parts.join('');
}

/** `buf` as UTF-8 text, each byte of an invalid sequence a lone surrogate (see escapeInvalid). */
export function decodeUtf8(buf: Buffer): string {
  return isUtf8(buf) ? buf.toString('utf8') : escapeInvalid(buf);
}

/**
 * Reading a score out of what a customer types: "1", "1 out of 10", "ten", "I'd give you a 7 —
 * the app is great". A thin front on the reply reader (src/feedback/reply-reader.ts), which the
 * dialogue uses directly.
 */
import { CONFIDENT, readReply } from './reply-reader.ts';

export interface ParsedScore {
  score: number;
  /** What the customer wrote beyond the score, as they wrote it; null when nothing. */
  comment: string | null;
}

/**
 * The score in `text` on the scale [lo, hi], or null when there is none, more than one, a
 * fraction, a score on another scale ("4 out of 5" to a 0–10 question), or too little certainty.
 * Digits win over number words, so "no one helped me, 2" reads as 2.
 */
export function parseScore(text: string, lo: number, hi: number): ParsedScore | null {
  const r = readReply(text, { kind: 'score', lo, hi });
  if (r.intent !== 'score' || r.confidence < CONFIDENT) return null;
  return { score: r.score!, comment: r.comment ?? null };
}

/** A yes to an offer ("yes", "yes please call me", "ok"), a no ("no thanks"), or neither. */
export function yesNo(text: string): 'yes' | 'no' | null {
  const r = readReply(text, { kind: 'yes_no' });
  if (r.confidence < CONFIDENT) return null;
  return r.intent === 'yes' || r.intent === 'callback' ? 'yes' : r.intent === 'no' ? 'no' : null;
}

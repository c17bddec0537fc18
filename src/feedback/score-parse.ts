/**
 * Reading a score out of what a customer types: "1", "1 out of 10", "ten", "I'd give you a 7 —
 * the app is great". Whatever is left after the score is kept as the customer's comment.
 */

const WORDS: Readonly<Record<string, number>> = {
  zero: 0, nil: 0, nought: 0, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10,
};

export interface ParsedScore {
  score: number;
  /** The rest of the message, when it says something beyond the score. */
  comment: string | null;
}

const NUMBER = `(\\d+(?:[.,]\\d+)?|${Object.keys(WORDS).join('|')})`;
/** A number, optionally followed by its scale: "1 out of 10", "7/10", "four of five". */
const SCORE_RE = new RegExp(`\\b${NUMBER}\\b(?:\\s*(?:/|out of|of)\\s*${NUMBER}\\b)?`, 'gi');

function value(token: string): number {
  const w = WORDS[token.toLowerCase()];
  return w !== undefined ? w : Number(token.replace(',', '.'));
}

/**
 * The score in `text` on the scale [lo, hi], or null when there is none, more than one, a
 * fraction, or a score on another scale ("4 out of 5" to a 0–10 question). Digits win over
 * number words, so "no one helped me, 2" reads as 2.
 */
export function parseScore(text: string, lo: number, hi: number): ParsedScore | null {
  const matches = [...text.matchAll(SCORE_RE)];
  if (matches.length === 0) return null;
  const digits = matches.filter((m) => /\d/.test(m[1]!));
  const pool = digits.length > 0 ? digits : matches;
  if (pool.length !== 1) return null;
  const m = pool[0]!;
  const score = value(m[1]!);
  if (m[2] !== undefined && value(m[2]) !== hi) return null;
  if (!Number.isInteger(score) || score < lo || score > hi) return null;
  const rest = (text.slice(0, m.index) + ' ' + text.slice(m.index! + m[0].length))
    .replace(/\s+/g, ' ')
    .replace(/^[\s,.;:!–—-]+|[\s,;:–—-]+$/g, '')
    .trim();
  return { score, comment: /\p{L}{2,}/u.test(rest) && rest.split(' ').length >= 2 ? rest : null };
}

/** A yes to an offer ("yes", "yes please call me", "ok"), a no ("no thanks"), or neither. */
export function yesNo(text: string): 'yes' | 'no' | null {
  const t = text.trim().toLowerCase();
  if (/^(no|nope|nah|not now|no thanks?|no thank you|don'?t|do not)\b/.test(t) || /\b(don'?t|do not) (call|ring|phone)\b/.test(t)) return 'no';
  if (/^(y|yes|yeah|yep|yup|ok|okay|sure|please|go ahead)\b/.test(t) || /\b(call|ring|phone) me\b|\bcall ?back\b/.test(t)) return 'yes';
  return null;
}

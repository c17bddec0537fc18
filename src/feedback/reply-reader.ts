/**
 * Reading a customer's reply for what the question asked (docs/feedback.md, "Reading replies"):
 * a score in digits or words, a yes or no, a free answer, a request to be called (with the time
 * they asked for), an opt-out, or a question back, each with a confidence. Below CONFIDENT the
 * dialogue asks again once instead of guessing. The text is never rewritten: a score's comment is
 * the reply itself (or the words after a leading score), never a reply with a word cut out of it.
 */

/** What the last message asked for. */
export type Expectation =
  | { readonly kind: 'score'; readonly lo: number; readonly hi: number }
  | { readonly kind: 'yes_no' }
  /** A free answer; with `offer`, a yes (or a request to be called) accepts the callback offered with it. */
  | { readonly kind: 'text'; readonly offer: boolean }
  | { readonly kind: 'choice'; readonly choices: readonly string[] };

export type ReplyIntent = 'score' | 'yes' | 'no' | 'answer' | 'callback' | 'choice' | 'opt_out' | 'question' | 'skip' | 'unclear';

/** When the customer asked to be called: a local time, today or on a later day. */
export interface CallTime {
  /** Days from today in the customer's zone (0 today, 1 tomorrow). */
  readonly day: number;
  /** Local minutes after midnight. */
  readonly minute: number;
  /** `after` 5, `before` noon, `at` 3. */
  readonly relation: 'after' | 'before' | 'at';
}

export interface ReplyReading {
  readonly intent: ReplyIntent;
  /** 0–1: below CONFIDENT the dialogue asks again. */
  readonly confidence: number;
  readonly score?: number;
  /** With a score: what the customer wrote beyond it, as they wrote it; null when nothing. */
  readonly comment?: string | null;
  readonly choice?: string;
  /** With a callback: when they asked to be called, if they said. */
  readonly callAt?: CallTime | null;
}

export const CONFIDENT = 0.7;

const NUMBER_WORDS: Readonly<Record<string, number>> = {
  zero: 0, nil: 0, nought: 0, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10,
};

const OPT_OUT_WHOLE = /^\s*(stop|stop all|stopall|unsubscribe|cancel|end|quit|opt ?out|remove me|leave me alone)\s*[.!]*\s*$/i;
const OPT_OUT_PHRASE = /\b(stop (texting|messaging|sending|contacting|these|this)|don'?t (text|message|contact) me|do not (text|message|contact) me|no more (texts|messages|surveys)|unsubscribe|opt me out|take me off)\b/i;

const YES = /^(y|ya|yes+|yeah|yea|yep|yup|yas|ok|okay|k|kk|sure|please do|yes please|go ahead|absolutely|definitely|of course|why not|that would be great|that'd be great|sounds good|👍|✅)(?=$|[\s,.!?])/iu;
const NO = /^(n|no+|nope|nah|no thanks?|no thank you|not now|not really|no need|don'?t bother|nothing|i'?m good|im good|all good|it'?s fine|its fine|never ?mind|👎)(?=$|[\s,.!?])/iu;
const CALL_REQUEST = /\b((please|pls|plz|can you|could you|can someone|could someone|someone|just|u|you) (call|ring|phone) me|(call|ring|phone) me|give me a (call|ring)|call ?back|a call would|i'?d like a call|i want a call|speak to (someone|a person|a human|an agent)|talk to (someone|a person|a human|an agent))\b/i;
const NO_CALL = /\b(don'?t|do not|no need to|pls don'?t|please don'?t) (call|ring|phone)\b|\bno (call|calls|phone calls?)\b/i;
const IDK = /^(idk|i ?d(on'?|o n)t know|dunno|not sure|no idea|unsure|hmm+|eh|meh|maybe|whatever|n\/a|na)\W*$/i;
const QUESTION_START = /^(who|what|why|how|when|where|which|is|are you|can you|could you|do you|does|will you|did you|wait what|huh)\b/i;
const SKIP = /^(skip|pass|next|no comment|nothing to add|nothing else|none)\W*$/i;

/** Digits, number words and scales ("7/10", "3 out of 5"), with where each was found. */
interface NumberHit {
  value: number;
  index: number;
  length: number;
  word: boolean;
  /** The scale written after it, if any ("out of 10"). */
  outOf: number | null;
}

const NUMBER_RE = /(\d+(?:[.,]\d+)?|\b(?:zero|nil|nought|one|two|three|four|five|six|seven|eight|nine|ten)\b)(?:\s*(?:\/|out of|outta|of)\s*(\d+|ten|five|seven)\b)?/gi;

/** "one" as a pronoun ("no one", "the one", "one of them") is not a score. */
const NOT_A_NUMBER_BEFORE = /\b(no|any|some|every|the|this|that|each|which|last|only|a|another|other)\s*$/i;
const NOT_A_NUMBER_AFTER = /^\s*(of|more|thing|day|time|person|guy|lady|another|by one)\b/i;

function numbers(text: string): NumberHit[] {
  const out: NumberHit[] = [];
  for (const m of text.matchAll(NUMBER_RE)) {
    const token = m[1]!;
    const word = !/\d/.test(token);
    const before = text.slice(Math.max(0, m.index - 12), m.index);
    const after = text.slice(m.index + m[0].length);
    if (word && token.toLowerCase() === 'one' && (NOT_A_NUMBER_BEFORE.test(before) || NOT_A_NUMBER_AFTER.test(after))) continue;
    // A time of day ("after 5", "5pm", "at 3:30") or a count of things is not a score.
    // A minus sign makes it no score on any scale.
    if (/(^|\s)-$/.test(before)) {
      out.push({ value: -1, index: m.index, length: m[0].length, word, outOf: null });
      continue;
    }
    if (/\b(after|before|at|around|by|from|until|till)\s*$/i.test(before) || /^\s*(:\d\d|am\b|pm\b|a\.m|p\.m|o'?clock|hours?|hrs?|minutes?|mins?|days?|weeks?|months?|years?|times|calls?|%)/i.test(after)) continue;
    const outOf = m[2] === undefined ? null : (NUMBER_WORDS[m[2].toLowerCase()] ?? Number(m[2]));
    out.push({ value: word ? NUMBER_WORDS[token.toLowerCase()]! : Number(token.replace(',', '.')), index: m.index, length: m[0].length, word, outOf });
  }
  return out;
}

/** Filler around a score that says nothing on its own ("it was a 1 honestly", "I'd give you a 7"). */
const FILLER = new Set(
  'i id i\'d would give you u it its it\'s was is a an be maybe probably honestly honest tbh lol say like solid strong about around just so um uh hmm well my score rating answer out of overall definitely def guess thanks thank thx ty cheers'.split(' '),
);

function scoreComment(text: string, hit: NumberHit): string | null {
  const words = (text.slice(0, hit.index) + ' ' + text.slice(hit.index + hit.length)).toLowerCase().match(/[\p{L}']+/gu) ?? [];
  if (words.every((w) => FILLER.has(w))) return null;
  // A score at the start ("Ten. Maria was brilliant") is set apart from what follows; anywhere
  // else the reply is kept whole, so no sentence loses a word from its middle.
  const lead = text.slice(0, hit.index).trim();
  if (lead === '' || [...lead.toLowerCase().matchAll(/[\p{L}']+/gu)].every((w) => FILLER.has(w[0]))) {
    const rest = text.slice(hit.index + hit.length).replace(/^[\s,.;:!–—-]+/, '').trim();
    if (rest !== '' && /\p{L}{2,}/u.test(rest)) return lead === '' ? rest : text.trim();
  }
  return text.trim();
}

/** Reads a score reply on the scale [lo, hi]. */
function readScore(text: string, lo: number, hi: number): ReplyReading {
  const hits = numbers(text);
  const digits = hits.filter((h) => !h.word);
  const pool = digits.length > 0 ? digits : hits;
  if (pool.length === 0) return { intent: 'unclear', confidence: 0.2 };
  // Two different scores ("7 or 8") are a question to ask again; the same twice is one.
  const values = new Set(pool.map((h) => h.value));
  if (values.size > 1) return { intent: 'unclear', confidence: 0.3 };
  const hit = pool[0]!;
  if (hit.outOf !== null && hit.outOf !== hi) return { intent: 'unclear', confidence: 0.3 };
  if (!Number.isInteger(hit.value) || hit.value < lo || hit.value > hi) return { intent: 'unclear', confidence: 0.3 };
  const words = text.match(/[\p{L}\p{N}']+/gu) ?? [];
  // A lone number word deep inside a long sentence may be a count, not a score.
  const confidence = !hit.word ? 0.97 : words.length <= 6 ? 0.9 : 0.75;
  return { intent: 'score', score: hit.value, confidence, comment: scoreComment(text, hit) };
}

const DAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

/** The time a customer asked to be called at, if they said one ("after 5", "tomorrow morning", "at 10am"). */
export function readCallTime(text: string, todayWeekday: number): CallTime | null {
  const t = text.toLowerCase();
  let day = 0;
  if (/\btomorrow\b|\btmrw\b|\btmr\b/.test(t)) day = 1;
  const wd = DAYS.findIndex((d) => new RegExp(`\\b${d}\\b`).test(t));
  if (wd >= 0) day = (wd - todayWeekday + 7) % 7;
  const named = day > 0 || wd >= 0;
  let minute: number | null = null;
  let relation: CallTime['relation'] = 'at';
  const m = /\b(after|before|at|around|from|by|until|till|any ?time after)?\s*(\d{1,2})(?::(\d{2}))?\s*(am|pm|a\.m\.?|p\.m\.?|o'?clock)?\b/.exec(t);
  const usable = m !== null && (m[1] !== undefined || m[4] !== undefined || m[3] !== undefined);
  if (m !== null && usable) {
    let hour = Number(m[2]);
    const mins = m[3] === undefined ? 0 : Number(m[3]);
    const ampm = m[4]?.startsWith('p') ? 'pm' : m[4]?.startsWith('a') ? 'am' : null;
    if (hour <= 24 && mins < 60) {
      if (ampm === 'pm' && hour < 12) hour += 12;
      else if (ampm === 'am' && hour === 12) hour = 0;
      // Without am/pm, office sense: 1–7 are afternoon hours.
      else if (ampm === null && hour >= 1 && hour <= 7) hour += 12;
      minute = hour * 60 + mins;
      const rel = m[1] ?? '';
      relation = /after|from/.test(rel) ? 'after' : /before|by|until|till/.test(rel) ? 'before' : 'at';
    }
  }
  if (minute === null) {
    if (/\b(noon|midday|lunch ?time|lunch)\b/.test(t)) {
      minute = 12 * 60;
      relation = /\b(before|by)\s+(noon|midday|lunch)/.test(t) ? 'before' : /\bafter\s+(noon|midday|lunch)/.test(t) ? 'after' : 'at';
    }
    else if (/\bmorning\b/.test(t)) [minute, relation] = [9 * 60, 'after'];
    else if (/\bafternoon\b/.test(t)) [minute, relation] = [13 * 60, 'after'];
    else if (/\b(evening|tonight|after work)\b/.test(t)) [minute, relation] = [17 * 60 + 30, 'after'];
  }
  if (minute === null && !named) return null;
  return { day, minute: minute ?? 9 * 60, relation: minute === null ? 'after' : relation };
}

/**
 * Reads a reply for what `expects` asks. `todayWeekday` (0 = Sunday, in the customer's zone)
 * lets "call me Monday" name a day.
 */
export function readReply(raw: string, expects: Expectation, todayWeekday = 1): ReplyReading {
  const text = raw.trim();
  if (text === '') return { intent: 'unclear', confidence: 0 };
  if (OPT_OUT_WHOLE.test(text) || OPT_OUT_PHRASE.test(text)) return { intent: 'opt_out', confidence: 0.95 };

  if (expects.kind === 'score') {
    // "is 1 good or bad?" asks about the scale; it gives no score.
    if (/\?\s*$/.test(text) && QUESTION_START.test(text)) return { intent: 'question', confidence: 0.8 };
    const s = readScore(text, expects.lo, expects.hi);
    if (s.intent === 'score') return s;
    if (CALL_REQUEST.test(text) && !NO_CALL.test(text)) return { intent: 'callback', confidence: 0.85, callAt: readCallTime(text, todayWeekday) };
    if (isQuestion(text)) return { intent: 'question', confidence: 0.8 };
    return s;
  }

  if (expects.kind === 'choice') {
    const t = text.toLowerCase().replace(/[.!]+$/, '');
    const n = Number(t);
    if (Number.isInteger(n) && n >= 1 && n <= expects.choices.length) return { intent: 'choice', choice: expects.choices[n - 1]!, confidence: 0.97 };
    const hits = expects.choices.filter((c) => c.toLowerCase() === t || (t.length >= 3 && (c.toLowerCase().startsWith(t) || t.includes(c.toLowerCase()))));
    if (hits.length === 1) return { intent: 'choice', choice: hits[0]!, confidence: 0.9 };
    if (isQuestion(text)) return { intent: 'question', confidence: 0.8 };
    return { intent: 'unclear', confidence: 0.3 };
  }

  const yesNo = readYesNo(text, todayWeekday);
  if (expects.kind === 'yes_no') {
    if (yesNo !== null) return yesNo;
    if (isQuestion(text)) return { intent: 'question', confidence: 0.8 };
    // "tomorrow at 9am please" to "would you like a call?" names when.
    const at = readCallTime(text, todayWeekday);
    if (at !== null) return { intent: 'callback', confidence: 0.8, callAt: at };
    // A sentence that is neither a yes nor a no is not taken as either.
    return { intent: 'unclear', confidence: 0.3 };
  }

  // A free answer. With a callback on offer, a yes or a request to be called accepts it.
  if (expects.offer && yesNo !== null && (yesNo.intent === 'callback' || yesNo.intent === 'yes' || (yesNo.intent === 'no' && isShort(text)))) return yesNo;
  if (SKIP.test(text)) return { intent: 'skip', confidence: 0.9 };
  if (IDK.test(text)) return { intent: 'unclear', confidence: 0.4 };
  if (isQuestion(text) && isShort(text)) return { intent: 'question', confidence: 0.75 };
  if (!/[\p{L}\p{N}]/u.test(text)) return { intent: 'unclear', confidence: 0.3 };
  return { intent: 'answer', confidence: 0.9 };
}

function isShort(text: string): boolean {
  return (text.match(/[\p{L}\p{N}']+/gu) ?? []).length <= 6;
}

function isQuestion(text: string): boolean {
  return /\?\s*$/.test(text) && (QUESTION_START.test(text) || isShort(text)) || /^(who is this|who'?s this|what is this|what'?s this|wrong number)\b/i.test(text);
}

/** A yes, a request to be called (a yes with a time), a no; null for neither. */
function readYesNo(text: string, todayWeekday: number): ReplyReading | null {
  const t = text.trim();
  // "who would call me?" asks about the call; it does not accept it.
  if (/\?\s*$/.test(t) && /^(who|what|why|how|when|where|which)\b/i.test(t)) return null;
  if (NO_CALL.test(t)) return { intent: 'no', confidence: 0.9 };
  if (CALL_REQUEST.test(t)) return { intent: 'callback', confidence: 0.9, callAt: readCallTime(t, todayWeekday) };
  const yes = YES.exec(t);
  if (yes !== null) {
    const rest = t.slice(yes[0].length).replace(/^[\s,.!]+/, '');
    // "yes but after 5" asks for a time; "ok whatever" is still a yes, with less certainty.
    const at = readCallTime(t, todayWeekday);
    if (at !== null) return { intent: 'callback', confidence: 0.9, callAt: at };
    return { intent: 'yes', confidence: rest === '' || isShort(t) ? 0.95 : 0.75 };
  }
  if (NO.test(t)) return { intent: 'no', confidence: isShort(t) ? 0.95 : 0.75 };
  return null;
}

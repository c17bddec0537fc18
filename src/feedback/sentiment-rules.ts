/**
 * Rule-based sentiment in the manner of VADER (its word list, negation, intensifiers, "but",
 * exclamation marks), corrected for what customers of a service write: the language of service
 * failure ("still waiting", "had to call again", "twice", "never received", "errored out",
 * "weeks ago") is negative, the completion words it negates ("received", "fixed", "resolved")
 * are mildly positive so that "not received" reads negative, and the facts of a complaint
 * ("credit", "promised", "please", "thanks") carry no praise. One pass over the tokens with a
 * fixed look-back, so the cost is linear in the text's length.
 */
import { VADER_WORDS } from './sentiment-lexicon.ts';

export type SentimentLabel = 'positive' | 'negative' | 'neutral';

/**
 * The label's bands: positive above POSITIVE_ABOVE, negative below NEGATIVE_BELOW, neutral
 * between. The band is wider on the positive side because courtesy is positive in the word
 * list ("thanks", "please", "okay") and a complaint is often polite; a lukewarm "it was okay"
 * is neutral.
 */
export const POSITIVE_ABOVE = 0.2;
export const NEGATIVE_BELOW = -0.05;

export function labelOf(sentiment: number): SentimentLabel {
  return sentiment > POSITIVE_ABOVE ? 'positive' : sentiment < NEGATIVE_BELOW ? 'negative' : 'neutral';
}

/**
 * Words whose VADER valence misleads on service and product comments, and the service-failure
 * vocabulary VADER lacks (valence on VADER's −4 … +4 scale).
 */
const CORRECTIONS: Readonly<Record<string, number>> = {
  // Facts of a complaint, not praise.
  credit: 0, credits: 0, promised: 0, promise: 0, promises: 0, please: 0.2, thanks: 0.7, thank: 0.7, like: 0.6, likes: 0.6, liked: 1.2,
  pretty: 1.2, want: 0, wanted: 0, hoping: 0, hope: 0.4, hoped: -0.6, expected: -0.4, expecting: -0.2, supposed: -0.8,
  // Waiting and delay.
  wait: -0.8, waiting: -1.2, waited: -1.4, waits: -0.8, delay: -1.4, delayed: -1.6, delays: -1.4, late: -1.0, overdue: -1.6,
  forever: -0.8, ages: -0.8, hold: -0.4, chase: -1.4, chasing: -1.6, chased: -1.4,
  // Repetition.
  again: -0.5, twice: -1.2, repeatedly: -1.2, 'same thing': -1.0, 'same issue': -1.4, 'same problem': -1.6,
  // Things that broke.
  errored: -2.0, erroring: -2.0, errors: -1.7, glitch: -1.6, glitches: -1.6, glitchy: -1.8, bug: -1.2, buggy: -1.8, crashed: -2.0, crashes: -1.8,
  crashing: -2.0, outage: -2.0, timed: 0, timeout: -1.6, declined: -1.4, rejected: -1.6, missing: -1.4, cancelled: -1.4, canceled: -1.4,
  overcharged: -2.4, overcharge: -2.2, unresolved: -2.0, unanswered: -1.8, unable: -1.4, impossible: -1.6, useless: -2.2, nobody: -1.2,
  returned: -1.0, returning: -1.2, return: -0.6, refund: -0.3, complaint: -1.4, complain: -1.2, unfortunately: -1.8, disappointing: -2.4,
  // Completion: mildly good, so that its negation is a failure.
  fix: -0.8, received: 0.6, arrived: 0.6, fixed: 1.0, resolved: 1.2, sorted: 1.0, solved: 1.2, working: 0.6, works: 0.8, worked: 0.8, delivered: 0.6,
  showed: 0.2, answered: 0.6, responded: 0.6, processed: 0.6, refunded: 0.8, credited: 0.8, replied: 0.6, recommend: 1.6, fits: 1.2, fitted: 0.8,
  easy: 1.9, quick: 1.4, quickly: 1.2, fast: 1.2, efficient: 1.8, smooth: 1.4, seamless: 1.8, painless: 1.6, knowledgeable: 1.8, professional: 1.6,
  support: 0, supported: 0.6, rock: 1.8, rocks: 2.2, rocked: 2.0, legend: 2.0, legends: 2.0, comfy: 1.8, flattering: 2.0, cute: 2.0, gorgeous: 3.0, stunning: 3.0, soft: 1.0, unflattering: -2.0, itchy: -1.4, scratchy: -1.4,
};

/** "The problem was fixed": a problem that is solved is good news, not a complaint. */
const SOLVED: Readonly<Record<string, number>> = Object.fromEntries(
  ['problem', 'issue', 'fault'].flatMap((noun) =>
    ['is', 'was', 'got', 'has been', 'now'].flatMap((verb) => ['fixed', 'resolved', 'solved', 'sorted'].map((done) => [`${noun} ${verb} ${done}`, 1.8])),
  ),
);

/** Phrases (words joined by one space) read as one unit; longest match wins. */
const PHRASES: Readonly<Record<string, number>> = {
  ...SOLVED,
  'please fix': -1.2, 'fix this': -1.0, 'fix it': -0.8,
  'still waiting': -2.4, 'still not': -1.6, 'still no': -2.0, 'still nothing': -2.2, 'still have not': -2.2, "still haven't": -2.2, 'still havent': -2.2,
  'still unresolved': -2.6, 'still broken': -2.6, 'still has not': -2.2, "still hasn't": -2.2, 'still hasnt': -2.2, 'still does not': -2.0, "still doesn't": -2.0,
  'still doesnt': -2.0, 'still cannot': -2.0, "still can't": -2.0, 'still cant': -2.0,
  'had to call again': -2.6, 'had to call back': -2.2, 'call again': -1.4, 'called again': -1.8, 'had to call': -1.4, 'had to go back': -1.6, 'had to contact': -1.6,
  'had to chase': -2.2, 'had to ring': -1.4, 'had to explain': -1.6, 'had to repeat': -1.8, 'had to wait': -1.8, 'had to return': -1.6, 'had to send': -1.2,
  'had to': -0.6, 'have to keep': -1.6, 'keep having to': -1.8, 'kept having to': -1.8, 'again and again': -1.8, 'over and over': -1.8,
  // Leaving: the intent to switch is the complaint.
  'other providers': -1.6, 'another provider': -1.6, 'other companies': -1.4, 'another company': -1.4, 'switching to': -1.4, 'switch to': -1.0,
  'switch providers': -1.8, 'take my business': -2.0, 'too high': -1.4, 'going up': -0.8, 'keeps going up': -1.4,
  'several tries': -1.4, 'many tries': -1.4, 'multiple tries': -1.6, 'several attempts': -1.4, 'many attempts': -1.4, 'multiple attempts': -1.6,
  'does nothing': -1.6, 'did nothing': -1.6, 'nothing happened': -1.6, 'nothing works': -2.0, 'nothing worked': -2.0, 'nothing was done': -1.8,
  'three times': -1.4, 'four times': -1.6, 'five times': -1.6, 'several times': -1.4, 'multiple times': -1.6, 'many times': -1.0, 'numerous times': -1.6,
  'weeks ago': -1.2, 'days ago': -0.8, 'months ago': -1.4, 'a week ago': -1.0, 'a month ago': -1.2, 'for weeks': -1.4, 'for days': -1.2, 'for months': -1.6,
  'for hours': -1.4, 'on hold': -1.6, 'an hour': -0.6, 'hours on': -1.2, 'so long': -0.8, 'too long': -1.8, 'long time': -0.8, 'took ages': -1.8,
  'never received': -2.4, 'never arrived': -2.4, 'never got': -2.0, 'never came': -2.2, 'never showed': -2.4, 'never called': -2.4, 'never heard': -2.2,
  'never turned up': -2.4, 'never happened': -2.0, 'never fixed': -2.4, 'never resolved': -2.4, 'never refunded': -2.4, 'never credited': -2.4,
  'no response': -2.0, 'no reply': -2.0, 'no answer': -1.8, 'no one': -1.4, 'no help': -2.2, 'no call': -1.6, 'no callback': -2.0, 'no update': -1.6,
  'no updates': -1.6, 'no word': -1.4, 'no idea': -0.8, 'no way': -1.0, 'no problem': 1.2, 'no problems': 1.4, 'no issues': 1.6, 'no issue': 1.4,
  'no complaints': 1.8, 'no hassle': 1.6, 'no fuss': 1.4, 'no wait': 1.2, 'no waiting': 1.2, 'not bad': 1.0, 'not too bad': 0.8,
  'errored out': -2.4, 'error message': -1.8, 'went wrong': -2.0, 'go wrong': -1.4, 'timed out': -1.8, 'cut off': -1.6, 'cut me off': -2.0, 'hung up': -2.0,
  'charged twice': -2.6, 'double charged': -2.6, 'charged again': -2.2, 'lost my': -1.6, 'lost the': -1.4, 'fell apart': -2.4, 'falls apart': -2.2,
  'sent back': -1.6, 'send back': -1.4, 'send it back': -1.6, 'sent it back': -1.8, 'sending it back': -1.8, 'sending back': -1.6, 'going back': -1.0,
  'returned it': -1.8, 'returned them': -1.8, 'returning it': -1.8, 'return it': -1.4, 'returned my call': 1.2, 'called me back': 1.4, 'called back': 0.8,
  'wanted to love': -1.8, 'wanted to like': -1.6, 'really wanted': -1.0, 'was hoping': -1.2, 'were hoping': -1.2, 'high hopes': -1.4, 'expected more': -1.8,
  'expected better': -2.0, 'should have been': -1.2, 'should have': -0.8, 'would have been': -0.6, 'would have liked': -1.0, 'not worth': -1.8,
  'would not recommend': -2.6, "wouldn't recommend": -2.6, 'wouldnt recommend': -2.6, 'do not recommend': -2.6, "don't recommend": -2.6, 'dont recommend': -2.6,
  'waste of': -2.4, 'worth the wait': 1.8, 'buy again': 1.8, 'buy it again': 1.8, 'order again': 1.6, 'use again': 1.6, 'use them again': 1.8,
  'come back again': 1.6, 'do it again': 0.8, 'go again': 1.2, 'highly recommend': 3.0, 'above and beyond': 3.0, 'sorted it out': 2.0, 'sorted out': 1.6,
  'on time': 1.2, 'as promised': 1.8, 'as expected': 0.8, 'couldn\'t be happier': 3.0, 'could not be happier': 3.0, 'couldnt be happier': 3.0,
  'can\'t wait': 1.6, 'cant wait': 1.6, 'cannot wait': 1.6, 'thank you': 0.8, 'not happy': -2.0, 'not impressed': -2.0, 'not good': -1.8, 'not great': -1.6,
  'at all': 0, 'at least': -0.2, 'fed up': -2.4, 'let down': -2.2, 'let me down': -2.2, 'run around': -2.0, 'runaround': -2.0, 'passed around': -1.8,
  'sent around': -1.6, 'transferred again': -2.0, 'transferred to': -0.6, 'still charging': -2.2, 'what a joke': -2.4, 'a joke': -1.6, 'rip off': -2.6,
  'ripped off': -2.6, 'too small': -1.4, 'too big': -1.4, 'too large': -1.4, 'too tight': -1.4, 'too short': -1.2, 'too much': -1.0, 'too expensive': -1.8,
  'too slow': -1.8, 'too many': -1.0, 'runs small': -0.8, 'runs large': -0.8, 'poor quality': -2.4, 'bad quality': -2.4, 'cheaply made': -2.2,
  'see through': -1.0, 'not as pictured': -2.0, 'nothing like': -1.6, 'looks nothing like': -2.0, 'did the job': 1.2, 'does the job': 1.2,
};

const NEGATORS = new Set([
  'not', 'no', 'never', 'none', 'nothing', 'nobody', 'neither', 'nor', 'nowhere', 'without', 'hardly', 'barely', 'rarely', 'seldom', 'cannot', 'cant', 'dont', 'doesnt',
  'didnt', 'isnt', 'arent', 'wasnt', 'werent', 'hasnt', 'havent', 'hadnt', 'wont', 'wouldnt', 'shouldnt', 'couldnt', 'aint', 'nope',
]);

/**
 * One complaint outweighs the courtesies around it: customers hedge ("lovely colour, but…",
 * "thanks, but still nothing"), so negative valence counts this much more than positive.
 */
const NEGATIVE_WEIGHT = 2;

const BOOST = 0.293;
const BOOSTERS: Readonly<Record<string, number>> = {
  absolutely: BOOST, amazingly: BOOST, awfully: BOOST, completely: BOOST, considerably: BOOST, deeply: BOOST, enormously: BOOST, entirely: BOOST,
  especially: BOOST, exceptionally: BOOST, extremely: BOOST, fully: BOOST, greatly: BOOST, highly: BOOST, hugely: BOOST, incredibly: BOOST,
  particularly: BOOST, purely: BOOST, quite: BOOST, really: BOOST, remarkably: BOOST, so: BOOST, sooo: BOOST, soo: BOOST, substantially: BOOST, thoroughly: BOOST,
  totally: BOOST, tremendously: BOOST, unbelievably: BOOST, utterly: BOOST, very: BOOST, super: BOOST, truly: BOOST, way: BOOST, most: BOOST, pretty: BOOST * 0.5,
  almost: -BOOST, barely: -BOOST, hardly: -BOOST, kinda: -BOOST, less: -BOOST, little: -BOOST, marginally: -BOOST, occasionally: -BOOST, partly: -BOOST,
  scarcely: -BOOST, slightly: -BOOST, somewhat: -BOOST, sorta: -BOOST, fairly: -BOOST * 0.5, bit: -BOOST,
};

/** Words that shift weight to what follows them ("nice colour, but it ran small"). */
const CONTRAST = new Set(['but', 'however', 'although', 'though', 'yet', 'unfortunately', 'sadly']);

/** Emoji read as words. */
const EMOJI: Readonly<Record<string, number>> = {
  '😀': 2, '😃': 2, '😄': 2, '😁': 2, '😊': 2, '🙂': 1.2, '😍': 3, '🥰': 3, '❤': 2.4, '❤️': 2.4, '👍': 1.8, '👏': 2, '🙏': 1, '⭐': 1.2, '🎉': 2,
  '😞': -2, '😔': -2, '😢': -2.2, '😭': -2.4, '😡': -3, '😠': -2.8, '🤬': -3.2, '👎': -2.2, '🙁': -1.6, '☹️': -1.8, '😤': -2, '💩': -2.4, '🤦': -1.8, '😒': -1.6,
};

let lexicon: Map<string, number> | null = null;
let phraseStarts: Map<string, { words: string[]; valence: number }[]> | null = null;

function tables(): { lex: Map<string, number>; phrases: Map<string, { words: string[]; valence: number }[]> } {
  if (lexicon === null || phraseStarts === null) {
    lexicon = new Map();
    for (const entry of VADER_WORDS.split(/\s+/)) {
      const i = entry.lastIndexOf(':');
      if (i > 0) lexicon.set(entry.slice(0, i).replace(/'/g, ''), Number(entry.slice(i + 1)));
    }
    for (const [w, v] of Object.entries(CORRECTIONS)) if (!w.includes(' ')) lexicon.set(w, v);
    phraseStarts = new Map();
    const all: [string, number][] = [...Object.entries(PHRASES), ...Object.entries(CORRECTIONS).filter(([w]) => w.includes(' '))];
    for (const [p, v] of all) {
      const words = p.replace(/'/g, '').split(' ');
      const list = phraseStarts.get(words[0]!) ?? [];
      list.push({ words, valence: v });
      list.sort((a, b) => b.words.length - a.words.length);
      phraseStarts.set(words[0]!, list);
    }
  }
  return { lex: lexicon, phrases: phraseStarts };
}

interface Token {
  word: string;
  caps: boolean;
}

const TOKEN_RE = /[\p{L}\p{N}]+(?:['’][\p{L}]+)*|[.!?;…]+|\p{Extended_Pictographic}\uFE0F?/gu;

/** Splits a text into sentences of lower-case words (apostrophes dropped: "didn't" → "didnt"). */
function sentences(text: string): { tokens: Token[]; bangs: number; question: boolean }[] {
  const out: { tokens: Token[]; bangs: number; question: boolean }[] = [];
  let cur: Token[] = [];
  let bangs = 0;
  for (const m of text.matchAll(TOKEN_RE)) {
    const raw = m[0];
    if (/^[.!?;…]+$/.test(raw)) {
      bangs += (raw.match(/!/g) ?? []).length;
      if (cur.length > 0) out.push({ tokens: cur, bangs, question: raw.includes('?') });
      cur = [];
      bangs = 0;
      continue;
    }
    cur.push({ word: raw.toLowerCase().replace(/['’]/g, ''), caps: raw.length > 2 && raw === raw.toUpperCase() && /\p{Lu}/u.test(raw) });
  }
  if (cur.length > 0) out.push({ tokens: cur, bangs, question: false });
  return out;
}

/** A word or phrase read as a negation ("not", "didn't", "no"), used to flip what follows. */
function isNegator(w: string): boolean {
  return NEGATORS.has(w);
}

/**
 * The compound sentiment of a text in [−1, 1] (VADER's normalisation of the summed valences).
 * Texts with no sentiment-bearing word score 0.
 */
export function ruleSentiment(text: string): number {
  const { lex, phrases } = tables();
  const sents = sentences(text);
  const allCaps = !/\p{Ll}/u.test(text);
  let total = 0;
  let anyValence = false;
  const contributions: number[] = [];
  let lastContrastAt = -1;
  for (const s of sents) {
    const toks = s.tokens;
    const vals: number[] = [];
    let sentenceHasValence = false;
    let negatorSeen = false;
    for (let i = 0; i < toks.length; i++) {
      const w = toks[i]!.word;
      if (CONTRAST.has(w) && !(w === 'though' && i === toks.length - 1)) lastContrastAt = contributions.length + vals.length;
      if (isNegator(w)) negatorSeen = true;
      // Phrases first: longest match.
      let v: number | undefined;
      let span = 1;
      const cands = phrases.get(w);
      if (cands !== undefined) {
        for (const c of cands) {
          let ok = c.words.length <= toks.length - i;
          for (let j = 1; ok && j < c.words.length; j++) ok = toks[i + j]!.word === c.words[j];
          if (ok) {
            v = c.valence;
            span = c.words.length;
            break;
          }
        }
      }
      const isPhrase = v !== undefined;
      if (v === undefined) v = EMOJI[toks[i]!.word] ?? lex.get(w);
      if (v === undefined || v === 0 || (BOOSTERS[w] !== undefined && i + 1 < toks.length && !isPhrase)) {
        // "no" only counts on its own when it is not negating a word that follows.
        vals.push(0);
        if (span > 1) for (let k = 1; k < span; k++) vals.push(0);
        i += span - 1;
        continue;
      }
      if (w === 'no' && !isPhrase && i + 1 < toks.length) {
        vals.push(0);
        continue;
      }
      // Intensifiers and dampeners in the three words before.
      for (let k = 1; k <= 3 && i - k >= 0; k++) {
        const b = BOOSTERS[toks[i - k]!.word];
        if (b !== undefined) v += Math.sign(v) * b * (k === 1 ? 1 : k === 2 ? 0.95 : 0.9);
      }
      if (toks[i]!.caps && !allCaps) v += Math.sign(v) * 0.733;
      // Negation in the three words before (not counting a phrase that is itself a negation).
      if (!isPhrase || !isNegator(w)) {
        let negated = false;
        for (let k = 1; k <= 3 && i - k >= 0; k++) {
          const p = toks[i - k]!.word;
          if (isNegator(p)) negated = true;
        }
        if (negated) v *= v > 0 ? -0.74 : -0.5;
      }
      vals.push(v);
      for (let k = 1; k < span; k++) vals.push(0);
      i += span - 1;
      sentenceHasValence = true;
    }
    // A sentence that ends in a negation denies what it said ("it would be sorted by now, it
    // is not"): its good words turn bad; with none, it is a no ("It was not.", "Nope.").
    const last = toks[toks.length - 1]?.word ?? '';
    const denies = isNegator(last) && last !== 'nothing' && last !== 'none' && toks.length > 1;
    if (denies) for (let k = 0; k < vals.length - 1; k++) if (vals[k]! > 0) vals[k] = vals[k]! * -0.74;
    if (!sentenceHasValence && negatorSeen && (toks.length <= 5 || denies)) {
      vals.push(-1.4);
      sentenceHasValence = true;
    }
    // A question asks for something; its kind words ("can you help", "please") are not praise.
    if (s.question) for (let k = 0; k < vals.length; k++) if (vals[k]! > 0) vals[k] = vals[k]! * 0.3;
    if (sentenceHasValence) {
      anyValence = true;
      // Exclamation marks amplify the sentence (up to four).
      const amp = Math.min(s.bangs, 4) * 0.292;
      if (amp > 0) {
        const sum = vals.reduce((a, b) => a + b, 0);
        const idx = vals.findIndex((x) => x !== 0);
        if (idx >= 0) vals[idx]! += Math.sign(sum) * amp;
      }
    }
    contributions.push(...vals);
  }
  if (!anyValence) return 0;
  for (let i = 0; i < contributions.length; i++) {
    const raw = contributions[i]!;
    const c = raw < 0 ? raw * NEGATIVE_WEIGHT : raw;
    total += lastContrastAt < 0 ? c : i < lastContrastAt ? c * 0.5 : c * 1.5;
  }
  return total / Math.sqrt(total * total + 15);
}

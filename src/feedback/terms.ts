/**
 * The terms of a text that topics are discovered from: lower-case lemmas of its content words
 * (nouns, adjectives, verbs, not stop words), in order, with `|` where other words stood, so
 * that two-word phrases are only formed from words that were next to each other. Stored with
 * each text's analysis (`terms`), so discovery never reads a text twice.
 */

interface Nlp {
  readDoc(text: string): { tokens(): { out(f: unknown): unknown } };
  its: { lemma: unknown; pos: unknown; stopWordFlag: unknown; type: unknown };
}

let loading: Promise<Nlp> | null = null;

async function nlp(): Promise<Nlp> {
  loading ??= (async () => {
    const [{ default: winkNLP }, { default: model }] = await Promise.all([import('wink-nlp'), import('wink-eng-lite-web-model')]);
    return winkNLP(model, ['pos']) as unknown as Nlp;
  })();
  return loading;
}

const CONTENT_POS: ReadonlySet<string> = new Set(['NOUN', 'PROPN', 'ADJ', 'VERB']);

/**
 * Words that say how someone felt or fill a sentence, in any industry: sentiment is scored
 * apart, and a topic is what a text is about. General English, never a domain's vocabulary.
 */
export const GENERIC_WORDS: ReadonlySet<string> = new Set(
  `love like great good nice bad best better worse worst perfect beautiful lovely pretty awesome amazing excellent fantastic wonderful terrible awful
  horrible poor happy glad sad disappoint disappointed disappointing unhappy pleased satisfied fine okay ok cute gorgeous super fabulous
  get go make take come give want try say know think see need use feel seem keep put let find tell ask look wish hope guess mean
  thing lot bit way one something anything everything nothing someone anyone everyone kind sort type stuff piece part
  really also even still much many more most less little big new old other same different sure able whole real usual right
  thank thanks please sorry yes hey hello dear`.split(/\s+/),
);

export const TERM_BREAK = '|';

/** The text's terms as stored: lemmas separated by spaces, `|` where a non-content word stood. */
export async function createTermReader(): Promise<(text: string) => string> {
  const n = await nlp();
  return (text) => {
    const tokens = n.readDoc(text).tokens();
    const lemmas = tokens.out(n.its.lemma) as string[];
    const pos = tokens.out(n.its.pos) as string[];
    const stop = tokens.out(n.its.stopWordFlag) as boolean[];
    const type = tokens.out(n.its.type) as string[];
    const out: string[] = [];
    for (let i = 0; i < lemmas.length; i++) {
      const lemma = lemmas[i]!.toLowerCase();
      const keep = type[i] === 'word' && !stop[i] && CONTENT_POS.has(pos[i]!) && lemma.length >= 3 && /^[a-z][a-z-]*$/.test(lemma) && !GENERIC_WORDS.has(lemma);
      if (keep) out.push(lemma);
      else if (out.length > 0 && out[out.length - 1] !== TERM_BREAK) out.push(TERM_BREAK);
    }
    if (out[out.length - 1] === TERM_BREAK) out.pop();
    return out.join(' ');
  };
}

/** The distinct features of stored terms: each lemma and each pair of adjacent lemmas ("true size"). */
export function features(terms: string): Set<string> {
  const out = new Set<string>();
  let prev: string | null = null;
  for (const w of terms.split(' ')) {
    if (w === '' || w === TERM_BREAK) {
      prev = null;
      continue;
    }
    out.add(w);
    if (prev !== null && prev !== w) out.add(`${prev} ${w}`);
    prev = w;
  }
  return out;
}

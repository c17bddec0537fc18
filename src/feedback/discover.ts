/**
 * Topics discovered from the texts themselves, when no taxonomy is given (docs/feedback.md,
 * "Discovered topics"). Key phrases are the lemmas and adjacent lemma pairs (terms.ts) that
 * recur in enough texts, weighted by TF-IDF (document frequency × inverse document frequency);
 * the strongest are grouped by how often they occur in the same texts (average-linkage
 * clustering of their co-occurrence cosine), and each group is a topic labelled by its most
 * frequent phrases. A text belongs to every topic whose keywords it contains, which is how a
 * reader can check any assignment. Every step is a pure function of the texts with ties broken
 * by the phrase itself, so the same data gives the same topics; the cost is linear in the
 * texts plus a fixed amount for the few hundred candidate phrases.
 */
import { features } from './terms.ts';

export interface DiscoverInput {
  /** Stored terms of each text (terms.ts). */
  readonly terms: readonly string[];
}

export interface DiscoveredTopic {
  readonly topic: string;
  readonly label: string;
  /** Phrases, most frequent first: a text with any of them is in the topic. */
  readonly keywords: readonly string[];
}

export interface DiscoverOptions {
  /** At most this many topics (default 12). */
  readonly maxTopics?: number;
  /** Candidate phrases clustered (default 60). */
  readonly candidates?: number;
  /** Co-occurrence cosine above which two groups of phrases join (default 0.12). */
  readonly joinAt?: number;
  /** Keywords kept per topic (default 8). */
  readonly maxKeywords?: number;
}

/** A phrase must be in at least this many texts, and this share of them, to be a key phrase. */
const MIN_TEXTS = 3;
const MIN_SHARE = 0.004;
/** A phrase in more than this share of the texts is what they all say, not a topic among them; below FEW_TEXTS texts it still is one. */
const MAX_SHARE = 0.6;
const FEW_TEXTS = 50;

export function discoverTopics(input: DiscoverInput, options: DiscoverOptions = {}): DiscoveredTopic[] {
  const maxTopics = options.maxTopics ?? 12;
  const k = options.candidates ?? 60;
  const joinAt = options.joinAt ?? 0.12;
  const maxKeywords = options.maxKeywords ?? 8;
  const n = input.terms.length;
  if (n === 0) return [];

  // Document frequency of every phrase, and each text's phrases.
  const df = new Map<string, number>();
  const docs: Set<string>[] = input.terms.map((t) => {
    const f = features(t);
    for (const p of f) df.set(p, (df.get(p) ?? 0) + 1);
    return f;
  });
  const minDf = Math.max(MIN_TEXTS, Math.ceil(MIN_SHARE * n));
  // TF-IDF summed over the texts (binary term frequency): df × log(n / df). A phrase in nearly
  // every text says nothing about any of them; a pair counts a little more than a single word,
  // as it names a thing more precisely ("true size" over "true").
  const weight = (p: string, d: number): number => d * Math.log((n + 1) / d) * (p.includes(' ') ? 1.5 : 1);
  let candidates = [...df]
    .filter(([, d]) => d >= minDf && (d <= MAX_SHARE * n || n < FEW_TEXTS))
    .map(([p, d]) => ({ p, d, w: weight(p, d) }))
    .sort((a, b) => b.w - a.w || (a.p < b.p ? -1 : 1))
    .slice(0, k);
  // A pair whose texts are nearly all its word's texts adds nothing: keep the word.
  const byPhrase = new Map(candidates.map((c) => [c.p, c]));
  candidates = candidates.filter((c) => !c.p.includes(' ') || !c.p.split(' ').some((w) => (byPhrase.get(w)?.d ?? Infinity) <= c.d * 1.1));
  if (candidates.length === 0) return [];

  // Which texts hold each candidate, as bitsets: intersections are then word-wide ANDs.
  const words = Math.ceil(n / 32);
  const sets = candidates.map(() => new Uint32Array(words));
  const index = new Map(candidates.map((c, i) => [c.p, i]));
  docs.forEach((f, d) => {
    for (const p of f) {
      const i = index.get(p);
      if (i !== undefined) sets[i]![d >>> 5]! |= 1 << (d & 31);
    }
  });
  const m = candidates.length;
  const sim = new Float64Array(m * m);
  for (let a = 0; a < m; a++) {
    for (let b = a + 1; b < m; b++) {
      let both = 0;
      const A = sets[a]!;
      const B = sets[b]!;
      for (let w = 0; w < words; w++) both += popcount(A[w]! & B[w]!);
      // The phi coefficient: co-occurrence beyond what two phrases' frequencies give by chance,
      // so that frequent words do not gather everything.
      const pa = candidates[a]!.d / n;
      const pb = candidates[b]!.d / n;
      // Pairs seen together in fewer than MIN_TEXTS texts are chance, however high their phi.
      const s = both < MIN_TEXTS ? 0 : (both / n - pa * pb) / Math.sqrt(pa * pb * (1 - pa) * (1 - pb) || 1);
      sim[a * m + b] = s;
      sim[b * m + a] = s;
    }
  }

  // Average-linkage agglomeration: join the two closest groups while they are close enough.
  let groups: number[][] = candidates.map((_, i) => [i]);
  for (;;) {
    let best = -1;
    let bi = -1;
    let bj = -1;
    for (let i = 0; i < groups.length; i++) {
      for (let j = i + 1; j < groups.length; j++) {
        let total = 0;
        for (const a of groups[i]!) for (const b of groups[j]!) total += sim[a * m + b]!;
        const s = total / (groups[i]!.length * groups[j]!.length);
        if (s > best) [best, bi, bj] = [s, i, j];
      }
    }
    if (bi < 0 || best < joinAt) break;
    groups = groups.map((g, i) => (i === bi ? [...g, ...groups[bj]!] : g)).filter((_, i) => i !== bj);
  }

  // Each group's texts; the largest groups are the topics.
  const topics = groups
    .map((g) => {
      const members = g.map((i) => candidates[i]!).sort((a, b) => b.d - a.d || (a.p < b.p ? -1 : 1));
      const covered = new Uint32Array(words);
      for (const i of g) for (let w = 0; w < words; w++) covered[w]! |= sets[i]![w]!;
      let texts = 0;
      for (let w = 0; w < words; w++) texts += popcount(covered[w]!);
      return { keywords: members.slice(0, maxKeywords).map((c) => c.p), texts };
    })
    .filter((t) => t.texts >= minDf)
    .sort((a, b) => b.texts - a.texts || (a.keywords[0]! < b.keywords[0]! ? -1 : 1))
    .slice(0, maxTopics);

  const used = new Set<string>();
  return topics.map((t) => {
    let id = t.keywords[0]!.replace(/[^a-z0-9]+/g, '_');
    for (let i = 2; used.has(id); i++) id = `${t.keywords[0]!.replace(/[^a-z0-9]+/g, '_')}_${i}`;
    used.add(id);
    return { topic: id, label: labelOf(t.keywords), keywords: t.keywords };
  });
}

/** "Size, small and fit": the group's most frequent phrases, capitalised, without repeating a word. */
function labelOf(keywords: readonly string[]): string {
  const shown: string[] = [];
  const seen = new Set<string>();
  for (const k of keywords) {
    if (k.split(' ').some((w) => seen.has(w))) continue;
    shown.push(k);
    for (const w of k.split(' ')) seen.add(w);
    if (shown.length === 3) break;
  }
  const text = shown.length <= 1 ? shown.join('') : `${shown.slice(0, -1).join(', ')} and ${shown[shown.length - 1]}`;
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The ids of the topics whose keywords a text's terms contain. */
export function topicsOfTerms(terms: string, topics: readonly DiscoveredTopic[]): string[] {
  const f = features(terms);
  return topics.filter((t) => t.keywords.some((k) => f.has(k))).map((t) => t.topic);
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

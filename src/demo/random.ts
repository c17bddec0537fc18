/**
 * A seeded PRNG (sfc32) with the few distributions the demo world needs. Every random choice in
 * the demo goes through one of these, seeded from (seed, stream, index), so a person's story
 * depends only on the seed and the person's number: the same options give byte-identical files.
 */

function mix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}

/** FNV-1a, to turn a stream name into a seed part. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Weighted choices prepared once: cumulative weights, searched per draw without allocating. */
export class Weights<T> {
  readonly items: readonly T[];
  readonly cumulative: readonly number[];
  readonly total: number;

  constructor(pairs: readonly (readonly [T, number])[]) {
    if (pairs.length === 0) throw new Error('weights need at least one item');
    const cumulative: number[] = [];
    let total = 0;
    for (const [, w] of pairs) {
      total += w;
      cumulative.push(total);
    }
    this.items = pairs.map(([item]) => item);
    this.cumulative = cumulative;
    this.total = total;
  }
}

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** Parts are mixed in order; numbers above 2^32 keep their high bits too. */
  constructor(...parts: readonly (number | string)[]) {
    let h = 0x9e3779b9;
    for (const part of parts) {
      if (typeof part === 'string') {
        h = mix32(h ^ hashString(part));
      } else {
        h = mix32(h ^ mix32(part >>> 0));
        h = mix32(h ^ mix32(Math.floor(part / 4294967296) >>> 0) ^ 0x5bd1e995);
      }
    }
    this.a = mix32(h + 0x6a09e667);
    this.b = mix32(h + 0xbb67ae85);
    this.c = mix32(h + 0x3c6ef372);
    this.d = 1;
    // sfc32 needs a few rounds before its output stops resembling the seed.
    for (let i = 0; i < 12; i++) this.next();
  }

  /** Uniform in [0, 1). */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  /** Uniform integer in [lo, hi], both inclusive. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  uniform(lo: number, hi: number): number {
    return lo + this.next() * (hi - lo);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  }

  /** Weights need not sum to 1. */
  weighted<T>(items: readonly (readonly [T, number])[]): T {
    let total = 0;
    for (const [, w] of items) total += w;
    let r = this.next() * total;
    for (const [item, w] of items) {
      r -= w;
      if (r < 0) return item;
    }
    const last = items[items.length - 1];
    if (last === undefined) throw new Error('weighted pick from an empty list');
    return last[0];
  }

  draw<T>(weights: Weights<T>): T {
    const r = this.next() * weights.total;
    const cumulative = weights.cumulative;
    let i = 0;
    while (i < cumulative.length - 1 && r >= (cumulative[i] as number)) i++;
    return weights.items[i] as T;
  }

  /** Box–Muller; one value per call keeps the stream simple to reason about. */
  normal(mean: number, sd: number): number {
    const u = 1 - this.next();
    const v = this.next();
    return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  exp(mean: number): number {
    return -mean * Math.log(1 - this.next());
  }

  /** Knuth for small means, a rounded normal for large ones (only counts of journeys use it). */
  poisson(mean: number): number {
    if (mean > 30) return Math.max(0, Math.round(this.normal(mean, Math.sqrt(mean))));
    const limit = Math.exp(-mean);
    let k = 0;
    let p = this.next();
    while (p > limit) {
      k++;
      p *= this.next();
    }
    return k;
  }

  hex(length: number): string {
    let s = '';
    while (s.length < length) s += ((this.next() * 4294967296) >>> 0).toString(16).padStart(8, '0');
    return s.slice(0, length);
  }

  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const tmp = items[i] as T;
      items[i] = items[j] as T;
      items[j] = tmp;
    }
    return items;
  }
}

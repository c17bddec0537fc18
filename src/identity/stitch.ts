/**
 * Identity stitching: which records belong to one customer. It takes the identity graph
 * (distinct identifier tuples seen on records, with their current keys) and gives every tuple
 * its customer key. The rules are in docs/identity.md; in short:
 *  - identifiers on one record belong to one customer;
 *  - strong identifiers (customer_id, account_id) link to each other only directly;
 *  - a weak identifier that appears beside two or more different strong customers is ambiguous
 *    (a household phone, a shared laptop) and links nothing;
 *  - placeholders link nothing;
 *  - weak identifiers seen together (cookie + email) form a group that joins the one strong
 *    customer it touches, or stands as an anonymous customer if it touches none;
 *  - keys are stable: a customer keeps the key it had; merged anonymous customers give theirs up.
 * Every decision about a tuple is made within its component (the tuples it shares identifiers
 * with, directly or through others), which is what lets a merge stitch only the components its
 * new tuples touch (./restitch.ts).
 *
 * Memory is what bounds an import of tens of millions of records, so the graph is held in flat
 * typed arrays (six node slots per tuple) and strings only for identifiers and keys.
 */
import { createHash } from 'node:crypto';
import { IDENTIFIER_TYPES, STRONG_IDENTIFIERS } from '../core/records.ts';
import type { Identifiers } from '../core/records.ts';
import { isPlaceholder } from './normalize.ts';

export interface IdTuple {
  readonly tuple_id: number;
  readonly ids: Identifiers;
  readonly first_seq: number;
  /** The key this tuple has now (null when new, or when it links no customer). */
  readonly customer_key: string | null;
  /** The component it was stored in (null when new, or stored before components were kept). */
  readonly component_id?: number | null;
}

export interface StitchResult {
  /** Key per tuple id; null means the tuple's identifiers link nothing (each record stands alone). */
  readonly keys: Map<number, string | null>;
  /** Component per tuple id (see `IdentityGraph.components`). */
  readonly components: Map<number, number>;
  readonly customers: number;
  readonly ambiguous: readonly string[];
  readonly placeholders: readonly string[];
}

const SLOTS = IDENTIFIER_TYPES.length;
const STRONG_SLOT = IDENTIFIER_TYPES.map((t) => STRONG_IDENTIFIERS.has(t));
const NONE = -1;

/** A growable Int32 array: the graph does not know its size until every tuple is added. */
class IntList {
  data: Int32Array;
  length = 0;
  constructor(capacity = 1024) {
    this.data = new Int32Array(capacity);
  }
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Int32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
}

class UnionFind {
  readonly parent = new IntList();
  add(): number {
    this.parent.push(this.parent.length);
    return this.parent.length - 1;
  }
  find(x: number): number {
    const p = this.parent.data;
    let root = x;
    while (p[root] !== root) root = p[root]!;
    while (p[x] !== root) {
      const next = p[x]!;
      p[x] = root;
      x = next;
    }
    return root;
  }
  union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    // The smaller index wins so that results do not depend on the order of unions.
    if (ra < rb) this.parent.data[rb] = ra;
    else if (rb < ra) this.parent.data[ra] = rb;
  }
}

/** A key minted from the identifier a customer was first seen with: deterministic in every store. */
export function mintKey(anchor: string): string {
  return 'c-' + createHash('sha1').update(anchor).digest('hex').slice(0, 12);
}

/**
 * The identity graph of a store. Add tuples in input order (first_seq, then tuple_id), then
 * `resolve()` once.
 */
export class IdentityGraph {
  private readonly nodeOf = new Map<string, number>();
  private readonly nodeName: string[] = [];
  /** Type slot of each node (index into IDENTIFIER_TYPES). */
  private readonly nodeSlot = new IntList();
  private readonly uf = new UnionFind();
  private readonly placeholders = new Set<string>();

  private readonly tupleId: number[] = [];
  private readonly tupleKey: (string | null)[] = [];
  private readonly tupleComponent: (number | null)[] = [];
  /** SLOTS node indexes per tuple, NONE where absent or a placeholder. */
  private readonly tupleNodes = new IntList(SLOTS * 1024);

  add(t: IdTuple): void {
    this.tupleId.push(t.tuple_id);
    this.tupleKey.push(t.customer_key);
    this.tupleComponent.push(t.component_id ?? null);
    let firstStrong = NONE;
    for (let s = 0; s < SLOTS; s++) {
      const type = IDENTIFIER_TYPES[s]!;
      const v = t.ids[type];
      if (v === null || isPlaceholder(type, v)) {
        if (v !== null) this.placeholders.add(`${type}:${v}`);
        this.tupleNodes.push(NONE);
        continue;
      }
      const name = `${type}:${v}`;
      let n = this.nodeOf.get(name);
      if (n === undefined) {
        n = this.uf.add();
        this.nodeOf.set(name, n);
        this.nodeName.push(name);
        this.nodeSlot.push(s);
      }
      this.tupleNodes.push(n);
      // Strong identifiers on one record are one customer.
      if (STRONG_SLOT[s]) {
        if (firstStrong === NONE) firstStrong = n;
        else this.uf.union(firstStrong, n);
      }
    }
  }

  get size(): number {
    return this.tupleId.length;
  }

  private strongRootOf(t: number): number {
    const nodes = this.tupleNodes.data;
    for (let s = 0; s < SLOTS; s++) {
      const n = nodes[t * SLOTS + s]!;
      if (n !== NONE && STRONG_SLOT[s]) return this.uf.find(n);
    }
    return NONE;
  }

  /**
   * Resolves every tuple's key and calls `emit(tuple_id, key, index)` for each one whose key
   * differs from the key it had (new tuples included), in the order the tuples were added
   * (`index` is that position).
   */
  resolve(emit: (tupleId: number, key: string | null, index: number) => void): { customers: number; ambiguous: string[]; placeholders: string[] } {
    const T = this.tupleId.length;
    const N = this.nodeName.length;
    const nodes = this.tupleNodes.data;
    const isStrongNode = (n: number): boolean => STRONG_SLOT[this.nodeSlot.data[n]!]!;

    // 1. The strong customer each tuple belongs to, and the one(s) each weak identifier touches.
    const tupleStrong = new Int32Array(T);
    const touch = new Int32Array(N).fill(NONE); // the single strong root touched, or NONE
    const ambiguous = new Uint8Array(N);
    for (let t = 0; t < T; t++) {
      const root = this.strongRootOf(t);
      tupleStrong[t] = root;
      if (root === NONE) continue;
      for (let s = 0; s < SLOTS; s++) {
        const w = nodes[t * SLOTS + s]!;
        if (w === NONE || STRONG_SLOT[s]) continue;
        if (touch[w] === NONE) touch[w] = root;
        else if (touch[w] !== root) ambiguous[w] = 1;
      }
    }

    // 2. Groups of (unambiguous) weak identifiers seen together.
    const weak = new UnionFind();
    for (let n = 0; n < N; n++) weak.add(); // same index space as nodes; strong nodes stay alone
    for (let t = 0; t < T; t++) {
      let first = NONE;
      for (let s = 0; s < SLOTS; s++) {
        const w = nodes[t * SLOTS + s]!;
        if (w === NONE || STRONG_SLOT[s] || ambiguous[w]) continue;
        if (first === NONE) first = w;
        else weak.union(first, w);
      }
    }
    // The strong customer a group touches: NONE (anonymous), the root, or CONFLICT.
    const CONFLICT = -2;
    const groupTouch = new Int32Array(N).fill(NONE);
    for (let w = 0; w < N; w++) {
      if (isStrongNode(w) || ambiguous[w] || touch[w] === NONE) continue;
      const g = weak.find(w);
      if (groupTouch[g] === NONE) groupTouch[g] = touch[w]!;
      else if (groupTouch[g] !== touch[w]) groupTouch[g] = CONFLICT;
    }

    // 3. Owner of each weak identifier: a strong root, an anonymous group (its root node), or NONE.
    const owner = new Int32Array(N).fill(NONE);
    for (let w = 0; w < N; w++) {
      if (isStrongNode(w)) {
        owner[w] = this.uf.find(w);
        continue;
      }
      if (ambiguous[w]) continue;
      const g = weak.find(w);
      const gt = groupTouch[g]!;
      if (gt === NONE) owner[w] = g;
      else if (gt !== CONFLICT) owner[w] = gt;
      // A chain of weak identifiers reaches several customers: keep only direct evidence.
      else owner[w] = touch[w]!;
    }

    // 4. Owner of each tuple.
    const tupleOwner = new Int32Array(T);
    for (let t = 0; t < T; t++) {
      if (tupleStrong[t] !== NONE) {
        tupleOwner[t] = tupleStrong[t]!;
        continue;
      }
      let o = NONE;
      for (let s = 0; s < SLOTS; s++) {
        const w = nodes[t * SLOTS + s]!;
        if (w === NONE || owner[w] === NONE) continue;
        if (o !== NONE && o !== owner[w]) {
          o = NONE; // its identifiers point at different customers
          break;
        }
        o = owner[w]!;
      }
      tupleOwner[t] = o;
    }

    // 5. Stable keys. Each owner keeps the best key its tuples already carry — one held by a
    // tuple with strong identifiers first, then the earliest — unless an earlier owner took it.
    // Tuples are in input order, so "first seen" is the tuple index.
    const bestKey = new Map<number, { key: string; strong: boolean }>();
    const ownerFirst = new Map<number, number>(); // owner → its first tuple, in order of appearance
    for (let t = 0; t < T; t++) {
      const o = tupleOwner[t]!;
      if (o === NONE) continue;
      if (!ownerFirst.has(o)) ownerFirst.set(o, t);
      const key = this.tupleKey[t];
      if (key === null || key === undefined) continue;
      const strong = tupleStrong[t] !== NONE;
      // A known customer keeps only a key its strong identifiers held: an anonymous visitor's key
      // gives way, so that importing in one go or day by day gives the same keys.
      if (isStrongNode(o) && !strong) continue;
      const cur = bestKey.get(o);
      if (cur === undefined) bestKey.set(o, { key, strong });
    }
    // The anchor of each owner: its first identifier in input order, from which a new key is
    // minted; for a known customer, its first strong identifier.
    const anchor = new Map<number, number>();
    for (let t = 0; t < T; t++) {
      const o = tupleOwner[t]!;
      if (o === NONE || anchor.has(o)) continue;
      if (isStrongNode(o) && tupleStrong[t] === NONE) continue;
      for (let s = 0; s < SLOTS; s++) {
        const n = nodes[t * SLOTS + s]!;
        if (n !== NONE && owner[n] === o) {
          anchor.set(o, n);
          break;
        }
      }
    }
    const claimed = new Set<string>();
    const keyOf = new Map<number, string>();
    for (const o of ownerFirst.keys()) {
      const best = bestKey.get(o);
      let key = best !== undefined && !claimed.has(best.key) ? best.key : undefined;
      if (key === undefined) {
        const a = this.nodeName[anchor.get(o)!]!;
        key = mintKey(a);
        for (let k = 2; claimed.has(key); k++) key = mintKey(`${a}#${k}`);
      }
      claimed.add(key);
      keyOf.set(o, key);
    }

    for (let t = 0; t < T; t++) {
      const o = tupleOwner[t]!;
      const key = o === NONE ? null : keyOf.get(o)!;
      if (key !== (this.tupleKey[t] ?? null)) emit(this.tupleId[t]!, key, t);
    }
    const ambiguousNames: string[] = [];
    for (let n = 0; n < N; n++) if (ambiguous[n]) ambiguousNames.push(this.nodeName[n]!);
    return { customers: keyOf.size, ambiguous: ambiguousNames.sort(), placeholders: [...this.placeholders].sort() };
  }

  /**
   * The components of the graph: tuples joined through any shared identifier that is not a
   * placeholder, whatever the rules then make of it (an ambiguous phone still connects). Every
   * decision `resolve` makes about a tuple depends only on the tuples of its component, which is
   * what lets a merge stitch only the components its new tuples touch (docs/identity.md).
   *
   * A component is named by its smallest tuple id. Components only ever grow together (tuples
   * are never removed, identifiers never change), so the merged component keeps the smallest of
   * the names it was made from, and the same tuples get the same name however they arrived.
   * Calls `emit(tuple_id, component, index)` for each tuple whose component differs from the
   * one it had, in the order the tuples were added, as `resolve` does; returns how many
   * components there are.
   */
  components(emit: (tupleId: number, component: number, index: number) => void): number {
    const T = this.tupleId.length;
    const N = this.nodeName.length;
    const nodes = this.tupleNodes.data;
    const uf = new UnionFind();
    for (let n = 0; n < N; n++) uf.add();
    const firstNode = new Int32Array(T).fill(NONE);
    for (let t = 0; t < T; t++) {
      for (let s = 0; s < SLOTS; s++) {
        const n = nodes[t * SLOTS + s]!;
        if (n === NONE) continue;
        if (firstNode[t] === NONE) firstNode[t] = n;
        else uf.union(firstNode[t]!, n);
      }
    }
    // Tuple ids are BIGINT in the store: a Float64Array holds them exactly up to 2^53.
    const smallest = new Float64Array(N).fill(Infinity);
    for (let t = 0; t < T; t++) {
      if (firstNode[t] === NONE) continue;
      const r = uf.find(firstNode[t]!);
      if (this.tupleId[t]! < smallest[r]!) smallest[r] = this.tupleId[t]!;
    }
    let count = 0;
    for (let n = 0; n < N; n++) if (smallest[n] !== Infinity) count++;
    for (let t = 0; t < T; t++) {
      // A tuple with no linking identifier (none at all, or only placeholders) is alone.
      const component = firstNode[t] === NONE ? this.tupleId[t]! : smallest[uf.find(firstNode[t]!)]!;
      if (firstNode[t] === NONE) count++;
      if (component !== this.tupleComponent[t]) emit(this.tupleId[t]!, component, t);
    }
    return count;
  }
}

/**
 * The version of the stitching rules (what links, what is a placeholder, how keys are chosen).
 * Stored keys and components were computed under some version; a store that recorded another
 * one is stitched again in full on its next merge, as every merge did before stitching became
 * incremental. Bump it with any change to `resolve`, `components` or `isPlaceholder` that can
 * change a key or a component.
 */
export const STITCH_RULES_VERSION = 1;

/** Stitches an in-memory list of tuples: the whole answer, for tests and small graphs. */
export function stitch(tuples: readonly IdTuple[]): StitchResult {
  const ordered = [...tuples].sort((a, b) => a.first_seq - b.first_seq || a.tuple_id - b.tuple_id);
  const graph = new IdentityGraph();
  for (const t of ordered) graph.add(t);
  const keys = new Map<number, string | null>(ordered.map((t) => [t.tuple_id, t.customer_key]));
  const r = graph.resolve((id, key) => keys.set(id, key));
  const components = new Map<number, number>(ordered.flatMap((t) => (t.component_id === null || t.component_id === undefined ? [] : [[t.tuple_id, t.component_id] as const])));
  graph.components((id, c) => components.set(id, c));
  return { keys, components, customers: r.customers, ambiguous: r.ambiguous, placeholders: r.placeholders };
}

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
 * typed arrays (six node slots per tuple), keys as numbers, and identifier strings not at all
 * when the store numbers the identifiers (`addNodes`; src/identity/restitch.ts).
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

/**
 * A growable typed array: the graph does not always know its size until every tuple is added.
 * Int32 for node indexes; Float64 for numbers that do not fit 32 bits (tuple ids, components,
 * keys) or may be NaN (absent).
 */
class NumberList<A extends Int32Array | Float64Array> {
  data: A;
  length = 0;
  constructor(
    private readonly make: (length: number) => A,
    capacity = 1024,
  ) {
    this.data = make(Math.max(capacity, 16));
  }
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = this.make(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
}
type IntList = NumberList<Int32Array>;
type FloatList = NumberList<Float64Array>;
const intList = (capacity?: number): IntList => new NumberList((n) => new Int32Array(n), capacity);
const floatList = (capacity?: number): FloatList => new NumberList((n) => new Float64Array(n), capacity);

class UnionFind {
  readonly parent: IntList;
  constructor(capacity = 1024) {
    this.parent = intList(capacity);
  }
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

/**
 * Keys are held as the 48-bit number they spell ('c-' and 12 hex digits, as `mintKey` makes
 * them), in typed arrays: millions of key strings, and the sets and maps over them, were most of
 * the memory of a large import's stitch (BENCHMARKS.md, 10M rows).
 */
const KEY_PATTERN = /^c-[0-9a-f]{12}$/;

function keyNumber(key: string): number {
  // Every stored key was minted here; anything else means the store was edited by hand.
  if (!KEY_PATTERN.test(key)) throw new Error(`customer key "${key}" in id_tuples was not minted by Throughline`);
  return parseInt(key.slice(2), 16);
}

/** The key a number from `keyNumber` or `mintNumber` spells; null for NaN (no key). */
export function keyString(n: number): string | null {
  return Number.isNaN(n) ? null : 'c-' + n.toString(16).padStart(12, '0');
}

function mintNumber(anchor: string): number {
  return parseInt(createHash('sha1').update(anchor).digest('hex').slice(0, 12), 16);
}

/** A key minted from the identifier a customer was first seen with: deterministic in every store. */
export function mintKey(anchor: string): string {
  return keyString(mintNumber(anchor))!;
}

/** A set of keys as numbers (open addressing, linear probing): a few bytes per key. */
class KeySet {
  private table: Float64Array;
  private count = 0;
  constructor(expected: number) {
    let size = 16;
    while (size * KeySet.LOAD < expected) size *= 2;
    this.table = new Float64Array(size).fill(NaN);
  }
  private static readonly LOAD = 0.7;
  private slot(table: Float64Array, k: number): number {
    // Keys are SHA-1 bits: their low bits are already uniform.
    const mask = table.length - 1;
    let i = k % table.length;
    while (!Number.isNaN(table[i]!) && table[i] !== k) i = (i + 1) & mask;
    return i;
  }
  has(k: number): boolean {
    return this.table[this.slot(this.table, k)] === k;
  }
  add(k: number): void {
    const i = this.slot(this.table, k);
    if (this.table[i] === k) return;
    this.table[i] = k;
    if (++this.count > this.table.length * KeySet.LOAD) {
      const old = this.table;
      this.table = new Float64Array(old.length * 2).fill(NaN);
      for (const v of old) if (!Number.isNaN(v)) this.table[this.slot(this.table, v)] = v;
    }
  }
}

/** Owners (by node) that have no key of their own, or one an earlier owner has too. */
function ownersWithoutOwnKey(owners: IntList, bestKey: Float64Array): Uint8Array {
  const flagged = new Uint8Array(bestKey.length);
  const heldEarlier = new KeySet(owners.length);
  for (let i = 0; i < owners.length; i++) {
    const o = owners.data[i]!;
    const best = bestKey[o]!;
    if (Number.isNaN(best) || heldEarlier.has(best)) flagged[o] = 1;
    else heldEarlier.add(best);
  }
  return flagged;
}

/**
 * Names (`type:value`) of nodes, in the order asked, in batches. A graph built with `add` knows
 * its own; a graph built from interned nodes asks the store, for the few nodes a new key is
 * minted from.
 */
export type NodeNames = (nodes: Int32Array) => AsyncIterable<readonly string[]>;

/** What `resolve` leaves for the caller to read, tuple by tuple (index in order of adding). */
export interface Resolution {
  readonly customers: number;
  /** The key tuple `t` gets now, as a number (`keyString` spells it; NaN: links no customer). */
  keyAt(t: number): number;
}

/**
 * The identity graph of a store. Add tuples in input order (first_seq, then tuple_id), either
 * with their identifier strings (`add`), or as node numbers the store assigned (`addNodes`,
 * then `addInterned`), which keeps identifier strings out of memory altogether; then `resolve()`
 * once.
 */
export class IdentityGraph {
  private readonly nodeOf = new Map<string, number>();
  private readonly nodeName: string[] = [];
  /** Type slot of each node (index into IDENTIFIER_TYPES). */
  private readonly nodeSlot: IntList;
  private readonly uf: UnionFind;
  private readonly placeholders = new Set<string>();
  private interned = false;

  private readonly tupleId: FloatList;
  /** Key each tuple has now, as a number; NaN when none. */
  private readonly tupleKey: FloatList;
  /** Component each tuple is stored in; NaN when none yet. */
  private readonly tupleComponent: FloatList;
  /** SLOTS node indexes per tuple, NONE where absent or a placeholder. */
  private readonly tupleNodes: IntList;
  private ambiguousNodes = new Uint8Array(0);

  /** `tuples` and `nodes`: how many are coming, where known, so arrays are allocated once. */
  constructor(capacity: { tuples?: number; nodes?: number } = {}) {
    const tuples = capacity.tuples ?? 1024;
    this.tupleId = floatList(tuples);
    this.tupleKey = floatList(tuples);
    this.tupleComponent = floatList(tuples);
    this.tupleNodes = intList(SLOTS * tuples);
    this.nodeSlot = intList(capacity.nodes ?? 1024);
    this.uf = new UnionFind(capacity.nodes ?? 1024);
  }

  /** Adds a tuple with its identifier strings; placeholders are recognised here. */
  add(t: IdTuple): void {
    if (this.interned) throw new Error('IdentityGraph: add() after addNodes()');
    const nodes: number[] = [];
    for (let s = 0; s < SLOTS; s++) {
      const type = IDENTIFIER_TYPES[s]!;
      const v = t.ids[type];
      if (v === null || isPlaceholder(type, v)) {
        if (v !== null) this.placeholders.add(`${type}:${v}`);
        nodes.push(NONE);
        continue;
      }
      const name = `${type}:${v}`;
      let n = this.nodeOf.get(name);
      if (n === undefined) {
        n = this.newNode(s);
        this.nodeOf.set(name, n);
        this.nodeName.push(name);
      }
      nodes.push(n);
    }
    this.addTuple(t.tuple_id, t.customer_key, t.component_id ?? null, nodes);
  }

  /**
   * Declares nodes the store numbered 0, 1, …: `slots[n]` is node n's type slot (index into
   * IDENTIFIER_TYPES). Then add tuples with `addInterned`; a graph takes one way or the other.
   */
  addNodes(slots: Uint8Array): void {
    if (this.nodeSlot.length > 0) throw new Error('IdentityGraph: addNodes() on a graph with nodes');
    this.interned = true;
    for (const s of slots) this.newNode(s);
  }

  /**
   * Adds a tuple as node numbers per identifier slot (NONE, -1, where absent or a placeholder:
   * the caller decides placeholders, with `isPlaceholder`).
   */
  addInterned(tupleId: number, key: string | null, component: number | null, nodes: readonly number[]): void {
    if (!this.interned) throw new Error('IdentityGraph: addInterned() before addNodes()');
    this.addTuple(tupleId, key, component, nodes);
  }

  private newNode(slot: number): number {
    this.nodeSlot.push(slot);
    return this.uf.add();
  }

  private addTuple(tupleId: number, key: string | null, component: number | null, nodes: readonly number[]): void {
    this.tupleId.push(tupleId);
    this.tupleKey.push(key === null ? NaN : keyNumber(key));
    this.tupleComponent.push(component ?? NaN);
    let firstStrong = NONE;
    for (let s = 0; s < SLOTS; s++) {
      const n = nodes[s]!;
      this.tupleNodes.push(n);
      // Strong identifiers on one record are one customer.
      if (n !== NONE && STRONG_SLOT[s]) {
        if (firstStrong === NONE) firstStrong = n;
        else this.uf.union(firstStrong, n);
      }
    }
  }

  get size(): number {
    return this.tupleId.length;
  }

  /** The store id of the tuple added `t`-th. */
  tupleIdAt(t: number): number {
    return this.tupleId.data[t]!;
  }

  /** The key tuple `t` had when added, as a number (NaN: none). */
  keyBefore(t: number): number {
    return this.tupleKey.data[t]!;
  }

  /** The component tuple `t` had when added (NaN: none). */
  componentBefore(t: number): number {
    return this.tupleComponent.data[t]!;
  }

  /** Names of this graph's own nodes (a graph built with `add`). */
  readonly ownNames: NodeNames = (nodes) => {
    const names = this.nodeName;
    return (async function* () {
      yield Array.from(nodes, (n) => names[n]!);
    })();
  };

  /** Identifiers that touch two or more strong customers, after `resolve` (a graph built with `add`). */
  ambiguousNames(): string[] {
    const names: string[] = [];
    for (let n = 0; n < this.ambiguousNodes.length; n++) if (this.ambiguousNodes[n]) names.push(this.nodeName[n]!);
    return names.sort();
  }

  /** Placeholder values seen (a graph built with `add`). */
  placeholderNames(): string[] {
    return [...this.placeholders].sort();
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
   * Resolves every tuple's key. `names` gives the names of the nodes new keys are minted from
   * (`ownNames` for a graph built with `add`).
   */
  async resolve(names: NodeNames): Promise<Resolution> {
    const T = this.tupleId.length;
    const N = this.nodeSlot.length;
    const nodes = this.tupleNodes.data;
    const slotOf = this.nodeSlot.data;
    const isStrongNode = (n: number): boolean => STRONG_SLOT[slotOf[n]!]!;

    // 1. The strong customer each tuple belongs to, and the one(s) each weak identifier touches.
    const tupleStrong = new Int32Array(T);
    const ambiguous = new Uint8Array(N);
    // The single strong root a weak identifier touches, or NONE.
    let touch: Int32Array | null = new Int32Array(N).fill(NONE);
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
    let weak: UnionFind | null = new UnionFind(N);
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
    let groupTouch: Int32Array | null = new Int32Array(N).fill(NONE);
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
    // Let the collector have them: what follows allocates per owner and per tuple again.
    touch = null;
    weak = null;
    groupTouch = null;

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
    const bestKey = new Float64Array(N).fill(NaN);
    const owners = intList(); // in order of appearance
    const seen = new Uint8Array(N);
    const keys = this.tupleKey.data;
    for (let t = 0; t < T; t++) {
      const o = tupleOwner[t]!;
      if (o === NONE) continue;
      if (!seen[o]) {
        seen[o] = 1;
        owners.push(o);
      }
      const key = keys[t]!;
      if (Number.isNaN(key)) continue;
      // A known customer keeps only a key its strong identifiers held: an anonymous visitor's key
      // gives way, so that importing in one go or day by day gives the same keys.
      if (isStrongNode(o) && tupleStrong[t] === NONE) continue;
      if (Number.isNaN(bestKey[o]!)) bestKey[o] = key;
    }
    // The anchor of each owner: its first identifier in input order, from which a new key is
    // minted; for a known customer, its first strong identifier.
    const anchor = new Int32Array(N).fill(NONE);
    for (let t = 0; t < T; t++) {
      const o = tupleOwner[t]!;
      if (o === NONE || anchor[o] !== NONE) continue;
      if (isStrongNode(o) && tupleStrong[t] === NONE) continue;
      for (let s = 0; s < SLOTS; s++) {
        const n = nodes[t * SLOTS + s]!;
        if (n !== NONE && owner[n] === o) {
          anchor[o] = n;
          break;
        }
      }
    }
    this.ambiguousNodes = ambiguous;
    const ownerKey = await this.assignKeys(owners, bestKey, anchor, names);
    return {
      customers: owners.length,
      keyAt: (t) => {
        const o = tupleOwner[t]!;
        return o === NONE ? NaN : ownerKey[o]!;
      },
    };
  }

  /**
   * Gives each owner, in order of appearance, its best key unless an earlier owner took it,
   * else a key minted from its anchor's name. Names are fetched in one ordered pass for the
   * owners known to need one: those with no key, or whose key an earlier owner holds too. An
   * owner whose key a minted key took (a hash collision) is found only on the way: the pass
   * starts again with it among those named, and gives the same keys with it.
   */
  private async assignKeys(owners: IntList, bestKey: Float64Array, anchor: Int32Array, names: NodeNames): Promise<Float64Array> {
    const named = ownersWithoutOwnKey(owners, bestKey);
    for (;;) {
      const ordered = intList();
      for (let i = 0; i < owners.length; i++) if (named[owners.data[i]!]) ordered.push(anchor[owners.data[i]!]!);
      const stream = names(ordered.data.subarray(0, ordered.length))[Symbol.asyncIterator]();
      let batch: readonly string[] = [];
      let at = 0;
      const ownerKey = new Float64Array(bestKey.length).fill(NaN);
      const claimed = new KeySet(owners.length);
      let unnamed = NONE;
      for (let i = 0; i < owners.length; i++) {
        const o = owners.data[i]!;
        let name: string | undefined;
        if (named[o]) {
          while (at === batch.length) {
            const next = await stream.next();
            if (next.done === true) throw new Error('IdentityGraph: fewer names than nodes asked');
            batch = next.value;
            at = 0;
          }
          name = batch[at++]!;
        }
        const best = bestKey[o]!;
        let key = !Number.isNaN(best) && !claimed.has(best) ? best : NaN;
        if (Number.isNaN(key)) {
          if (name === undefined) {
            unnamed = o;
            break;
          }
          key = mintNumber(name);
          for (let k = 2; claimed.has(key); k++) key = mintNumber(`${name}#${k}`);
        }
        claimed.add(key);
        ownerKey[o] = key;
      }
      await stream.return?.();
      if (unnamed === NONE) return ownerKey;
      named[unnamed] = 1;
    }
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
   * Returns each tuple's component, by the order tuples were added.
   */
  components(): Float64Array {
    const T = this.tupleId.length;
    const N = this.nodeSlot.length;
    const nodes = this.tupleNodes.data;
    const ids = this.tupleId.data;
    const uf = new UnionFind(N);
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
      if (ids[t]! < smallest[r]!) smallest[r] = ids[t]!;
    }
    const component = new Float64Array(T);
    // A tuple with no linking identifier (none at all, or only placeholders) is alone.
    for (let t = 0; t < T; t++) component[t] = firstNode[t] === NONE ? ids[t]! : smallest[uf.find(firstNode[t]!)]!;
    return component;
  }
}

/**
 * The version of the stitching rules (what links, what is a placeholder, how keys are chosen).
 * Stored keys and components were computed under some version; a store that recorded another
 * one is stitched again in full on its next merge, as every merge did before stitching became
 * incremental. Bump it with any change to `resolve`, `components` or `isPlaceholder` that can
 * change a key or a component.
 */
export const STITCH_RULES_VERSION = 2;

/** Stitches an in-memory list of tuples: the whole answer, for tests and small graphs. */
export async function stitch(tuples: readonly IdTuple[]): Promise<StitchResult> {
  const ordered = [...tuples].sort((a, b) => a.first_seq - b.first_seq || a.tuple_id - b.tuple_id);
  const graph = new IdentityGraph({ tuples: ordered.length });
  for (const t of ordered) graph.add(t);
  const r = await graph.resolve(graph.ownNames);
  const component = graph.components();
  const keys = new Map<number, string | null>();
  const components = new Map<number, number>();
  ordered.forEach((t, i) => {
    keys.set(t.tuple_id, keyString(r.keyAt(i)));
    components.set(t.tuple_id, component[i]!);
  });
  return { keys, components, customers: r.customers, ambiguous: graph.ambiguousNames(), placeholders: graph.placeholderNames() };
}

/**
 * Memory that must be back now, not whenever V8 next collects. A full identity stitch leaves
 * hundreds of megabytes of typed arrays behind, and the database (DuckDB, in this process)
 * takes its share again the moment the stitch ends: left to itself, V8 collected them half a
 * minute later, and the two together set a 10M-event import's peak RSS (BENCHMARKS.md).
 */
import v8 from 'node:v8';
import vm from 'node:vm';

let gc: (() => void) | undefined;

/**
 * Runs a full garbage collection. Node exposes `gc` only under `--expose-gc`; the flag is set
 * here at run time and the function taken from a fresh context, as Jest's leak detector does.
 */
export function collectGarbage(): void {
  if (gc === undefined) {
    v8.setFlagsFromString('--expose-gc');
    gc = vm.runInNewContext('gc') as () => void;
  }
  gc();
}

/**
 * The outcome of one pipeline step on one record. A step never throws for bad data: it
 * returns `reject(reason)` and the batch goes on, so one bad record never fails an import.
 */
export type StepResult<T> =
  | { readonly kind: 'ok'; readonly value: T; readonly warnings: readonly string[] }
  | { readonly kind: 'drop'; readonly reason: string }
  | { readonly kind: 'reject'; readonly reason: string };

export function ok<T>(value: T, warnings: readonly string[] = []): StepResult<T> {
  return { kind: 'ok', value, warnings };
}

/** Not an error: the record is deliberately not imported (e.g. a duplicate id). */
export function drop<T>(reason: string): StepResult<T> {
  return { kind: 'drop', reason };
}

/** The record breaks the data contract: it goes to the reject file with this reason. */
export function reject<T>(reason: string): StepResult<T> {
  return { kind: 'reject', reason };
}

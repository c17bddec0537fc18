/** An amount of memory as DuckDB reads one; apart from the DuckDB store so that checking a setting loads no database client. */
const UNITS: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40 };

/** Bytes in an amount of memory as DuckDB reads one (`1GB`, `512MiB`): the one parser of THROUGHLINE_DUCKDB_MEMORY. */
export function bytesOf(amount: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]+)$/i.exec(amount.trim());
  const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined;
  if (m === null || unit === undefined) throw new Error(`"${amount}" is not an amount of memory`);
  return Number(m[1]) * unit;
}

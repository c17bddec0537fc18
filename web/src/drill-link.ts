/** The address of the list behind a figure: `/drill?of=edge&edge-from=…`, the drill endpoint's query. */
export function drillTo(query: Readonly<Record<string, string | number | boolean | null | undefined>>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '' && v !== false) q.set(k, String(v));
  return `/drill?${q.toString()}`;
}

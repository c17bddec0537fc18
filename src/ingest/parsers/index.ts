/**
 * Input parsers: turn a CSV, JSON Lines or XES file, gzip-compressed or not, into a stream of
 * records that carry their line numbers. `openSource` is the way in; nothing else in ingest
 * reads input files itself.
 */
export { openSource } from './open.ts';
export type { ReadTuning } from './open.ts';
export type { Format, OpenOptions, Source, SourceItem, SourceRow } from './types.ts';

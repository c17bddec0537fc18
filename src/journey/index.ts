/**
 * Journeys: the one definition of a journey (build.ts, kept incrementally by every import) and
 * the analyses over it — the journeys summary, the journey map, variants and broken steps —
 * that the CLI, the API and the customer context all call.
 */
export { DEFAULT_JOURNEY_WINDOW_MS, CONTAINMENT_WINDOW_MS, rebuildJourneys } from './build.ts';
export { brokenSteps } from './broken.ts';
export type { BrokenOptions, BrokenStep } from './broken.ts';
export { JOURNEY_OUTCOMES, parseJourneyFilter } from './filters.ts';
export type { JourneyDb, JourneyFilter, JourneyOutcome, RawJourneyFilter } from './filters.ts';
export { journeyMap, MAP_BY } from './map.ts';
export type { JourneyMap, MapBy, MapEdge, MapNode, MapOptions } from './map.ts';
export { preferredChannel, preferredChannelsSql } from './preferred.ts';
export type { ChannelVotes, PreferredChannel } from './preferred.ts';
export { journeySatisfactionSql, SATISFACTION_SQL } from './satisfaction.ts';
export { journeysDocument } from './summary.ts';
export type { IntentStats, JourneysDocument, JourneyStats } from './summary.ts';
export { journeyVariants } from './variants.ts';
export type { Variant, VariantOptions, Variants } from './variants.ts';

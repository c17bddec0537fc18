/**
 * The demo dataset: a seeded, telecom-like world written in the input data contract, with the
 * ground truth of what it planted (broken steps, fair-scoring traps, hidden risk, churn, identity mess).
 */
export { writeDemo } from './generate.ts';
export type { DemoFile, DemoOptions, DemoResult } from './generate.ts';
export { describePlanted } from './planted.ts';
export type { AgentTruth, Planted, PlantedStepTruth } from './planted.ts';
export { writeBrokenSamples } from './broken.ts';
export type { BrokenSample, BrokenSamples } from './broken.ts';

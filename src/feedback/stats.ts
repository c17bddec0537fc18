/**
 * The confidence intervals of the feedback metrics, as pure functions of the counts and moments
 * that SQL aggregates return (docs/feedback.md, "Confidence intervals"). Every interval is 95%.
 */

const Z = 1.959963984540054;

/** Two-sided 97.5% quantiles of Student's t for 1–30 degrees of freedom. */
const T975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093,
  2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

/** The 97.5% quantile of Student's t; past 30 degrees of freedom a Cornish–Fisher expansion (error < 0.001). */
export function t975(df: number): number {
  if (df < 1) return Number.NaN;
  if (df <= 30) return T975[Math.floor(df) - 1]!;
  const z = Z;
  return z + (z ** 3 + z) / (4 * df) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * df * df);
}

const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));
const round = (v: number, digits = 3): number => Math.round(v * 10 ** digits) / 10 ** digits;

/**
 * NPS interval on the −100..100 scale: an adjusted Wald interval on the +1/0/−1 coding. Three
 * pseudo-answers (¾ promoter, 1½ passive, ¾ detractor) keep it honest at small n and when every
 * answer is a promoter, where the plain Wald interval collapses to a width of zero.
 */
export function npsInterval(promoters: number, passives: number, detractors: number): [number, number] | null {
  const n = promoters + passives + detractors;
  if (n === 0) return null;
  const n2 = n + 3;
  const p = (promoters + 0.75) / n2;
  const d = (detractors + 0.75) / n2;
  const centre = p - d;
  const variance = (p + d - centre * centre) / n2;
  const half = Z * Math.sqrt(variance);
  return [round(clamp(100 * (centre - half), -100, 100)), round(clamp(100 * (centre + half), -100, 100))];
}

/** Wilson score interval for a proportion, in percent. */
export function wilsonPercent(successes: number, n: number): [number, number] | null {
  if (n === 0) return null;
  const p = successes / n;
  const z2 = Z * Z;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (Z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom;
  return [round(clamp(100 * (centre - half), 0, 100)), round(clamp(100 * (centre + half), 0, 100))];
}

/**
 * Student-t interval for a mean, clamped to the scale. One answer has no spread to measure, so
 * its interval is the whole scale rather than a false point.
 */
export function meanInterval(mean: number, sd: number | null, n: number, lo: number, hi: number): [number, number] | null {
  if (n === 0) return null;
  if (n === 1 || sd === null) return [lo, hi];
  const half = (t975(n - 1) * sd) / Math.sqrt(n);
  return [round(clamp(mean - half, lo, hi)), round(clamp(mean + half, lo, hi))];
}

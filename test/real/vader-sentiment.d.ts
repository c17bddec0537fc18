// The npm port of VADER (a dev dependency, the baseline in sentiment.test.ts) ships no types.
declare module 'vader-sentiment' {
  const vader: { SentimentIntensityAnalyzer: { polarity_scores(text: string): { neg: number; neu: number; pos: number; compound: number } } };
  export default vader;
}

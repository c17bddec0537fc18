/**
 * The words printed beside every ranking of people (CLI, API, dashboard): why team is the default
 * unit (docs/teams.md). A module of its own, with no imports, so the dashboard can show the same
 * text without bundling the model.
 */
export const INDIVIDUAL_LIMITS =
  "An individual score is a noisy estimate: most people's intervals overlap, a few answers move it, and it covers only what " +
  'customers said about their contacts. Use it to coach and to see who inherits broken journeys, not to rank people for pay; ' +
  'recognise teams.';

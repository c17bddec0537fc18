/**
 * Insight: fair agent attribution (CSAT adjusted for inherited friction), drivers of
 * dissatisfaction, switching risk and promises — the analyses behind `agents`, `drivers`, `risk`
 * and `promises` and their `/api/v1` twins. Each takes a store and options and returns the
 * spec/CLI.md document; the statistics they rest on are in stats.ts.
 */
export { agentsAnalysis, agentsReport, FRICTION_TERMS, WAIT_CAP_MINUTES } from './agents.ts';
export type { AgentModel, AgentsAnalysis, AgentScore, AgentsOptions, AgentsReportOptions, FrictionConfounding, FrictionTerm, TeamScore } from './agents.ts';
export { contactsSql, REPEAT_WINDOW_MS, SAME_SITTING_MS } from './contacts.ts';
export type { Contact } from './contacts.ts';
export { DEFAULT_MIN_EXPOSED, DEFAULT_WINDOW_DAYS, detractorModelAt, DRIVER_METRICS, driversReport, experienceRisk, FACTOR_KINDS } from './drivers.ts';
export type { DetractorModel, Driver, DriverMetric, DriversOptions, ExperienceRisk, FactorKind } from './drivers.ts';
export { CANCELLATIONS_SQL, customerRisk, customerSignals, DEFAULT_HORIZON_DAYS, latestRecordTime, PRIOR, RISK_FEATURES, riskAnalysis, riskReport } from './risk.ts';
export type { CustomerSignals, RiskAnalysis, RiskFeature, RiskModel, RiskOptions, RiskScore } from './risk.ts';
export { openPromiseCase, PROMISE_STATES, promiseStateSql, promisesReport, syncPromiseCases } from './promises.ts';
export type { BrokenPromise, BrokenPromiseCase, PromiseCaseOpener, PromiseItem, PromisesDoc, PromisesOptions, PromiseStatus, PromiseTally } from './promises.ts';
export { auc, fitLogistic, fitMixedLinear, spearman } from './stats.ts';
export { currentCases } from './current-cases.ts';
export { AGENT_SORTS, correlation, INDIVIDUAL_LIMITS, MIN_EMPLOYEE_RESPONDENTS, namedAgents, TEAMS_CAUTION, teamsAnalysis, teamsReport } from './teams.ts';
export type { AgentSort, NamedAgentScore, TeamRow, TeamsAnalysis, TeamsAssociation } from './teams.ts';

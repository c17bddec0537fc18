/**
 * Feedback and the closed loop: NPS/CSAT/CES metrics, survey definitions and their delivery as a
 * dialogue (signed links, SMS), closed-loop cases with their roll-up, hidden-at-risk customers,
 * praise routing, and comment sentiment and topics. Edges (CLI, server) call only what is here.
 */
export { computeMetrics, METRICS_BY, SMALL_N } from './metrics.ts';
export type { CesFigure, CsatFigure, MetricsBy, MetricsDoc, MetricsOptions, MetricSet, NpsFigure } from './metrics.ts';
export { caseRollup, caseTriggerSql, CASE_STATUSES, closeCase, contactCase, DEFAULT_CASE_RULES, listCases, openCasesForAnswers, requestCallback, resolveCase, showCase } from './cases.ts';
export type { CaseDetail, CaseDoc, CaseFilter, CaseRules, CaseStatus, Resolution, RollupRow } from './cases.ts';
export { casesAfterImport } from './after-import.ts';
export { hiddenAtRiskSql, listHiddenAtRisk } from './hidden.ts';
export type { HiddenAtRisk } from './hidden.ts';
export { parseSurvey, validateSurvey, SurveyDefinitionError, PLACEHOLDERS } from './survey-definition.ts';
export type { SurveyDefinition, Problem } from './survey-definition.ts';
export { getSurvey, listSurveys, saveSurvey } from './surveys.ts';
export type { SurveySummary } from './surveys.ts';
export { answer, answerSurveyLink, createSurveyLink, previewSurveyLink, receiveSms, startSession, startSmsSurvey } from './dialogue.ts';
export type { DialogueDeps, SurveyLink, SurveyMessage, WebhookCall } from './dialogue.ts';
export { contactDecision } from './contact-rules.ts';
export { listPraise } from './praise.ts';
export type { PraiseDoc } from './praise.ts';
export { analyseComments, countComments, listComments, saveTaxonomy, taxonomyInForce, TEXT_SOURCES, TOPIC_VIEWS, topicSummary } from './comments.ts';
export type { CommentDoc, CommentFilter, TextSource, TopicSummary, TopicView } from './comments.ts';
export { DEFAULT_TAXONOMY, parseTaxonomy } from './taxonomy.ts';
export type { Taxonomy, TopicRule } from './taxonomy.ts';
export { parseScore } from './score-parse.ts';
export { createTextScorer, currentModel, scoreText, trainSentimentModel } from './sentiment-scorer.ts';
export type { StoredModel, TextSentiment, TrainResult } from './sentiment-scorer.ts';
export { readReply } from './reply-reader.ts';
export type { Expectation, ReplyReading } from './reply-reader.ts';

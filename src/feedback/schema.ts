/**
 * The tables of the feedback loop (migration 3 in store/migrations): portable DDL, with
 * PostgreSQL indexes only where DuckDB would pay for them on bulk loads without needing them.
 */
import { recordTableDdl } from '../store/schema.ts';
import type { Dialect } from '../store/store.ts';

export function feedbackLoopStatements(dialect: Dialect): string[] {
  const out = [
    // A survey definition is stored whole as validated JSON: the dialogue reads it back as is.
    `CREATE TABLE surveys (survey_id TEXT PRIMARY KEY, type TEXT NOT NULL, name TEXT, definition TEXT NOT NULL,
       created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL)`,
    // Every invitation (a signed link or an SMS opener) is a row: the contact rules count them.
    `CREATE TABLE survey_tokens (token_id TEXT PRIMARY KEY, survey_id TEXT NOT NULL, customer_key TEXT NOT NULL,
       channel TEXT NOT NULL, event_id TEXT, created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL, used_at BIGINT, session_id TEXT)`,
    `CREATE TABLE survey_sessions (session_id TEXT PRIMARY KEY, survey_id TEXT NOT NULL, customer_key TEXT NOT NULL,
       token_id TEXT, channel TEXT NOT NULL, status TEXT NOT NULL, state TEXT NOT NULL,
       started_at BIGINT NOT NULL, updated_at BIGINT NOT NULL)`,
    `CREATE TABLE cases (case_id TEXT PRIMARY KEY, customer_key TEXT NOT NULL, kind TEXT NOT NULL, source TEXT NOT NULL,
       status TEXT NOT NULL, owner TEXT NOT NULL, reason TEXT NOT NULL, root_cause_step TEXT,
       opened_at BIGINT NOT NULL, due_at BIGINT NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL,
       callback_requested_at BIGINT, contacted_at BIGINT, resolved_at BIGINT, closed_at BIGINT,
       root_cause TEXT, issue_resolved BOOLEAN, note TEXT)`,
    `CREATE TABLE case_responses (case_id TEXT NOT NULL, response_id TEXT NOT NULL, added_at BIGINT NOT NULL)`,
    `CREATE TABLE case_events (case_id TEXT NOT NULL, seq INTEGER NOT NULL, ts BIGINT NOT NULL, kind TEXT NOT NULL,
       actor TEXT, note TEXT)`,
    `CREATE TABLE staff (staff_id TEXT PRIMARY KEY, name TEXT, team TEXT, store TEXT, updated_at BIGINT NOT NULL)`,
    `CREATE TABLE praise (praise_id TEXT PRIMARY KEY, ts BIGINT NOT NULL, staff_id TEXT NOT NULL, team TEXT NOT NULL,
       customer_key TEXT, response_id TEXT, session_id TEXT, text TEXT)`,
    // Sentiment and topics per comment, cached; rows computed with another taxonomy are redone.
    `CREATE TABLE comment_analysis (response_id TEXT PRIMARY KEY, sentiment DOUBLE PRECISION NOT NULL, label TEXT NOT NULL,
       topics TEXT NOT NULL, taxonomy TEXT NOT NULL)`,
  ];
  if (dialect === 'postgres') {
    out.push(
      `CREATE INDEX survey_tokens_customer ON survey_tokens (customer_key, created_at)`,
      `CREATE INDEX survey_sessions_customer ON survey_sessions (customer_key, status)`,
      `CREATE INDEX cases_customer ON cases (customer_key, status)`,
      `CREATE UNIQUE INDEX case_responses_pair ON case_responses (case_id, response_id)`,
      `CREATE INDEX case_responses_response ON case_responses (response_id)`,
      `CREATE INDEX case_events_case ON case_events (case_id, seq)`,
      `CREATE INDEX praise_team ON praise (team, ts)`,
    );
  }
  return out;
}

/**
 * Migration 10: the `messages` kind (DATA.md v2) and the analysis of customer messages, kept
 * apart from survey comments' so that each keeps its own id as key. `terms` holds the lemmas a
 * text's topics are discovered from (src/feedback/discover.ts), so discovery never re-reads text.
 */
export function messagesStatements(dialect: Dialect): string[] {
  const out = [
    recordTableDdl('messages'),
    `CREATE TABLE message_analysis (message_id TEXT PRIMARY KEY, sentiment DOUBLE PRECISION NOT NULL, label TEXT NOT NULL,
       topics TEXT NOT NULL, taxonomy TEXT NOT NULL, terms TEXT)`,
    `ALTER TABLE comment_analysis ADD COLUMN terms TEXT`,
  ];
  if (dialect === 'postgres') {
    out.push(
      `CREATE UNIQUE INDEX messages_message_id ON messages (message_id)`,
      `CREATE INDEX messages_customer ON messages (customer_key)`,
      `CREATE INDEX messages_tuple ON messages (tuple_id)`,
      `CREATE INDEX messages_seq ON messages (seq)`,
      // Conversations (a later issue) are read by thread, and by the interaction they transcribe.
      `CREATE INDEX messages_conversation ON messages (conversation_id, ts)`,
      `CREATE INDEX messages_event ON messages (event_id)`,
    );
  }
  return out;
}

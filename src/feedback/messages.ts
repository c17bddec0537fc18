/**
 * Messages (DATA.md v2, `--kind messages`): what people wrote or said outside a survey. An
 * employee's or bot's turn carries no customer of its own: it belongs to the customer of its
 * conversation, the one definition below, which conversations (a later issue) build on.
 */

/**
 * SQL for the customer a message belongs to: its own key, or else that of the customer turns of
 * its conversation (the first such key, so a conversation has one customer). `m` is the alias
 * of the `messages` row.
 */
export function messageCustomerSql(m: string): string {
  return `coalesce(${m}.customer_key, (SELECT min(c.customer_key) FROM messages c
    WHERE c.conversation_id = ${m}.conversation_id AND c.speaker = 'customer' AND c.customer_key IS NOT NULL))`;
}

// A message's `state` (MessageState in @doppel/db) and every change of it, in one place. A user message is always
// `shown`; its replies are:
//   shown        the reply the conversation shows (at most one per user message)
//   alternative  another reply to the same message, kept for the consumer to choose (a regenerate, a choice)
//   superseded   a reply to a message edited afterwards: it answers a text that no longer exists, and is never shown
// Memories follow their source message: only a shown message's memories are retrieved (`in_context`); a superseded
// exchange's memories are deleted.
import { sql, type RawBuilder, type Transaction } from 'kysely';
import type { Database } from '@doppel/db';

/**
 * An edit of `messageId`: every reply to it is superseded, and the memories of the old exchange (the message's own
 * and its replies') are deleted. The caller's transaction also stores the new text.
 */
export async function supersedeExchange(trx: Transaction<Database>, messageId: string): Promise<void> {
  const superseded = await trx
    .updateTable('messages')
    .set({ state: 'superseded' })
    .where('reply_to', '=', messageId)
    .where('state', '<>', 'superseded')
    .returning('id')
    .execute();
  await trx
    .deleteFrom('memories')
    .where('source_message_id', 'in', [messageId, ...superseded.map((row) => row.id)])
    .execute();
}

/** The consumer's choice among the replies to `replyTo`: `messageId` shown, the others alternatives; memories follow. */
export async function showReply(trx: Transaction<Database>, replyTo: string, messageId: string): Promise<void> {
  const siblings = await trx.selectFrom('messages').select('id').where('reply_to', '=', replyTo).where('state', '<>', 'superseded').forUpdate().execute();
  const others = siblings.map((row) => row.id).filter((id) => id !== messageId);
  if (others.length > 0) {
    await trx.updateTable('messages').set({ state: 'alternative' }).where('id', 'in', others).execute();
    await trx.updateTable('memories').set({ in_context: false }).where('source_message_id', 'in', others).execute();
  }
  await trx.updateTable('messages').set({ state: 'shown' }).where('id', '=', messageId).execute();
  await trx.updateTable('memories').set({ in_context: true }).where('source_message_id', '=', messageId).execute();
}

/**
 * A regenerated reply recorded: the reply shown so far becomes an alternative and its memories leave retrieval. Two
 * CTEs (`outshone`, `forgotten`) for the statement that records the turn, run only when `when` holds (that statement's
 * ownership check). Only a regenerate finds a shown reply to the same message (an edit supersedes them at intake), and
 * the new reply is not among them: a statement does not see its own inserts.
 */
export function outshineShownReply(replyTo: string, when: RawBuilder<unknown>): RawBuilder<unknown> {
  // Indented as the CTEs of that statement are, so that the generated turn.repository.sql reads as one statement.
  return sql`outshone AS (
        UPDATE messages SET state = 'alternative'
        WHERE reply_to = ${replyTo} AND state = 'shown' AND ${when}
        RETURNING id
      ), forgotten AS (
        UPDATE memories SET in_context = false WHERE source_message_id IN (SELECT id FROM outshone)
      )`;
}

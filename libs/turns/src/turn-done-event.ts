// turn:done built from what is stored: for a worker that finds its turn already finished, and for a client that
// resumes after the turn's stream expired. Both send exactly what the live turn sent.
import type { Selectable } from 'kysely';
import type { ReceiptsTable, TurnRow } from '@doppel/db';
import type { TurnDoneEvent, TurnVerification } from '@doppel/protocol';
import { levelsOf, type VerificationLevel } from '@doppel/verification';
import { turnTimings } from './turn-timings';

export function turnVerificationOf(proof: {
  level: VerificationLevel;
  reexec: TurnVerification['reexec'];
  receiptId: string;
  receipt: object;
  transcript: object;
}): TurnVerification {
  return {
    level: proof.level,
    levels: levelsOf(proof.level),
    reexec: proof.reexec,
    receiptId: proof.receiptId,
    receipt: proof.receipt as Record<string, unknown>,
    transcript: proof.transcript as Record<string, unknown>,
  };
}

/** `replies`: how many replies the turn's user message has now (ConversationsRepository.replyCount). */
export function storedTurnDone(
  turn: TurnRow,
  reply: { id: string; content: string },
  receipt: Selectable<ReceiptsTable> | undefined,
  replies: number,
): Omit<TurnDoneEvent, 'turnId'> {
  return {
    messageId: reply.id,
    userMessageId: turn.user_message_id,
    alternatives: replies,
    text: reply.content,
    usage: { promptTokens: turn.prompt_tokens ?? 0, completionTokens: turn.completion_tokens ?? 0 },
    timings: turnTimings(turn),
    ...attachmentsOf(receipt),
    verification: receipt
      ? turnVerificationOf({ level: receipt.level, reexec: receipt.reexec_status, receiptId: receipt.id, receipt: receipt.receipt as object, transcript: receipt.transcript as object })
      : null,
  };
}

/** The persona's attached models' results, as the stored receipt lists them (a turn without a receipt stores none). */
function attachmentsOf(receipt: Selectable<ReceiptsTable> | undefined): Pick<TurnDoneEvent, 'attachments'> {
  const attachments = (receipt?.receipt as { evidence?: { attachments?: TurnDoneEvent['attachments'] } } | undefined)?.evidence?.attachments;
  return attachments ? { attachments } : {};
}

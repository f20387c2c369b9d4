// The memory writer's batches: which finished turns still owe memories, and one transaction per batch that locks
// them, stores their memories and sets turns.memories_written_at (the one column of `turns` written here).
import { Inject, Injectable } from '@nestjs/common';
import { sql, type Kysely, type Transaction } from 'kysely';
import { DATABASE, prebuiltQuery, type Database } from '@doppel/db';
import { MemoryRepository, type NewMemoryInput } from './memory.repository';

export interface PendingTurn {
  id: string;
  conversation_id: string;
  consumer_id: string;
  persona_id: string;
  user_message_id: string;
  user_text: string;
  user_state: string;
  assistant_message_id: string;
  reply_text: string;
  reply_state: string;
}

type Owner = { personaId: string; consumerId: string; embeddingModel: string };

/** The known facts a batch checks new ones against, read and changed inside the batch's transaction. */
export interface BatchFacts {
  similar(query: Owner & { embedding: Float32Array; maxDistance: number; limit: number }): Promise<string[]>;
  startingWith(query: Omit<Owner, 'embeddingModel'> & { prefix: string }): Promise<{ id: string; content: string; pinned: boolean }[]>;
  delete(ids: string[]): Promise<void>;
}

@Injectable()
export class MemoryWritesRepository {
  constructor(
    @Inject(DATABASE) private readonly db: Kysely<Database>,
    private readonly memories: MemoryRepository,
  ) {}

  /** The conversation's finished turns whose memories are not written yet. */
  async pendingOf(conversationId: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('turns')
      .select('id')
      .where('conversation_id', '=', conversationId)
      .where('status', '=', 'done')
      .where('memories_written_at', 'is', null)
      .execute();
    return rows.map((row) => row.id);
  }

  /** Finished turns of this embedding model still pending after `minAgeMs` (their node died before its batch). */
  async orphans(embeddingModel: string, minAgeMs: number, limit: number): Promise<string[]> {
    const rows = await this.db
      .selectFrom('turns')
      .select('id')
      .where('status', '=', 'done')
      .where('memories_written_at', 'is', null)
      .where('embedding_model_id', '=', embeddingModel)
      .where('finished_at', '<', sql<Date>`now() - make_interval(secs => ${minAgeMs / 1000})`)
      .limit(limit)
      .execute();
    return rows.map((row) => row.id);
  }

  /**
   * One batch in one transaction: locks the turns among `turnIds` that are finished and still pending, asks
   * `compose` for their memories, inserts them and marks the turns written. Returns how many turns it wrote.
   */
  async writeBatch(
    turnIds: string[],
    embeddingModel: string,
    options: { skipLocked: boolean },
    compose: (turns: PendingTurn[], facts: BatchFacts) => Promise<NewMemoryInput[]>,
  ): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      const turns = await this.lockPending(trx, turnIds, embeddingModel, options.skipLocked);
      if (turns.length === 0) return 0;
      const facts: BatchFacts = {
        similar: (query) => this.memories.similarFacts(trx, query),
        startingWith: (query) => this.memories.factsStartingWith(trx, query),
        delete: (ids) => this.memories.deleteByIds(trx, ids),
      };
      await this.memories.insertMany(trx, await compose(turns, facts));
      await this.markWritten(trx, turns.map((turn) => turn.id));
      return turns.length;
    });
  }

  /** Locks the turns that are finished and still pending, in id order (no deadlock between two writers). */
  private lockPending(trx: Transaction<Database>, turnIds: string[], embeddingModel: string, skipLocked: boolean): Promise<PendingTurn[]> {
    return (skipLocked ? this.lockPendingSkippingLocked : this.lockPendingWaiting)(trx, turnIds, embeddingModel);
  }

  private pendingTurns(turnIds: string[], embeddingModel: string) {
    return this.db
      .selectFrom('turns')
      .innerJoin('conversations', 'conversations.id', 'turns.conversation_id')
      .innerJoin('messages as user_message', 'user_message.id', 'turns.user_message_id')
      .innerJoin('messages as reply', 'reply.id', 'turns.assistant_message_id')
      .select([
        'turns.id',
        'turns.conversation_id',
        'turns.consumer_id',
        'conversations.persona_id',
        'turns.user_message_id',
        'user_message.content as user_text',
        'user_message.state as user_state',
        'reply.id as assistant_message_id',
        'reply.content as reply_text',
        'reply.state as reply_state',
      ])
      .where(sql<boolean>`turns.id = ANY(${turnIds}::uuid[])`)
      .where('turns.status', '=', 'done')
      .where('turns.memories_written_at', 'is', null)
      .where('turns.embedding_model_id', '=', embeddingModel)
      .orderBy('turns.id')
      .forUpdate('turns');
  }

  private readonly lockPendingWaiting = prebuiltQuery((turnIds: string[], embeddingModel: string) => this.pendingTurns(turnIds, embeddingModel));
  private readonly lockPendingSkippingLocked = prebuiltQuery((turnIds: string[], embeddingModel: string) => this.pendingTurns(turnIds, embeddingModel).skipLocked());

  private readonly markWritten = prebuiltQuery((turnIds: string[]) =>
    this.db
      .updateTable('turns')
      .set({ memories_written_at: sql<Date>`clock_timestamp()` })
      .where(sql<boolean>`id = ANY(${turnIds}::uuid[])`),
  );
}

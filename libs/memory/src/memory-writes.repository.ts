// The memory writer's batches: which finished turns still owe memories (memory_backlog, whose rows the turn's record
// inserts), and one transaction per batch that takes their rows out of the backlog and stores their memories.
import { Inject, Injectable } from '@nestjs/common';
import { sql, type Kysely } from 'kysely';
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
    const rows = await this.db.selectFrom('memory_backlog').select('turn_id').where('conversation_id', '=', conversationId).execute();
    return rows.map((row) => row.turn_id);
  }

  /** Finished turns of this embedding model still pending after `minAgeMs` (their node died before its batch). */
  async orphans(embeddingModel: string, minAgeMs: number, limit: number): Promise<string[]> {
    const rows = await this.db
      .selectFrom('memory_backlog')
      .select('turn_id')
      .where('embedding_model', '=', embeddingModel)
      .where('finished_at', '<', sql<Date>`now() - make_interval(secs => ${minAgeMs / 1000})`)
      .limit(limit)
      .execute();
    return rows.map((row) => row.turn_id);
  }

  /**
   * One batch in one transaction: takes the turns among `turnIds` that are still in the backlog (deleting their
   * rows), asks `compose` for their memories and inserts them. Returns how many turns it wrote. Should anything fail,
   * the transaction's rollback puts the backlog rows back for the sweep.
   */
  async writeBatch(
    turnIds: string[],
    embeddingModel: string,
    options: { skipLocked: boolean },
    compose: (turns: PendingTurn[], facts: BatchFacts) => Promise<NewMemoryInput[]>,
  ): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      const turns = await (options.skipLocked ? this.takeSkippingLocked : this.takeWaiting)(trx, turnIds, embeddingModel);
      if (turns.length === 0) return 0;
      const facts: BatchFacts = {
        similar: (query) => this.memories.similarFacts(trx, query),
        startingWith: (query) => this.memories.factsStartingWith(trx, query),
        delete: (ids) => this.memories.deleteByIds(trx, ids),
      };
      await this.memories.insertMany(trx, await compose(turns, facts));
      return turns.length;
    });
  }

  /**
   * Deletes the backlog rows of the turns among `turnIds` (locked in id order: no deadlock between two writers;
   * skipping the ones another batch holds, or waiting for it and then finding them gone) and reads those turns.
   */
  private takeFromBacklog(turnIds: string[], embeddingModel: string, skipLocked: boolean) {
    return this.db
      .with('taken', (db) =>
        db
          .deleteFrom('memory_backlog')
          .where('turn_id', 'in', (sub) => {
            const owed = sub
              .selectFrom('memory_backlog')
              .select('turn_id')
              .where(sql<boolean>`turn_id = ANY(${turnIds}::uuid[])`)
              .where('embedding_model', '=', embeddingModel)
              .orderBy('turn_id')
              .forUpdate();
            return skipLocked ? owed.skipLocked() : owed;
          })
          .returning('turn_id'),
      )
      .selectFrom('taken')
      .innerJoin('turns', 'turns.id', 'taken.turn_id')
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
      .orderBy('turns.id');
  }

  private readonly takeWaiting = prebuiltQuery((turnIds: string[], embeddingModel: string) => this.takeFromBacklog(turnIds, embeddingModel, false));
  private readonly takeSkippingLocked = prebuiltQuery((turnIds: string[], embeddingModel: string) => this.takeFromBacklog(turnIds, embeddingModel, true));
}

// Makes the memories of finished turns, off the critical path: a turn's reply is committed and sent first, then its
// user message, its reply and the facts the user stated are embedded and stored here, batched across turns (one
// embed call and one multi-row INSERT per batch). `memory_backlog` makes it durable and idempotent: the turn's record
// inserts its row there, and a batch deletes the rows of the turns it writes in the transaction that writes them, so
// whoever comes second (this node's batch, the conversation's next turn, another node's sweep after a crash) writes
// nothing twice.
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@doppel/config';
import type { EmbeddingBackend } from '@doppel/inference';
import { isRestatement } from './fact-dedup';
import { extractFacts } from './fact-extractor';
import { factSlot } from './fact-slots';
import type { NewMemoryInput } from './memory.repository';
import { MemoryWritesRepository, type BatchFacts } from './memory-writes.repository';

type Owner = { personaId: string; consumerId: string; embeddingModel: string };

@Injectable()
export class MemoryWriter implements OnApplicationShutdown {
  private readonly logger = new Logger(MemoryWriter.name);
  private embedder: EmbeddingBackend | null = null;
  /** Turns finished on this node, waiting for the next batch, with the user message's embedding when known. */
  private batch = new Map<string, Float32Array | undefined>();
  private batchTimer: NodeJS.Timeout | null = null;
  private sweepTimer: NodeJS.Timeout | null = null;
  private writing: Promise<unknown> = Promise.resolve();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly writes: MemoryWritesRepository,
  ) {}

  /** Starts batching and sweeping with this node's embedder (known once the models are loaded). */
  start(embedder: EmbeddingBackend): void {
    this.embedder = embedder;
    const { sweepIntervalMs } = this.config.turns.memoryWrite;
    this.sweepTimer = setInterval(() => void this.sweep().catch((error: Error) => this.logger.warn(`memory sweep failed: ${error.message}`)), sweepIntervalMs);
    this.sweepTimer.unref();
  }

  /** Queues a finished turn's memories for the next batch. */
  remember(turnId: string, userEmbedding?: Float32Array): void {
    this.batch.set(turnId, userEmbedding);
    const { batchMs, batchMax } = this.config.turns.memoryWrite;
    if (this.batch.size >= batchMax) void this.flush();
    else this.batchTimer ??= setTimeout(() => void this.flush(), batchMs);
  }

  /**
   * Writes the memories of the conversation's finished turns that are still pending, waiting for a batch that holds
   * them: what turn N remembered is in turn N+1's prompt.
   */
  async writePendingOf(conversationId: string): Promise<void> {
    const pending = await this.writes.pendingOf(conversationId);
    if (pending.length === 0) return;
    // Still waiting in this node's batch (the consumer answered within MEMORY_WRITE_BATCH_MS, as agents do): the whole
    // batch is written now, rather than these turns in a write of their own and the rest of the batch later.
    const inBatch = pending.filter((turnId) => this.batch.has(turnId));
    const batchWroteThem = inBatch.length > 0 && (await this.flush());
    const left = batchWroteThem ? pending.filter((turnId) => !inBatch.includes(turnId)) : pending;
    if (left.length > 0) await this.write(left, new Map(), { skipLocked: false });
  }

  /** Finished turns nobody wrote memories for (their node died between the reply and the batch). */
  async sweep(): Promise<number> {
    if (!this.embedder) return 0;
    const { sweepMinAgeMs, batchMax } = this.config.turns.memoryWrite;
    const orphans = await this.writes.orphans(this.embedder.modelId, sweepMinAgeMs, batchMax);
    if (orphans.length === 0) return 0;
    return this.write(orphans, new Map(), { skipLocked: true });
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    void this.flush();
    await this.writing;
  }

  /** Writes the batch now; true when every turn in it was written by this write (none failed or was skipped). */
  private flush(): Promise<boolean> {
    if (this.batchTimer) clearTimeout(this.batchTimer);
    this.batchTimer = null;
    if (this.batch.size === 0) return Promise.resolve(true);
    const batch = this.batch;
    this.batch = new Map();
    // A failed batch stays pending in the database; the sweep writes it later.
    const write = this.write([...batch.keys()], batch, { skipLocked: true }).then(
      (written) => written === batch.size,
      (error: Error) => {
        this.logger.warn(`memories of ${batch.size} turns not written yet (the sweep retries): ${error.message}`);
        return false;
      },
    );
    this.writing = Promise.all([this.writing, write]);
    return write;
  }

  /** Writes the pending turns among `turnIds` in one transaction; returns how many it wrote. */
  private async write(turnIds: string[], userEmbeddings: Map<string, Float32Array | undefined>, options: { skipLocked: boolean }): Promise<number> {
    const embedder = this.embedder;
    if (!embedder) throw new Error('MemoryWriter.start() was not called');
    return this.writes.writeBatch(turnIds, embedder.modelId, options, async (turns, known) => {
      const facts = turns.map((turn) => (turn.user_state === 'shown' ? extractFacts(turn.user_text) : []));
      // One embed call for the batch: user messages not embedded yet, replies, facts.
      const texts: string[] = [];
      const slotOf = (text: string) => texts.push(text) - 1;
      const slots = turns.map((turn, index) => ({
        user: userEmbeddings.get(turn.id) ? -1 : slotOf(turn.user_text),
        reply: slotOf(turn.reply_text),
        facts: facts[index]!.map(slotOf),
      }));
      const vectors = texts.length > 0 ? await embedder.embed(texts) : [];
      const rows: NewMemoryInput[] = [];
      for (const [index, turn] of turns.entries()) {
        const owner: Owner = { personaId: turn.persona_id, consumerId: turn.consumer_id, embeddingModel: embedder.modelId };
        const slot = slots[index]!;
        const base = { ...owner, conversationId: turn.conversation_id };
        if (turn.user_state !== 'superseded') {
          const embedding = userEmbeddings.get(turn.id) ?? vectors[slot.user]!;
          rows.push({ ...base, sourceMessageId: turn.user_message_id, kind: 'user_message', content: turn.user_text, embedding });
        }
        if (turn.reply_state !== 'superseded') {
          rows.push({
            ...base,
            sourceMessageId: turn.assistant_message_id,
            kind: 'assistant_reply',
            content: turn.reply_text,
            embedding: vectors[slot.reply]!,
            inContext: turn.reply_state === 'shown',
          });
        }
        const fresh = await this.newFacts(known, owner, facts[index]!, slot.facts.map((at) => vectors[at]!));
        for (const fact of fresh) {
          rows.push({ ...base, sourceMessageId: turn.user_message_id, kind: 'fact', content: fact.text, embedding: fact.embedding, pinned: fact.pinned });
        }
      }
      return rows;
    });
  }

  /**
   * The extracted facts to store: those no close known fact (by vector) restates. A fact in a single-valued slot
   * (name, home, age…) replaces the known one it contradicts, inheriting its pin, and the last one a message states
   * wins over earlier ones in the same slot.
   */
  private async newFacts(known: BatchFacts, owner: Owner, facts: string[], embeddings: Float32Array[]): Promise<{ text: string; embedding: Float32Array; pinned: boolean }[]> {
    const fresh: { text: string; embedding: Float32Array; pinned: boolean; slot: string | null }[] = [];
    for (const [index, text] of facts.entries()) {
      const embedding = embeddings[index]!;
      const close = await known.similar({ ...owner, embedding, maxDistance: this.config.turns.factDedupMaxDistance, limit: 5 });
      if (close.some((knownFact) => isRestatement(text, knownFact))) continue;
      const slot = factSlot(text);
      let pinned = false;
      if (slot) {
        const contradicted = (await known.startingWith({ ...owner, prefix: slot.prefix })).filter((fact) => factSlot(fact.content)?.key === slot.key);
        if (contradicted.length > 0) await known.delete(contradicted.map((fact) => fact.id));
        pinned = contradicted.some((fact) => fact.pinned);
        const earlier = fresh.findIndex((candidate) => candidate.slot === slot.key);
        if (earlier >= 0) pinned ||= fresh.splice(earlier, 1)[0]!.pinned;
      }
      fresh.push({ text, embedding, pinned, slot: slot?.key ?? null });
    }
    return fresh;
  }
}

// Worker side of one turn: claim it, build the prompt, stream the model's tokens to Redis, then store the reply,
// the timings and the new memories in one transaction. Safe to run again for the same turn (BullMQ retries).
import { createHash, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import { sql, type Kysely } from 'kysely';
import { APP_CONFIG, type AppConfig } from '@doppel/config';
import { DATABASE, type Database, type TurnRow } from '@doppel/db';
import { KnowledgeRepository } from '@doppel/knowledge';
import type { GenerationTrace, SamplingParams } from '@doppel/inference';
import { extractFacts, factSlot, isRestatement, MemoryRepository } from '@doppel/memory';
import { ModelHost } from '@doppel/models';
import { PersonasService } from '@doppel/personas';
import { DoppelError, ErrorCode, type TurnVerification } from '@doppel/protocol';
import { REDIS } from '@doppel/redis';
import { TurnStreamPublisher } from '@doppel/streaming';
import {
  RECEIPT_TYPES,
  requirementsOf,
  signReceipt,
  toBytes32,
  transcriptHashes,
  type Receipt,
  type ReceiptMessage,
  type ReceiptTranscript,
  type VerificationLevel,
} from '@doppel/verification';
import { NodeIdentity } from './node-identity.service';
import { modelInputOf, modelOutputOf } from './reexecution';
import { TurnVerifier, type PendingReexecution } from './turn-verifier.service';
import { NodesRepository } from '@doppel/nodes';
import { PersonaVersionCache } from './persona-version-cache';
import { TurnContextLoader } from './turn-context';
import { assemblePrompt } from './prompt-assembler';
import { turnTimings } from './turn-timings';

/** Tokens kept free for role markers and special tokens that the chat template adds around messages. */
const CHAT_TEMPLATE_RESERVE = 32;

export type TurnOutcome = 'done' | 'already-finished';

/** The model itself failed: retrying on another node would fail the same way, so the turn fails at once. */
export class ModelFailure extends Error {
  constructor(override readonly cause: unknown) {
    super(`model failed: ${(cause as Error)?.message ?? String(cause)}`);
    this.name = 'ModelFailure';
  }
}

/** Same turn → same seed on every node and every attempt, which re-execution relies on. */
export function seedForTurn(turnId: string): number {
  return createHash('sha256').update(turnId).digest().readUInt32BE(0);
}

@Injectable()
export class TurnRunner {
  private readonly logger = new Logger(TurnRunner.name);
  private readonly context: TurnContextLoader;

  constructor(
    @Inject(DATABASE) private readonly db: Kysely<Database>,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly models: ModelHost,
    private readonly memory: MemoryRepository,
    knowledge: KnowledgeRepository,
    private readonly identity: NodeIdentity,
    private readonly verifier: TurnVerifier,
    private readonly nodes: NodesRepository,
    personas: PersonasService,
  ) {
    const personaVersions = new PersonaVersionCache((versionId) => personas.getVersion(versionId));
    this.context = new TurnContextLoader(db, config, memory, knowledge, personaVersions);
  }

  async run(turnId: string, signal: AbortSignal): Promise<TurnOutcome> {
    const workerId = this.config.worker.id;
    const publisher = new TurnStreamPublisher(
      this.redis,
      this.config.redis.prefix,
      turnId,
      this.config.turns.streamTtlSeconds,
      this.config.turns.chunkIntervalMs,
    );

    const turn = await this.claim(turnId, workerId);
    if (turn.status === 'done') {
      // Stored, but the done event may not have reached Redis before a crash: publish it again.
      await this.publishStoredDone(publisher, turn);
      return 'already-finished';
    }
    if (turn.status === 'failed') return 'already-finished';

    publisher.started(workerId, turn.attempts);
    const chatModel = this.models.chat(turn.model_id ?? '');
    const embedder = this.models.embedder;
    const context = await this.context.load(turn, embedder);
    const { userMessage, personaVersion, memories } = context;
    const memoryOwner = { personaId: context.personaId, consumerId: turn.consumer_id, embeddingModel: embedder.modelId };
    const params: SamplingParams = { ...personaVersion.definition.generation, seed: seedForTurn(turnId) };
    const assembled = assemblePrompt({
      persona: personaVersion.definition,
      memories,
      knowledge: { hits: context.knowledge, maxDistance: this.config.knowledge.maxDistance },
      history: context.history,
      userText: userMessage.content,
      userName: context.consumerName,
      // Leave the model room for its reply and the chat template's own tokens.
      tokenBudget: Math.min(this.config.turns.promptTokenBudget, chatModel.contextWindow - params.maxTokens - CHAT_TEMPLATE_RESERVE),
      countTokens: (text) => chatModel.countTokens(text),
    });
    const retrievedAt = new Date();
    const level = turn.verification_level as VerificationLevel;
    const required = requirementsOf(level);
    // Started now, so the checking node computes while this one streams.
    const reexecution: PendingReexecution | null = required.reexec
      ? await this.verifier.dispatch({ turnId, modelId: chatModel.modelId, modelHash: chatModel.modelHash, prompt: assembled.prompt, params, kind: 'requested' })
      : null;

    let replyText = '';
    let completionTokens = 0;
    let firstTokenAt: Date | null = null;
    let trace: GenerationTrace | null = null;
    try {
      for await (const token of chatModel.generate(assembled.prompt, params, signal, (generated) => (trace = generated))) {
        firstTokenAt ??= new Date();
        replyText += token.text;
        completionTokens++;
        publisher.token(token.text);
      }
    } catch (error) {
      if (signal.aborted) throw error;
      throw new ModelFailure(error);
    }
    await publisher.drain();
    const finalTrace = trace as GenerationTrace | null;
    if (finalTrace?.truncatedTokens) this.logger.warn(`turn ${turnId}: ${finalTrace.truncatedTokens} prompt tokens dropped to fit the context window`);

    const verificationStarted = performance.now();
    const memoryHashes = new Map(memories.map((memory) => [memory.id, memory.contentHash]));
    const proof =
      level === 'none'
        ? null
        : await this.prove({
            turnId,
            conversationId: turn.conversation_id,
            level,
            personaVersionHash: personaVersion.contentHash,
            modelHash: chatModel.modelHash,
            startedAt: turn.started_at!,
            transcript: {
              input: modelInputOf(assembled.prompt, finalTrace),
              output: modelOutputOf(replyText, finalTrace),
              params: { ...params },
              memories: assembled.memoryIds.map((id) => ({ id, contentHash: memoryHashes.get(id)! })),
            },
            reexecution,
          });
    const verificationMs = level === 'none' ? null : performance.now() - verificationStarted;

    const facts = extractFacts(userMessage.content);
    const [userEmbedding, replyEmbedding, ...factEmbeddings] = await embedder.embed([userMessage.content, replyText, ...facts]);
    const stored = await this.db.transaction().execute(async (trx) => {
      const assistantMessage = await trx
        .insertInto('messages')
        .values({ conversation_id: turn.conversation_id, role: 'assistant', content: replyText, turn_id: turnId, reply_to: turn.user_message_id })
        .returning('id')
        .executeTakeFirstOrThrow();
      // A regenerated reply is shown from now on; the earlier ones stay as alternatives, out of the context.
      const outshone = await trx
        .updateTable('messages')
        .set({ state: 'alternative' })
        .where('reply_to', '=', turn.user_message_id)
        .where('state', '=', 'shown')
        .where('id', '<>', assistantMessage.id)
        .returning('id')
        .execute();
      if (outshone.length > 0) {
        await trx.updateTable('memories').set({ in_context: false }).where('source_message_id', 'in', outshone.map((row) => row.id)).execute();
      }
      const finished = await trx
        .updateTable('turns')
        .set({
          status: 'done',
          assistant_message_id: assistantMessage.id,
          model_id: chatModel.modelId,
          model_hash: chatModel.modelHash,
          embedding_model_id: embedder.modelId,
          generation_params: JSON.stringify(params),
          prompt: JSON.stringify(assembled.prompt),
          retrieved_memory_ids: assembled.memoryIds,
          retrieved_knowledge_ids: assembled.knowledgeIds,
          prompt_tokens: finalTrace?.promptTokenIds.length ?? assembled.promptTokens,
          completion_tokens: finalTrace?.outputTokenIds.length ?? completionTokens,
          prompt_token_ids: finalTrace?.promptTokenIds ?? null,
          output_token_ids: finalTrace?.outputTokenIds ?? null,
          truncated_prompt_tokens: finalTrace?.truncatedTokens ?? null,
          retrieved_at: retrievedAt,
          verification_ms: verificationMs,
          node_address: this.identity.address,
          first_token_at: firstTokenAt ?? new Date(),
          finished_at: sql<Date>`clock_timestamp()`,
        })
        .where('id', '=', turnId)
        .where('status', '=', 'running')
        .where('worker_id', '=', workerId)
        .returning(['queued_at', 'started_at', 'retrieved_at', 'first_token_at', 'finished_at'])
        .executeTakeFirst();
      // Another node took the turn over (this one was presumed dead): let its attempt be the one that counts.
      if (!finished) throw new DoppelError(ErrorCode.TurnFailed, `turn ${turnId} is no longer owned by ${workerId}`);
      await this.memory.insertMany(trx, [
        {
          personaId: context.personaId,
          consumerId: turn.consumer_id,
          conversationId: turn.conversation_id,
          sourceMessageId: turn.user_message_id,
          kind: 'user_message',
          content: userMessage.content,
          embeddingModel: embedder.modelId,
          embedding: userEmbedding!,
        },
        {
          personaId: context.personaId,
          consumerId: turn.consumer_id,
          conversationId: turn.conversation_id,
          sourceMessageId: assistantMessage.id,
          kind: 'assistant_reply',
          content: replyText,
          embeddingModel: embedder.modelId,
          embedding: replyEmbedding!,
        },
        ...(await this.newFacts(trx, memoryOwner, facts, factEmbeddings)).map((fact) => ({
          ...memoryOwner,
          conversationId: turn.conversation_id,
          sourceMessageId: turn.user_message_id,
          kind: 'fact' as const,
          content: fact.text,
          embedding: fact.embedding,
          pinned: fact.pinned,
        })),
      ]);
      await trx.updateTable('conversations').set({ last_message_at: sql<Date>`now()` }).where('id', '=', turn.conversation_id).execute();
      if (proof) {
        await trx
          .insertInto('receipts')
          .values({
            id: proof.receipt.id,
            turn_id: turnId,
            message_id: assistantMessage.id,
            consumer_id: turn.consumer_id,
            level,
            receipt: JSON.stringify(proof.receipt),
            transcript: JSON.stringify(proof.transcript),
            reexec_status: proof.reexec,
          })
          .execute();
      }
      return { messageId: assistantMessage.id, timings: turnTimings(finished) };
    });

    await publisher.finish({
      type: 'done',
      messageId: stored.messageId,
      text: replyText,
      usage: {
        promptTokens: finalTrace?.promptTokenIds.length ?? assembled.promptTokens,
        completionTokens: finalTrace?.outputTokenIds.length ?? completionTokens,
      },
      timings: stored.timings,
      verification: proof
        ? {
            level: level as TurnVerification['level'],
            reexec: proof.reexec,
            receiptId: proof.receipt.id,
            receipt: proof.receipt as unknown as Record<string, unknown>,
            transcript: proof.transcript as unknown as Record<string, unknown>,
          }
        : null,
    });
    if (proof && requirementsOf(level).signed && !reexecution && Math.random() < this.config.verification.spotCheckRate) {
      // Background spot check: another node re-runs it later and records the outcome against this node.
      void this.verifier
        .dispatch({
          turnId,
          modelId: chatModel.modelId,
          modelHash: chatModel.modelHash,
          prompt: assembled.prompt,
          params,
          kind: 'spot_check',
          expected: { inputHash: proof.receipt.message.inputHash, outputHash: proof.receipt.message.outputHash },
        })
        .catch((error: Error) => this.logger.warn(`spot check of turn ${turnId} not dispatched: ${error.message}`));
    }
    return 'done';
  }

  /**
   * The extracted facts to store: those no close known fact (by vector) restates. A fact in a single-valued slot
   * (name, home, age…) replaces the known one it contradicts, inheriting its pin, and the last one a message states
   * wins over earlier ones in the same slot.
   */
  private async newFacts(
    trx: Kysely<Database>,
    owner: { personaId: string; consumerId: string; embeddingModel: string },
    facts: string[],
    embeddings: Float32Array[],
  ): Promise<{ text: string; embedding: Float32Array; pinned: boolean }[]> {
    const fresh: { text: string; embedding: Float32Array; pinned: boolean; slot: string | null }[] = [];
    for (const [index, text] of facts.entries()) {
      const embedding = embeddings[index]!;
      const close = await this.memory.similarFacts(trx, { ...owner, embedding, maxDistance: this.config.turns.factDedupMaxDistance, limit: 5 });
      if (close.some((known) => isRestatement(text, known))) continue;
      const slot = factSlot(text);
      let pinned = false;
      if (slot) {
        const contradicted = (await this.memory.factsStartingWith(trx, { ...owner, prefix: slot.prefix })).filter((known) => factSlot(known.content)?.key === slot.key);
        if (contradicted.length > 0) await trx.deleteFrom('memories').where('id', 'in', contradicted.map((known) => known.id)).execute();
        pinned = contradicted.some((known) => known.pinned);
        const earlier = fresh.findIndex((candidate) => candidate.slot === slot.key);
        if (earlier >= 0) pinned ||= fresh.splice(earlier, 1)[0]!.pinned;
      }
      fresh.push({ text, embedding, pinned, slot: slot?.key ?? null });
    }
    return fresh;
  }

  /** Builds the receipt, signs it when the level asks, and collects the re-execution's co-signature. */
  private async prove(input: {
    turnId: string;
    conversationId: string;
    level: VerificationLevel;
    personaVersionHash: string;
    modelHash: string;
    startedAt: Date;
    transcript: ReceiptTranscript;
    reexecution: PendingReexecution | null;
  }): Promise<{ receipt: Receipt; transcript: ReceiptTranscript; reexec: 'matched' | 'mismatch' | null }> {
    const message: ReceiptMessage = {
      turnId: input.turnId,
      conversationId: input.conversationId,
      personaVersionHash: toBytes32(input.personaVersionHash),
      modelHash: toBytes32(input.modelHash),
      ...transcriptHashes(input.transcript),
      node: this.identity.wallet.address,
      startedAt: input.startedAt.getTime(),
      finishedAt: Date.now(),
      level: input.level,
    };
    const receipt: Receipt = { id: randomUUID(), domain: this.identity.domain, types: RECEIPT_TYPES, primaryType: 'Receipt', message, signatures: {} };
    if (requirementsOf(input.level).signed) receipt.signatures.node = await signReceipt(this.identity.wallet, this.identity.domain, message);
    let reexec: 'matched' | 'mismatch' | null = null;
    if (input.reexecution) {
      const reply = await input.reexecution.wait();
      const matched = reply.signature !== null && reply.inputHash === message.inputHash && reply.outputHash === message.outputHash;
      reexec = matched ? 'matched' : 'mismatch';
      if (matched) receipt.signatures.reexec = { node: reply.node, signature: reply.signature! };
      await this.nodes.recordReexecution({
        turnId: input.turnId,
        servingNode: this.identity.address,
        checkingNode: reply.node,
        kind: 'requested',
        matched,
        detail: matched ? undefined : reply.detail ?? `output hash ${reply.outputHash} ≠ ${message.outputHash}`,
      });
      if (!matched) this.logger.warn(`turn ${input.turnId}: re-execution by ${reply.node} did not match (${reply.detail ?? 'different output'})`);
    }
    return { receipt, transcript: input.transcript, reexec };
  }

  /** Marks the turn failed (unless it already finished) and tells the consumer why. */
  async fail(turnId: string, code: ErrorCode, message: string): Promise<void> {
    await this.db
      .updateTable('turns')
      .set({ status: 'failed', error_code: code, error_message: message, finished_at: sql<Date>`clock_timestamp()` })
      .where('id', '=', turnId)
      .where('status', 'in', ['queued', 'running'])
      .execute();
    const publisher = new TurnStreamPublisher(this.redis, this.config.redis.prefix, turnId, this.config.turns.streamTtlSeconds, 0);
    await publisher.finish({ type: 'error', code, message });
  }

  private async claim(turnId: string, workerId: string): Promise<TurnRow> {
    return this.db.transaction().execute(async (trx) => {
      const current = await trx.selectFrom('turns').selectAll().where('id', '=', turnId).forUpdate().executeTakeFirst();
      if (!current) throw new DoppelError(ErrorCode.TurnFailed, `turn ${turnId} does not exist`);
      if (current.status === 'done' || current.status === 'failed') return current;
      return trx
        .updateTable('turns')
        .set({
          status: 'running',
          worker_id: workerId,
          attempts: current.attempts + 1,
          started_at: current.started_at ?? sql<Date>`clock_timestamp()`,
        })
        .where('id', '=', turnId)
        .returningAll()
        .executeTakeFirstOrThrow();
    });
  }

  private async publishStoredDone(publisher: TurnStreamPublisher, turn: TurnRow): Promise<void> {
    const message = await this.db
      .selectFrom('messages')
      .select(['id', 'content'])
      .where('id', '=', turn.assistant_message_id!)
      .executeTakeFirstOrThrow();
    await publisher.finish({
      type: 'done',
      messageId: message.id,
      text: message.content,
      usage: { promptTokens: turn.prompt_tokens ?? 0, completionTokens: turn.completion_tokens ?? 0 },
      timings: turnTimings(turn),
      verification: await this.storedVerification(turn.id),
    });
  }

  private async storedVerification(turnId: string): Promise<TurnVerification | null> {
    const row = await this.db.selectFrom('receipts').selectAll().where('turn_id', '=', turnId).executeTakeFirst();
    if (!row) return null;
    return {
      level: row.level as TurnVerification['level'],
      reexec: row.reexec_status,
      receiptId: row.id,
      receipt: row.receipt as Record<string, unknown>,
      transcript: row.transcript as Record<string, unknown>,
    };
  }
}

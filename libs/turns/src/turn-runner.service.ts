// Worker side of one turn: claim it, build the prompt, stream the model's tokens to Redis, prove it, then store the
// reply and publish `done`; the turn's memories are made afterwards by the MemoryWriter, batched across turns.
// Safe to run again for the same turn (BullMQ retries).
import { createHash, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@doppel/config';
import { ConversationsRepository } from '@doppel/conversations';
import type { TurnRow } from '@doppel/db';
import { KnowledgeRepository } from '@doppel/knowledge';
import type { ChatModelBackend, EmbeddingBackend, GenerationTrace, SamplingParams } from '@doppel/inference';
import { MemoryRepository, MemoryWriter } from '@doppel/memory';
import { ModelHost } from '@doppel/models';
import { PersonasService, type PersonaDefinition } from '@doppel/personas';
import { DoppelError, ErrorCode } from '@doppel/protocol';
import { TurnStreamPublishers, type TurnStreamPublisher } from '@doppel/streaming';
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
import { AttachedModels, type AttachedRun } from './attached-models.service';
import { NodeIdentity } from './node-identity.service';
import { modelInputOf, modelOutputOf } from './reexecution';
import { TurnVerifier, type PendingReexecution } from './turn-verifier.service';
import { NodesRepository } from '@doppel/nodes';
import { PersonaVersionCache } from './persona-version-cache';
import { TurnContextLoader, type TurnContext } from './turn-context';
import { assemblePrompt, type AssembledPrompt } from './prompt-assembler';
import { turnVerificationOf } from './turn-done-event';
import { TurnLookup } from './turn-lookup.service';
import { turnTimings } from './turn-timings';
import { TurnRepository, type ClaimedTurn } from './turn.repository';

/** The abort reason when a turn's deadline passes (one instance: a DOMException per abort would capture a stack). */
const DEADLINE_PASSED = new Error('the turn deadline passed');

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

/** The turn is queued again when this node went to record it: its claim was lost. Retryable, unlike a takeover. */
export class ClaimLost extends Error {
  constructor(turnId: string) {
    super(`turn ${turnId}: its claim was lost (a database crash?); the turn is queued again`);
    this.name = 'ClaimLost';
  }
}

/** A turn this node claimed, with the job's text embedded before the claim (undefined: the job carried none). */
interface Claim {
  turnId: string;
  claimed: ClaimedTurn;
  early: { text: string; embedding: Float32Array } | undefined;
}

/** What the steps after the claim share: the turn, its context and prompt, and how it is to be proven. */
interface PreparedTurn {
  turnId: string;
  turn: TurnRow;
  context: TurnContext;
  embedder: EmbeddingBackend;
  chatModel: ChatModelBackend;
  params: SamplingParams;
  assembled: AssembledPrompt;
  retrievedAt: Date;
  level: VerificationLevel;
  attachedModels: PersonaDefinition['attachedModels'];
  /** The checking node's run, started before this node generates (level reexec), else null. */
  reexecution: PendingReexecution | null;
}

interface Generated {
  text: string;
  tokens: number;
  firstTokenAt: Date | null;
  trace: GenerationTrace | null;
}

interface Proof {
  receipt: Receipt;
  transcript: ReceiptTranscript;
  reexec: 'matched' | 'mismatch' | null;
}

type StoredReply = NonNullable<Awaited<ReturnType<TurnRepository['complete']>>>;

/** Tokens in and out, as the model counted them when it reports a trace, else as the prompt was budgeted. */
function usageOf({ assembled }: PreparedTurn, generated: Generated): { promptTokens: number; completionTokens: number } {
  return {
    promptTokens: generated.trace?.promptTokenIds.length ?? assembled.promptTokens,
    completionTokens: generated.trace?.outputTokenIds.length ?? generated.tokens,
  };
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
    private readonly publishers: TurnStreamPublishers,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly models: ModelHost,
    private readonly turns: TurnRepository,
    memory: MemoryRepository,
    private readonly memoryWriter: MemoryWriter,
    knowledge: KnowledgeRepository,
    private readonly identity: NodeIdentity,
    private readonly verifier: TurnVerifier,
    private readonly nodes: NodesRepository,
    personas: PersonasService,
    private readonly attached: AttachedModels,
    private readonly conversations: ConversationsRepository,
    private readonly lookup: TurnLookup,
  ) {
    const personaVersions = new PersonaVersionCache((versionId) => personas.getVersion(versionId));
    this.context = new TurnContextLoader(config, memory, knowledge, personaVersions);
  }

  /**
   * claim → load context → generate → prove → record, then publish `done`; memories are made after, in batches.
   * `userText`: the message as the job carried it; embedded first, so the claim can recall the memories with it.
   */
  async run(turnId: string, signal: AbortSignal, userText?: string): Promise<TurnOutcome> {
    const publisher = this.publisherFor(turnId, this.config.turns.chunkIntervalMs);
    const claim = await this.claim(turnId, userText);
    if ('finished' in claim) {
      // Stored, but the done event may not have reached Redis before a crash: publish it again.
      if (claim.finished.status === 'done') await this.publishStoredDone(publisher, claim.finished);
      return 'already-finished';
    }
    publisher.started(this.config.worker.id, claim.claimed.turn.attempts);
    const prepared = await this.prepare(claim);
    const generated = await this.withDeadline(prepared.turn, signal, (bounded) =>
      this.generate(prepared.chatModel, prepared.assembled.prompt, prepared.params, bounded, publisher),
    );
    if (generated.trace?.truncatedTokens) this.logger.warn(`turn ${turnId}: ${generated.trace.truncatedTokens} prompt tokens dropped to fit the context window`);
    const attachedRuns = await this.attached.run(prepared.attachedModels, generated.text, prepared.embedder);
    const proven = await this.proveTurn(prepared, generated, attachedRuns);
    const stored = await this.record(prepared, generated, proven);
    await this.publishDone(publisher, prepared, generated, stored, proven.proof, attachedRuns);
    this.memoryWriter.remember(turnId, prepared.context.userEmbedding);
    this.spotCheckLater(prepared, proven.proof);
    return 'done';
  }

  /** Embeds the job's text first, so the claim's statement can recall the memories with it. */
  private async claim(turnId: string, userText: string | undefined): Promise<Claim | { finished: TurnRow }> {
    const embedder = this.models.embedder;
    const early = userText === undefined ? undefined : { text: userText, embedding: (await embedder.embed([userText]))[0]! };
    const recall = early && this.context.recallInClaim(early.embedding, embedder.modelId);
    const claim = await this.turns.claim(turnId, this.config.worker.id, embedder.modelId, this.config.turns.historyMaxMessages, recall);
    return 'finished' in claim ? claim : { turnId, claimed: claim.claimed, early };
  }

  /** The claimed turn's context and prompt, checked against what this node can prove; a re-execution starts here. */
  private async prepare({ turnId, claimed, early }: Claim): Promise<PreparedTurn> {
    const { turn } = claimed;
    // What the conversation's previous turn remembered belongs in this prompt: write it first if it is still pending.
    if (claimed.memoriesPending) await this.memoryWriter.writePendingOf(turn.conversation_id);
    const embedder = this.models.embedder;
    const chatModel = this.models.chat(turn.model_id ?? '');
    // The claim's recall missed what is written only now.
    const context = await this.context.load(claimed, embedder, early && { ...early, fresh: !claimed.memoriesPending });
    const params: SamplingParams = { ...context.personaVersion.definition.generation, seed: seedForTurn(turnId) };
    const assembled = assemblePrompt({
      persona: context.personaVersion.definition,
      memories: context.memories,
      knowledge: { hits: context.knowledge, maxDistance: this.config.knowledge.maxDistance },
      history: context.history,
      userText: context.userMessage.content,
      userName: context.consumerName,
      // Leave the model room for its reply and the chat template's own tokens.
      tokenBudget: Math.min(this.config.turns.promptTokenBudget, chatModel.contextWindow - params.maxTokens - CHAT_TEMPLATE_RESERVE),
      countTokens: (text) => chatModel.countTokens(text),
    });
    const retrievedAt = new Date();
    const level = turn.verification_level as VerificationLevel;
    const attachedModels = context.personaVersion.definition.attachedModels;
    this.assertLevelsServable(level, attachedModels);
    // Started now, so the checking node computes while this one streams.
    const reexecution: PendingReexecution | null = requirementsOf(level).reexec
      ? await this.verifier.dispatch({ turnId, modelId: chatModel.modelId, modelHash: chatModel.modelHash, prompt: assembled.prompt, params, kind: 'requested' })
      : null;
    return { turnId, turn, context, embedder, chatModel, params, assembled, retrievedAt, level, attachedModels, reexecution };
  }

  /** The receipt the turn's level asks for (none at level none), and how long proving took. */
  private async proveTurn(prepared: PreparedTurn, generated: Generated, attachedRuns: AttachedRun[] | null): Promise<{ proof: Proof | null; verificationMs: number | null }> {
    const { turnId, turn, context, chatModel, assembled, level } = prepared;
    if (level === 'none') return { proof: null, verificationMs: null };
    const started = performance.now();
    const memoryHashes = new Map(context.memories.map((memory) => [memory.id, memory.contentHash]));
    const proof = await this.prove({
      turnId,
      conversationId: turn.conversation_id,
      level,
      personaVersionHash: context.personaVersion.contentHash,
      modelHash: chatModel.modelHash,
      startedAt: turn.started_at!,
      transcript: {
        input: modelInputOf(assembled.prompt, generated.trace),
        output: modelOutputOf(generated.text, generated.trace),
        params: { ...prepared.params },
        memories: assembled.memoryIds.map((id) => ({ id, contentHash: memoryHashes.get(id)! })),
      },
      reexecution: prepared.reexecution,
      attachedRuns,
    });
    return { proof, verificationMs: performance.now() - started };
  }

  /** Stores the reply, the turn's record and its receipt in one statement, if this node still owns the turn. */
  private async record(prepared: PreparedTurn, generated: Generated, { proof, verificationMs }: { proof: Proof | null; verificationMs: number | null }): Promise<StoredReply> {
    const { turnId, turn, chatModel, embedder, assembled, level } = prepared;
    const workerId = this.config.worker.id;
    const stored = await this.turns.complete(
      turn,
      workerId,
      {
        replyText: generated.text,
        modelId: chatModel.modelId,
        modelHash: chatModel.modelHash,
        embeddingModelId: embedder.modelId,
        params: prepared.params,
        prompt: assembled.prompt,
        memoryIds: assembled.memoryIds,
        knowledgeIds: assembled.knowledgeIds,
        ...usageOf(prepared, generated),
        promptTokenIds: generated.trace?.promptTokenIds ?? null,
        outputTokenIds: generated.trace?.outputTokenIds ?? null,
        truncatedPromptTokens: generated.trace?.truncatedTokens ?? null,
        retrievedAt: prepared.retrievedAt,
        firstTokenAt: generated.firstTokenAt ?? new Date(),
        verificationMs,
        nodeAddress: this.identity.address,
      },
      proof ? { id: proof.receipt.id, level, receipt: proof.receipt, transcript: proof.transcript, reexecStatus: proof.reexec } : null,
    );
    if (stored) return stored;
    // The claim did not survive a database crash (it commits without waiting for its flush): this attempt failed
    // and the job's next one claims the turn again.
    if (await this.turns.isQueued(turnId)) throw new ClaimLost(turnId);
    // Another node took the turn over (this one was presumed dead): let its attempt be the one that counts.
    throw new DoppelError(ErrorCode.TurnFailed, `turn ${turnId} is no longer owned by ${workerId}`);
  }

  private async publishDone(
    publisher: TurnStreamPublisher,
    prepared: PreparedTurn,
    generated: Generated,
    stored: StoredReply,
    proof: Proof | null,
    attachedRuns: AttachedRun[] | null,
  ): Promise<void> {
    const { turn, level } = prepared;
    await publisher.finish({
      type: 'done',
      messageId: stored.messageId,
      userMessageId: turn.user_message_id,
      // A send or an edit leaves its message exactly this reply; only a regenerate adds one beside earlier ones.
      alternatives: turn.kind === 'regenerate' ? await this.conversations.replyCount(turn.user_message_id) : 1,
      text: generated.text,
      usage: usageOf(prepared, generated),
      timings: turnTimings(stored.timestamps),
      ...(attachedRuns ? { attachments: attachedRuns.map((run) => run.record) } : {}),
      verification: proof ? turnVerificationOf({ level, reexec: proof.reexec, receiptId: proof.receipt.id, receipt: proof.receipt, transcript: proof.transcript }) : null,
    });
  }

  /** Now and then (VERIFICATION_SPOT_CHECK_RATE), another node re-runs a signed turn later; the outcome is recorded against this node. */
  private spotCheckLater({ turnId, chatModel, assembled, params, level, reexecution }: PreparedTurn, proof: Proof | null): void {
    if (!proof || !requirementsOf(level).signed || reexecution || Math.random() >= this.config.verification.spotCheckRate) return;
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

  /**
   * Runs `work` with a signal that also fires at the turn's deadline (TURN_DEADLINE_MS after it was accepted): a
   * node stops generating at once instead of finishing a reply the consumer was already told failed.
   */
  private async withDeadline<T>(turn: TurnRow, signal: AbortSignal, work: (bounded: AbortSignal) => Promise<T>): Promise<T> {
    // One controller fed by both causes rather than AbortSignal.any, whose weak references cost a node more than the
    // rest of the turn's signal handling together (profile at `load`).
    const bounded = new AbortController();
    const forward = () => bounded.abort(signal.reason);
    if (signal.aborted) forward();
    else signal.addEventListener('abort', forward, { once: true });
    const remainingMs = this.config.turns.deadlineMs - (Date.now() - turn.queued_at.getTime());
    let passed = false;
    const timer = setTimeout(() => {
      passed = true;
      bounded.abort(DEADLINE_PASSED);
    }, Math.max(0, remainingMs));
    try {
      return await work(bounded.signal);
    } catch (error) {
      if (passed && !signal.aborted) {
        throw new DoppelError(ErrorCode.TurnDeadlineExceeded, `No node finished this turn within ${Math.round(this.config.turns.deadlineMs / 1000)} s; send the message again.`);
      }
      throw error;
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', forward);
    }
  }

  /** Streams the model's tokens to the turn's Redis stream as they come; a model error is a ModelFailure. */
  private async generate(
    chatModel: ReturnType<ModelHost['chat']>,
    prompt: Parameters<ReturnType<ModelHost['chat']>['generate']>[0],
    params: SamplingParams,
    signal: AbortSignal,
    publisher: TurnStreamPublisher,
  ): Promise<Generated> {
    let text = '';
    let tokens = 0;
    let firstTokenAt: Date | null = null;
    let trace: GenerationTrace | null = null;
    try {
      for await (const token of chatModel.generate(prompt, params, signal, (generated) => (trace = generated))) {
        firstTokenAt ??= new Date();
        text += token.text;
        tokens++;
        publisher.token(token.text);
      }
    } catch (error) {
      if (signal.aborted) throw error;
      throw new ModelFailure(error);
    }
    await publisher.drain();
    return { text, tokens, firstTokenAt, trace };
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
    attachedRuns: AttachedRun[] | null;
  }): Promise<Proof> {
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
    if (requirementsOf(input.level).tee) receipt.evidence = { ...receipt.evidence, tee: this.identity.teeEvidence! };
    // Proving the attached models (seconds, in the prover's process) overlaps the wait for the checking node.
    const sealing = input.attachedRuns ? this.attached.seal(receipt, input.attachedRuns, input.level) : null;
    sealing?.catch(() => {});
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
    await sealing;
    return { receipt, transcript: input.transcript, reexec };
  }

  /**
   * The gateway only accepts a level some live node can serve, but any node of the model may take the job: one that
   * cannot prove a level fails the turn loudly rather than return it with less proof than was asked.
   */
  private assertLevelsServable(level: VerificationLevel, attachedModels: readonly string[] | undefined): void {
    const required = requirementsOf(level);
    if (required.tee && !this.identity.teeEvidence) {
      throw new DoppelError(ErrorCode.VerificationUnavailable, `Node ${this.identity.address} has no TEE attestation binding its key, so it cannot serve level tee.`);
    }
    this.attached.assertServable(level, attachedModels);
  }

  /** Marks the turn failed (unless it already finished) and tells the consumer why. */
  async fail(turnId: string, code: ErrorCode, message: string): Promise<void> {
    // A turn already stored done (or failed) keeps its outcome: its consumer must never get an error after a done.
    if (!(await this.turns.fail(turnId, code, message))) return;
    await this.publisherFor(turnId, 0).finish({ type: 'error', code, message });
  }

  private publisherFor(turnId: string, chunkIntervalMs: number): TurnStreamPublisher {
    return this.publishers.forTurn(turnId, chunkIntervalMs);
  }

  private async publishStoredDone(publisher: TurnStreamPublisher, turn: TurnRow): Promise<void> {
    await publisher.finish({ type: 'done', ...(await this.lookup.storedDone(turn)) });
  }
}

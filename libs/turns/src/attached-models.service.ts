// A persona's attached small models (issue 17): run on every reply beside the chat model, listed in the receipt,
// signed at level signed and proven at level zk. The models are tiny fixed-point MLPs (microseconds on this
// thread); the reply's embedding comes from the node's embedder like every other embedding; proving runs in the
// separately installed GPL-3.0 prover (apps/zk-prover), a child process, so seconds of proving never block this
// process's event loop. Without the prover the node says so at start and never serves level zk.
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@doppel/config';
import type { EmbeddingBackend } from '@doppel/inference';
import { DoppelError, ErrorCode } from '@doppel/protocol';
import { attachmentsStatementOf, requirementsOf, signAttachments, type AttachmentRecord, type Receipt, type VerificationLevel } from '@doppel/verification';
import {
  attachableModel,
  attachmentInputHash,
  bindingOf,
  compiledCircuit,
  defaultProverDir,
  proverInstalled,
  runAttachment,
  witnessInputOf,
  ZkModelError,
  ZkProverClient,
  type AttachmentResult,
  type CompiledCircuit,
  type ZkAttachmentProof,
  type ZkModel,
} from '@doppel/zkml';
import { NodeIdentity } from './node-identity.service';

/** One attached model's run on one reply. */
export interface AttachedRun {
  model: ZkModel;
  result: AttachmentResult;
  record: AttachmentRecord;
}

@Injectable()
export class AttachedModels implements OnApplicationShutdown {
  private readonly logger = new Logger(AttachedModels.name);
  private prover: ZkProverClient | null = null;
  private proverUnavailable = 'the prover has not been looked for yet';
  private readonly proverDir = defaultProverDir(process.cwd());
  /** Per process: two workers on one machine never compile into the same folder. */
  private readonly circuitDir = join(tmpdir(), 'doppel-zk-circuits', String(process.pid));
  private readonly circuits = new Map<string, Promise<CompiledCircuit>>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly identity: NodeIdentity,
  ) {}

  /** Looks for the optional prover and starts it; compiles the attachable models' circuits in the background. */
  async start(): Promise<{ available: boolean; reason?: string }> {
    if (!proverInstalled(this.proverDir)) {
      this.proverUnavailable = `the zk prover is not installed at ${this.proverDir} (it is GPL-3.0 and optional: cd apps/zk-prover && npm ci)`;
      this.logger.log(`level zk unavailable on this node: ${this.proverUnavailable}`);
      return { available: false, reason: this.proverUnavailable };
    }
    try {
      this.prover = await ZkProverClient.start(this.proverDir);
    } catch (error) {
      this.proverUnavailable = (error as Error).message;
      this.logger.warn(`level zk unavailable on this node: ${this.proverUnavailable}`);
      return { available: false, reason: this.proverUnavailable };
    }
    this.logger.log(`level zk available: prover at ${this.proverDir}`);
    return { available: true };
  }

  get zkAvailable(): boolean {
    return this.prover !== null;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.prover?.close().catch(() => {});
    await rm(this.circuitDir, { recursive: true, force: true }).catch(() => {});
  }

  /** Level zk needs this node's prover and at least one attached model with a proving key; otherwise the turn fails loudly. */
  assertServable(level: VerificationLevel, names: readonly string[] | undefined): void {
    if (!requirementsOf(level).zk) return;
    if (!this.prover) throw new DoppelError(ErrorCode.VerificationUnavailable, `Node ${this.identity.address} has no zk prover (${this.proverUnavailable}), so it cannot serve level zk.`, { level: 'zk' });
    if (!names || names.length === 0) {
      throw new DoppelError(ErrorCode.VerificationUnavailable, 'Level zk proves the persona\'s attached small models, and this persona has none (attachedModels).', { level: 'zk' });
    }
    for (const name of names) {
      const model = this.load(name);
      // Compiling the witness generator overlaps the chat model's generation on a node's first zk turn.
      void this.circuit(model).catch(() => {});
      if (!model.zkeyPath) throw new DoppelError(ErrorCode.VerificationUnavailable, `Node ${this.identity.address} has no proving key for ${name} (zk/model.zkey), so it cannot serve level zk.`, { level: 'zk', model: name });
    }
  }

  /** Runs every attached model on the reply's embedding; null when the persona attaches none. */
  async run(names: readonly string[] | undefined, replyText: string, embedder: EmbeddingBackend): Promise<AttachedRun[] | null> {
    if (!names || names.length === 0) return null;
    const models = names.map((name) => this.load(name));
    for (const model of models) {
      if (model.config.input.embeddingModel !== embedder.modelId) {
        throw new DoppelError(ErrorCode.ModelUnavailable, `The attached model ${model.name} reads ${model.config.input.embeddingModel} embeddings; node ${this.identity.address} embeds with ${embedder.modelId}.`, { model: model.name });
      }
    }
    const [vector] = await embedder.embed([replyText]);
    return models.map((model) => {
      const result = runAttachment(model, vector!);
      const record: AttachmentRecord = {
        model: model.name,
        modelHash: model.modelHash,
        verificationKeyHash: model.verificationKeyHash,
        inputHash: attachmentInputHash(result.input),
        output: result.output,
        scores: result.scores,
        top: result.top,
      };
      return { model, result, record };
    });
  }

  /** Lists the results in the receipt, signs them when the receipt is signed, proves them when it claims zk. */
  async seal(receipt: Receipt, runs: AttachedRun[], level: VerificationLevel): Promise<void> {
    const records = runs.map((run) => run.record);
    receipt.evidence = { ...receipt.evidence, attachments: records };
    const required = requirementsOf(level);
    if (required.signed) receipt.signatures.attachments = await signAttachments(this.identity.wallet, this.identity.domain, attachmentsStatementOf(receipt.message, records));
    if (required.zk) receipt.evidence.zk = { attachments: await Promise.all(runs.map((run) => this.prove(run, receipt.message.outputHash))) };
  }

  private async prove(run: AttachedRun, outputHash: string): Promise<ZkAttachmentProof> {
    if (!this.prover || !run.model.zkeyPath) throw new DoppelError(ErrorCode.VerificationUnavailable, `Node ${this.identity.address} cannot prove ${run.model.name}.`, { level: 'zk' });
    const circuit = await this.circuit(run.model);
    const proof = await this.prover.prove({ wasm: circuit.wasm, zkey: run.model.zkeyPath }, witnessInputOf(run.result.input.map(BigInt), bindingOf(outputHash)));
    return { model: run.model.name, modelHash: run.model.modelHash, verificationKeyHash: run.model.verificationKeyHash!, publicSignals: proof.publicSignals, proof: proof.proof };
  }

  /** The witness generator, compiled once per model per process (circom2, in the prover's own process). */
  private circuit(model: ZkModel): Promise<CompiledCircuit> {
    let compiled = this.circuits.get(model.name);
    if (!compiled) {
      compiled = compiledCircuit(model, this.proverDir, this.circuitDir);
      compiled.catch(() => this.circuits.delete(model.name));
      this.circuits.set(model.name, compiled);
    }
    return compiled;
  }

  private load(name: string): ZkModel {
    try {
      return attachableModel(this.config.models.dir, name);
    } catch (error) {
      if (error instanceof ZkModelError) throw new DoppelError(ErrorCode.ModelUnavailable, `Node ${this.identity.address}: ${error.message}.`, { model: name });
      throw error;
    }
  }
}

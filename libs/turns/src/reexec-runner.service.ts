// Checking-node side of verification: re-run another node's inference and report what came out.
import { Inject, Injectable, Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import { APP_CONFIG, type AppConfig } from '@doppel/config';
import { ModelHost } from '@doppel/models';
import { NodesRepository } from '@doppel/nodes';
import type { ReexecJob } from '@doppel/queue';
import { REDIS, retryClusterRefusals } from '@doppel/redis';
import { hashCanonical, signReexecution } from '@doppel/verification';
import { NodeIdentity } from './node-identity.service';
import { executeForCheck, type ReexecReply } from './reexecution';

@Injectable()
export class ReexecRunner {
  private readonly logger = new Logger(ReexecRunner.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly models: ModelHost,
    private readonly identity: NodeIdentity,
    private readonly nodes: NodesRepository,
  ) {}

  async run(job: ReexecJob, signal: AbortSignal): Promise<void> {
    const reply = await this.check(job, signal);
    const resultKey = job.resultKey;
    if (job.kind === 'requested' && resultKey) {
      await retryClusterRefusals(() => this.redis.multi().rpush(resultKey, JSON.stringify(reply)).expire(resultKey, 600).exec());
      return;
    }
    if (job.expected) {
      const matched = reply.signature !== null && reply.inputHash === job.expected.inputHash && reply.outputHash === job.expected.outputHash;
      await this.nodes.recordReexecution({
        turnId: job.turnId,
        servingNode: job.servingNode,
        checkingNode: this.identity.address,
        kind: 'spot_check',
        matched,
        detail: matched ? undefined : reply.detail ?? 'output differs',
      });
      if (!matched) this.logger.warn(`spot check of turn ${job.turnId} by ${job.servingNode}: mismatch`);
    }
  }

  private async check(job: ReexecJob, signal: AbortSignal): Promise<ReexecReply> {
    const refuse = (detail: string): ReexecReply => ({ node: this.identity.address, inputHash: '', outputHash: '', signature: null, detail });
    if (job.servingNode === this.identity.address) return refuse('a node never re-executes its own turn');
    let backend;
    try {
      backend = this.models.chat(job.modelId);
    } catch {
      return refuse(`this node does not serve ${job.modelId}`);
    }
    if (backend.modelHash !== job.modelHash) return refuse(`this node's ${job.modelId} has another content hash`);
    const result = await executeForCheck(backend, job.prompt, job.params, signal);
    let outputHash = result.outputHash;
    if (this.config.verification.faultyReexec) {
      // TEST ONLY (FAULTY_REEXEC): behave like a node whose model computes something else.
      outputHash = hashCanonical({ text: `${result.text} [faulty]`, tokenIds: result.trace?.outputTokenIds ?? null });
    }
    const signature = await signReexecution(this.identity.wallet, this.identity.domain, {
      turnId: job.turnId,
      modelHash: `0x${job.modelHash}`,
      inputHash: result.inputHash,
      paramsHash: hashCanonical(job.params),
      outputHash,
      node: this.identity.wallet.address,
    });
    return { node: this.identity.address, inputHash: result.inputHash, outputHash, signature };
  }
}

// Serving-node side of verification: pick a checking node, dispatch the re-execution early (in parallel with
// generation), wait for its reply, and sign receipts.
import { randomInt } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { APP_CONFIG, type AppConfig } from '@doppel/config';
import type { ChatPrompt, SamplingParams } from '@doppel/inference';
import { LiveNodesCache, NodeRegistry, NodesRepository } from '@doppel/nodes';
import { DoppelError, ErrorCode } from '@doppel/protocol';
import { JOB_OPTIONS, JobName, nodeQueueName, ProducerQueues } from '@doppel/queue';
import { REDIS } from '@doppel/redis';
import { NodeIdentity } from './node-identity.service';
import { reexecResultKey, type ReexecReply } from './reexecution';

export interface PendingReexecution {
  checkingNodeId: string;
  wait(): Promise<ReexecReply>;
}

@Injectable()
export class TurnVerifier {
  private readonly liveNodes: LiveNodesCache;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly identity: NodeIdentity,
    private readonly nodes: NodesRepository,
    private readonly queues: ProducerQueues,
    registry: NodeRegistry,
  ) {
    this.liveNodes = new LiveNodesCache(registry);
  }

  /**
   * Sends the model input to another live, unrevoked node serving the same model bytes. Throws
   * VERIFICATION_UNAVAILABLE when there is none: a level is never quietly lowered.
   */
  async dispatch(job: { turnId: string; modelId: string; modelHash: string; prompt: ChatPrompt; params: SamplingParams; kind: 'requested' | 'spot_check'; expected?: { inputHash: string; outputHash: string } }): Promise<PendingReexecution> {
    const trusted = await this.nodes.trustedAddresses();
    const candidates = (await this.liveNodes.withChatModel(job.modelId, { fresh: true })).filter(
      (node) =>
        node.address !== this.identity.address &&
        trusted.has(node.address) &&
        node.chatModels.some((model) => model.modelId === job.modelId && model.modelHash === job.modelHash),
    );
    if (candidates.length === 0) {
      throw new DoppelError(
        ErrorCode.VerificationUnavailable,
        `Re-execution needs a second live node serving ${job.modelId} with the same weights; none is available.`,
      );
    }
    const checker = candidates[randomInt(candidates.length)]!;
    const resultKey = reexecResultKey(this.config.redis.prefix, job.turnId);
    await this.redis.del(resultKey);
    await this.queues.get<JobName.Reexec>(nodeQueueName(checker.nodeId)).add(
      JobName.Reexec,
      { ...job, servingNode: this.identity.address, resultKey: job.kind === 'requested' ? resultKey : undefined },
      JOB_OPTIONS[JobName.Reexec],
    );
    return {
      checkingNodeId: checker.nodeId,
      wait: () => this.waitForReply(resultKey, checker.nodeId),
    };
  }

  private async waitForReply(resultKey: string, checkingNodeId: string): Promise<ReexecReply> {
    const blocking = this.redis.duplicate();
    try {
      const reply = await blocking.blpop(resultKey, this.config.verification.reexecTimeoutMs / 1000);
      if (!reply) {
        throw new DoppelError(
          ErrorCode.VerificationUnavailable,
          `Node ${checkingNodeId} did not finish the re-execution within ${this.config.verification.reexecTimeoutMs} ms.`,
        );
      }
      return JSON.parse(reply[1]) as ReexecReply;
    } finally {
      blocking.disconnect();
    }
  }

}

// This node's Ethereum identity and its durable registration.
import { join } from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@doppel/config';
import { NodesRepository } from '@doppel/nodes';
import { loadNodeWallet, type NodeWallet, type ReceiptDomain, type ReceiptEvidence } from '@doppel/verification';

@Injectable()
export class NodeIdentity {
  private loaded: NodeWallet | null = null;
  readonly domain: ReceiptDomain;
  /** This node's verified attestation binding its key, when it runs in a TEE (set by the attester); null elsewhere. */
  teeEvidence: NonNullable<ReceiptEvidence['tee']> | null = null;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly nodes: NodesRepository,
  ) {
    this.domain = { name: 'Doppel', version: '1', chainId: config.verification.chainId };
  }

  async load(chatModels: { modelId: string; modelHash: string }[]): Promise<void> {
    this.loaded = await loadNodeWallet({
      privateKey: this.config.verification.nodePrivateKey,
      keystorePath: join(this.config.verification.keystoreDir, `${this.config.worker.id}.json`),
      keystorePassword: this.config.verification.keystorePassword,
    });
    await this.nodes.register(this.loaded.address, this.config.worker.id, chatModels);
  }

  get wallet(): NodeWallet {
    if (!this.loaded) throw new Error('NodeIdentity.load() has not run');
    return this.loaded;
  }

  /** Lowercase, as stored and compared everywhere. */
  get address(): string {
    return this.wallet.address.toLowerCase();
  }
}

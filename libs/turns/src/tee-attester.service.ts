// Worker side of level tee: ask the platform for evidence binding this node's key, check it like any verifier
// would, keep it on the node's record, and renew it before it goes stale. Without TEE hardware it logs why once
// and the node never claims the level.
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { AttestationError, attestNode, verifyEvidenceDocument, assertKeyBinding, type AttesterResult } from '@doppel/attestation';
import { APP_CONFIG, type AppConfig } from '@doppel/config';
import { NodeAttestationsRepository } from '@doppel/nodes';
import { NodeIdentity } from './node-identity.service';

@Injectable()
export class TeeAttester implements OnApplicationShutdown {
  private readonly logger = new Logger(TeeAttester.name);
  private timer: NodeJS.Timeout | null = null;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly identity: NodeIdentity,
    private readonly attestations: NodeAttestationsRepository,
  ) {}

  /** Attests once now; on success renews at half the allowed age. Returns what the platform said. */
  async start(): Promise<AttesterResult> {
    const result = await this.attestOnce();
    if (result.available) {
      this.timer = setInterval(() => void this.attestOnce(), Math.max(60_000, this.config.verification.teeAttestationMaxAgeMs / 2));
      this.timer.unref();
    }
    return result;
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private async attestOnce(): Promise<AttesterResult> {
    const result = await attestNode(this.identity.wallet.address, { nsmHelper: this.config.tee.nsmHelper, endorsementsDir: this.config.tee.endorsementsDir });
    if (!result.available) {
      this.identity.teeEvidence = null;
      this.logger.log(`level tee unavailable on this node: ${result.reason}`);
      return result;
    }
    const now = new Date();
    try {
      const attestation = verifyEvidenceDocument(result.evidence, { now });
      assertKeyBinding(attestation, this.identity.wallet.address, result.evidence.boundAt, { now, maxAgeMs: this.config.verification.teeAttestationMaxAgeMs });
      await this.attestations.record({
        nodeAddress: this.identity.address,
        platform: attestation.platform,
        measurement: attestation.measurement,
        evidence: Buffer.from(JSON.stringify(result.evidence), 'utf8'),
        boundAt: new Date(result.evidence.boundAt),
        verifiedAt: now,
      });
      this.identity.teeEvidence = result.evidence;
      this.logger.log(`attested on ${attestation.platform}: measurement ${attestation.measurement.slice(0, 24)}…`);
      return result;
    } catch (error) {
      this.identity.teeEvidence = null;
      const reason = error instanceof AttestationError ? `${error.failure}: ${error.message}` : (error as Error).message;
      this.logger.warn(`this node's own attestation did not verify, so it does not claim level tee: ${reason}`);
      return { available: false, reason };
    }
  }
}

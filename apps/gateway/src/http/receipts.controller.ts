import { Body, Controller, Get, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import type { Account } from '@doppel/accounts';
import { teeReceiptCheck } from '@doppel/attestation';
import { APP_CONFIG, type AppConfig } from '@doppel/config';
import { NodesRepository, TeeMeasurementsRepository } from '@doppel/nodes';
import { SettlementRepository } from '@doppel/settlement';
import { DoppelError, ErrorCode } from '@doppel/protocol';
import { TurnLookup } from '@doppel/turns';
import { verifyReceipt, type Receipt, type ReceiptTranscript, type ReceiptVerification } from '@doppel/verification';
import { trustedZkModelsIn, zkKeyring, zkLevelCheck, type ZkKeyring } from '@doppel/zkml';
import { CurrentAccount } from '../auth/api-key.guard';
import { openApiSchema, ZodValidationPipe } from './zod-validation.pipe';

const hex32 = z.string().regex(/^0x[0-9a-f]{64}$/);
const receiptSchema = z.object({
  id: z.string().max(64),
  domain: z.object({ name: z.string().max(64), version: z.string().max(16), chainId: z.number().int() }),
  message: z.object({
    turnId: z.string().max(64),
    conversationId: z.string().max(64),
    personaVersionHash: hex32,
    modelHash: hex32,
    inputHash: hex32,
    outputHash: hex32,
    paramsHash: hex32,
    memoriesHash: hex32,
    node: z.string().regex(/^0x[0-9a-fA-F]{40}$/),
    startedAt: z.number().int().nonnegative(),
    finishedAt: z.number().int().nonnegative(),
    level: z.string().max(64).regex(/^(none|[a-z]+(\+[a-z]+)*)$/),
  }),
  signatures: z.object({
    node: z.string().max(200).optional(),
    reexec: z.object({ node: z.string().regex(/^0x[0-9a-fA-F]{40}$/), signature: z.string().max(200) }).optional(),
  }),
  evidence: z
    .object({
      tee: z
        .object({
          platform: z.enum(['nitro', 'sev-snp', 'tdx']),
          document: z.string().max(200_000),
          boundAt: z.number().int().nonnegative(),
          endorsements: z.record(z.string().max(64), z.string().max(100_000)).optional(),
        })
        .optional(),
    })
    .passthrough()
    .optional(),
});
const verifyBodySchema = z.strictObject({
  receipt: receiptSchema.passthrough(),
  transcript: z
    .object({
      input: z.union([z.object({ tokenIds: z.array(z.number().int()) }), z.object({ messages: z.array(z.object({ role: z.string(), content: z.string() })) })]),
      output: z.object({ text: z.string(), tokenIds: z.array(z.number().int()).nullable() }),
      params: z.record(z.string(), z.unknown()),
      memories: z.array(z.object({ id: z.string(), contentHash: z.string() })),
    })
    .optional(),
});

@ApiTags('receipts')
@ApiBearerAuth()
@Controller('receipts')
export class ReceiptsController {
  constructor(
    private readonly turns: TurnLookup,
    private readonly nodes: NodesRepository,
    private readonly measurements: TeeMeasurementsRepository,
    private readonly settlements: SettlementRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get('zk-keys/:modelHash')
  @ApiOperation({ summary: "The Groth16 verification key this deployment trusts for an attached model (by the sha256 of its ONNX file), with the shape it was made for: what a browser checks a zk receipt's proof against. Compare verificationKeyHash with the model's published zk/setup.json." })
  zkKey(@Param('modelHash') modelHash: string) {
    const trusted = this.zkKeys().byModelHash(modelHash.toLowerCase());
    if (!trusted) throw new DoppelError(ErrorCode.ModelNotFound, `No zk-capable model with hash ${modelHash.slice(0, 80)} is installed here.`);
    return trusted;
  }

  @Get(':id')
  @ApiOperation({ summary: "A receipt and its transcript: the consumer's own turns only." })
  async get(@CurrentAccount() account: Account, @Param('id') id: string) {
    const row = await this.turns.ownedReceipt(id, account.id);
    if (!row) throw new DoppelError(ErrorCode.ReceiptNotFound, `Receipt ${id} does not exist or is not yours.`);
    return { id: row.id, turnId: row.turn_id, messageId: row.message_id, level: row.level, reexec: row.reexec_status, receipt: row.receipt, transcript: row.transcript, createdAt: row.created_at };
  }

  @Get(':id/inclusion')
  @ApiOperation({ summary: "Where the receipt is settled (docs/receipts.md, Settlement): batch, leaf, Merkle proof, root, and the transaction that posted it (null until posted). 404 while the receipt is in no batch." })
  async inclusion(@CurrentAccount() account: Account, @Param('id') id: string) {
    const owned = await this.turns.ownedReceipt(id, account.id);
    if (!owned) throw new DoppelError(ErrorCode.ReceiptNotFound, `Receipt ${id} does not exist or is not yours.`);
    const inclusion = await this.settlements.inclusionOf(owned.id);
    if (!inclusion) throw new DoppelError(ErrorCode.ReceiptNotFound, `Receipt ${id} is in no settlement batch yet.`);
    return { ...inclusion, registry: this.config.settlement?.registryAddress ?? null };
  }

  @Post('verify')
  @HttpCode(200)
  @ApiOperation({ summary: 'Check a receipt, level by level (claimed, proven): signatures, signers registered and not revoked, tee evidence against approved measurements, zk proofs against the verification keys of the models in MODELS_DIR, and (with a transcript) every hash.' })
  @ApiBody({ schema: openApiSchema(verifyBodySchema) })
  async verify(@Body(new ZodValidationPipe(verifyBodySchema, 'receipt')) body: z.infer<typeof verifyBodySchema>): Promise<ReceiptVerification> {
    const trusted = await this.nodes.trustedAddresses();
    const tee = teeReceiptCheck({
      maxAgeMs: this.config.verification.teeAttestationMaxAgeMs,
      isApproved: (modelHash, platform, measurement) => this.measurements.isApprovedForModelHash(modelHash, platform, measurement),
    });
    const zk = zkLevelCheck(this.zkKeys());
    return verifyReceipt(body.receipt as unknown as Receipt, { isTrusted: (address) => trusted.has(address.toLowerCase()) }, body.transcript as ReceiptTranscript | undefined, { checks: { tee, zk } });
  }

  private zkKeyring: ZkKeyring | null = null;

  /** The verification keys of the zk-capable models in MODELS_DIR, read once. */
  private zkKeys(): ZkKeyring {
    this.zkKeyring ??= zkKeyring(trustedZkModelsIn(this.config.models.dir));
    return this.zkKeyring;
  }
}

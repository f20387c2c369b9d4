import { Body, Controller, Delete, Get, HttpCode, Param, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { z } from 'zod';
import type { Account } from '@doppel/accounts';
import { DoppelError, ErrorCode } from '@doppel/protocol';
import { SharesGateService, WalletLinksService, type TwinMarketView, type WalletChallenge } from '@doppel/twin-shares';
import { CurrentAccount } from '../auth/api-key.guard';
import { openApiSchema, ZodValidationPipe } from './zod-validation.pipe';

const challengeSchema = z.strictObject({ address: z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'an Ethereum address') });
const linkSchema = z.strictObject({ message: z.string().min(1).max(2000), signature: z.string().regex(/^0x[0-9a-fA-F]{130}$/, 'a 65-byte signature as hex') });

/** The site the consumer signs in to: the browser's Origin, else this gateway as the request reached it. */
function originOf(request: Request): string {
  const origin = request.headers.origin;
  if (typeof origin === 'string' && /^https?:\/\/[^/]+$/.test(origin)) return origin;
  return `${request.protocol}://${request.get('host') ?? 'localhost'}`;
}

@ApiTags('wallets')
@ApiBearerAuth()
@Controller()
export class WalletsController {
  constructor(
    private readonly links: WalletLinksService,
    private readonly gate: SharesGateService,
  ) {}

  @Post('wallets/challenge')
  @HttpCode(201)
  @ApiOperation({ summary: 'A Sign-In with Ethereum (EIP-4361) message for your wallet to sign (personal_sign); valid 10 minutes, once.' })
  @ApiBody({ schema: openApiSchema(challengeSchema) })
  challenge(@CurrentAccount() account: Account, @Req() request: Request, @Body(new ZodValidationPipe(challengeSchema, 'challenge')) body: z.infer<typeof challengeSchema>): Promise<WalletChallenge> {
    return this.links.challenge(account.id, body.address, originOf(request));
  }

  @Post('wallets/link')
  @HttpCode(200)
  @ApiOperation({ summary: 'Links the wallet that signed the challenge to your account (it leaves any other account).' })
  @ApiBody({ schema: openApiSchema(linkSchema) })
  link(@CurrentAccount() account: Account, @Body(new ZodValidationPipe(linkSchema, 'link')) body: z.infer<typeof linkSchema>): Promise<{ address: string; chainId: number }> {
    return this.links.link(account.id, body.message, body.signature);
  }

  @Get('wallets/me')
  async mine(@CurrentAccount() account: Account): Promise<{ address: string | null }> {
    return { address: (await this.links.linked(account.id)) ?? null };
  }

  @Delete('wallets/me')
  @HttpCode(204)
  async unlink(@CurrentAccount() account: Account): Promise<void> {
    await this.links.unlink(account.id);
  }

  @Get('twins/:twinId/market')
  @ApiOperation({ summary: "A twin's shares: supply, what the next share costs (fees included), and your wallet's holding." })
  market(@CurrentAccount() account: Account, @Param('twinId') twinId: string): Promise<TwinMarketView> {
    if (!/^0x[0-9a-fA-F]{64}$/.test(twinId)) throw new DoppelError(ErrorCode.ValidationFailed, 'A twin id is 32 bytes as 0x-prefixed hex.');
    return this.gate.market(twinId.toLowerCase(), account.id);
  }
}

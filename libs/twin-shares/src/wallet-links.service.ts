// Links a wallet to an account: the gateway issues a Sign-In with Ethereum message with a one-time nonce, the
// consumer's wallet signs it (personal_sign), and the gateway recovers the signer. No key ever leaves the wallet.
import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { getAddress, isAddress, verifyMessage } from 'ethers';
import type Redis from 'ioredis';
import { APP_CONFIG, type AppConfig } from '@doppel/config';
import { DoppelError, ErrorCode } from '@doppel/protocol';
import { REDIS, walletChallengeKey } from '@doppel/redis';
import { nonceOf, signInMessage } from './sign-in-message';
import { WalletRepository } from './wallet.repository';

const CHALLENGE_TTL_SECONDS = 600;

export interface WalletChallenge {
  message: string;
  nonce: string;
  expiresAt: string;
}

const invalid = (message: string) => new DoppelError(ErrorCode.WalletLinkInvalid, message);

@Injectable()
export class WalletLinksService {
  constructor(
    private readonly wallets: WalletRepository,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** `origin`: the site the consumer is on (scheme://host[:port]); the message names it so it cannot be replayed elsewhere. */
  async challenge(accountId: string, address: string, origin: string): Promise<WalletChallenge> {
    if (!isAddress(address)) throw invalid(`${JSON.stringify(address)} is not an Ethereum address.`);
    const url = new URL(origin);
    const nonce = randomBytes(16).toString('hex');
    const issuedAt = new Date();
    const expiresAt = new Date(issuedAt.getTime() + CHALLENGE_TTL_SECONDS * 1000);
    const message = signInMessage({
      domain: url.host,
      address,
      uri: url.origin,
      chainId: this.config.chain.chainId,
      nonce,
      issuedAt,
      expiresAt,
      statement: 'Link this wallet to my Doppel account, so that my twin shares can open gated personas.',
    });
    await this.redis.set(walletChallengeKey(this.config.redis.prefix, nonce), JSON.stringify({ accountId, address: getAddress(address), message }), 'EX', CHALLENGE_TTL_SECONDS);
    return { message, nonce, expiresAt: expiresAt.toISOString() };
  }

  /** Checks the signed challenge (once: the nonce is consumed) and links its address. */
  async link(accountId: string, message: string, signature: string): Promise<{ address: string; chainId: number }> {
    const nonce = nonceOf(message);
    if (!nonce) throw invalid('The message is not a challenge from this gateway (no nonce); ask for one with POST /wallets/challenge.');
    const stored = await this.redis.getdel(walletChallengeKey(this.config.redis.prefix, nonce));
    if (!stored) throw invalid('This challenge is unknown, expired or already used; ask for a new one with POST /wallets/challenge.');
    const challenge = JSON.parse(stored) as { accountId: string; address: string; message: string };
    if (challenge.accountId !== accountId || challenge.message !== message) throw invalid('The signed message differs from the challenge issued to this account.');
    let signer: string;
    try {
      signer = verifyMessage(message, signature);
    } catch {
      throw invalid('The signature is not a valid Ethereum signature of the message.');
    }
    if (signer !== challenge.address) throw invalid(`The message was signed by ${signer}, not by ${challenge.address}.`);
    await this.wallets.link(accountId, signer, this.config.chain.chainId);
    return { address: signer, chainId: this.config.chain.chainId };
  }

  async linked(accountId: string): Promise<string | undefined> {
    const address = await this.wallets.addressOf(accountId);
    return address ? getAddress(address) : undefined;
  }

  unlink(accountId: string): Promise<void> {
    return this.wallets.unlink(accountId);
  }
}

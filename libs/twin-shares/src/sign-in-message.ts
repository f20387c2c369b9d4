// Sign-In with Ethereum (EIP-4361) messages: the text a wallet signs to prove it controls an address.
import { getAddress } from 'ethers';

export interface SignInFields {
  domain: string;
  address: string;
  uri: string;
  chainId: number;
  nonce: string;
  issuedAt: Date;
  expiresAt: Date;
  statement: string;
}

/** The message exactly as EIP-4361 lays it out (address in EIP-55 checksum form). */
export function signInMessage(fields: SignInFields): string {
  return [
    `${fields.domain} wants you to sign in with your Ethereum account:`,
    getAddress(fields.address),
    '',
    fields.statement,
    '',
    `URI: ${fields.uri}`,
    'Version: 1',
    `Chain ID: ${fields.chainId}`,
    `Nonce: ${fields.nonce}`,
    `Issued At: ${fields.issuedAt.toISOString()}`,
    `Expiration Time: ${fields.expiresAt.toISOString()}`,
  ].join('\n');
}

/** The nonce line of a message this module wrote, or undefined. */
export function nonceOf(message: string): string | undefined {
  return /^Nonce: ([A-Za-z0-9]{8,64})$/m.exec(message)?.[1];
}

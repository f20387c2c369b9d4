// A publisher may sign what they publish with their Ethereum key (EIP-712), so anyone can check who vouched for a
// model without trusting the hub. The hub checks the signature on upload and keeps it with the version.
import { verifyTypedData, type TypedDataDomain } from 'ethers';
import { DoppelError, ErrorCode } from '@doppel/protocol';

export const PUBLICATION_TYPES = {
  ModelPublication: [
    { name: 'name', type: 'string' },
    { name: 'modelHash', type: 'bytes32' },
    { name: 'cardHash', type: 'bytes32' },
  ],
} as const;

export interface Publication {
  name: string;
  /** The model hash as bytes32 (0x + 64 hex). */
  modelHash: string;
  /** sha256 of the card's Markdown as bytes32. */
  cardHash: string;
}

export function publicationDomain(chainId: number): TypedDataDomain {
  return { name: 'Doppel Hub', version: '1', chainId };
}

export function publicationOf(name: string, modelHashHex: string, cardHashHex: string): Publication {
  return { name, modelHash: `0x${modelHashHex}`, cardHash: `0x${cardHashHex}` };
}

/** The signer's address (lowercase) when `signature` is theirs over `publication`; HUB_SIGNATURE_INVALID otherwise. */
export function checkPublicationSignature(publication: Publication, signer: string, signature: string, chainId: number): string {
  let recovered: string;
  try {
    recovered = verifyTypedData(publicationDomain(chainId), { ModelPublication: [...PUBLICATION_TYPES.ModelPublication] }, publication, signature).toLowerCase();
  } catch (error) {
    throw new DoppelError(ErrorCode.HubSignatureInvalid, `The publication signature cannot be read: ${(error as Error).message.split(' (')[0]}.`);
  }
  if (recovered !== signer.toLowerCase()) {
    throw new DoppelError(
      ErrorCode.HubSignatureInvalid,
      `The publication signature is by ${recovered}, not ${signer.toLowerCase()}: sign ModelPublication { name, modelHash, cardHash } for this model (docs: README, "Model hub").`,
    );
  }
  return recovered;
}

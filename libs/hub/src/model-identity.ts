// A hub model's id is its model hash, the same value a receipt's modelHash carries (docs/receipts.md), so a receipt
// points straight at the hub entry that served it. Three kinds of entry, three hashes:
//   files:  the manifest hash over every model file (libs/models' manifestHash, what nodes check before loading)
//   remote: the declared hash of an OpenAI-compatible endpoint (what the registry records for it)
//   card:   a listing with neither, sha256 of canonical JSON { "card": "<the card Markdown>" }
import { openAiModelHash } from '@doppel/inference';
import { manifestHash, type ModelFile } from '@doppel/models';
import { canonicalJson, sha256Hex } from '@doppel/protocol';

export function filesModelHash(files: readonly ModelFile[]): string {
  return manifestHash(files);
}

export function remoteModelHash(remote: { baseUrl: string; upstreamModel: string }): string {
  return openAiModelHash(remote.baseUrl, remote.upstreamModel);
}

export function cardOnlyModelHash(cardMarkdown: string): string {
  return sha256Hex(canonicalJson({ card: cardMarkdown }));
}

export function cardHash(cardMarkdown: string): string {
  return sha256Hex(cardMarkdown);
}

/** "0x…" (a receipt's bytes32) or bare hex, to the bare lowercase hex the hub stores; null if it is neither. */
export function normaliseModelHash(text: string): string | null {
  const hex = text.toLowerCase().replace(/^0x/, '');
  return /^[0-9a-f]{64}$/.test(hex) ? hex : null;
}

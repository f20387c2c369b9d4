import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json';

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export function personaContentHash(definition: unknown): string {
  return sha256Hex(canonicalJson(definition));
}

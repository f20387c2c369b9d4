// How a hub model is named in URLs, config and cards: its hash (bare or 0x-prefixed), `name`, `name@3` or `name@latest`.
import { HUB_NAME_PATTERN } from './model-card';
import { normaliseModelHash } from './model-identity';

export type ModelRef = { kind: 'hash'; modelHash: string } | { kind: 'name'; name: string; version: number | 'latest' };

export function parseModelRef(text: string): ModelRef | null {
  const modelHash = normaliseModelHash(text);
  if (modelHash) return { kind: 'hash', modelHash };
  const at = text.lastIndexOf('@');
  const name = at === -1 ? text : text.slice(0, at);
  const versionText = at === -1 ? 'latest' : text.slice(at + 1);
  if (!HUB_NAME_PATTERN.test(name)) return null;
  if (versionText === 'latest') return { kind: 'name', name, version: 'latest' };
  if (!/^[1-9][0-9]{0,8}$/.test(versionText)) return null;
  return { kind: 'name', name, version: Number(versionText) };
}

export function formatModelRef(ref: ModelRef): string {
  return ref.kind === 'hash' ? ref.modelHash : `${ref.name}@${ref.version}`;
}

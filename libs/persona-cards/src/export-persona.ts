// A persona definition as a file another runtime reads: Eliza v1 JSON, or a Character Card V3 as JSON or PNG, with
// the persona's avatar inside (the PNG card is the avatar itself; JSON files carry it as a data: URI).
import type { PersonaDefinition } from '@doppel/personas';
import { toCharacterCardV2, toCharacterCardV3 } from './character-card';
import { toElizaCharacter } from './eliza-character';
import { buildPngWithTextChunks, withTextChunks } from './png-text-chunks';
import { worldInfoOf } from './world-info';
import type { Lorebook } from '@doppel/personas';

export const EXPORT_FORMATS = ['eliza', 'ccv3', 'ccv3-png'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ExportedCharacter {
  content: Buffer;
  mediaType: string;
  fileName: string;
}

/** `avatarPng`: the persona's stored avatar (a PNG), when it has one. */
export function exportPersona(definition: PersonaDefinition, format: ExportFormat, avatarPng?: Buffer): ExportedCharacter {
  const baseName = fileSlug(definition.name);
  const dataUri = avatarPng ? `data:image/png;base64,${avatarPng.toString('base64')}` : undefined;
  switch (format) {
    case 'eliza':
      return { content: jsonBytes(toElizaCharacter(definition, dataUri)), mediaType: 'application/json', fileName: `${baseName}.character.json` };
    case 'ccv3':
      return { content: jsonBytes(toCharacterCardV3(definition, dataUri)), mediaType: 'application/json', fileName: `${baseName}.card.json` };
    case 'ccv3-png': {
      // Both chunks, as SillyTavern writes them: `chara` (V2) for older readers, `ccv3` for the rest.
      const chunks = [
        { keyword: 'chara', text: jsonBytes(toCharacterCardV2(definition)).toString('base64') },
        { keyword: 'ccv3', text: jsonBytes(toCharacterCardV3(definition, avatarPng ? 'ccdefault:' : undefined)).toString('base64') },
      ];
      return { content: avatarPng ? withTextChunks(avatarPng, chunks) : buildPngWithTextChunks(chunks), mediaType: 'image/png', fileName: `${baseName}.png` };
    }
  }
}

/** A lorebook as SillyTavern World Info JSON. */
export function exportLorebook(lorebook: Lorebook & { name: string }): ExportedCharacter {
  return { content: jsonBytes(worldInfoOf(lorebook)), mediaType: 'application/json', fileName: `${fileSlug(lorebook.name)}.json` };
}

function jsonBytes(value: unknown): Buffer {
  return Buffer.from(`${JSON.stringify(value, null, 2)}\n`, 'utf8');
}

function fileSlug(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 64) || 'persona'
  );
}

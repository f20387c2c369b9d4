// A persona definition as a file another runtime reads: Eliza v1 JSON, or a Character Card V3 as JSON or PNG.
import type { PersonaDefinition } from '@doppel/personas';
import { toCharacterCardV3 } from './character-card';
import { toElizaCharacter } from './eliza-character';
import { buildPngWithTextChunks } from './png-text-chunks';

export const EXPORT_FORMATS = ['eliza', 'ccv3', 'ccv3-png'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ExportedCharacter {
  content: Buffer;
  mediaType: string;
  fileName: string;
}

export function exportPersona(definition: PersonaDefinition, format: ExportFormat): ExportedCharacter {
  const baseName = fileSlug(definition.name);
  switch (format) {
    case 'eliza':
      return { content: jsonBytes(toElizaCharacter(definition)), mediaType: 'application/json', fileName: `${baseName}.character.json` };
    case 'ccv3':
      return { content: jsonBytes(toCharacterCardV3(definition)), mediaType: 'application/json', fileName: `${baseName}.card.json` };
    case 'ccv3-png': {
      const cardBase64 = jsonBytes(toCharacterCardV3(definition)).toString('base64');
      return { content: buildPngWithTextChunks([{ keyword: 'ccv3', text: cardBase64 }]), mediaType: 'image/png', fileName: `${baseName}.png` };
    }
  }
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

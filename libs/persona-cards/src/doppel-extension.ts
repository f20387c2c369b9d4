// Doppel's own fields that neither Eliza nor the card specs have a place for, carried in each format's extension
// slot (Eliza `settings.doppel`, card `data.extensions.doppel`) so an export imports back unchanged.
import { personaDefinitionSchema, type PersonaDefinition } from '@doppel/personas';
import type { ImportReportBuilder } from './import-report';
import type { PersonaDraft } from './imported-persona';
import { isRecord } from './persona-fields';

export const DOPPEL_EXTENSION_KEY = 'doppel';

export type ExtensionField =
  | 'greeting'
  | 'alternateGreetings'
  | 'scenario'
  | 'postHistoryInstructions'
  | 'generation'
  | 'minVerification'
  | 'defaultModel'
  | 'lorebook'
  | 'attachedLorebooks'
  | 'creator'
  | 'creatorNotes'
  | 'characterVersion'
  | 'nickname'
  | 'extensions';

/**
 * The given fields of the definition. `extensions` carries only the other formats' blocks: a format's own block is
 * written back into the file itself.
 */
export function doppelExtensionOf(definition: PersonaDefinition, fields: readonly ExtensionField[], ownBlock?: 'eliza' | 'card'): Record<string, unknown> {
  const carried = fields.filter((field) => definition[field] !== undefined).map((field) => [field, definition[field]] as [string, unknown]);
  return Object.fromEntries(
    carried.flatMap(([field, value]): [string, unknown][] => {
      if (field !== 'extensions' || !ownBlock) return [[field, value]];
      const { [ownBlock]: _own, ...others } = value as Record<string, unknown>;
      return Object.keys(others).length > 0 ? [[field, others]] : [];
    }),
  );
}

/** Each known field is validated on its own, so one bad value drops only itself. */
export function readDoppelExtension(value: unknown, fromPath: string, fields: readonly ExtensionField[], report: ImportReportBuilder): PersonaDraft {
  if (!isRecord(value)) {
    report.drop(fromPath, 'not an object');
    return {};
  }
  const draft: PersonaDraft = {};
  for (const [key, fieldValue] of Object.entries(value)) {
    const fieldPath = `${fromPath}.${key}`;
    if (!(fields as readonly string[]).includes(key)) {
      report.drop(fieldPath, 'not a Doppel field this format carries');
      continue;
    }
    const parsed = personaDefinitionSchema.shape[key as ExtensionField].safeParse(fieldValue);
    if (!parsed.success) {
      report.drop(fieldPath, `not valid: ${parsed.error.issues.map((issue) => issue.message).join('; ')}`);
      continue;
    }
    Object.assign(draft, { [key]: parsed.data });
    report.map(fieldPath, key);
  }
  return draft;
}

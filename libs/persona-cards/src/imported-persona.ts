// The persona an import produces: a create-persona body without visibility, which the importing caller chooses.
import { createPersonaSchema, type CreatePersonaInput } from '@doppel/personas';

export const importedPersonaSchema = createPersonaSchema.omit({ visibility: true });
export type ImportedPersona = Omit<CreatePersonaInput, 'visibility'>;
export type PersonaDraft = Partial<ImportedPersona>;

/** Mirrors the max lengths in libs/personas/src/persona-definition.ts (a spec checks they agree). */
export const TEXT_LIMITS = {
  name: 80,
  description: 2000,
  personality: 2000,
  systemPrompt: 8000,
  greeting: 2000,
  scenario: 2000,
  postHistoryInstructions: 2000,
  exampleUser: 1000,
  examplePersona: 2000,
  exampleDialogues: 20,
  tags: 16,
} as const;

// The persona an import produces: a create-persona body without visibility, which the importing caller chooses.
import { createPersonaSchema, type CreatePersonaInput } from '@doppel/personas';

export const importedPersonaSchema = createPersonaSchema.omit({ visibility: true });
export type ImportedPersona = Omit<CreatePersonaInput, 'visibility'>;
export type PersonaDraft = Partial<ImportedPersona>;

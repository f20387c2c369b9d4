// The import's REST shapes for the web app: types only (apps/web maps `@doppel/persona-cards` here for the type
// checker and not for the bundler, so a value imported from here fails the build instead of shipping the parsers).
export type { ImportReport, ImportFormat, CharacterContainer, FieldMapping, DroppedField } from './import-report';
export type { ImportResponse, ImportedPersonaResult } from './import-response';

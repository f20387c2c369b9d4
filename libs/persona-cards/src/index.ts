export { importCharacter, type ImportResult } from './import-character';
export { exportPersona, EXPORT_FORMATS, type ExportFormat, type ExportedCharacter } from './export-persona';
export type { ImportReport, CharacterFormat, CharacterContainer, FieldMapping, DroppedField } from './import-report';
export type { ImportedPersona } from './imported-persona';
export { IMPORT_LIMITS } from './import-limits';
export type { ImportedKnowledge } from './eliza-knowledge';

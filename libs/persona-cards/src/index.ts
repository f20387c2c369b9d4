export { importFile, importCharacter, type ImportOptions, type ImportedFile, type ImportedCharacter, type ImportedLorebook } from './import-file';
export { exportPersona, exportLorebook, EXPORT_FORMATS, type ExportFormat, type ExportedCharacter } from './export-persona';
export type { ImportReport, ImportFormat, CharacterFormat, LorebookFormat, CharacterContainer, FieldMapping, DroppedField } from './import-report';
export type { ImportedPersona } from './imported-persona';
export type { ImportResponse, ImportedPersonaResult } from './import-response';
export { IMPORT_LIMITS } from './import-limits';
export type { ImportedKnowledge } from './eliza-knowledge';
export { lorebookFromWorldInfo, type TokenCounter } from './world-info';
export { ImportReportBuilder } from './import-report';

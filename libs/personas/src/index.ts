export * from './persona-definition';
export { PersonasModule } from './personas.module';
export { PersonasService, type PersonaView, type PersonaVersion, type PersonaPage, type VersionDiff } from './personas.service';
export { fillPlaceholders, type PlaceholderNames } from './placeholders';
export { compileLorebookRegex, lorebookRegexProblem, MAX_LOREBOOK_REGEX_KEYS, MAX_LOREBOOK_REGEX_PROGRAM, type CompiledLorebookRegex } from './lorebook-regex';

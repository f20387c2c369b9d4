export * from './persona-definition';
export { PersonasModule } from './personas.module';
export { PersonasService, type PersonaView, type PersonaVersion, type PersonaPage, type VersionDiff } from './personas.service';
export { fillPlaceholders, type PlaceholderNames } from './placeholders';
export { compileLorebookRegex, lorebookRegexProblem, MAX_LOREBOOK_REGEX_KEYS, MAX_LOREBOOK_REGEX_PROGRAM, type CompiledLorebookRegex } from './lorebook-regex';
export { AvatarsService, type StoredAvatar } from './avatars/avatars.service';
export { normalizeAvatar, sniffImageType, THUMBNAIL_SIZE, type NormalizedAvatar } from './avatars/avatar-image';
export { AvatarRepository, type AvatarVariant } from './avatars/avatar.repository';
export { LorebooksService, type LorebookView, type LorebookSummary } from './lorebooks/lorebooks.service';

// The persona and lorebook shapes for the web app: types only (apps/web maps `@doppel/personas` here for the type
// checker and not for the bundler, so a value imported from here fails the build instead of shipping zod and re2js).
export type {
  PersonaDefinition,
  PersonaVisibility,
  GenerationParams,
  Lorebook,
  LorebookEntry,
  StandaloneLorebook,
  AttachedLorebook,
  SharesGate,
} from './persona-definition';
export type { PersonaView, PersonaVersion, VersionDiff, LorebookView, LorebookSummary } from './persona-views';

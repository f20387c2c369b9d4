// What the persona and lorebook routes answer, as the server builds them. Plain types with no imports but the
// definition's, so the web app can read them too (through browser.ts, as Wire<…>: timestamps arrive as strings).
import type { PersonaDefinition, PersonaVisibility, StandaloneLorebook } from './persona-definition';

export interface PersonaVersion {
  id: string;
  personaId: string;
  version: number;
  contentHash: string;
  definition: PersonaDefinition;
  createdAt: Date;
}

/** GET /personas/:id/versions/diff: changed fields as dotted paths, lists compared whole. */
export interface VersionDiff {
  from: number;
  to: number;
  changes: { field: string; from: unknown; to: unknown }[];
}

export interface PersonaView {
  id: string;
  ownerId: string;
  visibility: PersonaVisibility;
  status: 'active' | 'archived';
  version: number;
  versionId: string;
  contentHash: string;
  definition: PersonaDefinition;
  createdAt: Date;
  updatedAt: Date;
}

/** A row of the lorebooks table with the personas it is attached to. */
export interface LorebookRow {
  id: string;
  ownerId: string;
  book: StandaloneLorebook;
  contentHash: string;
  attachedTo: string[];
  createdAt: Date;
  updatedAt: Date;
}

export type LorebookView = LorebookRow;

export interface LorebookSummary {
  id: string;
  name: string;
  entryCount: number;
  contentHash: string;
  attachedTo: string[];
  updatedAt: Date;
}

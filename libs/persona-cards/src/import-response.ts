// What POST /personas/import answers, as the gateway builds it. Types only, so the web app and the CLI read the same
// shape (the web through browser.ts, as Wire<…>: timestamps arrive as strings).
import type { LorebookView, PersonaView } from '@doppel/personas';
import type { KnowledgeDocumentView } from '@doppel/protocol';
import type { ImportReport } from './import-report';

/** One imported character: the persona made from it, the knowledge documents it carried, and the field report. */
export interface ImportedPersonaResult {
  persona: PersonaView;
  knowledge: KnowledgeDocumentView[];
  report: ImportReport;
}

export type ImportResponse =
  | ({ kind: 'persona' } & ImportedPersonaResult)
  | { kind: 'personas'; personas: ImportedPersonaResult[] }
  | { kind: 'lorebook'; lorebook: LorebookView; report: ImportReport };

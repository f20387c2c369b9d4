// What the hub routes answer (GET /hub/models, GET /hub/models/:ref), as the server builds them. Types only, so the
// web app reads the same shapes (through browser.ts, as Wire<…>: timestamps arrive as strings).
import type { HubFile, HubRemote, HubSource } from './hub-tables';
import type { CardFrontMatter } from './model-card';
import type { QueryConstraints } from './search-query';

export interface HighlightSegment {
  text: string;
  match: boolean;
}

export interface HubSearchHit {
  name: string;
  version: number;
  modelHash: string;
  displayName: string;
  task: string;
  format: string | null;
  parameters: number | null;
  license: string | null;
  languages: string[];
  tags: string[];
  verification: string[];
  author: string | null;
  summary: string;
  highlights: { summary: HighlightSegment[]; tags: string[] };
  /** Fused score (higher first); null when browsing without words. */
  score: number | null;
  matchedBy: ('lexical' | 'semantic')[];
  publishedAt: Date;
}

export interface HubSearchResult {
  items: HubSearchHit[];
  /** Models matching the filters (browsing), or candidates found for the words (searching). */
  total: number;
  corrections: { from: string; to: string }[];
  understood: QueryConstraints;
  tookMs: number;
}

export interface HubVersionSummary {
  modelHash: string;
  name: string;
  version: number;
  relation: string | null;
  publishedAt: Date;
}


export interface ServingNode {
  nodeId: string;
  address: string;
  modelId: string;
  servesTurns: boolean;
  /** What a turn on this model can ask of this node now. */
  levels: string[];
  revoked: boolean;
}

export interface HubModelView {
  name: string;
  version: number;
  latestVersion: number;
  modelHash: string;
  /** A receipt's modelHash for this model. */
  receiptModelHash: string;
  source: HubSource;
  card: CardFrontMatter;
  cardMarkdown: string;
  files: HubFile[];
  totalBytes: number;
  remote: HubRemote | null;
  provenance: {
    publisher: { accountId: string; displayName: string };
    publishedAt: Date;
    signature: { signer: string; signature: string; cardHash: string } | null;
    parent: { ref: string; modelHash: string | null; relation: string | null; name: string | null; version: number | null } | null;
    children: HubVersionSummary[];
  };
  versions: HubVersionSummary[];
  servingNodes: ServingNode[];
}

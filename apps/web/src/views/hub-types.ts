// The hub's REST shapes as the web app reads them (GET /hub/models, GET /hub/models/:ref).
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
  highlights: { summary: { text: string; match: boolean }[]; tags: string[] };
  score: number | null;
  matchedBy: ('lexical' | 'semantic')[];
}

export interface HubSearchResult {
  items: HubSearchHit[];
  total: number;
  corrections: { from: string; to: string }[];
  understood: { maxParameters?: number; minParameters?: number; languages: string[]; verification: string[] };
  tookMs: number;
}

export interface HubVersionSummary {
  modelHash: string;
  name: string;
  version: number;
  relation: string | null;
  publishedAt: string;
}

export interface HubModel {
  name: string;
  version: number;
  latestVersion: number;
  modelHash: string;
  receiptModelHash: string;
  source: 'files' | 'remote' | 'card';
  card: {
    name: string;
    task: string;
    format?: string;
    parameters?: number;
    license?: string;
    languages: string[];
    tags: string[];
    datasets: string[];
    metrics: Record<string, number>;
    verification: string[];
    author?: string;
  };
  cardMarkdown: string;
  files: { path: string; sha256: string; bytes: number }[];
  totalBytes: number;
  remote: { baseUrl: string; upstreamModel: string } | null;
  provenance: {
    publisher: { accountId: string; displayName: string };
    publishedAt: string;
    signature: { signer: string; signature: string; cardHash: string } | null;
    parent: { ref: string; modelHash: string | null; relation: string | null; name: string | null; version: number | null } | null;
    children: HubVersionSummary[];
  };
  versions: HubVersionSummary[];
  servingNodes: { nodeId: string; address: string; modelId: string; servesTurns: boolean; levels: string[]; revoked: boolean }[];
}

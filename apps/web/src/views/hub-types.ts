// The hub's REST shapes (GET /hub/models, GET /hub/models/:ref): the server's own, as JSON delivers them.
import type { Wire } from '@doppel/protocol';
import type { HubModelView, HubSearchHit as ServerHubSearchHit, HubSearchResult as ServerHubSearchResult, HubVersionSummary as ServerHubVersionSummary } from '@doppel/hub';

export type HubSearchHit = Wire<ServerHubSearchHit>;
export type HubSearchResult = Wire<ServerHubSearchResult>;
export type HubVersionSummary = Wire<ServerHubVersionSummary>;
export type HubModel = Wire<HubModelView>;

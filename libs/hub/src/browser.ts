// The hub's REST shapes for the web app: types only (apps/web maps `@doppel/hub` here for the type checker and not
// for the bundler, so a value imported from here fails the build instead of shipping the server's code).
export type { HubModelView, HubSearchHit, HubSearchResult, HubVersionSummary, HighlightSegment, ServingNode } from './hub-views';

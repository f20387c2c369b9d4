export * from './database.types';
export { createDatabase } from './create-database';
export { toVectorLiteral } from './vector-literal';
export { supportsIterativeScan, tuneHnswSearch, cosineDistance, checkedDimensions } from './hnsw-search';
export { migrate, assertMigrationsApplied, readMigrationFiles, type MigrationReport } from './migrator';
export { DatabaseModule, DATABASE } from './database.module';
export { encodeCursor, decodeCursor, isUuid, isTimestampText } from './cursor';
export { beforeTimeAndId, keysetPage, positionBefore, type Page } from './keyset-page';
export { assertSchemaReady } from './schema-check';

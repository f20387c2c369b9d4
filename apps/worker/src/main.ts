import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { enabledLogLevels, loadConfig } from '@doppel/config';
import { assertSchemaReady } from '@doppel/db';
import { WorkerModule } from './worker.module';

async function bootstrap(): Promise<void> {
  const config = loadConfig();
  // Before any queue consumer starts: a node on a stale schema must not take jobs.
  await assertSchemaReady({
    databaseUrl: config.databaseUrl,
    migrationsDir: config.migrationsDir,
    embeddingDimensions: config.models.embeddingDim,
  });
  const app = await NestFactory.createApplicationContext(WorkerModule, { logger: enabledLogLevels(config.logLevel) });
  app.enableShutdownHooks();
  await app.init();
  console.log(`doppel worker ${config.worker.id} ready (concurrency ${config.worker.concurrency}, model ${config.models.chatBackend})`);
}

bootstrap().catch((error: unknown) => {
  console.error(`doppel worker failed to start: ${(error as Error).message}`);
  process.exit(1);
});

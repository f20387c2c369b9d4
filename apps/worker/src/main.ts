import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { enabledLogLevels, exitGracefullyOnSignals, loadConfig } from '@doppel/config';
import { assertSchemaReady } from '@doppel/db';
import { MemoryWriter } from '@doppel/memory';
import { ModelHost } from '@doppel/models';
import { AttachedModels, NodeIdentity, TeeAttester } from '@doppel/turns';
import { HeartbeatService } from './heartbeat.service';
import { KnowledgeConsumer } from './knowledge-consumer.service';
import { TurnConsumers } from './turn-consumers.service';
import { WorkerModule } from './worker.module';

async function bootstrap(): Promise<void> {
  const config = loadConfig();
  // Before any queue consumer starts: a node on a stale schema must not take jobs.
  await assertSchemaReady({ databaseUrl: config.databaseUrl, migrationsDir: config.migrationsDir });
  const app = await NestFactory.createApplicationContext(WorkerModule, { logger: enabledLogLevels(config.logLevel) });
  // On SIGTERM: stop taking jobs, finish the turns in hand (BullMQ's worker.close waits), leave the live set, exit 0.
  exitGracefullyOnSignals(() => app.close(), config.shutdownGraceMs);
  await app.init();
  // Order matters: verify and load models, consume only the queues of models that loaded, then advertise them.
  const models = app.get(ModelHost);
  await models.load();
  const identity = app.get(NodeIdentity);
  await identity.load(models.servedChatModels.map((model) => ({ modelId: model.modelId, modelHash: model.modelHash })));
  // Level tee: evidence from the platform's device binding this key, or (every machine without one) a logged reason.
  const tee = await app.get(TeeAttester).start();
  // Level zk: the optional, separately installed prover (apps/zk-prover), detected here; without it zk is refused.
  const zk = await app.get(AttachedModels).start();
  app.get(MemoryWriter).start(models.embedder);
  app.get(TurnConsumers).start();
  app.get(KnowledgeConsumer).start();
  await app.get(HeartbeatService).start();
  const served = models.servedChatModels.map((model) => model.modelId).join(', ');
  const refused = models.refused.length > 0 ? `; refused: ${models.refused.map((model) => model.modelId).join(', ')}` : '';
  console.log(`doppel worker ${config.worker.id} ${identity.wallet.address} ready (concurrency ${config.worker.concurrency}, models ${served}; embeddings ${models.embedder.modelId}${refused}; zk ${zk.available ? 'yes' : 'no'}; tee ${tee.available ? tee.evidence.platform : 'no'})`);
}

bootstrap().catch((error: unknown) => {
  console.error(`doppel worker failed to start: ${(error as Error).message}`);
  process.exit(1);
});

import 'reflect-metadata';
import { exitGracefullyOnSignals, loadConfig } from '@doppel/config';
import { createGatewayApp } from './bootstrap-gateway';

async function bootstrap(): Promise<void> {
  const config = loadConfig();
  const app = await createGatewayApp(config);
  // On SIGTERM: stop accepting connections and turns, disconnect sockets (clients reconnect elsewhere and resume), exit 0.
  exitGracefullyOnSignals(() => app.close(), config.shutdownGraceMs);
  await app.listen(config.gateway.port, config.gateway.host);
  console.log(`doppel gateway listening on ${await app.getUrl()} (API docs at /docs, chat at socket.io namespace /chat)`);
}

bootstrap().catch((error: unknown) => {
  console.error(`doppel gateway failed to start: ${(error as Error).message}`);
  process.exit(1);
});

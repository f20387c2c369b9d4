// doppel-ohttp-relay: an Oblivious HTTP relay anyone can run in front of a Doppel gateway (docs/privacy.md).
import { createServer } from 'node:http';
import { createRelayHandler } from './relay';
import { loadRelayConfig } from './relay-config';

function main(): void {
  const config = loadRelayConfig();
  const log = (line: string) => console.log(`[ohttp-relay] ${line}`);
  const server = createServer(createRelayHandler(config, log));
  server.requestTimeout = config.timeoutMs;
  server.listen(config.port, config.host, () => {
    const address = server.address();
    const where = typeof address === 'object' && address ? `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}` : String(address);
    log(`listening on ${where}, forwarding to ${config.gatewayUrl.origin}${config.gatewayUrl.pathname}`);
  });
  const stop = () => server.close(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

try {
  main();
} catch (error) {
  console.error(`doppel ohttp relay failed to start: ${(error as Error).message}`);
  process.exit(1);
}

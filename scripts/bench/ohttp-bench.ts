// What the private path costs: the same authenticated request (GET /personas/:id) made direct, sealed with OHTTP and
// posted to the gateway's /ohttp without a relay (the cost of sealing and opening), and through an OHTTP relay (plus
// the relay hop), whole and chunked. Requests interleave so each path sees the same machine load. One run; p50/p95 of
// each path and what each adds to direct.   npm run bench:ohttp   (BENCH_REQUESTS=300 by default)
import { performance } from 'node:perf_hooks';
import { AccountsService } from '@doppel/accounts';
import { generateKeySecret, OhttpClient, OhttpKeyRing, parseKeySecrets } from '@doppel/ohttp';
import { machine, median, percentile, scratchDatabase, startProcess, writeResult } from './bench-support';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 300);

async function main() {
  const scratch = await scratchDatabase('doppel_bench_ohttp');
  const keys = `${generateKeySecret(1)}`;
  const ring = await OhttpKeyRing.create(parseKeySecrets(keys));
  const env = { DATABASE_URL: scratch.url, REDIS_PREFIX: `benchohttp${Date.now() % 100000}`, GATEWAY_PORT: '0', LOG_LEVEL: 'warn', OHTTP_KEYS: keys, CHAT_MODELS: 'synthetic', DEFAULT_CHAT_MODEL: 'synthetic', EMBEDDING_MODEL: 'hashing-384' };
  const { ModelRegistry } = await import('@doppel/models');
  const { loadConfig } = await import('@doppel/config');
  await new ModelRegistry(scratch.db, loadConfig(env)).syncBuiltIns();
  const gateway = await startProcess('dist/apps/gateway/main.js', env, /listening on (http:\/\/\S+)/);
  const url = gateway.match[1]!.replace('[::1]', '127.0.0.1');
  const relay = await startProcess('dist/apps/ohttp-relay/main.js', { RELAY_GATEWAY_URL: `${url}/ohttp`, RELAY_PORT: '0' }, /listening on (http:\/\/\S+),/);
  try {
    const account = await new AccountsService(scratch.db).create('bench');
    const auth = { authorization: `Bearer ${account.apiKey}`, 'content-type': 'application/json' };
    const created = await fetch(`${url}/personas`, { method: 'POST', headers: auth, body: JSON.stringify({ name: 'Bench' }) });
    const persona = (await created.json()) as { id: string };
    if (created.status !== 201) throw new Error(`creating the persona: ${created.status} ${JSON.stringify(persona)}`);
    const path = `/personas/${persona.id}`;
    const options = { keyConfigs: ring.keyConfigList, pinnedKeyConfigHashes: [ring.published[0]!.hash] };
    const viaRelay = new OhttpClient({ ...options, relays: [`${relay.match[1]!}/`] });
    const noRelay = new OhttpClient({ ...options, relays: [`${url}/ohttp`] });

    const paths: Record<string, () => Promise<number>> = {
      direct: async () => (await fetch(`${url}${path}`, { headers: auth }).then(async (response) => (await response.arrayBuffer(), response))).status,
      ohttpNoRelay: async () => (await noRelay.request({ method: 'GET', path, headers: auth })).status,
      ohttpViaRelay: async () => (await viaRelay.request({ method: 'GET', path, headers: auth })).status,
      chunkedViaRelay: async () => {
        const streamed = await viaRelay.stream({ method: 'GET', path, headers: auth });
        for await (const _ of streamed.body);
        return streamed.status;
      },
    };
    const samples: Record<string, number[]> = Object.fromEntries(Object.keys(paths).map((name) => [name, []]));
    for (let round = -20; round < REQUESTS; round += 1) {
      for (const [name, run] of Object.entries(paths)) {
        const started = performance.now();
        const status = await run();
        if (status !== 200) throw new Error(`${name}: status ${status}`);
        if (round >= 0) samples[name]!.push(performance.now() - started);
      }
    }
    const stats = Object.fromEntries(Object.entries(samples).map(([name, values]) => [name, { p50: median(values), p95: percentile(values, 95) }]));
    const direct = stats.direct!;
    const result = {
      machine: machine(),
      request: 'GET /personas/:id (authenticated, one PostgreSQL read), sequential, after 20 warm-up rounds',
      requestsPerPath: REQUESTS,
      hpke: 'X25519-HKDF-SHA256 / HKDF-SHA256 / AES-128-GCM (@hpke/core)',
      paths: Object.fromEntries(
        Object.entries(stats).map(([name, value]) => [name, { ...value, addedToDirect: { p50: value.p50 - direct.p50, p95: value.p95 - direct.p95 } }]),
      ),
    };
    const written = await writeResult('ohttp', result);
    console.log('path               p50 ms   p95 ms   added p50   added p95');
    for (const [name, value] of Object.entries(result.paths)) {
      const f = (n: number) => n.toFixed(2).padStart(8);
      console.log(`${name.padEnd(17)}${f(value.p50)} ${f(value.p95)}   ${f(value.addedToDirect.p50)}   ${f(value.addedToDirect.p95)}`);
    }
    console.log(`results written to ${written}`);
  } finally {
    await Promise.all([relay.stop(), gateway.stop()]);
    await scratch.drop();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);

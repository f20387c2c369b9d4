// What the private path costs, in one run. REST: the same authenticated request (GET /personas/:id) made direct,
// sealed with OHTTP and posted to the gateway's /ohttp without a relay (the cost of sealing and opening), and through
// an OHTTP relay (plus the relay hop), whole and chunked. Chat: streamed turns (POST /v1/chat/completions, stream:
// true) direct and through the relay as the CLI's --via-relay sends them (chunked OHTTP), timed to the first token and
// to the end. Requests and turns interleave so each path sees the same machine load; p50/p95 of each path.
//   npm run bench:ohttp   (BENCH_REQUESTS=300, BENCH_CHAT_TURNS=100 per path by default)
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Wallet } from 'ethers';
import { AccountsRepository, AccountsService } from '@doppel/accounts';
import { generateKeySecret, OhttpClient, OhttpKeyRing, parseKeySecrets, privateChat } from '@doppel/ohttp';
import { machine, median, percentile, scratchDatabase, startProcess, writeResult } from './bench-support';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 300);
const CHAT_TURNS = Number(process.env.BENCH_CHAT_TURNS ?? 100);
/** The synthetic model's pace: a first token after 120 ms (its default), then 80 tokens/s, 24 tokens a reply. */
const SYNTHETIC = { SYNTHETIC_TTFT_MS: '120', SYNTHETIC_TOKENS_PER_SECOND: '80', STREAM_CHUNK_INTERVAL_MS: '0' };
const REPLY_TOKENS = 24;

interface TurnTiming {
  ttftMs: number;
  totalMs: number;
}

/** A direct streamed turn: reads the SSE stream as it arrives and notes when the first content delta came. */
async function directTurn(url: string, apiKey: string, personaId: string, prompt: string): Promise<TurnTiming> {
  const started = performance.now();
  const response = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify({ model: personaId, messages: [{ role: 'user', content: prompt }], stream: true }),
  });
  if (response.status !== 200 || !response.body) throw new Error(`direct chat: status ${response.status} ${await response.text()}`);
  const decoder = new TextDecoder();
  let pending = '';
  let firstTokenAt: number | null = null;
  let sawDone = false;
  for await (const piece of response.body as unknown as AsyncIterable<Uint8Array>) {
    pending += decoder.decode(piece, { stream: true });
    for (let end = pending.indexOf('\n\n'); end >= 0; end = pending.indexOf('\n\n')) {
      const data = pending
        .slice(0, end)
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).trimStart())
        .join('\n');
      pending = pending.slice(end + 2);
      if (!data) continue;
      if (data === '[DONE]') sawDone = true;
      else if (firstTokenAt === null && (JSON.parse(data) as { choices?: { delta?: { content?: string } }[] }).choices?.[0]?.delta?.content) firstTokenAt = performance.now();
    }
  }
  if (firstTokenAt === null || !sawDone) throw new Error('direct chat: the stream ended without a token or without [DONE]');
  return { ttftMs: firstTokenAt - started, totalMs: performance.now() - started };
}

/** The same turn sealed with chunked OHTTP and carried by the relay, read with the client library the CLI uses. */
async function relayTurn(client: OhttpClient, apiKey: string, personaId: string, prompt: string): Promise<TurnTiming> {
  const started = performance.now();
  let firstTokenAt: number | null = null;
  let done = false;
  for await (const event of privateChat(client, { apiKey, personaId, messages: [{ role: 'user', content: prompt }] })) {
    if (event.type === 'token' && firstTokenAt === null) firstTokenAt = performance.now();
    if (event.type === 'done') done = true;
  }
  if (firstTokenAt === null || !done) throw new Error('relay chat: the stream ended without a token or without its end');
  return { ttftMs: firstTokenAt - started, totalMs: performance.now() - started };
}

const p50p95 = (values: number[]) => ({ p50: median(values), p95: percentile(values, 95) });

async function main() {
  const loadAtStart = loadavg();
  const scratch = await scratchDatabase('doppel_bench_ohttp');
  const keys = `${generateKeySecret(1)}`;
  const ring = await OhttpKeyRing.create(parseKeySecrets(keys));
  const env = {
    DATABASE_URL: scratch.url,
    REDIS_PREFIX: `benchohttp${Date.now() % 100000}`,
    GATEWAY_PORT: '0',
    LOG_LEVEL: 'warn',
    OHTTP_KEYS: keys,
    CHAT_MODELS: 'synthetic',
    DEFAULT_CHAT_MODEL: 'synthetic',
    EMBEDDING_MODEL: 'hashing-384',
    RATE_TURNS_PER_MINUTE: '100000',
    ...SYNTHETIC,
  };
  const { ModelRegistry, ModelsRepository } = await import('@doppel/models');
  const { loadConfig } = await import('@doppel/config');
  await new ModelRegistry(new ModelsRepository(scratch.db), loadConfig(env)).syncBuiltIns();
  const gateway = await startProcess('dist/apps/gateway/main.js', env, /listening on (http:\/\/\S+)/);
  const url = gateway.match[1]!.replace('[::1]', '127.0.0.1');
  const relay = await startProcess('dist/apps/ohttp-relay/main.js', { RELAY_GATEWAY_URL: `${url}/ohttp`, RELAY_PORT: '0' }, /listening on (http:\/\/\S+),/);
  const worker = await startProcess('dist/apps/worker/main.js', { ...env, WORKER_ID: 'bench-ohttp', NODE_PRIVATE_KEY: Wallet.createRandom().privateKey }, /ready \(concurrency/);
  try {
    const account = await new AccountsService(new AccountsRepository(scratch.db)).create('bench');
    const auth = { authorization: `Bearer ${account.apiKey}`, 'content-type': 'application/json' };
    const created = await fetch(`${url}/personas`, { method: 'POST', headers: auth, body: JSON.stringify({ name: 'Bench', generation: { maxTokens: REPLY_TOKENS } }) });
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
    const stats = Object.fromEntries(Object.entries(samples).map(([name, values]) => [name, p50p95(values)]));
    const direct = stats.direct!;

    for (let wait = 0; wait < 100; wait += 1) {
      const ready = (await (await fetch(`${url}/health/ready`)).json()) as { workers?: unknown[] };
      if ((ready.workers?.length ?? 0) > 0) break;
      await new Promise((resolveWait) => setTimeout(resolveWait, 100));
    }
    const turns: Record<'direct' | 'viaRelay', (prompt: string) => Promise<TurnTiming>> = {
      direct: (prompt) => directTurn(url, account.apiKey, persona.id, prompt),
      viaRelay: (prompt) => relayTurn(viaRelay, account.apiKey, persona.id, prompt),
    };
    const chatSamples = { direct: [] as TurnTiming[], viaRelay: [] as TurnTiming[] };
    for (let round = -3; round < CHAT_TURNS; round += 1) {
      // Alternate which path goes first, so neither always follows the other's memory-extraction job.
      const order = round % 2 === 0 ? (['direct', 'viaRelay'] as const) : (['viaRelay', 'direct'] as const);
      for (const name of order) {
        const timing = await turns[name](`How are the tides today? (turn ${round}, ${name})`);
        if (round >= 0) chatSamples[name].push(timing);
      }
    }
    const chatPaths = Object.fromEntries(
      Object.entries(chatSamples).map(([name, timings]) => [name, { ttftMs: p50p95(timings.map((t) => t.ttftMs)), totalMs: p50p95(timings.map((t) => t.totalMs)) }]),
    ) as Record<'direct' | 'viaRelay', { ttftMs: { p50: number; p95: number }; totalMs: { p50: number; p95: number } }>;
    const ratio = (metric: 'ttftMs' | 'totalMs', p: 'p50' | 'p95') => chatPaths.viaRelay[metric][p] / chatPaths.direct[metric][p];
    const chat = {
      request: `POST /v1/chat/completions, stream: true, a new conversation each turn, ${REPLY_TOKENS}-token replies from the synthetic model (first token after ${SYNTHETIC.SYNTHETIC_TTFT_MS} ms, ${SYNTHETIC.SYNTHETIC_TOKENS_PER_SECOND} tokens/s), one gateway and one worker; sequential, paths alternating, after 3 warm-up rounds`,
      turnsPerPath: CHAT_TURNS,
      paths: chatPaths,
      relayOverDirect: { ttftP50: ratio('ttftMs', 'p50'), ttftP95: ratio('ttftMs', 'p95'), totalP50: ratio('totalMs', 'p50'), totalP95: ratio('totalMs', 'p95') },
      addedByRelayMs: {
        ttftP50: chatPaths.viaRelay.ttftMs.p50 - chatPaths.direct.ttftMs.p50,
        ttftP95: chatPaths.viaRelay.ttftMs.p95 - chatPaths.direct.ttftMs.p95,
        totalP50: chatPaths.viaRelay.totalMs.p50 - chatPaths.direct.totalMs.p50,
        totalP95: chatPaths.viaRelay.totalMs.p95 - chatPaths.direct.totalMs.p95,
      },
    };

    const result = {
      machine: machine(),
      loadAverage: { atStart: loadAtStart, atEnd: loadavg() },
      request: 'GET /personas/:id (authenticated, one PostgreSQL read), sequential, after 20 warm-up rounds',
      requestsPerPath: REQUESTS,
      hpke: 'X25519-HKDF-SHA256 / HKDF-SHA256 / AES-128-GCM (@hpke/core)',
      paths: Object.fromEntries(
        Object.entries(stats).map(([name, value]) => [name, { ...value, addedToDirect: { p50: value.p50 - direct.p50, p95: value.p95 - direct.p95 } }]),
      ),
      chat,
    };
    const written = await writeResult('ohttp', result);
    console.log('path               p50 ms   p95 ms   added p50   added p95');
    for (const [name, value] of Object.entries(result.paths)) {
      const f = (n: number) => n.toFixed(2).padStart(8);
      console.log(`${name.padEnd(17)}${f(value.p50)} ${f(value.p95)}   ${f(value.addedToDirect.p50)}   ${f(value.addedToDirect.p95)}`);
    }
    const f = (n: number) => n.toFixed(1).padStart(8);
    console.log(`\nchat turns (${CHAT_TURNS} per path)   TTFT p50  TTFT p95  total p50  total p95`);
    for (const [name, value] of Object.entries(chat.paths)) console.log(`${name.padEnd(27)}${f(value.ttftMs.p50)}  ${f(value.ttftMs.p95)}  ${f(value.totalMs.p50)}   ${f(value.totalMs.p95)}`);
    const r = chat.relayOverDirect;
    console.log(`${'relay / direct'.padEnd(27)}${r.ttftP50.toFixed(2).padStart(8)}  ${r.ttftP95.toFixed(2).padStart(8)}  ${r.totalP50.toFixed(2).padStart(8)}   ${r.totalP95.toFixed(2).padStart(8)}`);
    console.log(`results written to ${written}`);
  } finally {
    await Promise.all([worker.stop(), relay.stop(), gateway.stop()]);
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

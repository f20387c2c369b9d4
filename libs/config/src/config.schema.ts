// The one description of every environment variable Doppel reads, with defaults and bounds.
import { z } from 'zod';

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();
const booleanFlag = z
  .enum(['true', 'false', '1', '0'])
  .transform((value) => value === 'true' || value === '1');

export const envSchema = z.object({
  DATABASE_URL: z.string().url().default('postgres://postgres@127.0.0.1:5432/doppel'),
  /** PostgreSQL connections per process. */
  DATABASE_POOL_SIZE: positiveInt.max(200).default(20),
  /** redis://[user:password@]host:port[/db], rediss://… (TLS), or unix:///path/to/redis.sock[?db=N] (a Redis on this machine). */
  REDIS_URL: z
    .string()
    .url()
    .refine((url) => /^(rediss?|unix):\/\//i.test(url), 'redis://host:port, rediss://host:port or unix:///path/to/redis.sock')
    .default('redis://127.0.0.1:6379'),
  /** Prefix of every Redis key and BullMQ queue, so several deployments (or test runs) can share one Redis. */
  REDIS_PREFIX: z.string().regex(/^[a-z0-9_-]{1,32}$/i).default('doppel'),
  /**
   * Redis Cluster instead of one Redis: some of its nodes as host:port, comma-separated (the rest are discovered).
   * When set, REDIS_URL is not used.
   */
  REDIS_CLUSTER_NODES: z
    .string()
    .regex(/^\s*[^\s,:]+:\d{1,5}\s*(,\s*[^\s,:]+:\d{1,5}\s*)*$/, 'host:port[,host:port…]')
    .transform((value) =>
      value.split(',').map((node) => {
        const [host, port] = node.trim().split(':') as [string, string];
        return { host, port: Number(port) };
      }),
    )
    .optional(),
  MIGRATIONS_DIR: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(['error', 'warn', 'log', 'debug', 'verbose']).default('log'),

  GATEWAY_HOST: z.string().min(1).default('127.0.0.1'),
  GATEWAY_PORT: port.default(3000),
  MAX_MESSAGE_CHARS: positiveInt.max(100_000).default(4000),
  MAX_BODY_BYTES: positiveInt.default(256 * 1024),
  RATE_TURNS_PER_MINUTE: positiveInt.default(120),
  RATE_CONNECTIONS_PER_MINUTE: positiveInt.default(60),
  /**
   * Admission control (a gateway refuses new turns with OVERLOADED instead of admitting work it cannot serve in
   * time): the delay from accepting a turn to a node starting it that the gateway aims under, the most turns it keeps
   * in flight, and the event-loop delay past which it also refuses new connections.
   */
  ADMISSION_TARGET_START_MS: positiveInt.max(60_000).default(300),
  ADMISSION_MAX_TURNS_IN_FLIGHT: positiveInt.max(1_000_000).default(4096),
  ADMISSION_MAX_LOOP_DELAY_MS: positiveInt.max(60_000).default(250),
  MAX_SOCKETS_PER_KEY: positiveInt.default(20),
  /**
   * How long a gateway trusts a cached API-key lookup. Rotating or revoking a key reaches every gateway at once over
   * Redis pub/sub; this bounds how long a missed message can leave a revoked key working.
   */
  API_KEY_CACHE_TTL_MS: positiveInt.max(300_000).default(5000),

  WORKER_ID: z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/).optional(),
  /**
   * Turns one worker holds at once. Waiting on a model costs little (a remote or synthetic model's turn is mostly
   * waiting: at 64 slots a node was capped near 85 turns/s with CPU to spare); ONNX copies (ONNX_CHAT_THREADS) bound
   * the compute, and the gateways' admission control refuses work past the first-token wait it aims for.
   */
  WORKER_CONCURRENCY: positiveInt.max(1024).default(256),
  /** false: a verifier-only node that re-executes other nodes' turns but takes none of its own. */
  NODE_SERVES_TURNS: booleanFlag.default(true),
  HEARTBEAT_INTERVAL_MS: positiveInt.default(2000),
  HEARTBEAT_TTL_MS: positiveInt.default(6000),

  MODELS_DIR: z.string().min(1).default('models'),
  /** Chat models this node serves (registry ids, comma-separated). doppel-mini-chat and doppel-nano-chat stay so that
   * personas and turns made with them before doppel-mini-chat-2 became the default keep their model (and re-execution). */
  CHAT_MODELS: z
    .string()
    .default('doppel-mini-chat-2,doppel-mini-chat,doppel-nano-chat,synthetic')
    .transform((list) => list.split(',').map((id) => id.trim()).filter(Boolean))
    .pipe(z.array(z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/)).min(1)),
  /** The deployment's embedding model: every node must use the same one. */
  EMBEDDING_MODEL: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/).default('doppel-embed-small'),
  /** Model of personas created without one. */
  DEFAULT_CHAT_MODEL: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/).default('doppel-mini-chat-2'),
  ONNX_CHAT_THREADS: positiveInt.max(16).default(1),
  ONNX_INTRA_OP_THREADS: positiveInt.max(16).default(1),
  SYNTHETIC_TTFT_MS: z.coerce.number().int().min(0).max(60_000).default(120),
  SYNTHETIC_TOKENS_PER_SECOND: z.coerce.number().positive().max(100_000).default(40),
  /** Fault injection for chaos and failure tests: a user message containing this string makes the synthetic backend throw mid-stream. */
  SYNTHETIC_FAULT_TRIGGER: z.string().min(8).optional(),

  MEMORY_TOP_K: positiveInt.max(50).default(5),
  MEMORY_EF_SEARCH: positiveInt.max(1000).default(64),
  /** Pinned memories enter every prompt, so their number per consumer and persona is capped. */
  MEMORY_MAX_PINNED: positiveInt.max(100).default(20),
  /** Known facts this close (cosine distance) to a new one are checked for a restatement of it (scripts/bench/facts-bench.ts). */
  /** Memories of finished turns are written in batches: at most this long after a turn's reply, or this many turns. */
  MEMORY_WRITE_BATCH_MS: positiveInt.max(600_000).default(250),
  MEMORY_WRITE_BATCH_MAX: positiveInt.max(1000).default(128),
  /** How often a node looks for finished turns whose memories nobody wrote (their node died), and how old they must be. */
  MEMORY_SWEEP_INTERVAL_MS: positiveInt.default(5000),
  MEMORY_SWEEP_MIN_AGE_MS: positiveInt.default(2000),
  FACT_DEDUP_MAX_DISTANCE: z.coerce.number().min(0).max(1).default(0.25),
  PROMPT_TOKEN_BUDGET: positiveInt.default(2048),
  HISTORY_MAX_MESSAGES: positiveInt.max(200).default(20),

  /** Largest knowledge document a creator may upload, in bytes of UTF-8 (a JSON upload is also bound by MAX_BODY_BYTES). */
  KNOWLEDGE_MAX_BYTES: positiveInt.min(1024).max(8 * 1024 * 1024).default(256 * 1024),
  /** Knowledge chunks retrieved per turn (they then compete with memories for the prompt budget). */
  KNOWLEDGE_TOP_K: z.coerce.number().int().min(0).max(50).default(4),
  /** Cosine distance above which a chunk counts as unrelated to the message and stays out of the prompt (related
   * texts measure about 0.2–0.6 with doppel-embed-small and hashing-384, unrelated ones 0.85 and more). */
  KNOWLEDGE_MAX_DISTANCE: z.coerce.number().min(0).max(2).default(0.75),

  /** Largest persona file POST /personas/import takes as multipart or a raw body (card PNGs run to 5 MB). */
  PERSONA_IMPORT_MAX_BYTES: positiveInt.max(64 * 1024 * 1024).default(20 * 1024 * 1024),
  /** Largest JSON body of the persona and lorebook routes (a definition holds up to 64k characters a field). */
  PERSONA_MAX_BODY_BYTES: positiveInt.max(64 * 1024 * 1024).default(4 * 1024 * 1024),
  /** Largest avatar image a creator may upload (PNG, JPEG or WebP; it is re-encoded before it is stored). */
  AVATAR_MAX_BYTES: positiveInt.max(64 * 1024 * 1024).default(8 * 1024 * 1024),

  STREAM_CHUNK_INTERVAL_MS: z.coerce.number().int().min(0).max(1000).default(40),
  TURN_STREAM_TTL_SECONDS: positiveInt.default(3600),
  /**
   * A gateway following a turn whose stream has been silent this long checks the turn in PostgreSQL; a finished one
   * is sent from there (its terminal entry was lost, say with a Redis primary that died before replicating it).
   */
  TURN_STREAM_SILENCE_CHECK_MS: positiveInt.min(200).default(10_000),
  TURN_JOB_ATTEMPTS: positiveInt.max(10).default(3),
  /** A node holding a turn renews its lock; a node silent this long is presumed dead and another node takes over. */
  TURN_LOCK_MS: positiveInt.min(500).default(10_000),
  /** A turn not finished this long after it was accepted is failed (turn:error TURN_DEADLINE_EXCEEDED). */
  TURN_DEADLINE_MS: positiveInt.min(1000).default(120_000),

  SEED_DEMO: booleanFlag.default(true),
  /** On SIGTERM, how long a process may take to finish in-flight work before it exits anyway. */
  SHUTDOWN_GRACE_MS: positiveInt.default(30_000),

  /** Where the model hub keeps published files, one per sha256 (the gateway that serves /hub). */
  HUB_BLOB_DIR: z.string().min(1).default('.run/hub/blobs'),
  /** Largest publication (all files together) the hub accepts, in bytes. */
  HUB_MAX_UPLOAD_BYTES: positiveInt.default(4 * 1024 ** 3),
  /** A hub this node pulls models from (a gateway's base URL), and which: model hashes or name@version, comma-separated. */
  HUB_URL: z.string().url().optional(),
  HUB_MODELS: z
    .string()
    .default('')
    .transform((list) => list.split(',').map((ref) => ref.trim()).filter(Boolean))
    .pipe(z.array(z.string().regex(/^(0x)?[0-9a-f]{64}$|^[a-z0-9][a-z0-9._-]{0,63}(@([1-9][0-9]{0,8}|latest))?$/, 'a model hash or name@version'))),
  /** Pulled models, one folder per model hash, verified before every load. */
  HUB_CACHE_DIR: z.string().min(1).default('.run/hub/cache'),

  /**
   * Oblivious HTTP gateway keys (POST /ohttp, GET /ohttp-keys): `<key id 0-255>:<64 hex digits of key material>`,
   * comma-separated, newest first (the first is advertised first; the others still open requests during rotation).
   * Unset: the gateway serves no OHTTP. Generate one with `node dist/apps/cli/main.js ohttp-keygen`.
   */
  OHTTP_KEYS: z.string().optional(),
  /** Largest encapsulated request POST /ohttp reads. */
  OHTTP_MAX_REQUEST_BYTES: positiveInt.max(64 * 1024 * 1024).default(1024 * 1024),
  /** An inner request's Date must be this close to the gateway's clock; its encapsulated key is remembered twice as long. */
  OHTTP_REPLAY_WINDOW_MS: positiveInt.min(1000).max(3_600_000).default(60_000),

  /** A node's Ethereum key (hex). Without it the node keeps a generated key in an encrypted keystore. */
  NODE_PRIVATE_KEY: z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'a 32-byte hex private key with 0x').optional(),
  NODE_KEYSTORE_DIR: z.string().min(1).default('.run/keys'),
  NODE_KEYSTORE_PASSWORD: z.string().min(8).optional(),
  RECEIPT_CHAIN_ID: positiveInt.default(1337),
  REEXEC_TIMEOUT_MS: positiveInt.default(30_000),
  /** Fraction of signed turns re-executed in the background by another node. */
  REEXEC_SPOT_CHECK_RATE: z.coerce.number().min(0).max(1).default(0),
  /** TEST ONLY: this node perturbs the outputs it re-executes, to prove mismatches are caught. */
  FAULTY_REEXEC: booleanFlag.default(false),
  /** Level tee: how old a node's key binding (attestation) may be before the node must attest again. */
  TEE_ATTESTATION_MAX_AGE_MS: positiveInt.default(3_600_000),
  /** Nitro: a program given the user data (hex) that asks /dev/nsm for an attestation document and prints it in base64. */
  TEE_NSM_HELPER: z.string().min(1).optional(),
  /** SEV-SNP / TDX: a folder with the endorsements the evidence needs (vcek.der + ask_ark.pem, or tcb_info.json + qe_identity.json + tcb_signing_chain.pem). */
  TEE_ENDORSEMENTS_DIR: z.string().min(1).optional(),

  /** Receipt settlement (docs/receipts.md, "Settlement"): off unless the RPC URL, the registry and the poster key are all set. */
  SETTLEMENT_RPC_URL: z.string().url().optional(),
  SETTLEMENT_REGISTRY_ADDRESS: z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'a 20-byte hex address with 0x').optional(),
  SETTLEMENT_POSTER_KEY: z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'a 32-byte hex private key with 0x').optional(),
  /** A batch is posted when it holds this many receipts… */
  SETTLEMENT_BATCH_MAX: positiveInt.max(65_536).default(256),
  /** …or when its oldest receipt is this old, whichever comes first. */
  SETTLEMENT_BATCH_MAX_AGE_MS: positiveInt.default(60_000),
  SETTLEMENT_POLL_MS: positiveInt.default(2_000),
  /** A JSON-RPC endpoint of the chain that holds twin shares and node payouts. Without it, gated personas refuse
   * everyone (CHAIN_UNAVAILABLE): access is never granted without a holdings check. */
  CHAIN_RPC_URL: z.string().url().optional(),
  CHAIN_ID: positiveInt.default(31337),
  /** How long one holdings check may wait on the chain before the gateway refuses the turn as CHAIN_UNAVAILABLE. */
  CHAIN_RPC_TIMEOUT_MS: positiveInt.max(60_000).default(3000),
  TWIN_SHARES_ADDRESS: z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'a contract address').optional(),
  NODE_PAYOUTS_ADDRESS: z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'a contract address').optional(),
  /** What a served turn earns its node, in wei (docs/economics.md): per 1,000 tokens in and out, and a multiplier
   * (percent) per verification level; a re-execution done for another node earns REEXEC_PRICE_PERCENT of the turn. */
  PRICE_PER_1K_INPUT_TOKENS_WEI: z.coerce.bigint().min(0n).default(2_000_000_000_000n),
  PRICE_PER_1K_OUTPUT_TOKENS_WEI: z.coerce.bigint().min(0n).default(6_000_000_000_000n),
  PRICE_LEVEL_PERCENT: z
    .string()
    .default('none:100,signed:110,reexec:150,signed+reexec:160')
    .transform((list, context) => {
      const entries = list.split(',').map((pair) => pair.trim()).filter(Boolean).map((pair) => pair.split(':'));
      const bad = entries.find((entry) => entry.length !== 2 || !/^[a-z+-]+$/.test(entry[0]!) || !/^[0-9]{1,4}$/.test(entry[1]!));
      if (bad) context.addIssue({ code: 'custom', message: `expected level:percent pairs, got ${JSON.stringify(bad.join(':'))}` });
      return Object.fromEntries(entries.map(([level, percent]) => [level!, Number(percent)]));
    }),
  REEXEC_PRICE_PERCENT: z.coerce.number().int().min(0).max(1000).default(50),
  /** How often a node meters finished turns into the earnings ledger (0: never; `doppel earnings meter` does it by hand). */
  EARNINGS_METER_INTERVAL_MS: z.coerce.number().int().min(0).max(3_600_000).default(5000),
});

export type Env = z.infer<typeof envSchema>;

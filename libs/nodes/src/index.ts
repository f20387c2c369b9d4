export { NodeRegistry, type NodeHeartbeat } from './node-registry';
export { LiveNodesCache } from './live-nodes';
export { NodesRepository, type NodeRecord } from './nodes.repository';
export { NodesModule } from './nodes.module';

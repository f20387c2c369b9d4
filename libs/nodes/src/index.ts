export { NodeRegistry, type NodeHeartbeat } from './node-registry';
export { LiveNodesCache } from './live-nodes';

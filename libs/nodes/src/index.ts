export { NodeRegistry, type NodeHeartbeat } from './node-registry';

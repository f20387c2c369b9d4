import { Module } from '@nestjs/common';
import { NodeAttestationsRepository } from './node-attestations.repository';
import { NodeRegistry } from './node-registry';
import { nodeRegistryProvider } from './node-registry.provider';
import { NodesRepository } from './nodes.repository';
import { TeeMeasurementsRepository } from './tee-measurements.repository';

const REPOSITORIES = [NodesRepository, TeeMeasurementsRepository, NodeAttestationsRepository];

@Module({ providers: [...REPOSITORIES, nodeRegistryProvider], exports: [...REPOSITORIES, NodeRegistry] })
export class NodesModule {}

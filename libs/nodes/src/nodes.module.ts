import { Module } from '@nestjs/common';
import { NodeAttestationsRepository } from './node-attestations.repository';
import { NodesRepository } from './nodes.repository';
import { TeeMeasurementsRepository } from './tee-measurements.repository';

const REPOSITORIES = [NodesRepository, TeeMeasurementsRepository, NodeAttestationsRepository];

@Module({ providers: REPOSITORIES, exports: REPOSITORIES })
export class NodesModule {}

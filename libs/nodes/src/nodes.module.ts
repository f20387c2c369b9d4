import { Module } from '@nestjs/common';
import { NodesRepository } from './nodes.repository';

@Module({ providers: [NodesRepository], exports: [NodesRepository] })
export class NodesModule {}

import { Module } from '@nestjs/common';
import { ModelHost } from './model-host.service';
import { ModelRegistry } from './model-registry.service';
import { ModelsRepository } from './models.repository';

@Module({ providers: [ModelsRepository, ModelRegistry, ModelHost], exports: [ModelRegistry, ModelHost] })
export class ModelsModule {}

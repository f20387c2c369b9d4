import { Module } from '@nestjs/common';
import { ModelHost } from './model-host.service';
import { ModelRegistry } from './model-registry.service';

@Module({ providers: [ModelRegistry, ModelHost], exports: [ModelRegistry, ModelHost] })
export class ModelsModule {}

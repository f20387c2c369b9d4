import { Module } from '@nestjs/common';
import { ConversationsRepository } from '@doppel/conversations';
import { KnowledgeModule } from '@doppel/knowledge';
import { MemoryModule } from '@doppel/memory';
import { ModelsModule } from '@doppel/models';
import { NodesModule } from '@doppel/nodes';
import { PersonasModule } from '@doppel/personas';
import { ProducerQueuesModule } from '@doppel/queue';
import { StreamingModule } from '@doppel/streaming';
import { AttachedModels } from './attached-models.service';
import { NodeIdentity } from './node-identity.service';
import { ReexecRunner } from './reexec-runner.service';
import { TeeAttester } from './tee-attester.service';
import { TurnRunner } from './turn-runner.service';
import { TurnLookupModule } from './turn-lookup.module';
import { TurnVerifier } from './turn-verifier.service';
import { TurnRepository } from './turn.repository';

@Module({
  imports: [ModelsModule, MemoryModule, KnowledgeModule, PersonasModule, NodesModule, ProducerQueuesModule, StreamingModule, TurnLookupModule],
  providers: [TurnRunner, TurnRepository, ConversationsRepository, NodeIdentity, TurnVerifier, ReexecRunner, TeeAttester, AttachedModels],
  exports: [TurnRunner, TurnRepository, NodeIdentity, ReexecRunner, TeeAttester, AttachedModels, ModelsModule, NodesModule, MemoryModule],
})
export class TurnsModule {}

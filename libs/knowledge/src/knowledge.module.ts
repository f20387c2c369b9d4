import { Module } from '@nestjs/common';
import { PersonasModule } from '@doppel/personas';
import { ProducerQueuesModule } from '@doppel/queue';
import { KnowledgeIndexer } from './knowledge-indexer';
import { KnowledgeRepository } from './knowledge.repository';
import { KnowledgeService } from './knowledge.service';

@Module({
  imports: [PersonasModule, ProducerQueuesModule],
  providers: [KnowledgeRepository, KnowledgeService, KnowledgeIndexer],
  exports: [KnowledgeRepository, KnowledgeService, KnowledgeIndexer],
})
export class KnowledgeModule {}

import { Module } from '@nestjs/common';
import { ModelsModule } from '@doppel/models';
import { NodesModule } from '@doppel/nodes';
import { HubEmbedder } from './hub-embedder';
import { HubSearchRepository } from './hub-search.repository';
import { HubSearchService } from './hub-search.service';
import { HubRepository } from './hub.repository';
import { HubService } from './hub.service';

@Module({
  imports: [ModelsModule, NodesModule],
  providers: [HubRepository, HubSearchRepository, HubEmbedder, HubService, HubSearchService],
  exports: [HubService, HubSearchService, HubEmbedder],
})
export class HubModule {}

import { Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@doppel/config';
import { HashingEmbedder } from './hashing-embedder';
import { CHAT_MODEL, EMBEDDING_MODEL, type ChatModelBackend, type EmbeddingBackend } from './model-backend';
import { SyntheticChatBackend } from './synthetic-backend';

/** Picks the chat and embedding backends named in config. New backends are added here. */
@Module({
  providers: [
    {
      provide: CHAT_MODEL,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig): ChatModelBackend => {
        switch (config.models.chatBackend) {
          case 'synthetic':
            return new SyntheticChatBackend(config.models.synthetic);
        }
      },
    },
    {
      provide: EMBEDDING_MODEL,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig): EmbeddingBackend => {
        switch (config.models.embeddingBackend) {
          case 'hashing':
            return new HashingEmbedder(config.models.embeddingDim);
        }
      },
    },
  ],
  exports: [CHAT_MODEL, EMBEDDING_MODEL],
})
export class InferenceModule {}

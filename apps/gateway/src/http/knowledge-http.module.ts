// The knowledge routes and the body parser only they use: a document sent as text/markdown or text/plain.
import { Inject, Module, RequestMethod, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { text, type NextFunction, type Request, type Response } from 'express';
import { APP_CONFIG, type AppConfig } from '@doppel/config';
import { KnowledgeModule } from '@doppel/knowledge';
import { DoppelError, ErrorCode } from '@doppel/protocol';
import { KnowledgeController } from './knowledge.controller';

@Module({ imports: [KnowledgeModule], controllers: [KnowledgeController] })
export class KnowledgeHttpModule implements NestModule {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  configure(consumer: MiddlewareConsumer): void {
    const maxBytes = this.config.knowledge.maxBytes;
    const parse = text({ type: ['text/plain', 'text/markdown'], limit: maxBytes });
    // Too large is told in the knowledge API's own terms, not as the generic body limit.
    const parseDocument = (request: Request, response: Response, next: NextFunction) =>
      parse(request, response, (error?: unknown) => {
        if ((error as { type?: string } | undefined)?.type === 'entity.too.large') {
          return next(new DoppelError(ErrorCode.KnowledgeTooLarge, `Knowledge documents may be at most ${maxBytes} bytes (KNOWLEDGE_MAX_BYTES). Split it into several documents.`));
        }
        next(error);
      });
    consumer
      .apply(parseDocument)
      .forRoutes({ path: 'personas/:id/knowledge', method: RequestMethod.POST }, { path: 'personas/:id/knowledge/:documentId', method: RequestMethod.PUT });
  }
}

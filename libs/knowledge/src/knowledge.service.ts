// The creator's side of knowledge (gateway): upload, re-upload, list, read, delete. Uploads are stored and queued;
// embedding happens on a worker that loads the deployment's embedding model.
import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@doppel/config';
import { PersonasService } from '@doppel/personas';
import { DoppelError, ErrorCode } from '@doppel/protocol';
import { JOB_OPTIONS, JobName, knowledgeJobId, knowledgeQueueName, ProducerQueues } from '@doppel/queue';
import { validateKnowledgeUpload, type KnowledgeUpload } from './knowledge-upload';
import { KnowledgeRepository, type KnowledgeDocument, type KnowledgeDocumentView } from './knowledge.repository';

const documentNotFound = (documentId: string) =>
  new DoppelError(ErrorCode.KnowledgeNotFound, `Knowledge document ${documentId} does not exist on this persona.`);

@Injectable()
export class KnowledgeService {
  private readonly logger = new Logger(KnowledgeService.name);

  constructor(
    private readonly repository: KnowledgeRepository,
    private readonly personas: PersonasService,
    private readonly queues: ProducerQueues,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async upload(personaId: string, accountId: string, upload: KnowledgeUpload): Promise<KnowledgeDocumentView> {
    await this.assertCreator(personaId, accountId, 'write');
    const content = validateKnowledgeUpload(upload, this.config.knowledge.maxBytes);
    const document = await this.repository.create(personaId, content, this.config.models.embeddingModel);
    return this.enqueue(document);
  }

  /** New content for an existing document: a new revision, indexed in the background; the old chunks serve until then. */
  async reupload(personaId: string, documentId: string, accountId: string, upload: KnowledgeUpload): Promise<KnowledgeDocumentView> {
    await this.assertCreator(personaId, accountId, 'write');
    const content = validateKnowledgeUpload(upload, this.config.knowledge.maxBytes);
    const document = await this.repository.replaceContent(personaId, documentId, content, this.config.models.embeddingModel);
    if (!document) throw documentNotFound(documentId);
    return this.enqueue(document);
  }

  async list(personaId: string, accountId: string): Promise<KnowledgeDocumentView[]> {
    await this.assertCreator(personaId, accountId, 'read');
    return this.repository.list(personaId);
  }

  async get(personaId: string, documentId: string, accountId: string): Promise<KnowledgeDocument> {
    await this.assertCreator(personaId, accountId, 'read');
    const document = await this.repository.get(personaId, documentId);
    if (!document) throw documentNotFound(documentId);
    return document;
  }

  async delete(personaId: string, documentId: string, accountId: string): Promise<void> {
    await this.assertCreator(personaId, accountId, 'read');
    if (!(await this.repository.delete(personaId, documentId))) throw documentNotFound(documentId);
  }

  /** Knowledge is the creator's material: others see it only through the persona's replies. */
  private async assertCreator(personaId: string, accountId: string, access: 'read' | 'write'): Promise<void> {
    const persona = await this.personas.getVisible(personaId, accountId);
    if (persona.ownerId !== accountId) {
      throw new DoppelError(ErrorCode.Forbidden, `Only the creator of persona ${personaId} can manage its knowledge documents.`);
    }
    if (access === 'write' && persona.status === 'archived') {
      throw new DoppelError(ErrorCode.PersonaArchived, `Persona ${personaId} is archived; archived personas cannot be given new knowledge.`);
    }
  }

  private async enqueue(document: KnowledgeDocumentView): Promise<KnowledgeDocumentView> {
    try {
      await this.queues.get<JobName.IndexKnowledge>(knowledgeQueueName(document.embeddingModel)).add(
        JobName.IndexKnowledge,
        { documentId: document.id, revision: document.revision },
        { ...JOB_OPTIONS[JobName.IndexKnowledge], jobId: knowledgeJobId(document.id, document.revision) },
      );
    } catch (error) {
      this.logger.error(`could not queue knowledge document ${document.id} r${document.revision}: ${(error as Error).message}`);
      await this.repository.markFailed(document.id, document.revision, 'The document could not be queued for indexing. Upload it again (PUT) to retry.');
      throw new DoppelError(ErrorCode.QueueUnavailable, 'The document was stored but could not be queued for indexing; upload it again in a moment.');
    }
    return document;
  }
}

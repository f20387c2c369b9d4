import { Injectable } from '@nestjs/common';
import { MemoryRepository } from '@doppel/memory';
import { PersonasService } from '@doppel/personas';
import { DoppelError, ErrorCode, type MemoryPage, type MemoryView } from '@doppel/protocol';

const memoryNotFound = (memoryId: string) => new DoppelError(ErrorCode.MemoryNotFound, `Memory ${memoryId} does not exist or is not yours.`);

/** What a persona remembers about one consumer, as that consumer may see and change it (REST and socket alike). */
@Injectable()
export class ConsumerMemories {
  constructor(
    private readonly memories: MemoryRepository,
    private readonly personas: PersonasService,
  ) {}

  /** While `pendingWrites` is above 0, look again shortly. */
  async list(
    personaId: string,
    consumerId: string,
    options: { limit: number; before?: string; pinned?: boolean },
  ): Promise<MemoryPage> {
    await this.assertPersonaKnown(personaId, consumerId);
    const [page, pendingWrites] = await Promise.all([
      this.memories.listForConsumer(personaId, consumerId, options),
      this.memories.pendingWrites(personaId, consumerId),
    ]);
    return { ...page, pendingWrites };
  }

  async forgetAll(personaId: string, consumerId: string): Promise<{ deleted: number }> {
    await this.assertPersonaKnown(personaId, consumerId);
    return { deleted: await this.memories.deleteAllForConsumer(personaId, consumerId) };
  }

  async forgetOne(memoryId: string, consumerId: string): Promise<void> {
    if (!(await this.memories.deleteOne(memoryId, consumerId))) throw memoryNotFound(memoryId);
  }

  async setPinned(memoryId: string, consumerId: string, pinned: boolean): Promise<MemoryView> {
    const memory = await this.memories.setPinned(memoryId, consumerId, pinned);
    if (!memory) throw memoryNotFound(memoryId);
    return memory;
  }

  /** Archived or private personas the caller once talked to still hold memories, so ask the table, not visibility. */
  private async assertPersonaKnown(personaId: string, consumerId: string): Promise<void> {
    await this.personas.getVisible(personaId, consumerId).catch(async (error: unknown) => {
      if (!(await this.personas.hasConversationWith(personaId, consumerId))) throw error;
    });
  }
}

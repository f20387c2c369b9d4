// Where the gateway asks whether an account may use a persona: opening a conversation and every turn.
import { Injectable } from '@nestjs/common';
import { ConversationsService } from '@doppel/conversations';
import { PersonasService } from '@doppel/personas';
import { SharesGateService } from '@doppel/twin-shares';

@Injectable()
export class PersonaAccess {
  constructor(
    private readonly personas: PersonasService,
    private readonly conversations: ConversationsService,
    private readonly gate: SharesGateService,
  ) {}

  /** The persona's current definition decides, so adding a gate also closes conversations opened before it. */
  async checkPersona(accountId: string, personaId: string): Promise<void> {
    const rule = await this.personas.accessRule(personaId, accountId);
    // The creator always reaches their own persona.
    if (rule.ownerId === accountId) return;
    await this.gate.check(accountId, rule.name, rule.sharesGate);
  }

  async checkConversation(accountId: string, conversationId: string): Promise<void> {
    const conversation = await this.conversations.getOwned(conversationId, accountId);
    await this.checkPersona(accountId, conversation.personaId);
  }
}

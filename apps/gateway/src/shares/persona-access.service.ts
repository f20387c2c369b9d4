// Where the gateway decides whether an account may use a persona: opening a conversation and every turn.
import { Injectable } from '@nestjs/common';
import type { PersonaAccessRule } from '@doppel/conversations';
import { PersonasService } from '@doppel/personas';
import { DoppelError, ErrorCode } from '@doppel/protocol';
import { SharesGateService } from '@doppel/twin-shares';

@Injectable()
export class PersonaAccess {
  constructor(
    private readonly personas: PersonasService,
    private readonly gate: SharesGateService,
  ) {}

  /** The persona's current definition decides, so adding a gate also closes conversations opened before it. */
  async checkPersona(accountId: string, personaId: string): Promise<void> {
    const rule = await this.personas.accessRule(personaId, accountId);
    // The creator always reaches their own persona.
    if (rule.ownerId === accountId) return;
    await this.gate.check(accountId, rule.name, rule.sharesGate);
  }

  /**
   * The same decision for a turn, from the rule the turn intake read with the conversation: a persona that is
   * neither the account's own nor public and active is not found (as in checkPersona), a gate needs its shares.
   */
  async checkRule(accountId: string, rule: PersonaAccessRule): Promise<void> {
    if (rule.ownerId === accountId) return;
    if (rule.visibility !== 'public' || rule.status !== 'active') {
      throw new DoppelError(ErrorCode.PersonaNotFound, `Persona ${rule.personaId} does not exist or is not visible to you.`);
    }
    await this.gate.check(accountId, rule.name, rule.sharesGate ?? undefined);
  }
}

import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { RateLimiter } from '@doppel/accounts';
import { APP_CONFIG, type AppConfig } from '@doppel/config';
import { TurnIntakeService, type AcceptedTurn, type TurnRequest } from '@doppel/conversations';
import { DoppelError, ErrorCode } from '@doppel/protocol';
import { PersonaAccess } from '../shares/persona-access.service';
import { AdmissionControl } from './admission-control';

/**
 * Every way a turn starts, over the socket or REST: capacity first, then the key's turn rate, then the intake, which
 * checks access (twin shares) on the persona rule it reads with the conversation, before it stores anything.
 */
@Injectable()
export class TurnAdmission implements OnModuleDestroy {
  readonly control: AdmissionControl;

  constructor(
    private readonly intake: TurnIntakeService,
    private readonly rateLimiter: RateLimiter,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly access: PersonaAccess,
  ) {
    this.control = new AdmissionControl(config.gateway.admission);
  }

  /**
   * `request` may be a function that builds it once the turn is admitted, when building it stores something (the
   * conversation an OpenAI-style request brings its history in): a refused turn then stores nothing.
   */
  async accept(accountId: string, request: TurnRequest | (() => Promise<TurnRequest>)): Promise<AcceptedTurn> {
    const admitted = this.control.admitTurn();
    if (!admitted.admitted) {
      throw new DoppelError(ErrorCode.Overloaded, `Doppel is at capacity right now (${admitted.reason}); nothing was stored. Retry in ${admitted.retryAfterSeconds} s.`, {
        retryAfterSeconds: admitted.retryAfterSeconds,
      });
    }
    let accepted: AcceptedTurn | null = null;
    try {
      const perMinute = this.config.gateway.turnsPerMinute;
      const rate = await this.rateLimiter.hit('turns', accountId, perMinute);
      if (!rate.allowed) {
        throw new DoppelError(ErrorCode.RateLimited, `More than ${perMinute} turns a minute on this key; retry in ${rate.retryAfterSeconds} s.`, {
          retryAfterSeconds: rate.retryAfterSeconds,
        });
      }
      const resolved = typeof request === 'function' ? await request() : request;
      accepted = await this.intake.accept(accountId, resolved, (rule) => this.access.checkRule(accountId, rule));
      return accepted;
    } finally {
      if (accepted && !accepted.duplicate) this.control.accepted(accepted.turnId, accepted.modelId, admitted);
      else this.control.withdrawn();
    }
  }

  onModuleDestroy(): void {
    this.control.close();
  }
}

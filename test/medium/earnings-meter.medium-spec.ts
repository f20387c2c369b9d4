// EarningsRepository.meter against the real database: a done turn earns one ledger row, a turn that committed after
// a later one was metered is caught by the look-back, and one older than the look-back is left to reconciliation,
// which reports it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConversationsModule, ConversationsService } from '@doppel/conversations';
import { EarningsRepository, priceListOf } from '@doppel/earnings';
import { PersonasService } from '@doppel/personas';
import { mediumTest, seedAccount, seedFinishedTurn, type Medium } from '../support/medium';

const NODE = `0x${'ab'.repeat(20)}`;

describe('EarningsRepository.meter', () => {
  let m: Medium;
  let earnings: EarningsRepository;
  let consumerId: string;
  let conversationId: string;

  beforeAll(async () => {
    m = await mediumTest({ name: 'earnings-meter', imports: [ConversationsModule], providers: [EarningsRepository], env: { EARNINGS_METER_INTERVAL_MS: '0' } });
    earnings = m.get(EarningsRepository);
    consumerId = await seedAccount(m.db, 'Mo');
    const personaId = (await m.get(PersonasService).create(consumerId, { name: 'Ada' })).id;
    conversationId = (await m.get(ConversationsService).create(consumerId, personaId)).id;
  });
  afterAll(async () => m?.close());

  /** A turn served by NODE, done `secondsAgo` before now. */
  const doneTurn = async (secondsAgo: number) =>
    (
      await seedFinishedTurn(m.db, {
        conversationId,
        consumerId,
        userText: 'Hi.',
        replyText: 'Hello.',
        finishedSecondsAgo: secondsAgo,
        done: { node_address: NODE, model_id: 'spec-model', prompt_tokens: 100, completion_tokens: 20 },
      })
    ).turnId;

  const prices = () => priceListOf(m.config);

  it('meters a done turn once, then a turn that committed late within the look-back; an older one is left to reconcile', async () => {
    await doneTurn(0);
    expect((await earnings.meter(prices())).turns).toBe(1);
    expect((await earnings.meter(prices())).turns).toBe(0);

    // Committed after the newest metered row, but finished 5 s before it: inside the 15-s look-back.
    await doneTurn(5);
    expect((await earnings.meter(prices())).turns).toBe(1);

    // Finished a minute before the newest metered row: outside the look-back, so no run meters it; reconcile says so.
    const stale = await doneTurn(60);
    expect((await earnings.meter(prices())).turns).toBe(0);
    const report = await earnings.reconcile(new Date(Date.now() - 3_600_000), new Date(Date.now() + 60_000));
    expect(report).toMatchObject({ doneTurns: 3, meteredTurns: 2, unmetered: [stale], mismatched: [], duplicated: [] });
  });
});

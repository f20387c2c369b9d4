// Node earnings end to end: served turns metered into the append-only ledger (reconciled with the turns table), the
// Merkle root of cumulative earnings posted to NodePayouts on a real local chain, and a node's claim paid out.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import { Contract, Wallet, parseEther, type JsonRpcProvider } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileProjectContract, deployContract, startLocalChain, type LocalChain } from '@doppel/chain';
import type { Database } from '@doppel/db';
import { EarningsRepository, turnEarningWei, type PriceList } from '@doppel/earnings';
import { api, connectChat, sendTurn, signUp, type ChatClient } from './support/clients';
import { testDatabase } from './support/database';
import { startStack, testEnv, waitFor, type Stack } from './support/processes';

const CLI = resolve(__dirname, '../dist/apps/cli/main.js');
const PRICES: PriceList = { per1kInputTokensWei: 3_000_000_000_000n, per1kOutputTokensWei: 9_000_000_000_000n, levelPercent: { none: 100, signed: 120 }, reexecPercent: 50 };
const PRICE_ENV = {
  PRICE_PER_1K_INPUT_TOKENS_WEI: PRICES.per1kInputTokensWei.toString(),
  PRICE_PER_1K_OUTPUT_TOKENS_WEI: PRICES.per1kOutputTokensWei.toString(),
  PRICE_LEVEL_PERCENT: 'none:100,signed:120',
  REEXEC_PRICE_PERCENT: '50',
};

let chain: LocalChain;
let provider: JsonRpcProvider;
let stack: Stack;
let db: Kysely<Database>;
let payouts: Contract;
let socket: ChatClient;
let conversationId: string;
let chainEnv: Record<string, string>;
let nodeKey: string;
let nodeAddress: string;
const posterKey = () => chain.accounts[0]!.privateKey;

async function cli(args: string[], env: Record<string, string> = {}): Promise<{ stdout: string; code: number }> {
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [CLI, ...args], { env: { ...testEnv({ ...PRICE_ENV, ...chainEnv }), ...env }, timeout: 60_000 });
    return { stdout, code: 0 };
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; code?: number };
    return { stdout: `${failed.stdout ?? ''}${failed.stderr ?? ''}`, code: failed.code ?? 1 };
  }
}

async function serveTurns(count: number, verification: 'none' | 'signed'): Promise<void> {
  for (let index = 0; index < count; index++) {
    const turn = await sendTurn(socket, { conversationId, text: `Tell me something, number ${index}`, clientTurnId: randomUUID(), verification }, 30_000);
    expect(turn.done, JSON.stringify(turn.error ?? turn.ack)).not.toBeNull();
  }
}

/** What the ledger says this node earned, and what the price list says its done turns are worth. */
async function nodeTotals(): Promise<{ ledger: bigint; expected: bigint; turns: number }> {
  const turns = await db
    .selectFrom('turns')
    .select(['prompt_tokens', 'completion_tokens', 'verification_level'])
    .where('status', '=', 'done')
    .where('node_address', '=', nodeAddress)
    .execute();
  const expected = turns.reduce((sum, turn) => sum + turnEarningWei(PRICES, { inputTokens: turn.prompt_tokens!, outputTokens: turn.completion_tokens!, level: turn.verification_level }), 0n);
  const row = await db.selectFrom('node_earnings').select(sql<string>`coalesce(sum(amount_wei), 0)::text`.as('total')).where('node_address', '=', nodeAddress).executeTakeFirstOrThrow();
  return { ledger: BigInt(row.total), expected, turns: turns.length };
}

beforeAll(async () => {
  chain = await startLocalChain();
  provider = chain.provider();
  const poster = new Wallet(posterKey(), provider);
  payouts = (await deployContract(compileProjectContract('NodePayouts'), poster, [poster.address])).contract as Contract;
  await (await poster.sendTransaction({ to: await payouts.getAddress(), value: parseEther('10') })).wait();
  chainEnv = { CHAIN_RPC_URL: chain.rpcUrl, CHAIN_ID: String(chain.chainId), NODE_PAYOUTS_ADDRESS: await payouts.getAddress() };
  // The node's key is a funded local-chain account, so that it can pay the gas of its own claim.
  nodeKey = chain.accounts[5]!.privateKey;
  nodeAddress = chain.accounts[5]!.address.toLowerCase();
  stack = await startStack(['earner'], { ...PRICE_ENV, ...chainEnv, NODE_PRIVATE_KEY: nodeKey, EARNINGS_METER_INTERVAL_MS: '200' });
  db = testDatabase();
  const { apiKey } = await signUp(stack.url, 'Earnings consumer');
  const persona = await api(stack.url, apiKey)('POST', '/personas', { name: 'Earner' });
  conversationId = (await api(stack.url, apiKey)('POST', '/conversations', { personaId: persona.body.id })).body.id;
  socket = await connectChat(stack.url, apiKey);
}, 180_000);

afterAll(async () => {
  socket?.close();
  await stack?.stop();
  await db?.destroy();
  await chain?.stop();
});

describe('node earnings ledger', () => {
  it('meters every served turn in the background, priced by the configured list, and reconciles with the turns table', async () => {
    const since = new Date(Date.now() - 1000);
    await serveTurns(3, 'none');
    await serveTurns(2, 'signed');
    await waitFor(async () => {
      const totals = await nodeTotals();
      return totals.turns >= 5 && totals.ledger === totals.expected;
    }, 'the ledger to meter the five turns', 20_000);
    const entries = await db.selectFrom('node_earnings').selectAll().where('node_address', '=', nodeAddress).execute();
    expect(entries).toHaveLength(5);
    expect(entries.filter((entry) => entry.level === 'signed').every((entry) => entry.level_percent === 120)).toBe(true);
    expect(entries.every((entry) => entry.price_in_per_1k === PRICES.per1kInputTokensWei.toString() && entry.model_id === 'synthetic')).toBe(true);

    // Metering again adds nothing (the CLI and every gateway may all run it).
    expect(JSON.parse((await cli(['earnings', 'meter'])).stdout)).toEqual({ turns: 0, reexecutions: 0 });
    const report = await new EarningsRepository(db).reconcile(since, new Date());
    expect(report).toMatchObject({ doneTurns: 5, meteredTurns: 5, unmetered: [], mismatched: [], duplicated: [] });
    const viaCli = await cli(['earnings', 'reconcile', '--hours', '1']);
    expect(viaCli.code, viaCli.stdout).toBe(0);
  }, 120_000);

  it('is append-only: rows cannot be changed or removed', async () => {
    await expect(sql`UPDATE node_earnings SET amount_wei = amount_wei + 1 WHERE node_address = ${nodeAddress}`.execute(db)).rejects.toThrow(/append-only/);
    await expect(sql`DELETE FROM node_earnings WHERE node_address = ${nodeAddress}`.execute(db)).rejects.toThrow(/append-only/);
  });

  it('shows the operator earnings per node and day', async () => {
    const operatorKey = (await cli(['accounts', 'create', 'Econ operator', '--operator'])).stdout.match(/API key[^:]*: (\S+)/)![1]!;
    const view = await api(stack.url, operatorKey)('GET', '/operator/economics?days=2');
    expect(view.status).toBe(200);
    const today = view.body.perNodePerDay.find((row: { nodeAddress: string }) => row.nodeAddress === nodeAddress);
    expect(today).toMatchObject({ turns: 5, amountWei: (await nodeTotals()).ledger.toString() });
    expect(today.utilisation).toBeGreaterThan(0);
    expect(today.utilisation).toBeLessThanOrEqual(1);
  }, 60_000);
});

describe('node payouts', () => {
  it('posts the root, lets the node claim exactly its earnings with the CLI, and only the difference next time', async () => {
    const posted = await cli(['payouts', 'post'], { PAYOUT_POSTER_KEY: posterKey() });
    expect(posted.code, posted.stdout).toBe(0);
    const epoch = JSON.parse(posted.stdout.trim().split('\n').at(-1)!);
    expect(await payouts.getFunction('merkleRoot')()).toBe(epoch.root);

    const recipient = Wallet.createRandom().address;
    const first = await cli(['payouts', 'claim', '--to', recipient], { NODE_PRIVATE_KEY: nodeKey });
    expect(first.code, first.stdout).toBe(0);
    const earned = (await nodeTotals()).ledger;
    expect(earned).toBeGreaterThan(0n);
    expect(JSON.parse(first.stdout)).toMatchObject({ node: chain.accounts[5]!.address, recipient, amountWei: earned.toString() });
    expect(await provider.getBalance(recipient)).toBe(earned);

    // Nothing more to claim until more is earned and posted.
    const again = await cli(['payouts', 'claim', '--to', recipient], { NODE_PRIVATE_KEY: nodeKey });
    expect(again.code).not.toBe(0);
    expect(again.stdout).toMatch(/claimed all/);

    await serveTurns(2, 'none');
    await waitFor(async () => (await nodeTotals()).turns >= 7 && (await nodeTotals()).ledger === (await nodeTotals()).expected, 'the new turns to be metered', 20_000);
    expect((await cli(['payouts', 'post'], { PAYOUT_POSTER_KEY: posterKey() })).code).toBe(0);
    const second = await cli(['payouts', 'claim', '--to', recipient], { NODE_PRIVATE_KEY: nodeKey });
    expect(second.code, second.stdout).toBe(0);
    const total = (await nodeTotals()).ledger;
    expect(JSON.parse(second.stdout).amountWei).toBe((total - earned).toString());
    expect(await provider.getBalance(recipient)).toBe(total);
  }, 240_000);

  it('refuses a claim by a key that earned nothing, and a forged proof on chain', async () => {
    const stranger = new Wallet(chain.accounts[6]!.privateKey, provider);
    const refused = await cli(['payouts', 'claim'], { NODE_PRIVATE_KEY: stranger.privateKey });
    expect(refused.code).not.toBe(0);
    expect(refused.stdout).toMatch(/No posted payout epoch names node/);
    await expect((payouts.connect(stranger) as Contract).getFunction('claim')(parseEther('1'), [], stranger.address)).rejects.toThrow();
  }, 60_000);
});

// A persona for holders of a twin's shares, against the running gateway and a real local chain: refused with what to
// buy, admitted after buying, refused again after selling, and refused (never admitted) when the chain is gone.
import { randomUUID } from 'node:crypto';
import { Contract, Wallet, id, type JsonRpcProvider } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileProjectContract, deployContract, startLocalChain, type LocalChain } from '@doppel/chain';
import { ErrorCode } from '@doppel/protocol';
import { HoldingsReader } from '@doppel/twin-shares';
import { api, connectChat, sendTurn, signUp, type ChatClient } from './support/clients';
import { startStack, waitFor, type Stack } from './support/processes';

let chain: LocalChain | undefined;
let provider: JsonRpcProvider;
let stack: Stack;
let shares: Contract;
let holder: Wallet;
let socket: ChatClient | undefined;
const twinId = id('doppel:twin:gated-e2e');
let creatorKey: string;
let consumerKey: string;
let personaId: string;

async function linkWallet(baseUrl: string, apiKey: string, wallet: Wallet): Promise<{ status: number; body: any }> {
  const challenge = await api(baseUrl, apiKey)('POST', '/wallets/challenge', { address: wallet.address });
  expect(challenge.status).toBe(201);
  const signature = await wallet.signMessage(challenge.body.message);
  return api(baseUrl, apiKey)('POST', '/wallets/link', { message: challenge.body.message, signature });
}

/**
 * The gateway reads holdings once per block and looks for a new block at most every 250 ms (HoldingsReader): after a
 * trade, wait until it reports the new holding (its market route reads through the same cache as the gate).
 */
async function gatewaySeesHolding(held: string): Promise<void> {
  await waitFor(async () => (await api(stack.url, consumerKey)('GET', `/twins/${twinId}/market`)).body.held === held, `the gateway to see ${held} share(s) held`, 5000);
}

beforeAll(async () => {
  chain = await startLocalChain();
  provider = chain.provider();
  const [owner, creator, consumer] = chain.accounts.map((account) => new Wallet(account.privateKey, provider));
  holder = consumer!;
  shares = (await deployContract(compileProjectContract('TwinShares'), owner!, [16_000n, 500, 500, owner!.address])).contract as Contract;
  await (await (shares.connect(creator!) as Contract).getFunction('createTwin')(twinId)).wait();
  stack = await startStack(['gate-worker'], { CHAIN_RPC_URL: chain.rpcUrl, CHAIN_ID: String(chain.chainId), TWIN_SHARES_ADDRESS: await shares.getAddress(), CHAIN_RPC_TIMEOUT_MS: '1500' });
  creatorKey = (await signUp(stack.url, 'Creator')).apiKey;
  consumerKey = (await signUp(stack.url, 'Consumer')).apiKey;
  const persona = await api(stack.url, creatorKey)('POST', '/personas', { name: 'Gated Twin', greeting: 'Hello, holder.', sharesGate: { twinId, minShares: 2 } });
  expect(persona.status).toBe(201);
  personaId = persona.body.id;
}, 180_000);

afterAll(async () => {
  socket?.close();
  await stack?.stop();
  await chain?.stop();
});

describe('twin-share gating', () => {
  it('refuses a consumer with no wallet, saying what to buy and what it costs', async () => {
    const refused = await api(stack.url, consumerKey)('POST', '/conversations', { personaId });
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe(ErrorCode.SharesRequired);
    const cost = (await shares.getFunction('buyPriceAfterFees')(twinId, 2n)) as bigint;
    expect(refused.body.details).toMatchObject({ twinId, minShares: 2, held: '0', missing: '2', wallet: null, contract: await shares.getAddress(), costWei: cost.toString() });
    expect(refused.body.message).toMatch(/at least 2 share\(s\).*No wallet is linked.*buy 2 more/);
    // The creator reaches their own persona without shares.
    expect((await api(stack.url, creatorKey)('POST', '/conversations', { personaId })).status).toBe(201);
  });

  it('links a wallet only with a signature from that wallet, once per challenge', async () => {
    const stranger = Wallet.createRandom();
    const challenge = await api(stack.url, consumerKey)('POST', '/wallets/challenge', { address: holder.address });
    expect(challenge.body.message).toContain(`wants you to sign in with your Ethereum account:\n${holder.address}`);
    expect(challenge.body.message).toContain(`Chain ID: ${chain!.chainId}`);
    const forged = await api(stack.url, consumerKey)('POST', '/wallets/link', { message: challenge.body.message, signature: await stranger.signMessage(challenge.body.message) });
    expect(forged.status).toBe(400);
    expect(forged.body.code).toBe(ErrorCode.WalletLinkInvalid);
    // The failed attempt used the challenge up.
    const replay = await api(stack.url, consumerKey)('POST', '/wallets/link', { message: challenge.body.message, signature: await holder.signMessage(challenge.body.message) });
    expect(replay.body.code).toBe(ErrorCode.WalletLinkInvalid);

    const linked = await linkWallet(stack.url, consumerKey, holder);
    expect(linked).toMatchObject({ status: 200, body: { address: holder.address, chainId: chain!.chainId } });
    expect((await api(stack.url, consumerKey)('GET', '/wallets/me')).body).toEqual({ address: holder.address });
    const stillRefused = await api(stack.url, consumerKey)('POST', '/conversations', { personaId });
    expect(stillRefused.body).toMatchObject({ code: ErrorCode.SharesRequired, details: { wallet: holder.address, held: '0', missing: '2' } });
  });

  it('admits the holder after buying, checks every turn, and refuses again after selling', async () => {
    const cost = (await shares.getFunction('buyPriceAfterFees')(twinId, 2n)) as bigint;
    await (await (shares.connect(holder) as Contract).getFunction('buyShares')(twinId, 2n, { value: cost })).wait();
    await gatewaySeesHolding('2');
    const market = await api(stack.url, consumerKey)('GET', `/twins/${twinId}/market`);
    expect(market.body).toMatchObject({ twinId, supply: '2', held: '2', holder: holder.address });

    const conversation = await api(stack.url, consumerKey)('POST', '/conversations', { personaId });
    expect(conversation.status).toBe(201);
    socket = await connectChat(stack.url, consumerKey);
    const turn = await sendTurn(socket, { conversationId: conversation.body.id, text: 'Hello from a holder', clientTurnId: randomUUID() }, 30_000);
    expect(turn.ack.ok).toBe(true);
    expect(turn.done).not.toBeNull();

    await (await (shares.connect(holder) as Contract).getFunction('sellShares')(twinId, 1n, 0n)).wait();
    await gatewaySeesHolding('1');
    const refused = await sendTurn(socket, { conversationId: conversation.body.id, text: 'Still here?', clientTurnId: randomUUID() });
    expect(refused.ack).toMatchObject({ ok: false, error: { code: ErrorCode.SharesRequired } });
    expect(refused.ack.ok === false && refused.ack.error.message).toMatch(/holds 1: buy 1 more/);
  });

  it('reads holdings once per block, however many checks ask', async () => {
    const reader = new HoldingsReader(chain!.provider(), await shares.getAddress(), 0);
    const answers = await Promise.all(Array.from({ length: 10 }, () => reader.sharesOf(twinId, holder.address)));
    expect(new Set(answers.map((answer) => answer.shares))).toEqual(new Set([1n]));
    expect(reader.lookups).toBe(1);
    const cost = (await shares.getFunction('buyPriceAfterFees')(twinId, 1n)) as bigint;
    await (await (shares.connect(holder) as Contract).getFunction('buyShares')(twinId, 1n, { value: cost })).wait();
    expect((await reader.sharesOf(twinId, holder.address)).shares).toBe(2n);
    expect(reader.lookups).toBe(2);
  });

  it('fails closed when the chain stops answering: CHAIN_UNAVAILABLE, never access', async () => {
    // The holder has 2 shares again, so only an unreachable chain can refuse them now.
    await gatewaySeesHolding('2');
    expect((await api(stack.url, consumerKey)('POST', '/conversations', { personaId })).status).toBe(201);
    await chain!.stop();
    chain = undefined;
    // An answer read at the latest block is reused for at most the block-poll interval (250 ms); after that, refusal.
    const refused = await waitFor(async () => {
      const response = await api(stack.url, consumerKey)('POST', '/conversations', { personaId });
      return response.status === 503 ? response : null;
    }, 'the gateway to notice the chain is gone', 5000);
    for (let attempt = 0; attempt < 3; attempt++) expect((await api(stack.url, consumerKey)('POST', '/conversations', { personaId })).status).toBe(503);
    expect(refused.body.code).toBe(ErrorCode.ChainUnavailable);
    expect(refused.body.message).toMatch(/did not answer.*refused/);
    // Ungated personas are unaffected.
    const open = await api(stack.url, creatorKey)('POST', '/personas', { name: 'Open Twin' });
    expect((await api(stack.url, consumerKey)('POST', '/conversations', { personaId: open.body.id })).status).toBe(201);
  });
});

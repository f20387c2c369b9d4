// The local chain node that tests and development use: it answers, funds its accounts, and stops for good.
import { afterAll, describe, expect, it } from 'vitest';
import { localChainAccounts, startLocalChain, type LocalChain } from './local-chain';

let chain: LocalChain | undefined;
afterAll(() => chain?.stop());

describe('startLocalChain', () => {
  it('starts a JSON-RPC node with ten funded accounts, and stop() ends it', async () => {
    chain = await startLocalChain({ chainId: 31_338 });
    const provider = chain.provider();
    expect(Number((await provider.getNetwork()).chainId)).toBe(31_338);
    expect(chain.accounts).toEqual(localChainAccounts());
    expect(chain.accounts[0]!.address).toBe('0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266');
    expect(await provider.getBalance(chain.accounts[9]!.address)).toBe(10_000n * 10n ** 18n);
    const { rpcUrl } = chain;
    await chain.stop();
    chain = undefined;
    await expect(fetch(rpcUrl, { method: 'POST', body: '{}', signal: AbortSignal.timeout(2000) })).rejects.toThrow();
  }, 90_000);
});

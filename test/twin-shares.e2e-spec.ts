// TwinShares on a real local chain node (hardhat's, started by libs/chain): curve, fees, sell-out, reentrancy.
import { resolve } from 'node:path';
import { Contract, Wallet, id, type ContractTransactionResponse, type JsonRpcProvider } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileProjectContract, compileSolidityFiles, deployContract, startLocalChain, type LocalChain } from '@doppel/chain';

const DIVISOR = 16_000n;
const ONE_ETHER = 10n ** 18n;
const sumOfSquares = (n: bigint) => (n * (n + 1n) * (2n * n + 1n)) / 6n;
const ceilDiv = (a: bigint, b: bigint) => (a === 0n ? 0n : (a - 1n) / b + 1n);
/** The documented curve, computed independently of the contract. */
const curveBuy = (supply: bigint, amount: bigint) => ceilDiv((sumOfSquares(supply + amount) - sumOfSquares(supply)) * ONE_ETHER, DIVISOR);
const curveSell = (supply: bigint, amount: bigint) => ((sumOfSquares(supply) - sumOfSquares(supply - amount)) * ONE_ETHER) / DIVISOR;

let chain: LocalChain;
let provider: JsonRpcProvider;
let owner: Wallet, creator: Wallet, alice: Wallet, bob: Wallet, protocol: Wallet;
let shares: Contract;
const twinId = id('doppel:twin:test-twin');

async function mined(tx: Promise<ContractTransactionResponse>) {
  const receipt = await (await tx).wait();
  if (!receipt) throw new Error('no receipt');
  return receipt;
}

beforeAll(async () => {
  chain = await startLocalChain();
  provider = chain.provider();
  [owner, creator, alice, bob, protocol] = chain.accounts.slice(0, 5).map((account) => new Wallet(account.privateKey, provider)) as [Wallet, Wallet, Wallet, Wallet, Wallet];
  const deployed = await deployContract(compileProjectContract('TwinShares'), owner, [DIVISOR, 500, 500, protocol.address]);
  shares = deployed.contract as Contract;
  await mined(shares.connect(creator).getFunction('createTwin')(twinId));
}, 120_000);

afterAll(async () => {
  await chain?.stop();
});

describe('TwinShares on the local chain', () => {
  it('prices follow the documented quadratic curve and rise with supply', async () => {
    let previous = -1n;
    for (let supply = 0n; supply < 5n; supply++) {
      const price = (await shares.getFunction('buyPrice')(twinId, 1n)) as bigint;
      expect(price).toBe(curveBuy(supply, 1n));
      expect(price).toBeGreaterThan(previous);
      previous = price;
      const total = (await shares.getFunction('buyPriceAfterFees')(twinId, 1n)) as bigint;
      await mined(shares.connect(alice).getFunction('buyShares')(twinId, 1n, { value: total }));
    }
    expect(await shares.getFunction('supplyOf')(twinId)).toBe(5n);
    // Buying several at once costs exactly the sum of buying them one by one (up to the one-wei round-up).
    const batch = (await shares.getFunction('buyPrice')(twinId, 3n)) as bigint;
    const singles = curveBuy(5n, 1n) + curveBuy(6n, 1n) + curveBuy(7n, 1n);
    expect(singles - batch).toBeGreaterThanOrEqual(0n);
    expect(singles - batch).toBeLessThanOrEqual(2n);
  });

  it('charges creator and protocol fees (rounded up), emits a Trade event and refunds overpayment', async () => {
    const price = (await shares.getFunction('buyPrice')(twinId, 2n)) as bigint;
    const fee = ceilDiv(price * 500n, 10_000n);
    const creatorOwedBefore = (await shares.getFunction('feesOwed')(creator.address)) as bigint;
    const protocolOwedBefore = (await shares.getFunction('feesOwed')(protocol.address)) as bigint;
    const bobBefore = await provider.getBalance(bob.address);
    const receipt = await mined(shares.connect(bob).getFunction('buyShares')(twinId, 2n, { value: price + 2n * fee + ONE_ETHER }));
    const gas = receipt.gasUsed * receipt.gasPrice;
    // The extra ether came back: bob paid exactly price + fees + gas.
    expect(bobBefore - (await provider.getBalance(bob.address))).toBe(price + 2n * fee + gas);
    expect((await shares.getFunction('feesOwed')(creator.address)) - creatorOwedBefore).toBe(fee);
    expect((await shares.getFunction('feesOwed')(protocol.address)) - protocolOwedBefore).toBe(fee);
    const trade = receipt.logs.map((log) => shares.interface.parseLog(log)).find((parsed) => parsed?.name === 'Trade');
    expect(trade?.args.toObject()).toMatchObject({ twinId, trader: bob.address, isBuy: true, amount: 2n, price, protocolFee: fee, creatorFee: fee, supplyAfter: 7n });
    expect(await shares.getFunction('sharesOf')(twinId, bob.address)).toBe(2n);

    await expect(shares.connect(bob).getFunction('buyShares')(twinId, 1n, { value: 1n })).rejects.toThrow(/InsufficientPayment|reverted/);

    const creatorBefore = await provider.getBalance(creator.address);
    const withdrawal = await mined(shares.connect(creator).getFunction('withdrawFees')());
    expect((await provider.getBalance(creator.address)) - creatorBefore + withdrawal.gasUsed * withdrawal.gasPrice).toBe(creatorOwedBefore + fee);
    expect(await shares.getFunction('feesOwed')(creator.address)).toBe(0n);
  });

  it('sells out to zero: every holder is paid the curve price less fees and the reserve never goes short', async () => {
    for (const seller of [bob, alice]) {
      const held = (await shares.getFunction('sharesOf')(twinId, seller.address)) as bigint;
      for (let sold = 0n; sold < held; sold++) {
        const supply = (await shares.getFunction('supplyOf')(twinId)) as bigint;
        const price = (await shares.getFunction('sellPrice')(twinId, 1n)) as bigint;
        expect(price).toBe(curveSell(supply, 1n));
        const proceeds = (await shares.getFunction('sellPriceAfterFees')(twinId, 1n)) as bigint;
        const before = await provider.getBalance(seller.address);
        const receipt = await mined(shares.connect(seller).getFunction('sellShares')(twinId, 1n, proceeds));
        expect((await provider.getBalance(seller.address)) - before + receipt.gasUsed * receipt.gasPrice).toBe(proceeds);
      }
    }
    expect(await shares.getFunction('supplyOf')(twinId)).toBe(0n);
    const twin = (await shares.getFunction('twins')(twinId)) as { reserve: bigint };
    expect(twin.reserve).toBe(0n);
    // What the contract holds is exactly the fees still owed: nothing is stranded and nothing is missing.
    const owed = ((await shares.getFunction('feesOwed')(creator.address)) as bigint) + ((await shares.getFunction('feesOwed')(protocol.address)) as bigint);
    expect(await provider.getBalance(await shares.getAddress())).toBe(owed);
    // Back at zero the first share costs what it did at the start.
    expect(await shares.getFunction('buyPrice')(twinId, 1n)).toBe(curveBuy(0n, 1n));
    await expect(shares.connect(bob).getFunction('sellShares')(twinId, 1n, 0n)).rejects.toThrow();
  });

  it('refuses a seller that re-enters while being paid', async () => {
    const { ReentrantSeller } = compileSolidityFiles([resolve(__dirname, 'contracts/ReentrantSeller.sol')]);
    const attacker = (await deployContract(ReentrantSeller!, alice, [await shares.getAddress()])).contract as Contract;
    const cost = (await shares.getFunction('buyPriceAfterFees')(twinId, 2n)) as bigint;
    await mined(attacker.getFunction('buy')(twinId, 2n, { value: cost }));
    const balanceBefore = await provider.getBalance(await shares.getAddress());
    const expectedProceeds = (await shares.getFunction('sellPriceAfterFees')(twinId, 1n)) as bigint;
    await mined(attacker.getFunction('attack')(1n));
    expect(await attacker.getFunction('reentryAttempts')()).toBe(1n);
    expect(await attacker.getFunction('reentrySucceeded')()).toBe(false);
    expect(shares.interface.parseError((await attacker.getFunction('reentryError')()) as string)?.name).toBe('Reentrancy');
    expect(await shares.getFunction('sharesOf')(twinId, await attacker.getAddress())).toBe(1n);
    expect(balanceBefore - (await provider.getBalance(await shares.getAddress()))).toBe(expectedProceeds);
  });
});

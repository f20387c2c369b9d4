// Receipt settlement on the local chain: receipts settled per second and gas per batch and per receipt for batch
// sizes 1, 16, 256, 1024, against posting each receipt alone (a one-receipt batch per receipt).
// npm run bench:settlement → scripts/bench/results/settlement.json
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Contract, Wallet, hexlify, randomBytes } from 'ethers';
import { compileProjectContract, deployContract, solcVersion, startLocalChain } from '@doppel/chain';
import { buildTree, leafOf } from '@doppel/settlement';

const SIZES = [1, 16, 256, 1024];
const ALONE = 256;

async function main() {
  const chain = await startLocalChain();
  try {
    const provider = chain.provider();
    const [owner, poster] = chain.accounts.map((account) => new Wallet(account.privateKey, provider));
    const registry = (await deployContract(compileProjectContract('ReceiptRegistry'), owner!, [poster!.address])).contract as Contract;
    let batchId = 1n;
    const post = async (digests: string[]) => {
      const tree = buildTree(digests.map(leafOf));
      const mined = await (await registry.connect(poster!).getFunction('postBatch')(batchId++, tree.root, BigInt(digests.length))).wait();
      return Number(mined.gasUsed);
    };
    const batches = [];
    for (const size of SIZES) {
      const digests = Array.from({ length: size }, () => hexlify(randomBytes(32)));
      const started = performance.now();
      const gas = await post(digests);
      const seconds = (performance.now() - started) / 1000;
      batches.push({ size, gasPerBatch: gas, gasPerReceipt: gas / size, receiptsPerSecond: size / seconds, wallMs: seconds * 1000 });
      console.log(`batch ${size}: ${gas} gas, ${(gas / size).toFixed(1)} gas/receipt, ${(size / seconds).toFixed(0)} receipts/s`);
    }
    const started = performance.now();
    let aloneGas = 0;
    for (let i = 0; i < ALONE; i++) aloneGas += await post([hexlify(randomBytes(32))]);
    const aloneSeconds = (performance.now() - started) / 1000;
    const alone = { receipts: ALONE, gasPerReceipt: aloneGas / ALONE, receiptsPerSecond: ALONE / aloneSeconds };
    console.log(`each alone: ${alone.gasPerReceipt.toFixed(0)} gas/receipt, ${alone.receiptsPerSecond.toFixed(0)} receipts/s`);
    const result = {
      what: 'ReceiptRegistry.postBatch on a local hardhat node (instant mining): tree build + post + mined, one run per size',
      solc: solcVersion(),
      batches: batches.map((batch) => ({ ...batch, gasPerReceiptVsAlone: batch.gasPerReceipt / alone.gasPerReceipt })),
      alone,
    };
    const out = resolve(__dirname, 'results');
    mkdirSync(out, { recursive: true });
    writeFileSync(resolve(out, 'settlement.json'), `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await chain.stop();
  }
}

void main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});

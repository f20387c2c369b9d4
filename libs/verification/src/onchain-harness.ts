// Test and benchmark harness (dev dependencies only; not exported from the lib). Compiles the receipt verifier with solc (the npm package) and runs it in an in-process EVM (@ethereumjs/evm).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createEVM } from '@ethereumjs/evm';
import { Address, hexToBytes, bytesToHex } from '@ethereumjs/util';
import { Interface } from 'ethers';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const solc = require('solc') as { compile(input: string): string };

const SOURCE = resolve(__dirname, '../contracts/DoppelReceiptVerifier.sol');

export function compileVerifier(): { abi: unknown[]; bytecode: string } {
  const input = {
    language: 'Solidity',
    sources: { 'DoppelReceiptVerifier.sol': { content: readFileSync(SOURCE, 'utf8') } },
    settings: { optimizer: { enabled: true, runs: 200 }, viaIR: true, outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } } },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input))) as {
    errors?: { severity: string; formattedMessage: string }[];
    contracts: Record<string, Record<string, { abi: unknown[]; evm: { bytecode: { object: string } } }>>;
  };
  const errors = (output.errors ?? []).filter((error) => error.severity === 'error');
  if (errors.length > 0) throw new Error(errors.map((error) => error.formattedMessage).join('\n'));
  const contract = output.contracts['DoppelReceiptVerifier.sol']!.DoppelReceiptVerifier!;
  return { abi: contract.abi, bytecode: `0x${contract.evm.bytecode.object}` };
}

export async function deployVerifier(chainId: number) {
  const { abi, bytecode } = compileVerifier();
  const contractInterface = new Interface(abi as never);
  const evm = await createEVM();
  const owner = new Address(hexToBytes('0x00000000000000000000000000000000000d0bb1'));
  const deployment = await evm.runCall({
    caller: owner,
    data: hexToBytes((bytecode + contractInterface.encodeDeploy([chainId]).slice(2)) as `0x${string}`),
    gasLimit: 10_000_000n,
  });
  if (deployment.execResult.exceptionError || !deployment.createdAddress) {
    throw new Error(`deployment failed: ${deployment.execResult.exceptionError?.error}`);
  }
  const contractAddress = deployment.createdAddress;
  const call = async (method: string, args: unknown[]) => {
    const result = await evm.runCall({
      caller: owner,
      to: contractAddress,
      data: hexToBytes(contractInterface.encodeFunctionData(method, args) as `0x${string}`),
      gasLimit: 10_000_000n,
    });
    if (result.execResult.exceptionError) throw new Error(`${method} reverted: ${result.execResult.exceptionError.error}`);
    return contractInterface.decodeFunctionResult(method, bytesToHex(result.execResult.returnValue));
  };
  return {
    setNode: (node: string, registered: boolean) => call('setNode', [node, registered]),
    verify: async (message: Record<string, unknown>, signature: string) => (await call('verify', [message, signature]))[0] as boolean,
    signerOf: async (message: Record<string, unknown>, signature: string) => (await call('signerOf', [message, signature]))[0] as string,
  };
}

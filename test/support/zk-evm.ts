// Compiles a generated Groth16 verifier contract with solc (npm) and runs it in an in-process EVM (@ethereumjs/evm):
// the same route as the receipt verifier's harness (libs/verification/src/onchain-harness.ts). Dev dependencies only.
import { createEVM } from '@ethereumjs/evm';
import { Address, bytesToHex, hexToBytes } from '@ethereumjs/util';
import { Interface } from 'ethers';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const solc = require('solc') as { compile(input: string): string };

/**
 * optimize: solc's optimizer takes about a minute on this contract (the key's constants) and blocks the event loop
 * meanwhile; tests compile without it (1.5 s), the benchmark with it (the gas a deployment would see).
 */
export async function deployZkVerifier(source: string, options: { optimize?: boolean } = {}, contractName = 'DoppelZkVerifier') {
  const input = {
    language: 'Solidity',
    sources: { 'verifier.sol': { content: source } },
    settings: { optimizer: { enabled: options.optimize ?? false, runs: 200 }, outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } } },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input))) as {
    errors?: { severity: string; formattedMessage: string }[];
    contracts: Record<string, Record<string, { abi: unknown[]; evm: { bytecode: { object: string } } }>>;
  };
  const errors = (output.errors ?? []).filter((error) => error.severity === 'error');
  if (errors.length > 0) throw new Error(errors.map((error) => error.formattedMessage).join('\n'));
  const contract = output.contracts['verifier.sol']![contractName]!;
  const contractInterface = new Interface(contract.abi as never);
  const evm = await createEVM();
  const caller = new Address(hexToBytes('0x00000000000000000000000000000000000d0bb1'));
  const deployment = await evm.runCall({ caller, data: hexToBytes(`0x${contract.evm.bytecode.object}`), gasLimit: 30_000_000n });
  if (deployment.execResult.exceptionError || !deployment.createdAddress) throw new Error(`deployment failed: ${deployment.execResult.exceptionError?.error}`);
  const to = deployment.createdAddress;
  return {
    async verifyProof(proofWords: string[], signals: string[]): Promise<{ valid: boolean; gasUsed: bigint }> {
      const result = await evm.runCall({ caller, to, data: hexToBytes(contractInterface.encodeFunctionData('verifyProof', [proofWords, signals]) as `0x${string}`), gasLimit: 30_000_000n });
      if (result.execResult.exceptionError) throw new Error(`verifyProof reverted: ${result.execResult.exceptionError.error}`);
      return { valid: contractInterface.decodeFunctionResult('verifyProof', bytesToHex(result.execResult.returnValue))[0] as boolean, gasUsed: result.execResult.executionGasUsed };
    },
  };
}

// Where the project's Solidity lives, and the compiled form of each contract (compiling needs solc, a dev dependency).
import { resolve } from 'node:path';
import { compileSolidityFiles, type CompiledContract } from './compile-solidity';

export const CONTRACTS_DIR = resolve(__dirname, '../../../contracts');

export function compileProjectContract(name: 'TwinShares' | 'NodePayouts' | 'ReceiptRegistry'): CompiledContract {
  const contract = compileSolidityFiles([resolve(CONTRACTS_DIR, `${name}.sol`)])[name];
  if (!contract) throw new Error(`contracts/${name}.sol holds no contract ${name}`);
  return contract;
}

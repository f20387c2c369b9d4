// Compiles Solidity with solc from npm (the wasm build: nothing is downloaded), once per source text per process.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

export interface CompiledContract {
  abi: unknown[];
  bytecode: string;
}

export class SolidityCompileError extends Error {
  constructor(readonly messages: string[]) {
    super(`solc: ${messages.join('\n')}`);
    this.name = 'SolidityCompileError';
  }
}

// solc is a dev dependency: production processes only need ABIs, so it is loaded on first compile.
type Solc = { compile(input: string): string; version(): string };
let solc: Solc | undefined;
const loadSolc = (): Solc => (solc ??= require('solc') as Solc);

const compiled = new Map<string, Record<string, CompiledContract>>();

/** Every contract of the given .sol files, by contract name. Files see each other by base name (`import "./X.sol"`). */
export function compileSolidityFiles(paths: string[]): Record<string, CompiledContract> {
  const sources = Object.fromEntries(paths.map((path) => [basename(path), { content: readFileSync(path, 'utf8') }]));
  const key = createHash('sha256').update(JSON.stringify(sources)).digest('hex');
  const cached = compiled.get(key);
  if (cached) return cached;
  const input = {
    language: 'Solidity',
    sources,
    settings: {
      optimizer: { enabled: true, runs: 200 },
      evmVersion: 'cancun',
      outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } },
    },
  };
  const output = JSON.parse(loadSolc().compile(JSON.stringify(input))) as {
    errors?: { severity: string; formattedMessage: string }[];
    contracts?: Record<string, Record<string, { abi: unknown[]; evm: { bytecode: { object: string } } }>>;
  };
  const errors = (output.errors ?? []).filter((error) => error.severity === 'error');
  if (errors.length > 0) throw new SolidityCompileError(errors.map((error) => error.formattedMessage));
  const contracts: Record<string, CompiledContract> = {};
  for (const file of Object.values(output.contracts ?? {})) {
    for (const [name, contract] of Object.entries(file)) contracts[name] = { abi: contract.abi, bytecode: `0x${contract.evm.bytecode.object}` };
  }
  compiled.set(key, contracts);
  return contracts;
}

export const solcVersion = (): string => loadSolc().version();

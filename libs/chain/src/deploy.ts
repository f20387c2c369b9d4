// Deploys a compiled contract with ethers and waits for it to be mined.
import { ContractFactory, type BaseContract, type InterfaceAbi, type Signer } from 'ethers';
import type { CompiledContract } from './compile-solidity';

export async function deployContract(compiled: CompiledContract, signer: Signer, args: unknown[] = []): Promise<{ address: string; contract: BaseContract }> {
  const factory = new ContractFactory(compiled.abi as InterfaceAbi, compiled.bytecode, signer);
  const contract = await factory.deploy(...args);
  await contract.waitForDeployment();
  return { address: await contract.getAddress(), contract };
}

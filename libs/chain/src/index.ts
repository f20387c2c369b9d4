export { compileSolidityFiles, solcVersion, SolidityCompileError, type CompiledContract } from './compile-solidity';
export { startLocalChain, localChainAccounts, LOCAL_CHAIN_MNEMONIC, type LocalChain, type LocalChainAccount, type LocalChainOptions } from './local-chain';
export { deployContract } from './deploy';
export { compileProjectContract, CONTRACTS_DIR } from './contract-sources';
export { TWIN_SHARES_ABI, NODE_PAYOUTS_ABI, RECEIPT_REGISTRY_ABI } from './abis';
export { chainProvider } from './chain-provider';

// Configuration of the local development chain that libs/chain starts (`hardhat node`). Nothing here compiles:
// contracts are compiled with solc from npm (libs/chain/src/compile-solidity.ts), so hardhat never fetches a compiler.
module.exports = {
  networks: {
    hardhat: {
      chainId: Number(process.env.DOPPEL_CHAIN_ID || 31337),
      mining: { auto: true },
      accounts: { mnemonic: process.env.DOPPEL_CHAIN_MNEMONIC || 'test test test test test test test test test test test junk', count: 10 },
    },
  },
};

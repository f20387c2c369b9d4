// @doppel/settlement without Node or the database: a receipt's batch leaf and the check of its Merkle inclusion
// proof, which the web app runs in the page (apps/web maps `@doppel/settlement` here). It brings ethers, so the app
// imports it dynamically, only when a receipt is checked. index.ts adds the batcher and the repository.
export { leafOf } from './merkle';
export { inclusionProblems, type Inclusion, type InclusionProof } from './inclusion-proof';

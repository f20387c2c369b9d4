export { TurnsModule } from './turns.module';
export { TurnRunner, ModelFailure, seedForTurn, type TurnOutcome } from './turn-runner.service';
export { assemblePrompt, MEMORY_HEADER, type AssembledPrompt, type PromptInputs } from './prompt-assembler';
export { PersonaVersionCache } from './persona-version-cache';
export { turnTimings, type TurnTimestamps } from './turn-timings';
export { NodeIdentity } from './node-identity.service';
export { ReexecRunner } from './reexec-runner.service';
export { TurnVerifier, type PendingReexecution } from './turn-verifier.service';
export { executeForCheck, modelInputOf, modelOutputOf, type ExecutionResult, type ReexecReply } from './reexecution';

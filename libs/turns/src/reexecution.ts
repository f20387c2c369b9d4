// Re-execution: the serving node hands the exact model input to another node serving the same model (same
// content hash), which re-runs it and answers with the hashes it got, signed when asked.
import type { ChatModelBackend, ChatPrompt, GenerationTrace, SamplingParams } from '@doppel/inference';
import { hashCanonical, type ReceiptTranscript } from '@doppel/verification';

/** What a node computed for a given input: the two hashes a re-execution compares. */
export interface ExecutionHashes {
  inputHash: string;
  outputHash: string;
}

export interface ExecutionResult extends ExecutionHashes {
  text: string;
  trace: GenerationTrace | null;
}

export function modelInputOf(prompt: ChatPrompt, trace: GenerationTrace | null): ReceiptTranscript['input'] {
  return trace ? { tokenIds: trace.promptTokenIds } : { messages: prompt.messages };
}

export function modelOutputOf(text: string, trace: GenerationTrace | null): ReceiptTranscript['output'] {
  return { text, tokenIds: trace ? trace.outputTokenIds : null };
}

/** Runs a generation to the end, without streaming, and hashes input and output as a receipt does. */
export async function executeForCheck(backend: ChatModelBackend, prompt: ChatPrompt, params: SamplingParams, signal: AbortSignal): Promise<ExecutionResult> {
  let text = '';
  let trace: GenerationTrace | null = null;
  for await (const token of backend.generate(prompt, params, signal, (generated) => (trace = generated))) text += token.text;
  const finalTrace = trace as GenerationTrace | null;
  return {
    text,
    trace: finalTrace,
    inputHash: hashCanonical(modelInputOf(prompt, finalTrace)),
    outputHash: hashCanonical(modelOutputOf(text, finalTrace)),
  };
}

/** The result a checking node sends back to the serving node. */
export interface ReexecReply extends ExecutionHashes {
  node: string;
  /** Signature over the Reexecution typed data, present when the hashes were computed (not on refusal). */
  signature: string | null;
  detail?: string;
}

export { reexecResultKey } from '@doppel/redis';

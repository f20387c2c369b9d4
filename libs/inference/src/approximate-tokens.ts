const TOKEN_PATTERN = /[\p{L}\p{N}]+|[^\s\p{L}\p{N}]/gu;

/** Word-and-punctuation count: the token measure of backends that have no vocabulary of their own. */
export function countApproximateTokens(text: string): number {
  return text.match(TOKEN_PATTERN)?.length ?? 0;
}

// fast-png ships ES modules only, whose types this CommonJS build's module resolution cannot see; Node ≥ 20.19
// loads it through require(). The part of its API this library uses:
declare module 'fast-png' {
  export interface DecodedPng {
    width: number;
    height: number;
    /** tEXt chunks by keyword (Latin-1). */
    text: Record<string, string>;
  }
  export function decode(data: ArrayBufferView | ArrayBufferLike, options?: { checkCrc?: boolean }): DecodedPng;
}

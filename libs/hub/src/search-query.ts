// What a search query asks for beyond its words: a size ("under 1M parameters"), languages ("for Swahili"),
// verification ("zk-provable", "runs in a TEE"). These become soft constraints on the ranking; the request's own
// filters (task=, maxParameters=, …) stay exact.
import { LANGUAGE_CODES_BY_NAME } from './language-names';

export interface QueryConstraints {
  maxParameters?: number;
  minParameters?: number;
  languages: string[];
  verification: string[];
}

export interface AnalysedQuery {
  /** Lowercase words to match, without the phrases that stated a constraint. */
  terms: string[];
  /** The last word as typed, matched as a prefix too (search as you type). */
  prefix: string | null;
  constraints: QueryConstraints;
}

const MAX_TERMS = 32;
const WORD = /[\p{L}\p{N}]+(?:['’.\-][\p{L}\p{N}]+)*/gu;

const SCALE: Record<string, number> = { k: 1e3, thousand: 1e3, m: 1e6, mil: 1e6, million: 1e6, millions: 1e6, b: 1e9, bn: 1e9, billion: 1e9, billions: 1e9 };
const NUMBER = String.raw`(\d+(?:[.,]\d+)?)\s*(k|m|b|bn|thousand|million|millions|mil|billion|billions)?`;
const PARAMS = String.raw`(?:\s*-?\s*(?:param(?:eter)?s?|weights))?`;
const AT_MOST = new RegExp(String.raw`(?:under|below|less than|smaller than|fewer than|at most|no more than|max(?:imum)?|up to|within|<=?)\s*${NUMBER}${PARAMS}`, 'giu');
const AT_LEAST = new RegExp(String.raw`(?:over|above|more than|larger than|bigger than|at least|min(?:imum)?|>=?)\s*${NUMBER}${PARAMS}`, 'giu');

const VERIFICATION_TERMS: Record<string, string> = {
  zk: 'zkml',
  zkml: 'zkml',
  zkp: 'zkml',
  snark: 'zkml',
  'zero-knowledge': 'zkml',
  provable: 'zkml',
  tee: 'tee',
  enclave: 'tee',
  sgx: 'tee',
  attested: 'tee',
  attestation: 'tee',
  reexec: 'reexec',
  're-executable': 'reexec',
  're-execution': 'reexec',
  deterministic: 'reexec',
};

function parameterCount(digits: string, scale: string | undefined): number {
  return Number(digits.replace(',', '.')) * (scale ? SCALE[scale.toLowerCase()]! : 1);
}

export function analyseQuery(text: string): AnalysedQuery {
  const constraints: QueryConstraints = { languages: [], verification: [] };
  let rest = text.normalize('NFKC');
  // A bare number with no scale and no "parameters" is more likely a horizon or a count ("under 24 hours").
  rest = rest.replace(AT_MOST, (phrase, digits: string, scale: string | undefined) => {
    if (!scale && !/param|weight/i.test(phrase)) return phrase;
    constraints.maxParameters = Math.min(constraints.maxParameters ?? Infinity, parameterCount(digits, scale));
    return ' ';
  });
  rest = rest.replace(AT_LEAST, (phrase, digits: string, scale: string | undefined) => {
    if (!scale && !/param|weight/i.test(phrase)) return phrase;
    constraints.minParameters = Math.max(constraints.minParameters ?? 0, parameterCount(digits, scale));
    return ' ';
  });
  const words = (rest.toLowerCase().match(WORD) ?? []).slice(0, MAX_TERMS);
  for (const word of words) {
    for (const code of LANGUAGE_CODES_BY_NAME.get(word) ?? []) if (!constraints.languages.includes(code)) constraints.languages.push(code);
    const level = VERIFICATION_TERMS[word];
    if (level && !constraints.verification.includes(level)) constraints.verification.push(level);
  }
  const endsInWord = /[\p{L}\p{N}]$/u.test(text);
  const last = words.at(-1);
  return { terms: words, prefix: endsInWord && last && last.length >= 2 ? last : null, constraints };
}

/** How well a model meets the query's soft constraints: 1 when it meets all of them, less for each it misses. */
export function constraintFactor(
  constraints: QueryConstraints,
  model: { parameters: number | null; languages: readonly string[]; verification: readonly string[] },
  penalty: number,
): number {
  let factor = 1;
  if (constraints.maxParameters !== undefined && (model.parameters === null || model.parameters > constraints.maxParameters)) factor *= penalty;
  if (constraints.minParameters !== undefined && (model.parameters === null || model.parameters < constraints.minParameters)) factor *= penalty;
  const speaks = (code: string) => model.languages.includes(code) || model.languages.includes('multilingual');
  if (constraints.languages.length > 0 && !constraints.languages.some(speaks)) factor *= penalty;
  if (constraints.verification.length > 0 && !constraints.verification.every((level) => model.verification.includes(level))) factor *= penalty;
  return factor;
}

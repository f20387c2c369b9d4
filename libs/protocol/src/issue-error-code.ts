// A validation problem can carry a code more specific than VALIDATION_FAILED (e.g. LOREBOOK_KEY_INVALID): the schema
// puts it in the issue's params, and whoever turns the issues into an error answers with it.
import { ErrorCode } from './error-codes';

export const ISSUE_ERROR_CODE = 'errorCode';

const KNOWN_CODES = new Set<string>(Object.values(ErrorCode));

/** The first specific code among the issues, else VALIDATION_FAILED. */
export function errorCodeOfIssues(issues: readonly object[]): ErrorCode {
  for (const issue of issues) {
    const code = (issue as { params?: Record<string, unknown> }).params?.[ISSUE_ERROR_CODE];
    if (typeof code === 'string' && KNOWN_CODES.has(code)) return code as ErrorCode;
  }
  return ErrorCode.ValidationFailed;
}

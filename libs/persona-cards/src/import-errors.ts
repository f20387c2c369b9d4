// The typed failures of an import: each says what is wrong with the file and what to do about it.
import { DoppelError, ErrorCode } from '@doppel/protocol';

export function importInvalid(message: string, details?: unknown): DoppelError {
  return new DoppelError(ErrorCode.ImportInvalid, message, details);
}

export function unsupportedFormat(message: string): DoppelError {
  return new DoppelError(
    ErrorCode.ImportUnsupportedFormat,
    `${message} Supported: ElizaOS character JSON (one character or a list), Character Card V1/V2/V3 as JSON, PNG (tEXt chunk "ccv3" or "chara") or CHARX (zip with card.json), and lorebooks (SillyTavern World Info, Agnai memory books, lorebook_v3).`,
  );
}

export function importTooLarge(what: string, limitBytes: number): DoppelError {
  return new DoppelError(ErrorCode.ImportTooLarge, `${what} is larger than ${limitBytes} bytes; export a smaller file (without embedded assets) and try again.`, {
    limitBytes,
  });
}

// Reads a file sent as multipart/form-data (field `file`) or as the raw request body, streaming it into memory up to
// a cap: nothing past the cap is read, and nothing is base64-inflated. Called from the route handler, so the API key
// is checked before a byte of the body is read.
import { raw, type Request, type Response } from 'express';
import multer from 'multer';
import { DoppelError, ErrorCode } from '@doppel/protocol';

export interface UploadedFile {
  bytes: Buffer;
  /** The media type the client declared (the bytes decide what the file is). */
  mediaType: string;
  fileName?: string;
  /** Other multipart fields, or the query string for a raw body. */
  fields: Record<string, unknown>;
}

export interface UploadRules {
  maxBytes: number;
  /** Media types accepted as a raw body (multipart is always accepted). */
  rawTypes: readonly string[];
  tooLarge: (limitBytes: number) => DoppelError;
  unsupported: (mediaType: string) => DoppelError;
}

export function receiveUpload(request: Request, rules: UploadRules): Promise<UploadedFile> {
  const response = request.res as Response;
  const mediaType = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  return new Promise((resolve, reject) => {
    const fail = (error: unknown) => reject(translate(error, rules));
    if (mediaType === 'multipart/form-data') {
      const multipart = multer({ storage: multer.memoryStorage(), limits: { fileSize: rules.maxBytes, files: 1, fields: 8, fieldSize: 4096, parts: 10 } }).single('file');
      return multipart(request, response, (error?: unknown) => {
        if (error) return fail(error);
        const file = (request as Request & { file?: Express.Multer.File }).file;
        if (!file) return fail(new DoppelError(ErrorCode.ValidationFailed, 'The multipart body has no file part named "file".'));
        resolve({ bytes: file.buffer, mediaType: file.mimetype, fileName: file.originalname || undefined, fields: { ...(request.body as Record<string, unknown>) } });
      });
    }
    if (!rules.rawTypes.includes(mediaType)) return fail(rules.unsupported(mediaType || 'no content type'));
    return raw({ type: () => true, limit: rules.maxBytes })(request, response, (error?: unknown) => {
      if (error) return fail(error);
      const bytes = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const fields = { ...(request.query as Record<string, unknown>) };
      resolve({ bytes, mediaType, fileName: typeof fields.fileName === 'string' ? fields.fileName : undefined, fields });
    });
  });
}

/** Too large is told in the route's own terms; a broken multipart body is the client's error, never a 500. */
function translate(error: unknown, rules: UploadRules): unknown {
  if (error instanceof DoppelError) return error;
  const code = (error as { code?: string }).code;
  const type = (error as { type?: string }).type;
  if (code === 'LIMIT_FILE_SIZE' || type === 'entity.too.large') return rules.tooLarge(rules.maxBytes);
  if (error instanceof multer.MulterError) return new DoppelError(ErrorCode.ValidationFailed, `The multipart body is not what this route takes (${error.message}); send one file in a part named "file".`);
  if (type === 'request.aborted' || type === 'request.size.invalid' || /Unexpected end of form|Malformed part header|Multipart: Boundary not found/i.test((error as Error).message ?? '')) {
    return new DoppelError(ErrorCode.ValidationFailed, `The request body is malformed (${(error as Error).message}).`);
  }
  return error;
}

// Receives a publication as multipart/form-data: a `card` part (the Markdown), one `file` part per model file whose
// filename is its path inside the model folder, and optionally `signer` and `signature`. Files stream straight into
// the blob store, hashed on the way; nothing is held in memory but the card.
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import busboy from 'busboy';
import { DoppelError, ErrorCode } from '@doppel/protocol';
import type { BlobStore } from './blob-store';
import type { HubFile } from './hub-tables';
import { CARD_MAX_BYTES } from './model-card';

export const MAX_FILES_PER_MODEL = 1000;
const PATH_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9._-]*(\/[A-Za-z0-9_][A-Za-z0-9._-]*)*$/;

export interface ReceivedPublication {
  cardMarkdown: string;
  files: HubFile[];
  signer?: string;
  signature?: string;
}

/** Why a model file path is refused, or null when it is fine. */
export function modelFilePathProblem(path: string): string | null {
  if (path.length === 0 || path.length > 512) return 'must be 1 to 512 characters';
  if (!PATH_PATTERN.test(path)) return 'must be a relative path of letters, digits, ".", "_" and "-" segments joined by "/", none starting with "."';
  if (/\.md$/i.test(path)) return 'is documentation, which is not part of a model’s identity: send the card as the `card` part';
  return null;
}

function uploadError(message: string): DoppelError {
  return new DoppelError(ErrorCode.HubUploadInvalid, message);
}

export function receiveModelFiles(request: Readable & { headers: IncomingHttpHeaders }, store: BlobStore, maxBytes: number): Promise<ReceivedPublication> {
  return new Promise((resolve, reject) => {
    let parser: ReturnType<typeof busboy>;
    try {
      parser = busboy({ headers: request.headers, preservePath: true, limits: { fieldSize: CARD_MAX_BYTES, files: MAX_FILES_PER_MODEL, fields: 16, parts: MAX_FILES_PER_MODEL + 16 } });
    } catch {
      return reject(uploadError('Send the publication as multipart/form-data (a `card` part and one `file` part per model file) or as JSON.'));
    }
    let failed: Error | null = null;
    let cardMarkdown: string | null = null;
    let signer: string | undefined;
    let signature: string | undefined;
    let received = 0;
    const paths = new Set<string>();
    const stored: Promise<HubFile>[] = [];
    const fail = (error: Error) => {
      if (failed) return;
      failed = error;
      request.unpipe(parser);
      request.resume();
      reject(error);
    };

    parser.on('file', (name, stream, info) => {
      if (failed) return void stream.resume();
      if (name === 'card') {
        const chunks: Buffer[] = [];
        let bytes = 0;
        stream.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          if (bytes > CARD_MAX_BYTES) fail(new DoppelError(ErrorCode.HubCardInvalid, `The model card is not valid: it is larger than ${CARD_MAX_BYTES} bytes`));
          else chunks.push(chunk);
        });
        stream.on('end', () => (cardMarkdown = Buffer.concat(chunks).toString('utf8')));
        return;
      }
      if (name !== 'file') {
        stream.resume();
        return fail(uploadError(`Unexpected file part "${name}": model files go in \`file\` parts, the card in \`card\`.`));
      }
      const path = (info.filename ?? '').replace(/\\/g, '/');
      const problem = modelFilePathProblem(path);
      if (problem) {
        stream.resume();
        return fail(uploadError(`The file "${path}" ${problem}.`));
      }
      if (paths.has(path)) {
        stream.resume();
        return fail(uploadError(`The file "${path}" is sent twice.`));
      }
      paths.add(path);
      const budget = Math.max(0, maxBytes - received);
      const put = store.put(stream, budget).then((blob) => {
        received += blob.bytes;
        return { path, sha256: blob.sha256, bytes: blob.bytes };
      });
      put.catch((error: Error) => {
        stream.resume();
        fail(error);
      });
      stored.push(put);
    });
    parser.on('field', (name, value, info) => {
      if (failed) return;
      if (info.valueTruncated) return fail(uploadError(`The field "${name}" is too long.`));
      if (name === 'card') cardMarkdown = value;
      else if (name === 'signer') signer = value;
      else if (name === 'signature') signature = value;
      else fail(uploadError(`Unexpected field "${name}": a publication has \`card\`, \`file\` parts, and optionally \`signer\` and \`signature\`.`));
    });
    for (const limit of ['filesLimit', 'partsLimit', 'fieldsLimit'] as const) {
      parser.on(limit, () => fail(uploadError(`A model has at most ${MAX_FILES_PER_MODEL} files.`)));
    }
    parser.on('error', (error) => fail(uploadError(`The multipart body cannot be read: ${error.message}.`)));
    parser.on('close', () => {
      if (failed) return;
      Promise.all(stored)
        .then((files) => {
          if (failed) return;
          if (cardMarkdown === null) return fail(uploadError('The publication has no `card` part (the model card, Markdown with YAML front matter).'));
          if (files.length === 0) return fail(uploadError('The publication has no `file` parts; publish a card alone (or a remote model) as JSON.'));
          const total = files.reduce((sum, file) => sum + file.bytes, 0);
          if (total > maxBytes) return fail(new DoppelError(ErrorCode.HubUploadTooLarge, `The upload is larger than ${maxBytes} bytes (HUB_MAX_UPLOAD_BYTES).`));
          resolve({ cardMarkdown, files, signer, signature });
        })
        .catch(fail);
    });
    request.on('error', (error) => fail(uploadError(`The upload was interrupted: ${error.message}.`)));
    request.pipe(parser);
  });
}

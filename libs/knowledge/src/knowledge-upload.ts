// What a creator may upload as knowledge, checked before anything is stored: one place for the rules and their errors.
import type { KnowledgeMediaType } from '@doppel/db';
import { DoppelError, ErrorCode } from '@doppel/protocol';
import type { KnowledgeContent } from './knowledge.repository';

export const KNOWLEDGE_MEDIA_TYPES: readonly KnowledgeMediaType[] = ['text/plain', 'text/markdown'];
export const KNOWLEDGE_TITLE_MAX_CHARS = 200;

export interface KnowledgeUpload {
  title: string;
  /** A media type, parameters allowed ("text/markdown; charset=utf-8"). */
  mediaType: string;
  content: string;
}

/** Checks an upload against the rules and returns it normalised; every refusal has its own code and says what to do. */
export function validateKnowledgeUpload(upload: KnowledgeUpload, maxBytes: number): KnowledgeContent {
  const mediaType = upload.mediaType.split(';')[0]!.trim().toLowerCase() as KnowledgeMediaType;
  if (!KNOWLEDGE_MEDIA_TYPES.includes(mediaType)) {
    throw new DoppelError(
      ErrorCode.KnowledgeUnsupportedType,
      `Knowledge documents are plain text or Markdown (${KNOWLEDGE_MEDIA_TYPES.join(' or ')}), not "${upload.mediaType}". Convert the document to text first.`,
    );
  }
  const title = upload.title.trim();
  if (title.length === 0 || title.length > KNOWLEDGE_TITLE_MAX_CHARS) {
    throw new DoppelError(ErrorCode.ValidationFailed, `A knowledge document needs a title of 1 to ${KNOWLEDGE_TITLE_MAX_CHARS} characters.`);
  }
  if (upload.content.includes('\u0000')) {
    throw new DoppelError(ErrorCode.ValidationFailed, 'The document contains a NUL character (U+0000), so it is not text. Upload a text or Markdown file.');
  }
  if (upload.content.trim().length === 0) {
    throw new DoppelError(ErrorCode.KnowledgeEmpty, 'The document is empty. Upload a document with some text in it.');
  }
  const bytes = Buffer.byteLength(upload.content, 'utf8');
  if (bytes > maxBytes) {
    throw new DoppelError(
      ErrorCode.KnowledgeTooLarge,
      `The document is ${bytes} bytes; knowledge documents may be at most ${maxBytes} bytes (KNOWLEDGE_MAX_BYTES). Split it into several documents.`,
    );
  }
  return { title, mediaType, content: upload.content };
}

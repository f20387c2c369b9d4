import { describe, expect, it } from 'vitest';
import { DoppelError, ErrorCode } from '@doppel/protocol';
import { validateKnowledgeUpload, type KnowledgeUpload } from './knowledge-upload';

const upload = (overrides: Partial<KnowledgeUpload> = {}): KnowledgeUpload => ({ title: 'Engines', mediaType: 'text/markdown', content: '# Engines\n\nThey compute.', ...overrides });

function refusal(input: KnowledgeUpload, maxBytes = 1024): DoppelError {
  try {
    validateKnowledgeUpload(input, maxBytes);
  } catch (error) {
    if (error instanceof DoppelError) return error;
    throw error;
  }
  throw new Error('the upload was accepted');
}

describe('validateKnowledgeUpload', () => {
  it('accepts text and Markdown, normalising the media type and trimming the title', () => {
    expect(validateKnowledgeUpload(upload({ title: '  Engines ', mediaType: 'Text/Markdown; charset=utf-8' }), 1024)).toEqual({
      title: 'Engines',
      mediaType: 'text/markdown',
      content: '# Engines\n\nThey compute.',
    });
    expect(validateKnowledgeUpload(upload({ mediaType: 'text/plain' }), 1024).mediaType).toBe('text/plain');
  });

  it('refuses other media types with KNOWLEDGE_UNSUPPORTED_TYPE', () => {
    const error = refusal(upload({ mediaType: 'application/pdf' }));
    expect(error.code).toBe(ErrorCode.KnowledgeUnsupportedType);
    expect(error.message).toContain('application/pdf');
  });

  it('refuses an empty or whitespace-only document with KNOWLEDGE_EMPTY', () => {
    expect(refusal(upload({ content: '' })).code).toBe(ErrorCode.KnowledgeEmpty);
    expect(refusal(upload({ content: ' \n\t ' })).code).toBe(ErrorCode.KnowledgeEmpty);
  });

  it('counts the size in UTF-8 bytes and refuses one past the cap with KNOWLEDGE_TOO_LARGE, naming the cap', () => {
    const atCap = 'é'.repeat(512); // 1024 bytes
    expect(validateKnowledgeUpload(upload({ content: atCap }), 1024).content).toBe(atCap);
    const error = refusal(upload({ content: `${atCap}x` }), 1024);
    expect(error.code).toBe(ErrorCode.KnowledgeTooLarge);
    expect(error.message).toContain('1025 bytes');
    expect(error.message).toContain('1024');
  });

  it('refuses a missing or overlong title, and binary content', () => {
    expect(refusal(upload({ title: '  ' })).code).toBe(ErrorCode.ValidationFailed);
    expect(refusal(upload({ title: 'x'.repeat(201) })).code).toBe(ErrorCode.ValidationFailed);
    expect(refusal(upload({ content: 'abc\u0000def' })).code).toBe(ErrorCode.ValidationFailed);
  });
});

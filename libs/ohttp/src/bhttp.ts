// Binary HTTP (RFC 9292): requests and responses as bytes. Known-length form for whole messages; the indeterminate
// form for responses written and read as they are produced (a streamed reply inside chunked OHTTP).
import { ByteReader, concatBytes, encodeVarint, peekVarint, utf8 } from './bytes';
import { OhttpError, OhttpErrorCode } from './errors';

export type HeaderList = [name: string, value: string][];

export interface BinaryRequest {
  method: string;
  scheme: string;
  authority: string;
  /** Path and query, e.g. `/v1/models?x=1`. */
  path: string;
  headers: HeaderList;
  body: Uint8Array;
}

export interface BinaryResponseHead {
  status: number;
  headers: HeaderList;
}

export interface BinaryResponse extends BinaryResponseHead {
  body: Uint8Array;
}

const enum Framing {
  KnownRequest = 0,
  KnownResponse = 1,
  IndeterminateRequest = 2,
  IndeterminateResponse = 3,
}

function lengthPrefixed(bytes: Uint8Array): Uint8Array {
  return concatBytes(encodeVarint(bytes.length), bytes);
}

function fieldLines(headers: HeaderList): Uint8Array {
  return concatBytes(
    ...headers.flatMap(([name, value]) => {
      if (!name || name !== name.toLowerCase()) throw new OhttpError(OhttpErrorCode.Malformed, `field name "${name}" must be non-empty lowercase`);
      return [lengthPrefixed(utf8.encode(name)), lengthPrefixed(utf8.encode(value))];
    }),
  );
}

function knownFieldSection(headers: HeaderList): Uint8Array {
  return lengthPrefixed(fieldLines(headers));
}

export function encodeRequest(request: BinaryRequest): Uint8Array {
  return concatBytes(
    encodeVarint(Framing.KnownRequest),
    lengthPrefixed(utf8.encode(request.method)),
    lengthPrefixed(utf8.encode(request.scheme)),
    lengthPrefixed(utf8.encode(request.authority)),
    lengthPrefixed(utf8.encode(request.path)),
    knownFieldSection(request.headers),
    lengthPrefixed(request.body),
    knownFieldSection([]),
  );
}

export function encodeResponse(response: BinaryResponse): Uint8Array {
  return concatBytes(
    encodeVarint(Framing.KnownResponse),
    encodeVarint(checkStatus(response.status)),
    knownFieldSection(response.headers),
    lengthPrefixed(response.body),
    knownFieldSection([]),
  );
}

function checkStatus(status: number): number {
  if (!Number.isInteger(status) || status < 200 || status > 599) throw new OhttpError(OhttpErrorCode.Malformed, `final status ${status} out of range`);
  return status;
}

function parseFieldLines(reader: ByteReader): HeaderList {
  const headers: HeaderList = [];
  while (reader.remaining > 0) headers.push(readFieldLine(reader));
  return headers;
}

function readFieldLine(reader: ByteReader, firstNameLength?: number): [string, string] {
  const nameLength = firstNameLength ?? reader.varint();
  const name = utf8.decode(reader.take(nameLength));
  const value = utf8.decode(reader.lengthPrefixed());
  if (!name || name !== name.toLowerCase() || /[\r\n:]/.test(name) || /[\r\n\0]/.test(value)) {
    throw new OhttpError(OhttpErrorCode.Malformed, 'a field line is not valid');
  }
  return [name, value];
}

function readFieldSection(reader: ByteReader, indeterminate: boolean): HeaderList {
  if (!indeterminate) return parseFieldLines(new ByteReader(reader.lengthPrefixed(), 'a field section'));
  const headers: HeaderList = [];
  for (let nameLength = reader.varint(); nameLength !== 0; nameLength = reader.varint()) headers.push(readFieldLine(reader, nameLength));
  return headers;
}

function readContent(reader: ByteReader, indeterminate: boolean): Uint8Array {
  if (!indeterminate) return reader.lengthPrefixed().slice();
  const chunks: Uint8Array[] = [];
  for (let length = reader.varint(); length !== 0; length = reader.varint()) chunks.push(reader.take(length));
  return concatBytes(...chunks);
}

function checkPadding(reader: ByteReader): void {
  if (reader.rest().some((byte) => byte !== 0)) throw new OhttpError(OhttpErrorCode.Malformed, 'bytes after the message are not padding');
}

/** Decodes a whole request, known- or indeterminate-length. Content and trailers may be cut off (RFC 9292 §3.8). */
export function decodeRequest(bytes: Uint8Array): BinaryRequest {
  const reader = new ByteReader(bytes, 'the binary HTTP request');
  const framing = reader.varint();
  if (framing !== Framing.KnownRequest && framing !== Framing.IndeterminateRequest) {
    throw new OhttpError(OhttpErrorCode.Malformed, `framing indicator ${framing} is not a request`);
  }
  const indeterminate = framing === Framing.IndeterminateRequest;
  const [method, scheme, authority, path] = [0, 1, 2, 3].map(() => utf8.decode(reader.lengthPrefixed()));
  if (!/^[A-Z]{1,16}$/.test(method!) || !path!.startsWith('/')) throw new OhttpError(OhttpErrorCode.Malformed, 'the request line is not valid');
  // Everything after the control data may be cut off when empty (RFC 9458's own example does so).
  const headers = reader.remaining > 0 ? readFieldSection(reader, indeterminate) : [];
  const body = reader.remaining > 0 ? readContent(reader, indeterminate) : new Uint8Array(0);
  if (reader.remaining > 0) readFieldSection(reader, indeterminate);
  checkPadding(reader);
  return { method: method!, scheme: scheme!, authority: authority!, path: path!, headers, body };
}

/** Decodes a whole response, known- or indeterminate-length (informational responses are skipped). */
export function decodeResponse(bytes: Uint8Array): BinaryResponse {
  const decoder = new ResponseDecoder();
  const events = [...decoder.push(bytes), ...decoder.end()];
  const head = events.find((event): event is ResponseEvent & { type: 'head' } => event.type === 'head');
  if (!head) throw new OhttpError(OhttpErrorCode.Truncated, 'the binary HTTP response ends before its status');
  const body = concatBytes(...events.flatMap((event) => (event.type === 'data' ? [event.bytes] : [])));
  return { status: head.status, headers: head.headers, body };
}

/** Writes an indeterminate-length response piece by piece: head, any number of content pieces, end. */
export const indeterminateResponse = {
  head(head: BinaryResponseHead): Uint8Array {
    return concatBytes(encodeVarint(Framing.IndeterminateResponse), encodeVarint(checkStatus(head.status)), fieldLines(head.headers), encodeVarint(0));
  },
  content(bytes: Uint8Array): Uint8Array {
    return bytes.length === 0 ? new Uint8Array(0) : lengthPrefixed(bytes);
  },
  /** The content terminator and an empty trailer section. */
  end(): Uint8Array {
    return Uint8Array.of(0, 0);
  },
};

export type ResponseEvent = { type: 'head'; status: number; headers: HeaderList } | { type: 'data'; bytes: Uint8Array } | { type: 'end' };

type DecoderState = 'framing' | 'status' | 'content' | 'trailers' | 'padding';

/**
 * Reads a binary HTTP response as its bytes arrive: the head once complete, each content chunk of an
 * indeterminate-length response as soon as it is whole, then the end.
 */
export class ResponseDecoder {
  private buffer: Uint8Array = new Uint8Array(0);
  private state: DecoderState = 'framing';
  private indeterminate = false;
  private ended = false;

  push(bytes: Uint8Array): ResponseEvent[] {
    if (this.ended) throw new OhttpError(OhttpErrorCode.Malformed, 'bytes after the end of the response');
    this.buffer = this.buffer.length ? concatBytes(this.buffer, bytes) : bytes.slice();
    const events: ResponseEvent[] = [];
    for (;;) {
      const reader = new ByteReader(this.buffer, 'the binary HTTP response');
      let event: ResponseEvent | null | undefined;
      try {
        event = this.step(reader);
      } catch (error) {
        if (error instanceof OhttpError && error.code === OhttpErrorCode.Truncated) break;
        throw error;
      }
      this.buffer = this.buffer.subarray(this.buffer.length - reader.remaining);
      if (event) events.push(event);
      if (event === undefined) break;
    }
    return events;
  }

  /** The stream is over: returns the end event, or throws if the response was cut off where that is not allowed. */
  end(): ResponseEvent[] {
    if (this.ended) return [];
    const status = this.state === 'status' && !this.indeterminate ? peekVarint(this.buffer, 0) : null;
    if (status && status.length === this.buffer.length && status.value >= 200) {
      // A known-length response cut off right after its status: no fields, no content (RFC 9292 §3.8).
      this.ended = true;
      return [{ type: 'head', status: checkStatus(status.value), headers: [] }, { type: 'end' }];
    }
    const cutOffAllowed = this.state === 'trailers' || this.state === 'padding' || (this.state === 'content' && !this.indeterminate && this.buffer.length === 0);
    if (!cutOffAllowed || this.buffer.length > 0) throw new OhttpError(OhttpErrorCode.Truncated, 'the binary HTTP response ends early');
    this.ended = true;
    return [{ type: 'end' }];
  }

  /** One unit of progress: an event, null (progress without an event), or undefined (nothing left to read now). */
  private step(reader: ByteReader): ResponseEvent | null | undefined {
    switch (this.state) {
      case 'framing': {
        const framing = reader.varint();
        if (framing !== Framing.KnownResponse && framing !== Framing.IndeterminateResponse) {
          throw new OhttpError(OhttpErrorCode.Malformed, `framing indicator ${framing} is not a response`);
        }
        this.indeterminate = framing === Framing.IndeterminateResponse;
        this.state = 'status';
        return null;
      }
      case 'status': {
        const status = reader.varint();
        const headers = readFieldSection(reader, this.indeterminate);
        if (status >= 100 && status < 200) return null;
        this.state = 'content';
        return { type: 'head', status: checkStatus(status), headers };
      }
      case 'content': {
        if (reader.remaining === 0) return undefined;
        const length = reader.varint();
        if (this.indeterminate && length === 0) {
          this.state = 'trailers';
          return null;
        }
        const bytes = reader.take(length).slice();
        if (!this.indeterminate) this.state = 'trailers';
        return length > 0 ? { type: 'data', bytes } : null;
      }
      case 'trailers':
        if (reader.remaining === 0) return undefined;
        readFieldSection(reader, this.indeterminate);
        this.state = 'padding';
        return null;
      case 'padding':
        if (reader.remaining === 0) return undefined;
        checkPadding(reader);
        return undefined;
    }
  }
}

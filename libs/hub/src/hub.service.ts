// Publishing to the hub and reading an entry back with its provenance: who published it, when, what it was made
// from and what was made from it, its versions, and which live nodes serve it now at which verification levels.
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { Inject, Injectable } from '@nestjs/common';
import { z } from 'zod';
import { APP_CONFIG, type AppConfig } from '@doppel/config';
import { NodeRegistry, NodesRepository } from '@doppel/nodes';
import { DoppelError, ErrorCode } from '@doppel/protocol';
import { BlobStore } from './blob-store';
import { HubEmbedder } from './hub-embedder';
import type { HubFile, HubRemote, HubSource } from './hub-tables';
import { HubRepository, type HubVersionRecord } from './hub.repository';
import type { HubModelView, ServingNode } from './hub-views';
import { parseModelCard, type CardFrontMatter, type ModelCard } from './model-card';
import { receiveModelFiles } from './model-files-upload';
import { cardHash, cardOnlyModelHash, filesModelHash, remoteModelHash } from './model-identity';
import { parseModelRef, type ModelRef } from './model-ref';
import { checkPublicationSignature, publicationOf } from './publication-signature';
import { searchDocumentOf } from './search-document';

const signatureFields = {
  /** The publisher's Ethereum address; with `signature`, an EIP-712 ModelPublication signed by it. */
  signer: z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'an Ethereum address').optional(),
  signature: z.string().regex(/^0x[0-9a-fA-F]{130}$/, 'a 65-byte hex signature').optional(),
};

/** JSON publications: a card alone (a listing), or a card with the OpenAI-compatible endpoint that serves it. */
export const publishJsonSchema = z
  .strictObject({
    card: z.string().min(1),
    remote: z
      .strictObject({
        baseUrl: z.string().url().regex(/^https?:\/\//, 'an http(s) base URL, e.g. http://127.0.0.1:8000/v1').max(1024),
        upstreamModel: z.string().min(1).max(256),
      })
      .optional(),
    ...signatureFields,
  })
  .refine((body) => (body.signer === undefined) === (body.signature === undefined), 'signer and signature come together');
export type PublishJson = z.infer<typeof publishJsonSchema>;

@Injectable()
export class HubService {
  private readonly blobs: BlobStore;

  constructor(
    private readonly repository: HubRepository,
    private readonly embedder: HubEmbedder,
    private readonly nodes: NodesRepository,
    private readonly liveNodes: NodeRegistry,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.blobs = new BlobStore(config.hub.blobDir);
  }

  get blobStore(): BlobStore {
    return this.blobs;
  }

  /** multipart/form-data: the card and the model's files, streamed into the blob store. */
  async publishUpload(publisherId: string, request: Readable & { headers: IncomingHttpHeaders }): Promise<HubModelView> {
    const received = await receiveModelFiles(request, this.blobs, this.config.hub.maxUploadBytes);
    const card = parseModelCard(received.cardMarkdown);
    if (received.signer === undefined && received.signature !== undefined) throw new DoppelError(ErrorCode.HubUploadInvalid, 'A signature needs its signer.');
    if (received.signer !== undefined && received.signature === undefined) throw new DoppelError(ErrorCode.HubUploadInvalid, 'A signer needs a signature.');
    const files = [...received.files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    return this.view(await this.publishCard(publisherId, card, 'files', filesModelHash(files), files, null, received));
  }

  async publishJson(publisherId: string, body: PublishJson): Promise<HubModelView> {
    const card = parseModelCard(body.card);
    if (body.remote) {
      const remote: HubRemote = { backend: 'openai', baseUrl: body.remote.baseUrl.replace(/\/+$/, ''), upstreamModel: body.remote.upstreamModel };
      return this.view(await this.publishCard(publisherId, card, 'remote', remoteModelHash(remote), [], remote, body));
    }
    return this.view(await this.publishCard(publisherId, card, 'card', cardOnlyModelHash(card.markdown), [], null, body));
  }

  /** A card alone (a listing), for bulk imports: returns the stored version without the provenance view. */
  async publishListing(publisherId: string, cardMarkdown: string): Promise<HubVersionRecord> {
    const card = parseModelCard(cardMarkdown);
    return this.publishCard(publisherId, card, 'card', cardOnlyModelHash(card.markdown), [], null, {});
  }

  async get(refText: string): Promise<HubModelView> {
    return this.view(await this.resolve(refText));
  }

  async resolve(refText: string): Promise<HubVersionRecord> {
    const ref = parseModelRef(refText);
    if (!ref) throw new DoppelError(ErrorCode.ValidationFailed, `"${refText}" is not a model reference: use its model hash, name, or name@version.`);
    const record = await this.find(ref);
    if (!record) throw new DoppelError(ErrorCode.HubModelNotFound, `No model ${refText} on this hub.`);
    return record;
  }

  /** A published file, for download; only blobs some version holds are served. */
  async blob(sha256: string): Promise<{ bytes: number; open: () => Readable }> {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new DoppelError(ErrorCode.ValidationFailed, 'A blob is named by its sha256 (64 lowercase hex digits).');
    const bytes = await this.repository.blobBytes(sha256);
    const onDisk = bytes === null ? null : await this.blobs.size(sha256);
    if (bytes === null || onDisk !== bytes) throw new DoppelError(ErrorCode.HubBlobNotFound, `No published file has sha256 ${sha256}.`);
    return { bytes, open: () => this.blobs.open(sha256) };
  }

  /** Embeds every searchable card again with the deployment's embedding model (after it changed). */
  async reembedSearch(onProgress: (line: string) => void = () => {}): Promise<number> {
    const entries = await this.repository.searchTexts();
    let done = 0;
    for (const entry of entries) {
      const embedded = await this.embedder.embed([searchDocumentOf(parseModelCard(entry.cardMarkdown)).embeddingText]);
      if (!embedded) throw new Error(`the embedding model ${this.embedder.modelId} cannot be loaded`);
      await this.repository.replaceEmbedding(entry.name, { model: embedded.model, vector: embedded.vectors[0]! });
      if (++done % 500 === 0) onProgress(`${done}/${entries.length} re-embedded`);
    }
    return done;
  }

  private find(ref: ModelRef): Promise<HubVersionRecord | null> {
    return ref.kind === 'hash' ? this.repository.findByHash(ref.modelHash) : this.repository.findByName(ref.name, ref.version);
  }

  private async publishCard(
    publisherId: string,
    card: ModelCard,
    source: HubSource,
    modelHash: string,
    files: HubFile[],
    remote: HubRemote | null,
    signed: { signer?: string; signature?: string },
  ): Promise<HubVersionRecord> {
    const name = card.frontMatter.id;
    let signer: string | null = null;
    if (signed.signer && signed.signature) {
      signer = checkPublicationSignature(publicationOf(name, modelHash, cardHash(card.markdown)), signed.signer, signed.signature, this.config.verification.chainId);
    }
    const parent = await this.resolveParent(card.frontMatter);
    if (parent.hash === modelHash) throw new DoppelError(ErrorCode.HubCardInvalid, 'The model card is not valid: base_model names the model itself.');
    const document = searchDocumentOf(card);
    const embedded = await this.embedder.embed([document.embeddingText]);
    return this.repository.publish(
      {
        modelHash,
        name,
        source,
        card: card.frontMatter,
        cardMarkdown: card.markdown,
        summary: card.summary,
        files,
        remote,
        publisherId,
        signer,
        signature: signer ? signed.signature!.toLowerCase() : null,
        parentRef: card.frontMatter.base_model ?? null,
        parentHash: parent.hash,
        parentRelation: card.frontMatter.base_model ? (card.frontMatter.base_model_relation ?? null) : null,
      },
      document,
      embedded ? { model: embedded.model, vector: embedded.vectors[0]! } : null,
    );
  }

  /** base_model as a hash is kept even when this hub does not hold it (it may live on another); a name must resolve. */
  private async resolveParent(card: CardFrontMatter): Promise<{ hash: string | null }> {
    if (!card.base_model) return { hash: null };
    const ref = parseModelRef(card.base_model);
    if (!ref) throw new DoppelError(ErrorCode.HubCardInvalid, `The model card is not valid: base_model "${card.base_model}" is not a model hash or name@version.`);
    if (ref.kind === 'hash') return { hash: ref.modelHash };
    const parent = await this.find(ref);
    if (!parent) throw new DoppelError(ErrorCode.HubCardInvalid, `The model card is not valid: base_model ${card.base_model} is not on this hub (name it by its model hash).`);
    return { hash: parent.modelHash };
  }

  private async view(record: HubVersionRecord): Promise<HubModelView> {
    const parentRecord = record.parentHash ? await this.repository.findByHash(record.parentHash) : null;
    const [versions, children, servingNodes] = await Promise.all([
      this.repository.versionsOf(record.name),
      this.repository.childrenOf(record.modelHash),
      this.servingNodes(record.modelHash),
    ]);
    return {
      name: record.name,
      version: record.version,
      latestVersion: record.latestVersion,
      modelHash: record.modelHash,
      receiptModelHash: `0x${record.modelHash}`,
      source: record.source,
      card: record.card,
      cardMarkdown: record.cardMarkdown,
      files: record.files,
      totalBytes: record.files.reduce((total, file) => total + file.bytes, 0),
      remote: record.remote,
      provenance: {
        publisher: { accountId: record.publisherId, displayName: record.publisherName },
        publishedAt: record.publishedAt,
        signature: record.signer && record.signature ? { signer: record.signer, signature: record.signature, cardHash: cardHash(record.cardMarkdown) } : null,
        parent: record.parentRef
          ? { ref: record.parentRef, modelHash: record.parentHash, relation: record.parentRelation, name: parentRecord?.name ?? null, version: parentRecord?.version ?? null }
          : null,
        children,
      },
      versions,
      servingNodes,
    };
  }

  /**
   * Live nodes that have this model loaded (by hash, whatever id they registered it under). Every node signs;
   * re-execution needs a second node with the same bytes.
   */
  private async servingNodes(modelHash: string): Promise<ServingNode[]> {
    const [live, trusted] = await Promise.all([this.liveNodes.live(), this.nodes.trustedAddresses()]);
    const holding = live.flatMap((node) => {
      const chat = node.chatModels.find((model) => model.modelHash === modelHash);
      const modelId = chat?.modelId ?? (node.embeddingModel.modelHash === modelHash ? node.embeddingModel.modelId : null);
      return modelId ? [{ node, modelId, chat: chat !== undefined }] : [];
    });
    const chatNodes = holding.filter((entry) => entry.chat).length;
    return holding
      .map(({ node, modelId, chat }) => ({
        nodeId: node.nodeId,
        address: node.address,
        modelId,
        servesTurns: chat && node.servesTurns !== false,
        levels: chat ? ['none', 'signed', ...(chatNodes >= 2 ? ['reexec', 'signed+reexec'] : [])] : [],
        revoked: !trusted.has(node.address.toLowerCase()),
      }))
      .sort((a, b) => (a.nodeId < b.nodeId ? -1 : 1));
  }
}

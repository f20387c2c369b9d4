// Persona avatars: creators upload a picture (validated and re-encoded), everyone gets it by its content hash with
// caching headers. The GET routes are public because an <img> sends no API key; the hash is the only name a picture has.
import { Controller, Get, Headers, HttpCode, Inject, Param, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiConsumes, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { Account } from '@doppel/accounts';
import { APP_CONFIG, type AppConfig } from '@doppel/config';
import { AvatarsService, type AvatarVariant, type StoredAvatar } from '@doppel/personas';
import { DoppelError, ErrorCode } from '@doppel/protocol';
import { CurrentAccount, PublicRoute } from '../auth/api-key.guard';
import { receiveUpload, type UploadRules } from './file-upload';

const MEDIA_TYPES: Record<AvatarVariant, string> = { png: 'image/png', thumbnail: 'image/webp' };
const UPLOAD_TYPES = ['image/png', 'image/jpeg', 'image/webp', 'application/octet-stream'];

export interface AvatarUploadResponse extends StoredAvatar {
  url: string;
  thumbnailUrl: string;
}

@ApiTags('avatars')
@Controller('avatars')
export class AvatarsController {
  constructor(
    private readonly avatars: AvatarsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  private uploadRules(): UploadRules {
    return {
      maxBytes: this.config.personaFiles.avatarMaxBytes,
      rawTypes: UPLOAD_TYPES,
      tooLarge: (limitBytes) => new DoppelError(ErrorCode.AvatarTooLarge, `Avatar images may be at most ${limitBytes} bytes (AVATAR_MAX_BYTES).`, { limitBytes }),
      unsupported: (mediaType) => new DoppelError(ErrorCode.AvatarInvalid, `Send the image as a raw image/png, image/jpeg or image/webp body, or multipart part "file"; not as "${mediaType}".`),
    };
  }

  @Post()
  @HttpCode(201)
  @ApiBearerAuth()
  @ApiOperation({
    summary:
      'Upload an avatar (PNG, JPEG or WebP, up to AVATAR_MAX_BYTES) as the raw body or multipart part `file`. It is decoded and re-encoded as PNG (metadata dropped) ' +
      'and named by its sha256; set it on a persona with PATCH /personas/:id {avatar: hash}.',
  })
  @ApiConsumes('image/png', 'image/jpeg', 'image/webp', 'multipart/form-data')
  async upload(@CurrentAccount() _account: Account, @Req() request: Request): Promise<AvatarUploadResponse> {
    const upload = await receiveUpload(request, this.uploadRules());
    if (upload.bytes.length === 0) throw new DoppelError(ErrorCode.AvatarInvalid, 'Send the image as the request body or as multipart part "file".');
    const stored = await this.avatars.store(upload.bytes);
    return { ...stored, url: `/avatars/${stored.hash}`, thumbnailUrl: `/avatars/${stored.hash}/thumbnail` };
  }

  @Get(':hash')
  @PublicRoute()
  @ApiOperation({ summary: 'An avatar as PNG, by its sha256. Immutable: cached for a year, ETag = the hash.' })
  @ApiProduces('image/png')
  image(@Param('hash') hash: string, @Headers('if-none-match') ifNoneMatch: string | undefined, @Res() response: Response): Promise<void> {
    return this.send(hash, 'png', ifNoneMatch, response);
  }

  @Get(':hash/thumbnail')
  @PublicRoute()
  @ApiOperation({ summary: 'An avatar cut to 320x480 as WebP, for galleries. Immutable, like the PNG.' })
  @ApiProduces('image/webp')
  thumbnail(@Param('hash') hash: string, @Headers('if-none-match') ifNoneMatch: string | undefined, @Res() response: Response): Promise<void> {
    return this.send(hash, 'thumbnail', ifNoneMatch, response);
  }

  private async send(hash: string, variant: AvatarVariant, ifNoneMatch: string | undefined, response: Response): Promise<void> {
    const bytes = await this.avatars.read(hash, variant);
    const etag = `"${hash}${variant === 'png' ? '' : `-${variant}`}"`;
    response.setHeader('cache-control', 'public, max-age=31536000, immutable');
    response.setHeader('etag', etag);
    response.setHeader('x-content-type-options', 'nosniff');
    // Pixels only: even opened on its own, the response may run nothing and load nothing.
    response.setHeader('content-security-policy', "default-src 'none'; sandbox");
    // The PNG's own hash is its name, so clients can check what they got.
    if (variant === 'png') response.setHeader('content-digest', `sha-256=:${Buffer.from(hash, 'hex').toString('base64')}:`);
    if (ifNoneMatch?.split(',').some((candidate) => candidate.trim() === etag)) {
      response.status(304).end();
      return;
    }
    response.type(MEDIA_TYPES[variant]).send(bytes);
  }
}

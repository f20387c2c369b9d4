// How the gateway reads JSON bodies: MAX_BODY_BYTES everywhere, PERSONA_MAX_BODY_BYTES for persona definitions and
// lorebooks (their creator text runs to 64k characters a field), and not at all on the routes that take a file
// (persona import, avatar upload), which read their own bodies with their own cap (see file-upload.ts).
import { json, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { AppConfig } from '@doppel/config';

const FILE_ROUTES = [/^\/personas\/import\/?$/, /^\/avatars\/?$/];
const PERSONA_ROUTES = [/^\/personas\/?$/, /^\/personas\/[^/]+\/?$/, /^\/lorebooks(\/.*)?$/];

export function jsonBodies(config: AppConfig): RequestHandler {
  const standard = json({ limit: config.gateway.maxBodyBytes });
  const persona = json({ limit: config.personaFiles.maxBodyBytes });
  return (request: Request, response: Response, next: NextFunction) => {
    if (request.method === 'POST' && FILE_ROUTES.some((route) => route.test(request.path))) return next();
    return (PERSONA_ROUTES.some((route) => route.test(request.path)) ? persona : standard)(request, response, next);
  };
}

import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { enabledLogLevels, type AppConfig } from '@doppel/config';
import { assertSchemaReady } from '@doppel/db';
import { ListenerIoAdapter } from './chat/listener-io-adapter';
import { GatewayModule } from './gateway.module';
import { HttpErrorFilter } from './http/error.filter';
import { jsonBodies } from './http/request-bodies';
import { PathParamsPipe } from './http/path-params.pipe';
import { findWebAppDir, serveWebApp } from './web/serve-web-app';
import { accessLog } from './http/access-log';
import { markInnerRequests } from './ohttp/inner-requests';

/** Builds the gateway app (not yet listening): shared by main.ts and the end-to-end tests. */
export async function createGatewayApp(config: AppConfig): Promise<INestApplication> {
  await assertSchemaReady({
    databaseUrl: config.databaseUrl,
    migrationsDir: config.migrationsDir,
  });
  const app = await NestFactory.create<NestExpressApplication>(GatewayModule, {
    logger: enabledLogLevels(config.logLevel),
    bodyParser: false,
  });
  app.useWebSocketAdapter(new ListenerIoAdapter(app));
  app.use(markInnerRequests);
  if (config.logLevel === 'verbose') app.use(accessLog);
  app.use(jsonBodies(config));
  app.useGlobalFilters(new HttpErrorFilter());
  app.useGlobalPipes(new PathParamsPipe());
  app.enableCors({ origin: true });

  const openApi = new DocumentBuilder()
    .setTitle('Doppel')
    .setDescription('Runtime for AI digital twins: personas, conversations, verified inference. Chat streams over socket.io at /chat.')
    .setVersion('0.1.0')
    .addBearerAuth()
    .build();
  SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, openApi), { jsonDocumentUrl: 'docs/openapi.json' });
  const webAppDir = findWebAppDir();
  if (webAppDir) serveWebApp(app, webAppDir);
  return app;
}

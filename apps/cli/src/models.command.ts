import type { AppConfig } from '@doppel/config';
import { createDatabase } from '@doppel/db';
import { ModelRegistry } from '@doppel/models';

/** `models sync`: registers the built-in models and the project's shipped ONNX models, hashing their files. */
export async function runModels(config: AppConfig, args: string[]): Promise<void> {
  const [subcommand] = args;
  const db = createDatabase(config.databaseUrl, { maxConnections: 2 });
  try {
    const registry = new ModelRegistry(db, config);
    if (subcommand === 'sync') {
      await registry.syncBuiltIns((line) => console.log(`models: ${line}`));
    }
    for (const model of await registry.list()) {
      const size = model.files.reduce((total, file) => total + file.bytes, 0);
      console.log(
        `models: ${model.id.padEnd(20)} ${model.kind.padEnd(9)} ${model.backend.padEnd(9)} ${model.contentHash.slice(0, 16)}…` +
          (size ? ` ${(size / 1e6).toFixed(1)} MB` : '') +
          (model.dimensions ? ` ${model.dimensions}-d` : ''),
      );
    }
  } finally {
    await db.destroy();
  }
}

import { describe, expect, it } from 'vitest';
import { findSecretPaths, isSecretKey } from './secret-fields';

describe('secret fields', () => {
  it('flags credential-looking keys but not token counts', () => {
    for (const key of ['secrets', 'OPENAI_API_KEY', 'apiKey', 'api-key', 'DISCORD_TOKEN', 'accessToken', 'password', 'clientSecret']) expect(isSecretKey(key), key).toBe(true);
    for (const key of ['maxTokens', 'max_tokens', 'max_new_tokens', 'name', 'topics']) expect(isSecretKey(key), key).toBe(false);
  });

  it('lists the outermost secret paths only, inside arrays too', () => {
    const file = { settings: { secrets: { A_TOKEN: 'x' }, voice: {} }, plugins: [{ config: { apiKey: 'y' } }], generation: { maxTokens: 5 } };
    expect(findSecretPaths(file)).toEqual(['settings.secrets', 'plugins[0].config.apiKey']);
  });
});

import type { PersonaVersion } from '@doppel/personas';

/** Persona versions are immutable, so caching them never goes stale; the bound only caps memory. */
export class PersonaVersionCache {
  private readonly entries = new Map<string, Promise<PersonaVersion>>();

  constructor(
    private readonly load: (versionId: string) => Promise<PersonaVersion>,
    private readonly maxEntries = 1000,
  ) {}

  get(versionId: string): Promise<PersonaVersion> {
    const cached = this.entries.get(versionId);
    if (cached) {
      // Re-insert to mark as recently used.
      this.entries.delete(versionId);
      this.entries.set(versionId, cached);
      return cached;
    }
    const loading = this.load(versionId);
    loading.catch(() => {
      if (this.entries.get(versionId) === loading) this.entries.delete(versionId);
    });
    this.entries.set(versionId, loading);
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    return loading;
  }
}

import type Database from 'better-sqlite3-multiple-ciphers';
import type { EvidenceManifest } from '../../protocols/index.ts';
import { ScopeCheck } from '../access/scope-query.ts';
import type { Viewer } from '../access/viewer.ts';
import type { EvidenceStore } from './evidence-store.ts';

export type EvidenceView = EvidenceManifest & {
  images: Array<EvidenceManifest['images'][number] & { stored: boolean; url: string }>;
};

/** Evidence manifests and images as a viewer may see them: outside the scope they are not there. */
export class EvidenceQuery {
  private readonly scope: ScopeCheck;

  constructor(
    private readonly db: Database.Database,
    private readonly images: EvidenceStore,
  ) {
    this.scope = new ScopeCheck(db);
  }

  async manifest(v: Viewer, id: string): Promise<EvidenceView | undefined> {
    const row = this.db.prepare('SELECT body FROM evidence WHERE id = ?').get(id) as { body: string } | undefined;
    if (!row || !(await this.scope.evidence(v, id))) return undefined;
    const m = JSON.parse(row.body) as EvidenceManifest;
    const images = await Promise.all(
      m.images.map(async (i) => ({ ...i, stored: await this.images.has(i.sha256), url: `/api/v1/images/${i.sha256}` })),
    );
    return { ...m, images };
  }

  /** The plain JPEG, or undefined (never received, past retention, or out of scope). */
  async image(v: Viewer, sha256: string): Promise<Buffer | undefined> {
    return (await this.scope.image(v, sha256)) ? await this.images.get(sha256) : undefined;
  }

  /** The evidence package of an alarm, if it had one. */
  async ofEvent(eventId: string): Promise<string | undefined> {
    return (
      (
        this.db.prepare('SELECT evidence_id AS id FROM events WHERE id = ?').get(eventId) as
          | { id: string | null }
          | undefined
      )?.id ?? undefined
    );
  }
}

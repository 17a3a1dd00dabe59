import type { EvidenceManifest } from '../../protocols/index.ts';
import { ScopeCheck } from '../access/scope-query.ts';
import type { Viewer } from '../access/viewer.ts';
import type { SqlDatabase } from '../store/sql.ts';
import type { EvidenceStore } from './evidence-store.ts';

export type EvidenceView = EvidenceManifest & {
  images: Array<EvidenceManifest['images'][number] & { stored: boolean; url: string }>;
};

/** Evidence manifests and images as a viewer may see them: outside the scope they are not there. */
export class EvidenceQuery {
  private readonly scope: ScopeCheck;

  constructor(
    private readonly sql: SqlDatabase,
    private readonly images: EvidenceStore,
  ) {
    this.scope = new ScopeCheck(sql);
  }

  async manifest(v: Viewer, id: string): Promise<EvidenceView | undefined> {
    const row = await this.sql.get<{ body: string }>('SELECT body FROM evidence WHERE id = ?', [id]);
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
      (await this.sql.get<{ id: string | null }>('SELECT evidence_id AS id FROM events WHERE id = ?', [eventId]))?.id ??
      undefined
    );
  }
}

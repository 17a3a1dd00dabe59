import type Database from 'better-sqlite3';
import { verifyRegistration, type DeviceRegistration, type Result } from '../../protocols/index.ts';
import type { CredentialStore } from './credentials.ts';
import type { Registry } from './registry.ts';

export class CommissionError extends Error {
  constructor(
    readonly code: 'exists' | 'bad_signature' | 'bad_schema',
    message: string,
  ) {
    super(message);
  }
}

/**
 * A box registered by `roadwarden commission`: its credential (already hashed by the
 * commissioning tool), its place in the road file, hardware map and donor, and who did it when.
 */
export class Commissioning {
  constructor(
    private readonly db: Database.Database,
    private readonly credentials: CredentialStore,
    private readonly registry: Registry,
  ) {}

  /** `replace` re-commissions an existing id (a box swapped for a new one): its old credential stops working. */
  register(reg: DeviceRegistration, actor: string, replace = false): { id: string; replaced: boolean } {
    const existing = this.credentials.get(reg.id);
    if (existing && !replace) throw new CommissionError('exists', `device ${reg.id} is already registered (since ${existing.createdAt}); re-commission with replace to swap the box`);
    if (existing?.kind === 'operator') throw new CommissionError('exists', `"${reg.id}" is an operator account, not a device`);
    this.db.transaction(() => {
      this.credentials.putHash(reg.id, 'device', 'device', reg.passwordHash);
      this.registry.upsert({
        id: reg.id,
        name: reg.name,
        road: reg.road,
        crossing: reg.crossing,
        township: reg.township,
        village: reg.village,
        lat: reg.lat,
        lon: reg.lon,
        hardware: reg.hardware,
        donor: reg.donor,
      });
      this.db
        .prepare('UPDATE devices SET commissioned = ? WHERE id = ?')
        .run(JSON.stringify({ at: reg.commissionedAt, by: reg.commissionedBy ?? actor, registeredBy: actor, position: reg.position }), reg.id);
    })();
    return { id: reg.id, replaced: existing !== undefined };
  }

  /** A registration file written offline, signed with a technician's API token. */
  upload(file: unknown, actor: string, keyOf: (tokenName: string) => Buffer | undefined, replace = false): { id: string; replaced: boolean; signedBy: string } {
    const v: Result<{ registration: DeviceRegistration; signedBy: string }> = verifyRegistration(file, keyOf);
    if (!v.ok) throw new CommissionError(v.error.code === 'bad_signature' ? 'bad_signature' : 'bad_schema', v.error.message);
    return { ...this.register(v.value.registration, `${actor} (signed by ${v.value.signedBy})`, replace), signedBy: v.value.signedBy };
  }
}

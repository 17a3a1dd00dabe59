import { readSignedRegistration, verifyRegistration, type DeviceRegistration } from '../../protocols/index.ts';
import { checkStoredHash, type CredentialStore } from '../access/credential-store.ts';
import { can } from '../access/policy.ts';
import type { Signer } from '../access/token-store.ts';
import { placeInScope, type Viewer } from '../access/viewer.ts';
import type { DeviceStore } from './device-store.ts';

export class CommissionError extends Error {
  constructor(
    readonly code: 'exists' | 'bad_signature' | 'bad_schema' | 'out_of_scope',
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
    private readonly credentials: CredentialStore,
    private readonly registry: DeviceStore,
  ) {}

  /**
   * `replace` re-commissions an existing id (a box swapped for a new one): its old credential stops
   * working. A technician scoped to villages or townships registers and replaces only boxes there.
   */
  async register(
    reg: DeviceRegistration,
    by: Viewer,
    replace = false,
    actor = by.name,
  ): Promise<{ id: string; replaced: boolean }> {
    await this.checkScope(reg, by);
    const existing = await this.credentials.get(reg.id);
    if (existing && !replace)
      throw new CommissionError(
        'exists',
        `device ${reg.id} is already registered (since ${existing.createdAt}); re-commission with replace to swap the box`,
      );
    if (existing?.kind === 'operator')
      throw new CommissionError('exists', `"${reg.id}" is an operator account, not a device`);
    try {
      checkStoredHash(reg.passwordHash);
    } catch (e) {
      throw new CommissionError('bad_schema', (e as Error).message);
    }
    // The record first, the credential last: the box can log in only once its place is on file.
    await this.registry.commission(
      {
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
      },
      { at: reg.commissionedAt, by: reg.commissionedBy ?? actor, registeredBy: actor, position: reg.position },
    );
    await this.credentials.putHash(reg.id, 'device', 'device', reg.passwordHash, reg.brokerHash);
    return { id: reg.id, replaced: existing !== undefined };
  }

  /** A scoped technician registers and replaces only boxes in their scope, now and before. */
  private async checkScope(reg: DeviceRegistration, by: Viewer): Promise<void> {
    if (!placeInScope(by, reg))
      throw new CommissionError(
        'out_of_scope',
        `${by.name} may register boxes only in ${describeScope(by)}; this one is in ${placeOf(reg)}`,
      );
    if ((await this.credentials.get(reg.id))?.kind === 'device' && !placeInScope(by, await this.registry.get(reg.id))) {
      // Out of scope reads as taken, as for any id the viewer cannot see.
      throw new CommissionError('exists', `device ${reg.id} is already registered`);
    }
  }

  /**
   * A registration file written offline, signed with a technician's API token. Both the signer and
   * whoever uploads it (a township office) must be allowed the box: a file is no way around a scope.
   */
  async upload(
    file: unknown,
    by: Viewer,
    signerOf: (tokenName: string) => Promise<Signer | undefined>,
    replace = false,
  ): Promise<{ id: string; replaced: boolean; signedBy: string }> {
    const read = readSignedRegistration(file);
    if (!read.ok) throw new CommissionError('bad_schema', read.error.message);
    const found = await signerOf(read.value.signedBy);
    const v = verifyRegistration(read.value, found?.key);
    if (!v.ok) throw new CommissionError('bad_signature', v.error.message);
    const signer = found!.viewer;
    if (!can(signer.role, 'devices.commission'))
      throw new CommissionError('bad_signature', `${signer.name} (${signer.role}) may not commission boxes`);
    await this.checkScope(v.value.registration, signer);
    return {
      ...(await this.register(v.value.registration, by, replace, `${by.name} (signed by ${v.value.signedBy})`)),
      signedBy: v.value.signedBy,
    };
  }
}

const placeOf = (reg: DeviceRegistration) => [reg.township, reg.village].filter(Boolean).join(' ') || 'no named place';
const describeScope = (v: Viewer) => [...(v.scope?.townships ?? []), ...(v.scope?.villages ?? [])].join(', ');

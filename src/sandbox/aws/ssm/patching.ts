import type { Clock } from '../clock.js'

export type PatchState =
  | 'INSTALLED'
  | 'INSTALLED_OTHER'
  | 'INSTALLED_PENDING_REBOOT'
  | 'INSTALLED_REJECTED'
  | 'MISSING'
  | 'NOT_APPLICABLE'
  | 'FAILED'

export interface Patch {
  kbId: string
  title: string
  /** Windows: CriticalUpdates, SecurityUpdates, Updates, ... */
  classification: string
  /** MSRC severity: Critical, Important, Moderate, Low, Unspecified. */
  severity: string
  state: PatchState
}

export interface InstancePatching {
  baselineId: string
  patchGroup: string
  /** When the last Scan ended. */
  scannedAt: number
  patches: Patch[]
}

/** Not installed as the baseline requires: what makes an instance NON_COMPLIANT. */
export const NON_COMPLIANT_STATES: readonly PatchState[] = [
  'MISSING',
  'FAILED',
  'INSTALLED_PENDING_REBOOT',
  'INSTALLED_REJECTED',
]

export const isCritical = (p: Patch) => p.classification === 'CriticalUpdates' || p.severity === 'Critical'
export const isSecurity = (p: Patch) => !isCritical(p) && p.classification === 'SecurityUpdates'

export type PatchWorld = ReturnType<typeof createPatchWorld>

/** Patch Manager's view of each instance: its baseline, its last scan, and every patch's state. */
export function createPatchWorld(clock: Clock) {
  const states = new Map<string, InstancePatching>()
  return {
    /** The AWS-provided Windows baseline, as in most accounts. */
    defaultBaselineId: 'arn:aws:ssm:us-east-1:075727635805:patchbaseline/pb-0a6a6a76ddc6f2c7c',

    setPatching(
      instanceId: string,
      spec: { patches: Patch[]; baselineId?: string; patchGroup?: string; scannedAt?: number },
    ): void {
      states.set(instanceId, {
        baselineId: spec.baselineId ?? this.defaultBaselineId,
        patchGroup: spec.patchGroup ?? '',
        scannedAt: spec.scannedAt ?? clock(),
        patches: spec.patches.map((p) => ({ ...p })),
      })
    },

    patching(instanceId: string): InstancePatching | undefined {
      return states.get(instanceId)
    },

    snapshotState() {
      return Object.fromEntries(
        [...states].map(([id, s]) => [id, { ...s, patches: s.patches.map((p) => ({ ...p })) }]),
      )
    },
  }
}

import type { SqlConnection } from '../../clients/sql.js'
import type { Change } from '../../engine/events.js'
import { RefusedBeforeActingError } from '../../errors.js'
import type { StepContext } from '../contract.js'
import { DDL_TIMEOUT_MS, replicasOf, sameName } from './common.js'
import type { ModesAfterParams } from './failover.js'
import { type AvailabilityMode, type FailoverMode, modifyReplica } from './queries.js'

export interface ReplicaModes {
  availability: AvailabilityMode
  failover: FailoverMode
}

export interface ModeChange {
  replica: string
  setting: 'AVAILABILITY_MODE' | 'FAILOVER_MODE'
  from: string
  to: AvailabilityMode | FailoverMode
}

export async function readModes(conn: SqlConnection, ag: string): Promise<Record<string, ReplicaModes>> {
  return Object.fromEntries(
    (await replicasOf(conn, ag)).map((r) => [
      r.replica_server_name,
      {
        availability: r.availability_mode_desc as AvailabilityMode,
        failover: r.failover_mode_desc as FailoverMode,
      },
    ]),
  )
}

/** The runbook's lower-case modes as SQL Server names them. */
export function wantedModes(after: ModesAfterParams): Record<string, Partial<ReplicaModes>> {
  return Object.fromEntries(
    Object.entries(after).map(([replica, m]) => [
      replica,
      {
        ...(m.availability
          ? {
              availability:
                m.availability === 'synchronous' ? 'SYNCHRONOUS_COMMIT' : ('ASYNCHRONOUS_COMMIT' as const),
            }
          : {}),
        ...(m.failover ? { failover: m.failover === 'automatic' ? 'AUTOMATIC' : ('MANUAL' as const) } : {}),
      },
    ]),
  )
}

/**
 * The MODIFY REPLICA changes from `current` to `wanted`, in the one order SQL Server accepts: failover modes to
 * MANUAL first, then commit modes, then failover modes to AUTOMATIC (automatic failover needs synchronous commit).
 * Fails before anything changes when a replica is unknown or would end asynchronous with automatic failover.
 */
export function orderedModeChanges(
  ag: string,
  current: Record<string, ReplicaModes>,
  wanted: Record<string, Partial<ReplicaModes>>,
): ModeChange[] {
  const toManual: ModeChange[] = []
  const commit: ModeChange[] = []
  const toAutomatic: ModeChange[] = []
  for (const [asked, want] of Object.entries(wanted)) {
    const replica = Object.keys(current).find((name) => sameName(name, asked))
    const now = replica ? current[replica] : undefined
    if (!replica || !now)
      throw new RefusedBeforeActingError(`modes_after names ${asked}, which is not a replica of ${ag}`, {
        hint: `replicas of ${ag}: ${Object.keys(current).join(', ')}`,
      })
    const end = { ...now, ...want }
    if (end.failover === 'AUTOMATIC' && end.availability !== 'SYNCHRONOUS_COMMIT')
      throw new RefusedBeforeActingError(
        `modes_after would leave ${replica} asynchronous with automatic failover, which SQL Server refuses`,
        { hint: `give ${asked} failover: manual, or availability: synchronous` },
      )
    if (want.failover && want.failover !== now.failover)
      (want.failover === 'MANUAL' ? toManual : toAutomatic).push({
        replica,
        setting: 'FAILOVER_MODE',
        from: now.failover,
        to: want.failover,
      })
    if (want.availability && want.availability !== now.availability)
      commit.push({ replica, setting: 'AVAILABILITY_MODE', from: now.availability, to: want.availability })
  }
  return [...toManual, ...commit, ...toAutomatic]
}

export const describeModeChange = (c: ModeChange) => `${c.replica} ${c.setting} ${c.from} → ${c.to}`

export const modeChangesPlanned = (changes: ModeChange[], when: string): Change[] =>
  changes.map((c) => ({ action: 'update', target: c.replica, summary: `${when}: ${describeModeChange(c)}` }))

/** Sends the changes on the primary, one MODIFY REPLICA each, in the given order. */
export async function applyModeChanges(
  ctx: StepContext,
  primary: SqlConnection,
  ag: string,
  changes: ModeChange[],
): Promise<void> {
  for (const change of changes) {
    ctx.progress({ message: `setting ${describeModeChange(change)}` })
    await primary.change(
      `set ${change.setting} of ${change.replica}`,
      modifyReplica(ag, change.replica, change.setting, change.to),
      {},
      DDL_TIMEOUT_MS,
    )
  }
}

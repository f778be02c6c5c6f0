// RPO: per availability-group database, whether the log its primary had when the fault hit is still
// there after the rollback (a failover that lost data leaves the primary behind that point).
import { lsnOf } from '../sandbox/sql/model.js'
import type { SqlWorld } from '../sandbox/sql/world.js'

export interface LogPosition {
  primary: string
  logBytes: number
  lastCommitTime: number
}

export type LogPositions = Record<string, LogPosition>

/** A type, not an interface: the journal's record takes it as plain data. */
export type DatabaseLoss = {
  database: string
  primary_at_fault: string
  primary_after: string
  lsn_at_fault: string
  lsn_after: string
  lost_bytes: number
  /** Commit time on the primary when the fault hit, and the latest the primary after it holds. */
  commit_at_fault: string
  commit_after: string
  lost_commit_ms: number
}

export interface DataLoss {
  /** The most commit time any database lost, in milliseconds: 0 when nothing was lost. */
  lost_commit_ms: number
  lost_bytes: number
  databases: DatabaseLoss[]
}

/**
 * `AG/database` → the end of log of the AG primary's copy, as of now. With `like`, the same databases
 * as then, looked up on the primary whether or not they are still in the AG (rollback takes out those
 * the run put in).
 */
export function logPositions(world: SqlWorld, like?: LogPositions): LogPositions {
  world.tick()
  const positions: LogPositions = {}
  for (const group of world.groups) {
    const primary = group.replicas.find((r) => r.role === 'PRIMARY')
    if (!primary) continue
    const instance = world.instance(primary.server)
    const names = like
      ? Object.keys(like)
          .filter((key) => key.startsWith(`${group.name}/`))
          .map((key) => key.slice(group.name.length + 1))
      : group.databases.map((db) => db.name)
    for (const name of names) {
      const copy = world.database(instance, name)
      if (copy)
        positions[`${group.name}/${name}`] = {
          primary: primary.server,
          logBytes: copy.logBytes,
          lastCommitTime: copy.lastCommitTime,
        }
    }
  }
  return positions
}

export function dataLoss(atFault: LogPositions, after: LogPositions): DataLoss {
  const databases = Object.entries(atFault).map(([database, before]): DatabaseLoss => {
    const now = after[database]
    const lostBytes = Math.max(0, before.logBytes - (now?.logBytes ?? 0))
    const lostMs = Math.max(0, before.lastCommitTime - (now?.lastCommitTime ?? 0))
    return {
      database,
      primary_at_fault: before.primary,
      primary_after: now?.primary ?? 'none',
      lsn_at_fault: lsnOf(before.logBytes),
      lsn_after: now ? lsnOf(now.logBytes) : 'none',
      lost_bytes: Math.round(lostBytes),
      commit_at_fault: new Date(before.lastCommitTime).toISOString(),
      commit_after: now ? new Date(now.lastCommitTime).toISOString() : 'none',
      lost_commit_ms: Math.round(lostMs),
    }
  })
  return {
    lost_commit_ms: Math.max(0, ...databases.map((d) => d.lost_commit_ms)),
    lost_bytes: databases.reduce((sum, d) => sum + d.lost_bytes, 0),
    databases,
  }
}

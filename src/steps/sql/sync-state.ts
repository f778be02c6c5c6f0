import type { SqlConnection } from '../../clients/sql.js'
import { databaseStatesOf, replicasOf, sameName } from './common.js'
import { bytes, type DatabaseReplicaStateRow } from './queries.js'

export interface DatabaseSync {
  database: string
  state: string
  health: string
  log_send_queue_kb: number
  redo_queue_kb: number
  last_hardened_lsn: string | null
  /** Set when it has not caught up. */
  problem?: string
}

export interface SyncReading {
  replica: string
  mode: string
  /** How commits really wait for the replica: synchronous only when it and the primary are both SYNCHRONOUS_COMMIT. */
  commit: 'synchronous' | 'asynchronous'
  /** Why a SYNCHRONOUS_COMMIT replica is read as asynchronous (the primary is not synchronous). */
  asynchronousBecause?: string
  caughtUp: boolean
  databases: DatabaseSync[]
}

export interface SyncLimits {
  databases?: string[] | undefined
  maxLogSendQueueKb?: number | undefined
  maxRedoQueueKb?: number | undefined
  /** Require SYNCHRONIZED whatever the mode (failover and fail-back). */
  requireSynchronized?: boolean
}

/**
 * One read, from the primary, of how far `replica` has caught up: synchronous replicas must be
 * SYNCHRONIZED; asynchronous ones SYNCHRONIZING with queues under the limits. Never suspended.
 */
export async function readSync(
  primary: SqlConnection,
  ag: string,
  replica: string,
  limits: SyncLimits,
): Promise<SyncReading> {
  const [replicas, states] = await Promise.all([replicasOf(primary, ag), databaseStatesOf(primary, ag)])
  const row = replicas.find((r) => sameName(r.replica_server_name, replica))
  const mode = row?.availability_mode_desc ?? 'not a replica'
  const primaryRow = replicas.find((r) => r.role_desc === 'PRIMARY')
  // A SYNCHRONOUS_COMMIT secondary of an ASYNCHRONOUS_COMMIT primary never becomes SYNCHRONIZED: commits do not wait for it.
  const asynchronousBecause =
    mode === 'SYNCHRONOUS_COMMIT' && primaryRow && primaryRow.availability_mode_desc !== 'SYNCHRONOUS_COMMIT'
      ? `the primary ${primaryRow.replica_server_name} is ${primaryRow.availability_mode_desc}, so commits do not wait for ${replica} and it stays SYNCHRONIZING; read as asynchronous (queues under the limits)`
      : undefined
  const commit = mode === 'SYNCHRONOUS_COMMIT' && !asynchronousBecause ? 'synchronous' : 'asynchronous'
  const synchronous = commit === 'synchronous' || limits.requireSynchronized === true
  const mine = states.filter((s) => sameName(s.replica_server_name, replica))
  const wanted = limits.databases ?? [...new Set(states.map((s) => s.database_name))]
  const databases: DatabaseSync[] = wanted.map((database) => {
    const s = mine.find((m) => sameName(m.database_name, database))
    return describe(database, s, synchronous, limits)
  })
  if (!row)
    return {
      replica,
      mode,
      commit,
      caughtUp: false,
      databases: databases.map((d) => ({ ...d, problem: `${replica} is not a replica of ${ag}` })),
    }
  return {
    replica,
    mode,
    commit,
    ...(asynchronousBecause ? { asynchronousBecause } : {}),
    caughtUp: databases.every((d) => d.problem === undefined),
    databases,
  }
}

function describe(
  database: string,
  s: DatabaseReplicaStateRow | undefined,
  synchronous: boolean,
  limits: SyncLimits,
) {
  const base = {
    database,
    state: s?.synchronization_state_desc ?? 'NOT JOINED',
    health: s?.synchronization_health_desc ?? 'NOT_HEALTHY',
    log_send_queue_kb: bytes(s?.log_send_queue_size),
    redo_queue_kb: bytes(s?.redo_queue_size),
    last_hardened_lsn: s?.last_hardened_lsn ?? null,
  }
  let problem: string | undefined
  if (!s) problem = 'not joined on the replica'
  else if (s.is_suspended) problem = `suspended (${s.suspend_reason_desc ?? 'no reason given'})`
  else if (synchronous && s.synchronization_state_desc !== 'SYNCHRONIZED')
    problem = `${s.synchronization_state_desc}, not SYNCHRONIZED (log send queue ${base.log_send_queue_kb} KB)`
  else if (!synchronous && !['SYNCHRONIZING', 'SYNCHRONIZED'].includes(s.synchronization_state_desc))
    problem = s.synchronization_state_desc
  else if (!synchronous && base.log_send_queue_kb > (limits.maxLogSendQueueKb ?? 1024))
    problem = `log send queue ${base.log_send_queue_kb} KB over ${limits.maxLogSendQueueKb ?? 1024} KB`
  else if (!synchronous && base.redo_queue_kb > (limits.maxRedoQueueKb ?? 10240))
    problem = `redo queue ${base.redo_queue_kb} KB over ${limits.maxRedoQueueKb ?? 10240} KB`
  return problem ? { ...base, problem } : base
}

export const describeReading = (r: SyncReading) =>
  r.databases.map((d) => `${d.database} ${d.problem ?? d.state}`).join('; ')

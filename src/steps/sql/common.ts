import pRetry from 'p-retry'
import type { SqlConnection } from '../../clients/sql.js'
import { SwitchyardError } from '../../errors.js'
import type { StepContext } from '../contract.js'
import {
  AVAILABILITY_GROUP,
  type AvailabilityGroupRow,
  DATABASE_REPLICA_STATES,
  type DatabaseReplicaStateRow,
  INSTANCE,
  type InstanceRow,
  REPLICA_JOIN_STATES,
  REPLICAS,
  type ReplicaJoinStateRow,
  type ReplicaRow,
} from './queries.js'

/** The failure a SQL Server error stands for, with its numbers (a failed JOIN nests the cause in the text). */
export function errorNumbers(error: unknown): number[] {
  const numbers = new Set<number>()
  const e = error as { number?: unknown; message?: unknown }
  if (typeof e?.number === 'number') numbers.add(e.number)
  for (const match of String(e?.message ?? '').matchAll(/\berror (\d{3,5})\b/gi))
    numbers.add(Number(match[1]))
  return [...numbers]
}

export const hasError = (error: unknown, ...numbers: number[]) =>
  errorNumbers(error).some((n) => numbers.includes(n))

export async function instanceOf(conn: SqlConnection): Promise<InstanceRow> {
  const [row] = await conn.read<InstanceRow>(INSTANCE)
  if (!row)
    throw new SwitchyardError(`sql target ${conn.target} (${conn.address}) returned no SERVERPROPERTY row`)
  return row
}

/** The SQL Server releases switchyard's queries are written and tested for, by ProductMajorVersion. */
export const SUPPORTED_RELEASES: Readonly<Record<number, string>> = {
  13: 'SQL Server 2016',
  14: 'SQL Server 2017',
  15: 'SQL Server 2019',
  16: 'SQL Server 2022',
}

/** Why switchyard will not work with this instance's version; undefined when it will. */
export function unsupportedVersion(i: InstanceRow): string | undefined {
  // ProductMajorVersion is NULL before SQL Server 2012: the version string still says
  const major = Number.isInteger(i.major) ? i.major : Number.parseInt(i.product_version, 10)
  if (SUPPORTED_RELEASES[major]) return undefined
  const supported = Object.values(SUPPORTED_RELEASES).join(', ')
  if (!(major >= 13))
    return `SQL Server ${i.product_version} (major version ${major}) is older than 2016: automatic seeding, SEEDING_MODE and the seeding views do not exist there; switchyard supports ${supported}`
  return `SQL Server ${i.product_version} (major version ${major}) is newer than the releases switchyard's queries are checked against (${supported}); its catalog is not known`
}

/** The replica's name in the AG: the runbook's `replica_name`, else what the instance calls itself. */
export async function replicaNameOf(conn: SqlConnection, given: string | undefined): Promise<string> {
  return given ?? (await instanceOf(conn)).server_name
}

export async function groupOn(conn: SqlConnection, ag: string): Promise<AvailabilityGroupRow | undefined> {
  const [row] = await conn.read<AvailabilityGroupRow>(AVAILABILITY_GROUP, { ag })
  return row
}

/**
 * Fails unless `conn` is the AG's primary: every ALTER AVAILABILITY GROUP except JOIN and FAILOVER
 * runs there. Names the real primary when the runbook points at a secondary.
 */
export async function requirePrimary(conn: SqlConnection, ag: string): Promise<AvailabilityGroupRow> {
  const group = await groupOn(conn, ag)
  if (!group)
    throw new SwitchyardError(
      `availability group ${ag} is not on sql target ${conn.target} (${conn.address})`,
      {
        hint: 'check the AG name and that the target is a replica of it',
      },
    )
  if (group.local_role !== 'PRIMARY')
    throw new SwitchyardError(
      `sql target ${conn.target} is ${group.local_role} in ${ag}; the primary is ${group.primary_replica}`,
      { hint: `point the step's primary at the instance ${group.primary_replica}` },
    )
  return group
}

export const replicasOf = (conn: SqlConnection, ag: string) => conn.read<ReplicaRow>(REPLICAS, { ag })

/** Whether a replica has joined the AG, as the cluster records it (join_state_desc), read on any replica of it. */
export async function hasJoined(conn: SqlConnection, ag: string, replica: string): Promise<boolean> {
  const rows = await conn.read<ReplicaJoinStateRow>(REPLICA_JOIN_STATES, { ag })
  const row = rows.find((r) => sameName(r.replica_server_name, replica))
  return row !== undefined && row.join_state_desc !== 'NOT_JOINED'
}

export const databaseStatesOf = (conn: SqlConnection, ag: string) =>
  conn.read<DatabaseReplicaStateRow>(DATABASE_REPLICA_STATES, { ag })

/** How long to wait between reads: the step's `poll`, never less than 50 ms. */
export const pollMs = (ms: number) => Math.max(50, ms)

/** Sleeps `ms` unless the step is stopped; the error says what was being waited for. */
export async function pause(ctx: StepContext, ms: number, waitingFor: () => string): Promise<void> {
  try {
    await ctx.sleep(ms)
  } catch (error) {
    throw new SwitchyardError(`stopped while waiting for ${waitingFor()}`, { cause: error })
  }
}

export const formatBytes = (n: number): string => {
  const units = ['B', 'KB', 'MB', 'GB', 'TB']
  let value = n
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${value >= 10 || unit === 0 ? value.toFixed(0) : value.toFixed(1)} ${units[unit]}`
}

export const formatSeconds = (s: number): string =>
  s >= 3600
    ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
    : s >= 60
      ? `${Math.floor(s / 60)}m${String(Math.floor(s % 60)).padStart(2, '0')}s`
      : `${Math.max(0, Math.round(s))}s`

/** DDL that waits on other replicas (JOIN, ADD REPLICA, FAILOVER) gets longer than a query. */
export const DDL_TIMEOUT_MS = 120_000

/**
 * ALTER AVAILABILITY GROUP … JOIN waits up to five minutes for the AG's configuration before failing with 47106
 * (Microsoft); a JOIN is given longer, so that error, which retryTransient retries, arrives instead of a client timeout.
 */
export const JOIN_TIMEOUT_MS = 7 * 60_000

/** SQL Server compares these names (replicas, databases) without regard to case. */
export const sameName = (a: string, b: string) => a.toLowerCase() === b.toLowerCase()

/** Errors that clear up on their own (§9): a replica mid-transition, a connection not yet active. */
export const TRANSIENT = [35250, 41190, 47106, 1205]

/**
 * Runs a statement again while it fails with a transient error, up to `attempts` times with a
 * doubling wait; anything else fails at once. DDL may have committed before an error, so callers
 * re-read the catalog before acting again.
 */
export function retryTransient<T>(
  ctx: StepContext,
  what: string,
  action: () => Promise<T>,
  options: { numbers?: number[]; attempts?: number; firstWaitMs?: number } = {},
): Promise<T> {
  const numbers = options.numbers ?? TRANSIENT
  return pRetry(action, {
    retries: (options.attempts ?? 5) - 1,
    minTimeout: options.firstWaitMs ?? 1000,
    maxTimeout: 30_000,
    factor: 2,
    randomize: false,
    signal: ctx.signal,
    shouldRetry: ({ error }) => hasError(error, ...numbers),
    onFailedAttempt: ({ error, retriesLeft }) => {
      if (retriesLeft > 0 && hasError(error, ...numbers))
        ctx.progress({
          message: `${what}: SQL Server error ${errorNumbers(error).join(', ')} (transient), trying again`,
        })
    },
  })
}

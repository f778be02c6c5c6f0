import { type SqlConnection, SqlTargetError } from '../../clients/sql.js'
import { RefusedBeforeActingError, SwitchyardError } from '../../errors.js'
import type { StepContext } from '../contract.js'
import { DDL_TIMEOUT_MS, databaseStatesOf, instanceOf, sameName } from './common.js'
import type { FailoverParams, FailoverUndo } from './failover.js'
import { readModes } from './failover-modes.js'
import { verifyPrimary } from './failover-verify.js'
import {
  CLUSTER,
  type ClusterRow,
  compareLsn,
  type DatabaseReplicaStateRow,
  forceFailover,
  resumeDatabase,
} from './queries.js'
import { describeReading, type SyncReading } from './sync-state.js'

/** The WSFC's nodes as the instance sees them (none outside a WSFC). */
const CLUSTER_MEMBERS = `SELECT member_name, member_type_desc, member_state_desc, number_of_quorum_votes
FROM sys.dm_hadr_cluster_members;`

interface ClusterMemberRow {
  member_name: string
  member_type_desc: string
  member_state_desc: string
  number_of_quorum_votes: number
}

export interface Quorum {
  ok: boolean
  description: string
}

/** Driver codes for a server that does not answer at all (refused, reset, or silent until the timeout). */
const UNREACHABLE = new Set(['ESOCKET', 'ETIMEOUT', 'ECONNCLOSED', 'ECONNRESET'])

/** The old primary's connection, or why it does not answer: a disaster is when it does not. */
export async function reachOldPrimary(
  ctx: StepContext,
  target: string,
): Promise<{ conn: SqlConnection } | { unreachable: string }> {
  try {
    const conn = await ctx.sql(target)
    await instanceOf(conn)
    return { conn }
  } catch (error) {
    if (error instanceof SqlTargetError && UNREACHABLE.has(error.code ?? ''))
      return { unreachable: error.message }
    throw error
  }
}

/** Quorum of the target's WSFC: a forced failover needs it (normal, or forced by an operator on this site). */
export async function readQuorum(conn: SqlConnection, name: string): Promise<Quorum> {
  const [cluster] = await conn.read<ClusterRow>(CLUSTER)
  if (!cluster) return { ok: true, description: `${name} is in no WSFC; quorum is its cluster manager's` }
  const members = await conn.read<ClusterMemberRow>(CLUSTER_MEMBERS)
  const down = members.filter((m) => m.member_state_desc !== 'UP').map((m) => m.member_name)
  const downText = down.length ? `; down: ${down.join(', ')}` : ''
  const ok = ['NORMAL_QUORUM', 'FORCED_QUORUM'].includes(cluster.quorum_state_desc)
  return { ok, description: `cluster ${cluster.cluster_name} ${cluster.quorum_state_desc}${downText}` }
}

export function requireQuorum(quorum: Quorum, name: string, ag: string): void {
  if (!quorum.ok)
    throw new RefusedBeforeActingError(
      `no forced failover of ${ag} to ${name}: ${quorum.description}, so the cluster cannot move the group; nothing was changed`,
      {
        hint: `fence the old site (its nodes off, or cut from clients), force quorum on ${name}'s node (Start-ClusterNode -FixQuorum, or net start clussvc /forcequorum), then run again`,
      },
    )
}

/** What a forced failover loses, per database: the target's hardened log against the old primary's, where known. */
export interface DataLossWindow {
  database: string
  hardened_lsn: string | null
  last_commit_time: string | null
  primary_end_of_log_lsn?: string | null
  primary_last_commit_time?: string | null
  /** Seconds of commits on the old primary after the target's last one; absent when the old primary does not answer. */
  seconds_lost?: number
  summary: string
}

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null)

/** Databases whose copy on the target must not become primary: not joined, or mid-revert/initialization. */
function unfit(local: DatabaseReplicaStateRow[], wanted: string[]): string[] {
  return wanted.flatMap((db) => {
    const row = local.find((r) => sameName(r.database_name, db))
    if (!row) return [`${db} is not joined`]
    if (['REVERTING', 'INITIALIZING'].includes(row.synchronization_state_desc))
      return [`${db} is ${row.synchronization_state_desc}`]
    return []
  })
}

/**
 * Reads the data-loss window from the target's own sys.dm_hadr_database_replica_states (last hardened LSN, last
 * commit time) and, when the old primary answers, its end of log. Refuses a target whose copies cannot take over.
 */
export async function dataLossWindow(
  to: SqlConnection,
  name: string,
  ag: string,
  old: { name: string; conn?: SqlConnection; unreachable?: string },
): Promise<DataLossWindow[]> {
  const states = await databaseStatesOf(to, ag)
  const local = states.filter((s) => s.is_local)
  const databases = [...new Set(states.map((s) => s.database_name))]
  const problems = unfit(local, databases)
  if (problems.length > 0)
    throw new RefusedBeforeActingError(
      `no forced failover of ${ag} to ${name}: ${problems.join('; ')}; nothing was changed`,
      { hint: 'force onto a replica whose every database is joined and SYNCHRONIZING or SYNCHRONIZED' },
    )
  const primaryRows = old.conn ? (await databaseStatesOf(old.conn, ag)).filter((s) => s.is_local) : []
  return local.map((mine) => {
    const at = `${name} hardened to LSN ${mine.last_hardened_lsn ?? 'unknown'}, last commit ${iso(mine.last_commit_time) ?? 'unknown'}`
    const theirs = primaryRows.find((r) => sameName(r.database_name, mine.database_name))
    const base = {
      database: mine.database_name,
      hardened_lsn: mine.last_hardened_lsn,
      last_commit_time: iso(mine.last_commit_time),
    }
    if (!theirs)
      return {
        ...base,
        summary: `${mine.database_name}: ${at}; ${old.name} ${old.unreachable ? 'does not answer' : 'lists no copy'}: commits after that are lost`,
      }
    const seconds =
      mine.last_commit_time && theirs.last_commit_time
        ? Math.max(0, (+new Date(theirs.last_commit_time) - +new Date(mine.last_commit_time)) / 1000)
        : undefined
    const behind = compareLsn(mine.last_hardened_lsn, theirs.end_of_log_lsn) < 0
    return {
      ...base,
      primary_end_of_log_lsn: theirs.end_of_log_lsn,
      primary_last_commit_time: iso(theirs.last_commit_time),
      ...(seconds !== undefined ? { seconds_lost: seconds } : {}),
      summary: `${mine.database_name}: ${at}; ${old.name} at LSN ${theirs.end_of_log_lsn ?? 'unknown'}, last commit ${iso(theirs.last_commit_time) ?? 'unknown'}: ${behind ? `about ${seconds?.toFixed(1) ?? '?'} s of commits lost` : 'nothing lost'}`,
    }
  })
}

export interface SuspendedCopy {
  replica: string
  database: string
}

/** After a forced failover, the new primary's view of the other replicas' copies that stopped moving. */
export async function suspendedCopies(primary: SqlConnection, ag: string): Promise<SuspendedCopy[]> {
  return (await databaseStatesOf(primary, ag))
    .filter((s) => !s.is_local && (s.is_suspended || s.synchronization_state_desc === 'NOT SYNCHRONIZING'))
    .map((s) => ({ replica: s.replica_server_name, database: s.database_name }))
}

/**
 * SET HADR RESUME for every suspended copy on the named secondaries (never the old primary: resuming there
 * discards what it holds that the new primary never received). Returns the replicas it resumed.
 */
export async function resumeSecondaries(
  ctx: StepContext,
  targets: readonly string[],
  ag: string,
  oldPrimary: string,
): Promise<string[]> {
  const resumed: string[] = []
  for (const target of targets) {
    const reached = await reachOldPrimary(ctx, target)
    if ('unreachable' in reached) {
      ctx.warn(`could not resume the databases on ${target}: ${reached.unreachable}`)
      continue
    }
    const replica = (await instanceOf(reached.conn)).server_name
    if (sameName(replica, oldPrimary))
      throw new SwitchyardError(
        `resume names ${target}, which is the old primary ${oldPrimary}: its databases stay suspended`,
        {
          hint: 'snapshot its databases to salvage what it holds that the new primary never received, then resume them by hand',
        },
      )
    const local = (await databaseStatesOf(reached.conn, ag)).filter((s) => s.is_local && s.is_suspended)
    for (const s of local) {
      ctx.progress({ message: `resuming ${s.database_name} on ${replica}` })
      await reached.conn.change('resume a database', resumeDatabase(s.database_name))
    }
    resumed.push(replica)
  }
  return resumed
}

export interface ForcedFailover {
  to: SqlConnection
  name: string
  previous: string
  /** The old primary when it answers; absent in a disaster. */
  primary?: SqlConnection
  unreachable?: string
  /** What the planned path read before giving up on SYNCHRONIZED. */
  reading?: SyncReading
}

/**
 * FORCE_FAILOVER_ALLOW_DATA_LOSS on the target only: quorum checked, the data-loss window read and shown in the
 * approval, the undo journaled, forced, verified; then the other secondaries resumed (those named) or listed.
 */
export async function forceOnto(ctx: StepContext, p: FailoverParams, f: ForcedFailover) {
  const quorum = await readQuorum(f.to, f.name)
  requireQuorum(quorum, f.name, p.ag)
  const window = await dataLossWindow(f.to, f.name, p.ag, {
    name: f.previous,
    ...(f.primary ? { conn: f.primary } : {}),
    ...(f.unreachable ? { unreachable: f.unreachable } : {}),
  })
  const why = f.unreachable
    ? `${f.previous} does not answer (${f.unreachable})`
    : `${f.name} is not SYNCHRONIZED: ${f.reading ? describeReading(f.reading) : 'unknown'}`
  const approval = await ctx.approve({
    message: `FORCE failover of ${p.ag} to ${f.name} WITH DATA LOSS: ${why}. ${quorum.description}. Data-loss window: ${window.map((w) => w.summary).join('; ')}. Fence ${f.previous} first, or clients may write to both.`,
  })
  const undo: FailoverUndo = {
    previousPrimary: f.previous,
    previousPrimaryTarget: p.primary,
    newPrimary: f.name,
    modes: await readModes(f.to, p.ag),
    forced: true,
    dataLoss: window,
  }
  await ctx.recordUndo(undo)
  ctx.progress({ message: `forcing failover to ${f.name} (approved by ${approval.operator})` })
  await f.to.change('force a failover', forceFailover(p.ag), {}, DDL_TIMEOUT_MS)
  const databases = await verifyPrimary(ctx, f.to, p.ag, f.name)
  const resumed = await resumeSecondaries(ctx, p.resume ?? [], p.ag, f.previous)
  const suspended = (await suspendedCopies(f.to, p.ag)).filter(
    (c) => !resumed.some((r) => sameName(r, c.replica)),
  )
  if (suspended.length > 0)
    ctx.warn(
      `suspended after the forced failover (resume each on its replica: ALTER DATABASE [db] SET HADR RESUME; on ${f.previous}, snapshot first to salvage what ${f.name} never received): ${suspended.map((c) => `${c.database} on ${c.replica}`).join(', ')}`,
    )
  return { databases, data_loss: window, resumed, suspended }
}

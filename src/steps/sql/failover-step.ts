import type { SqlConnection } from '../../clients/sql.js'
import { RefusedBeforeActingError, SwitchyardError } from '../../errors.js'
import { parseDuration } from '../../runbook/duration.js'
import type { StepContext, StepImplementation } from '../contract.js'
import {
  DDL_TIMEOUT_MS,
  databaseStatesOf,
  groupOn,
  pause,
  pollMs,
  replicaNameOf,
  replicasOf,
  requirePrimary,
  retryTransient,
  sameName,
} from './common.js'
import type { FailoverParams } from './failover.js'
import {
  type DataLossWindow,
  dataLossWindow,
  reachOldPrimary,
  readQuorum,
  requireQuorum,
  resumeSecondaries,
  suspendedCopies,
} from './failover-forced.js'
import {
  applyModeChanges,
  modeChangesPlanned,
  orderedModeChanges,
  type ReplicaModes,
  readModes,
  wantedModes,
} from './failover-modes.js'
import { compareLsn, failover, forceFailover, modifyReplica } from './queries.js'
import { describeReading, readSync, type SyncReading } from './sync-state.js'

/** Journaled before the first change: who was primary, and every replica's modes, to put back on fail-back. */
export interface FailoverUndo {
  previousPrimary: string
  /** The sql target that reaches the previous primary directly: fail-back runs there. */
  previousPrimaryTarget: string
  newPrimary: string
  modes: Record<string, ReplicaModes>
  forced: boolean
  /** A forced failover's window, as shown in its approval. */
  dataLoss?: DataLossWindow[]
}

/** A failover always runs on a direct connection to the replica, never through the listener. */
function refuseListener(ctx: StepContext, name: string, key: string) {
  if (ctx.target(name).sql?.listener)
    throw new SwitchyardError(
      `${key}: ${name} is an availability group listener; a failover runs on the replica itself`,
      {
        hint: 'name a target that connects to the replica instance directly',
      },
    )
}

/** Switches replicas to synchronous commit where they are not, on the current primary. */
async function makeSynchronous(ctx: StepContext, primary: SqlConnection, ag: string, names: string[]) {
  const replicas = await replicasOf(primary, ag)
  for (const name of names) {
    const row = replicas.find((r) => sameName(r.replica_server_name, name))
    if (row && row.availability_mode_desc !== 'SYNCHRONOUS_COMMIT') {
      ctx.progress({ message: `switching ${name} to synchronous commit` })
      await primary.change(
        'switch to synchronous commit',
        modifyReplica(ag, name, 'AVAILABILITY_MODE', 'SYNCHRONOUS_COMMIT'),
        {},
        DDL_TIMEOUT_MS,
      )
    }
  }
}

/** Polls until `replica` is SYNCHRONIZED for every database, or the time is up; returns the last reading. */
async function awaitSynchronized(
  ctx: StepContext,
  primary: SqlConnection,
  ag: string,
  replica: string,
  p: FailoverParams,
): Promise<SyncReading> {
  const deadline = performance.now() + parseDuration(p.sync_timeout ?? '5m')
  const every = pollMs(parseDuration(p.poll ?? '2s'))
  for (;;) {
    const reading = await readSync(primary, ag, replica, { requireSynchronized: true })
    if (reading.caughtUp || performance.now() >= deadline) return reading
    ctx.progress({ message: `waiting for ${replica} to be SYNCHRONIZED: ${describeReading(reading)}` })
    await pause(ctx, every, () => `${replica} to synchronize`)
  }
}

/** After a failover: the replica reports itself PRIMARY, is the AG's primary, and every database is ONLINE. */
async function verifyPrimary(ctx: StepContext, conn: SqlConnection, ag: string, name: string) {
  const deadline = performance.now() + 120_000
  for (;;) {
    const group = await groupOn(conn, ag)
    const states = group?.local_role === 'PRIMARY' ? await databaseStatesOf(conn, ag) : []
    const local = states.filter((s) => s.is_local)
    const offline = local.filter((s) => s.database_state_desc !== 'ONLINE')
    if (
      group?.local_role === 'PRIMARY' &&
      sameName(group.primary_replica, name) &&
      local.length > 0 &&
      offline.length === 0
    )
      return local.map((s) => s.database_name)
    if (performance.now() >= deadline)
      throw new SwitchyardError(
        `${name} did not come up as primary of ${ag}: role ${group?.local_role ?? 'unknown'}, ${offline.map((s) => `${s.database_name} ${s.database_state_desc}`).join(', ') || 'no databases listed'}`,
        { hint: 'check the SQL Server error log on the new primary' },
      )
    ctx.progress({ message: `waiting for ${name} to finish recovery as primary` })
    await pause(ctx, 1000, () => `${name} to become primary`)
  }
}

const lsnReport = (primaryReading: SyncReading, replica: string) =>
  primaryReading.databases
    .map((d) => `${d.database} on ${replica} at LSN ${d.last_hardened_lsn ?? 'unknown'}`)
    .join(', ')

/** The modes the runbook wants after the failover, as changes from `current`, in an order SQL Server accepts. */
const modesAfter = (p: FailoverParams, current: Record<string, ReplicaModes>) =>
  p.modes_after ? orderedModeChanges(p.ag, current, wantedModes(p.modes_after)) : []

/** The modes once makeSynchronous has run: the old and the new primary synchronous. */
function synchronousFor(current: Record<string, ReplicaModes>, names: string[]) {
  return Object.fromEntries(
    Object.entries(current).map(([replica, m]) => [
      replica,
      names.some((n) => sameName(n, replica)) ? { ...m, availability: 'SYNCHRONOUS_COMMIT' as const } : m,
    ]),
  )
}

interface ForcedFailover {
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
async function forceOnto(ctx: StepContext, p: FailoverParams, f: ForcedFailover) {
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

export const failoverStep: StepImplementation<FailoverParams> = {
  async plan(ctx, p) {
    refuseListener(ctx, p.to, 'to')
    const to = await ctx.sql(p.to)
    const name = await replicaNameOf(to, p.to_name)
    const group = await groupOn(to, p.ag)
    // Not a replica yet: an earlier step of the same run adds it (a dry run or `plan` reaches here
    // first); apply refuses if it still is not one.
    if (group?.local_role === 'PRIMARY') {
      const changes = modeChangesPlanned(modesAfter(p, await readModes(to, p.ag)), 'already primary')
      return changes.length ? { changes } : { changes, outputs: { primary: name } }
    }
    if (group && p.allow_data_loss) {
      const old = await reachOldPrimary(ctx, p.primary)
      if ('unreachable' in old) {
        const quorum = await readQuorum(to, name)
        return {
          changes: [
            {
              action: 'update',
              target: p.ag,
              summary: `FORCE ${p.ag} over to ${name} WITH POSSIBLE DATA LOSS, after approval: ${group.primary_replica} does not answer (${old.unreachable}); ${quorum.description}${quorum.ok ? '' : ' — refused until quorum is forced'}`,
            },
            ...modeChangesPlanned(modesAfter(p, await readModes(to, p.ag)), 'after the failover'),
          ],
        }
      }
    }
    const primary = await ctx.sql(p.primary)
    const current = await requirePrimary(primary, p.ag)
    const replicas = await replicasOf(primary, p.ag)
    if (!group)
      return {
        changes: [
          {
            action: 'update',
            target: p.ag,
            summary: `fail ${p.ag} over from ${current.primary_replica} to ${name} once it is a replica and SYNCHRONIZED — not a replica yet`,
          },
        ],
      }
    const async = replicas.filter(
      (r) =>
        [name, current.primary_replica].some((n) => sameName(n, r.replica_server_name)) &&
        r.availability_mode_desc !== 'SYNCHRONOUS_COMMIT',
    )
    const afterSwitch = synchronousFor(await readModes(primary, p.ag), [name, current.primary_replica])
    return {
      changes: [
        ...async.map((r) => ({
          action: 'update',
          target: r.replica_server_name,
          summary: `switch ${r.replica_server_name} to synchronous commit`,
        })),
        {
          action: 'update',
          target: p.ag,
          summary: `fail ${p.ag} over from ${current.primary_replica} to ${name} once SYNCHRONIZED${p.allow_data_loss ? ' (or FORCE with possible data loss, after approval)' : ''}`,
        },
        ...modeChangesPlanned(modesAfter(p, afterSwitch), 'after the failover'),
      ],
    }
  },

  async apply(ctx, p) {
    refuseListener(ctx, p.to, 'to')
    refuseListener(ctx, p.primary, 'primary')
    const to = await ctx.sql(p.to)
    const name = await replicaNameOf(to, p.to_name)
    const group = await groupOn(to, p.ag)
    if (!group)
      throw new RefusedBeforeActingError(
        `${name} (${p.to}) is not a replica of ${p.ag}; nothing was changed`,
        {
          hint: 'add and seed it first (sql.add-replica, sql.seed-replica)',
        },
      )
    if (group.local_role === 'PRIMARY') {
      // Run again after the failover (a resume): only the modes may still be to set.
      const databases = await verifyPrimary(ctx, to, p.ag, name)
      await applyModeChanges(ctx, to, p.ag, modesAfter(p, await readModes(to, p.ag)))
      return { primary: name, databases }
    }
    const old = p.allow_data_loss ? await reachOldPrimary(ctx, p.primary) : { conn: await ctx.sql(p.primary) }
    if ('unreachable' in old) {
      // A disaster: nothing to synchronize with. The runbook's modes are checked before the first change.
      modesAfter(p, await readModes(to, p.ag))
      const forced = await forceOnto(ctx, p, {
        to,
        name,
        previous: group.primary_replica,
        unreachable: old.unreachable,
      })
      await applyModeChanges(ctx, to, p.ag, modesAfter(p, await readModes(to, p.ag)))
      return { previous_primary: group.primary_replica, primary: name, forced: true, ...forced }
    }
    const primary = old.conn
    const current = await requirePrimary(primary, p.ag)
    const previous = current.primary_replica
    const modes = await readModes(primary, p.ag)
    // Checked before the first change: a runbook whose modes SQL Server would refuse fails here.
    modesAfter(p, synchronousFor(modes, [previous, name]))
    const undo: FailoverUndo = {
      previousPrimary: previous,
      previousPrimaryTarget: p.primary,
      newPrimary: name,
      modes,
      forced: false,
    }
    await ctx.recordUndo(undo)
    await makeSynchronous(ctx, primary, p.ag, [previous, name])
    const reading = await awaitSynchronized(ctx, primary, p.ag, name, p)
    let result: Record<string, unknown>
    if (reading.caughtUp) {
      ctx.progress({ message: `${name} is SYNCHRONIZED (${lsnReport(reading, name)}); failing over` })
      await retryTransient(
        ctx,
        `fail over to ${name}`,
        () => to.change('fail over', failover(p.ag), {}, DDL_TIMEOUT_MS),
        {
          numbers: [41142, 41190, 35250],
          attempts: 6,
        },
      )
      result = { databases: await verifyPrimary(ctx, to, p.ag, name) }
    } else if (p.allow_data_loss)
      result = { forced: true, ...(await forceOnto(ctx, p, { to, name, previous, primary, reading })) }
    else
      throw new SwitchyardError(
        `${name} is not SYNCHRONIZED after ${p.sync_timeout ?? '5m'}; no failover was attempted: ${describeReading(reading)}`,
        {
          hint: 'find why it lags (network, redo), or wait longer (sync_timeout); a forced failover with data loss needs allow_data_loss: true and an approval',
        },
      )
    await applyModeChanges(ctx, to, p.ag, modesAfter(p, await readModes(to, p.ag)))
    return { previous_primary: previous, primary: name, ...result }
  },

  describeUndo(p, undoList) {
    const undo = (undoList as FailoverUndo[]).at(-1)
    if (!undo) return []
    return [
      `fail ${p.ag} back to ${undo.previousPrimary} if no data would be lost, then restore each replica's commit and failover modes`,
    ]
  },

  async compensate(ctx, p, undoList) {
    const undo = (undoList as FailoverUndo[]).at(-1)
    if (!undo) return
    refuseListener(ctx, undo.previousPrimaryTarget, 'primary')
    const [back, from] = await Promise.all([ctx.sql(undo.previousPrimaryTarget), ctx.sql(p.to)])
    const backGroup = await groupOn(back, p.ag)
    if (backGroup?.local_role !== 'PRIMARY') {
      if (undo.forced)
        throw new SwitchyardError(
          `fail-back to ${undo.previousPrimary} refused: the failover was forced, so ${undo.previousPrimary}'s databases are suspended and may hold changes ${undo.newPrimary} never received`,
          {
            hint: "snapshot the old primary's databases to salvage what they hold, resume them (SET HADR RESUME), then fail back by hand",
          },
        )
      await requirePrimary(from, p.ag)
      await makeSynchronous(ctx, from, p.ag, [undo.previousPrimary, undo.newPrimary])
      const reading = await awaitSynchronized(ctx, from, p.ag, undo.previousPrimary, p)
      if (!reading.caughtUp) {
        const ahead = (await readSync(from, p.ag, undo.newPrimary, { requireSynchronized: true })).databases
        const behind = reading.databases
          .filter((d) => d.problem)
          .map((d) => {
            const lead = ahead.find((a) => a.database === d.database)?.last_hardened_lsn ?? null
            const gap =
              compareLsn(d.last_hardened_lsn, lead) < 0
                ? ` (hardened LSN ${d.last_hardened_lsn} behind ${lead})`
                : ''
            return `${d.database}: ${d.problem}${gap}`
          })
        throw new SwitchyardError(
          `fail-back to ${undo.previousPrimary} refused: it would lose data. ${undo.previousPrimary} is not SYNCHRONIZED: ${behind.join('; ')}`,
          {
            hint: `${undo.newPrimary} stays primary. Find why ${undo.previousPrimary} lags, then run the rollback again; a forced failover with data loss is never done by rollback`,
          },
        )
      }
      ctx.progress({ message: `${undo.previousPrimary} is SYNCHRONIZED; failing back` })
      await retryTransient(
        ctx,
        `fail back to ${undo.previousPrimary}`,
        () => back.change('fail back', failover(p.ag), {}, DDL_TIMEOUT_MS),
        {
          numbers: [41142, 41190, 35250],
          attempts: 6,
        },
      )
      await verifyPrimary(ctx, back, p.ag, undo.previousPrimary)
    }
    // The modes as they were before the failover (e.g. AWS back to asynchronous commit), in an order SQL Server accepts.
    const now = await readModes(back, p.ag)
    const known = Object.fromEntries(
      Object.entries(undo.modes).filter(([replica]) => Object.keys(now).some((n) => sameName(n, replica))),
    )
    await applyModeChanges(ctx, back, p.ag, orderedModeChanges(p.ag, now, known))
  },
}

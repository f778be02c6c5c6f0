import type { SqlConnection } from '../../clients/sql.js'
import { RefusedBeforeActingError, SwitchyardError } from '../../errors.js'
import { parseDuration } from '../../runbook/duration.js'
import type { StepContext, StepImplementation } from '../contract.js'
import {
  DDL_TIMEOUT_MS,
  groupOn,
  pause,
  pollMs,
  replicaNameOf,
  replicasOf,
  requirePrimary,
  retryTransient,
  sameName,
} from './common.js'
import type { FailoverParams, FailoverUndo } from './failover.js'
import { forceOnto, reachOldPrimary, readQuorum } from './failover-forced.js'
import {
  applyModeChanges,
  modeChangesPlanned,
  orderedModeChanges,
  type ReplicaModes,
  readModes,
  wantedModes,
} from './failover-modes.js'
import { failoverClusterType, switchReadScale } from './failover-none.js'
import { verifyPrimary } from './failover-verify.js'
import { compareLsn, failover, modifyReplica } from './queries.js'
import { describeReading, readSync, type SyncReading } from './sync-state.js'

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

/** FAILOVER on the target (WSFC), retried while the cluster settles; verified as primary. */
async function plannedFailover(ctx: StepContext, to: SqlConnection, ag: string, name: string) {
  await retryTransient(
    ctx,
    `fail over to ${name}`,
    () => to.change('fail over', failover(ag), {}, DDL_TIMEOUT_MS),
    {
      numbers: [41142, 41190, 35250],
      attempts: 6,
    },
  )
  return verifyPrimary(ctx, to, ag, name)
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
    const readScale = group ? (await failoverClusterType(to, p.ag, name)).type === 'NONE' : false
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
          summary: `fail ${p.ag} over from ${current.primary_replica} to ${name} once SYNCHRONIZED${readScale ? ` (read-scale, CLUSTER_TYPE = NONE: SET (ROLE = SECONDARY) on ${current.primary_replica}, FORCE_FAILOVER_ALLOW_DATA_LOSS on ${name} once every hardened LSN matches, then resume data movement on ${current.primary_replica})` : ''}${p.allow_data_loss ? ' (or FORCE with possible data loss, after approval)' : ''}`,
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
    const clusterType = await failoverClusterType(to, p.ag, name)
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
      result =
        clusterType.type === 'NONE'
          ? await switchReadScale(ctx, {
              ag: p.ag,
              from: primary,
              fromName: previous,
              to,
              toName: name,
              resume: p.resume ?? [],
            })
          : { databases: await plannedFailover(ctx, to, p.ag, name) }
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
      if ((await failoverClusterType(back, p.ag, undo.previousPrimary)).type === 'NONE')
        await switchReadScale(ctx, {
          ag: p.ag,
          from,
          fromName: undo.newPrimary,
          to: back,
          toName: undo.previousPrimary,
          resume: p.resume ?? [],
        })
      else await plannedFailover(ctx, back, p.ag, undo.previousPrimary)
    }
    // The modes as they were before the failover (e.g. AWS back to asynchronous commit), in an order SQL Server accepts.
    const now = await readModes(back, p.ag)
    const known = Object.fromEntries(
      Object.entries(undo.modes).filter(([replica]) => Object.keys(now).some((n) => sameName(n, replica))),
    )
    await applyModeChanges(ctx, back, p.ag, orderedModeChanges(p.ag, now, known))
  },
}

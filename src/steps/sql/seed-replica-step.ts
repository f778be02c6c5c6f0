import pLimit from 'p-limit'
import type { Change } from '../../engine/events.js'
import { SwitchyardError } from '../../errors.js'
import type { StepContext, StepImplementation } from '../contract.js'
import { DDL_TIMEOUT_MS, instanceOf, replicasOf, requirePrimary, sameName } from './common.js'
import {
  DATABASE,
  type DatabaseRow,
  grantCreateAnyDatabase,
  modifyReplica,
  removeDatabase,
  type SeedingMode,
} from './queries.js'
import { databaseNamesOn, dropBroughtCopies, includesName } from './replica-copies.js'
import { seedAutomatically } from './seed-automatic.js'
import { seedManually } from './seed-manual.js'
import type { SeedReplicaParams } from './seed-replica.js'
import { placementOf } from './seeding-files.js'
import { otherSecondaries } from './seeding-secondaries.js'
import {
  Board,
  healthy,
  NotAReplica,
  noteEndedAttempts,
  running,
  type Seeding,
  seedingContext,
  survey,
} from './seeding-survey.js'

async function changesFor(
  ctx: StepContext,
  p: SeedReplicaParams,
): Promise<{ changes: Change[]; states: Record<string, string> }> {
  const s = await seedingContext(ctx, p).catch((error: unknown) => {
    if (error instanceof NotAReplica) return error
    throw error
  })
  // Planned before an earlier step of the same run adds the replica (a dry run, or `plan`): say what
  // will happen once it has; apply still refuses to seed onto an instance that is not a replica.
  if (s instanceof NotAReplica)
    return {
      changes: p.databases.map((db) => ({
        action: 'create',
        target: `${db} on ${s.replica}`,
        summary: `seed ${db} onto ${s.replica} (${p.seeding}) once it is a replica of ${p.ag} — not yet`,
      })),
      states: {},
    }
  const changes: Change[] = []
  const states: Record<string, string> = {}
  const replicaInstance = p.seeding === 'manual' ? await instanceOf(s.replica) : undefined
  const others = p.seeding === 'manual' ? await otherSecondaries(ctx, s, p) : []
  for (const db of p.databases) {
    const view = await survey(s, db)
    if (healthy(view)) {
      states[db] = view.state?.synchronization_state_desc ?? ''
      continue
    }
    if (p.seeding === 'automatic' && running(view))
      changes.push({
        action: 'wait',
        target: `${db} on ${s.name}`,
        summary: `re-attach to the seed of ${db} already running`,
      })
    else if (!replicaInstance)
      changes.push({
        action: 'create',
        target: `${db} on ${s.name}`,
        summary: `seed ${db} onto ${s.name} automatically and wait until it synchronizes`,
      })
    else {
      const moves = (await placementOf(s.primary, replicaInstance, db, p.file_map))
        .map((f) => `${f.logical} -> ${f.to}`)
        .join(', ')
      changes.push({
        action: 'create',
        target: `${db} on ${s.name}`,
        summary: `back up ${db} (full + log, COPY_ONLY) to ${p.backup_share}, restore on ${[s.name, ...others.map((o) => o.name)].join(' and ')} WITH NORECOVERY moving ${moves}, join ${p.ag}`,
      })
    }
  }
  return { changes, states }
}

/** Journaled before the step acts: what rollback takes away is exactly what was not there. */
export interface SeedReplicaUndo {
  replica: string
  seedingMode: string
  databases: { db: string; copyBefore: boolean; inGroupBefore: boolean }[]
  /** Manual seeding: the other secondaries restored onto, and which of the databases each held before. */
  secondaries?: { target: string; replica: string; copiesBefore: string[] }[]
}

async function recordSeedingUndo(ctx: StepContext, s: Seeding, p: SeedReplicaParams) {
  const copies = await databaseNamesOn(s.replica)
  const databases = await Promise.all(
    p.databases.map(async (db) => {
      const [row] = await s.primary.read<DatabaseRow>(DATABASE, { db })
      return { db, copyBefore: includesName(copies, db), inGroupBefore: row?.ag_name != null }
    }),
  )
  const secondaries = await Promise.all(
    s.others.map(async (o) => ({
      target: o.target,
      replica: o.name,
      copiesBefore: (await databaseNamesOn(o.conn)).filter((db) => includesName(p.databases, db)),
    })),
  )
  await ctx.recordUndo({
    replica: s.name,
    seedingMode: s.seedingMode,
    databases,
    ...(secondaries.length > 0 ? { secondaries } : {}),
  } satisfies SeedReplicaUndo)
}

export const seedReplicaStep: StepImplementation<SeedReplicaParams> = {
  async plan(ctx, p) {
    const { changes, states } = await changesFor(ctx, p)
    return changes.length ? { changes } : { changes, outputs: { databases: states } }
  },

  async apply(ctx, p) {
    const s = await seedingContext(ctx, p)
    if (p.seeding === 'manual') s.others = await otherSecondaries(ctx, s, p)
    await recordSeedingUndo(ctx, s, p)
    await noteEndedAttempts(s, p.ag)
    if (p.seeding === 'automatic') {
      await s.replica.change('grant CREATE ANY DATABASE', grantCreateAnyDatabase(p.ag))
      if (s.seedingMode !== 'AUTOMATIC') {
        await s.primary.change(
          'switch to automatic seeding',
          modifyReplica(p.ag, s.name, 'SEEDING_MODE', 'AUTOMATIC'),
          {},
          DDL_TIMEOUT_MS,
        )
        s.seedingMode = 'AUTOMATIC'
      }
    }
    const board = new Board(ctx, p.databases)
    const limit = pLimit(p.concurrency ?? 2)
    const seed = p.seeding === 'automatic' ? seedAutomatically : seedManually
    const settled = await Promise.allSettled(p.databases.map((db) => limit(() => seed(ctx, s, p, db, board))))
    const failures = settled.flatMap((r) => (r.status === 'rejected' ? [r.reason as Error] : []))
    if (failures.length === 1) throw failures[0]
    if (failures.length > 1)
      throw new SwitchyardError(
        `${failures.length} databases did not seed:\n  ${failures.map((e) => e.message).join('\n  ')}`,
        {
          hint: 'running the step again re-attaches to seeds still running and retries the others',
        },
      )
    return {
      replica: s.name,
      databases: Object.fromEntries(
        p.databases.map((db, i) => {
          const r = settled[i]
          return [db, r?.status === 'fulfilled' ? r.value : {}]
        }),
      ),
    }
  },

  describeUndo(p, undoList) {
    const undo = (undoList as SeedReplicaUndo[])[0]
    if (!undo) return []
    const added = undo.databases.filter((d) => !d.inGroupBefore).map((d) => d.db)
    const copied = undo.databases.filter((d) => !d.copyBefore).map((d) => d.db)
    return [
      ...(added.length > 0 ? [`remove ${added.join(', ')} from ${p.ag} on the primary`] : []),
      ...(copied.length > 0 ? [`drop the copies of ${copied.join(', ')} on ${undo.replica}`] : []),
      ...(undo.secondaries ?? []).flatMap((o) => {
        const there = p.databases.filter((db) => !includesName(o.copiesBefore, db))
        return there.length > 0 ? [`drop the copies of ${there.join(', ')} on ${o.replica}`] : []
      }),
      // T-SQL cannot delete files on a share without xp_cmdshell; they are named in the step's outputs.
      ...(p.seeding === 'manual'
        ? [
            `leaves the backup files it wrote on ${p.backup_share} (named in the step's outputs): delete them by hand once the cutover is settled`,
          ]
        : []),
    ]
  },

  async compensate(ctx, p, undoList) {
    const undo = (undoList as SeedReplicaUndo[])[0]
    if (!undo) return
    const [primary, replica] = await Promise.all([ctx.sql(p.primary), ctx.sql(p.replica)])
    await requirePrimary(primary, p.ag)
    const row = (await replicasOf(primary, p.ag)).find((r) => sameName(r.replica_server_name, undo.replica))
    if (row && row.seeding_mode_desc !== undo.seedingMode)
      await primary.change(
        'restore the seeding mode',
        modifyReplica(p.ag, undo.replica, 'SEEDING_MODE', undo.seedingMode as SeedingMode),
        {},
        DDL_TIMEOUT_MS,
      )
    for (const { db, inGroupBefore } of undo.databases) {
      if (inGroupBefore) continue
      const [now] = await primary.read<DatabaseRow>(DATABASE, { db })
      if (!now?.ag_name || !sameName(now.ag_name, p.ag)) continue
      ctx.progress({ message: `removing ${db} from ${p.ag} (this step added it)` })
      await primary.change(
        'remove the database from the availability group',
        removeDatabase(p.ag, db),
        {},
        DDL_TIMEOUT_MS,
      )
    }
    const brought = undo.databases.filter((d) => !d.copyBefore).map((d) => d.db)
    await dropBroughtCopies(ctx, replica, undo.replica, (db) => includesName(brought, db))
    for (const other of undo.secondaries ?? []) {
      const broughtThere = p.databases.filter((db) => !includesName(other.copiesBefore, db))
      await dropBroughtCopies(ctx, await ctx.sql(other.target), other.replica, (db) =>
        includesName(broughtThere, db),
      )
    }
  },

  async check(ctx, p) {
    const { changes } = await changesFor(ctx, p)
    if (changes.length)
      throw new SwitchyardError(
        `not every database is on the replica and synchronizing: ${changes.map((c) => c.target).join(', ')}`,
      )
  },
}

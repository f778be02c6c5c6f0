import pLimit from 'p-limit'
import type { SqlConnection } from '../../clients/sql.js'
import type { Change } from '../../engine/events.js'
import { SwitchyardError } from '../../errors.js'
import { parseDuration } from '../../runbook/duration.js'
import type { StepContext, StepImplementation } from '../contract.js'
import {
  databaseStatesOf,
  formatBytes,
  formatSeconds,
  hasError,
  pause,
  pollMs,
  replicaNameOf,
  replicasOf,
  requirePrimary,
  retryTransient,
} from './common.js'
import {
  addDatabase,
  BACKUP_FULL,
  BACKUP_LOG,
  bytes,
  DATABASE,
  DATABASE_STATE,
  type DatabaseReplicaStateRow,
  type DatabaseRow,
  type DatabaseStateRow,
  grantCreateAnyDatabase,
  joinDatabase,
  modifyReplica,
  RESTORE_FULL,
  RESTORE_LOG,
  SEEDING_HISTORY,
  SEEDING_PROGRESS,
  type SeedingHistoryRow,
  type SeedingProgressRow,
} from './queries.js'
import type { SeedReplicaParams } from './seed-replica.js'
import { describeSeedFailure } from './seeding-failures.js'

const DDL_TIMEOUT_MS = 120_000
/** BACKUP and RESTORE of a large database take as long as they take; the step's own timeout bounds them. */
const BACKUP_TIMEOUT_MS = 24 * 3600_000
const TERMINAL = new Set(['COMPLETED', 'FAILED'])

interface Seeding {
  reads: SharedReads
  primary: SqlConnection
  replica: SqlConnection
  name: string
  endpointUrl: string
  seedingMode: string
}

class NotAReplica extends SwitchyardError {
  constructor(
    readonly replica: string,
    ag: string,
  ) {
    super(`${replica} is not a replica of ${ag}`, {
      hint: 'add it first (sql.add-replica), in an earlier step',
    })
  }
}

async function seedingContext(ctx: StepContext, p: SeedReplicaParams): Promise<Seeding> {
  const [primary, replica] = await Promise.all([ctx.sql(p.primary), ctx.sql(p.replica)])
  await requirePrimary(primary, p.ag)
  const name = await replicaNameOf(replica, p.replica_name)
  const row = (await replicasOf(primary, p.ag)).find(
    (r) => r.replica_server_name.toLowerCase() === name.toLowerCase(),
  )
  if (!row) throw new NotAReplica(name, p.ag)
  const s = {
    primary,
    replica,
    name,
    endpointUrl: row.endpoint_url,
    seedingMode: row.seeding_mode_desc,
  } as Seeding
  // Fresh for half a poll: databases polled in the same round share the reads.
  s.reads = new SharedReads(s, p, pollMs(parseDuration(p.poll ?? '10s')) / 2)
  return s
}

/** Everything known about one database's way onto the replica, from one round of reads. */
interface Survey {
  /** The replica's copy as the primary sees it (after the join). */
  state: DatabaseReplicaStateRow | undefined
  /** The copy on the replica itself (RESTORING before a manual join). */
  local: DatabaseStateRow | undefined
  progress: SeedingProgressRow | undefined
  /** Seeding attempts toward the replica, newest first. */
  history: SeedingHistoryRow[]
}

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase()

/**
 * The primary-wide reads (replica states, running seeds, seed history) answer for every database at
 * once, so databases polled together share one round of them: a poll costs three reads on the
 * primary plus one on the replica per database, not four per database.
 */
class SharedReads {
  private round:
    | { at: number; reads: Promise<[DatabaseReplicaStateRow[], SeedingProgressRow[], SeedingHistoryRow[]]> }
    | undefined
  constructor(
    private readonly s: Seeding,
    private readonly p: SeedReplicaParams,
    private readonly freshMs: number,
  ) {}
  get() {
    const now = performance.now()
    if (!this.round || now - this.round.at > this.freshMs) {
      const reads = Promise.all([
        databaseStatesOf(this.s.primary, this.p.ag),
        this.s.primary.read<SeedingProgressRow>(SEEDING_PROGRESS),
        this.s.primary.read<SeedingHistoryRow>(SEEDING_HISTORY, { ag: this.p.ag, replica: this.s.name }),
      ])
      this.round = { at: now, reads }
      reads.catch(() => {
        if (this.round?.reads === reads) this.round = undefined
      })
    }
    return this.round.reads
  }
}

async function survey(s: Seeding, db: string): Promise<Survey> {
  const [[states, progress, history], [local]] = await Promise.all([
    s.reads.get(),
    s.replica.read<DatabaseStateRow>(DATABASE_STATE, { db }),
  ])
  return {
    state: states.find((r) => same(r.database_name, db) && same(r.replica_server_name, s.name)),
    local,
    progress: progress.find(
      (r) =>
        same(r.local_database_name, db) &&
        same(r.remote_machine_name, s.endpointUrl) &&
        r.role_desc !== 'Destination',
    ),
    history: history.filter((r) => same(r.database_name, db)),
  }
}

const healthy = (v: Survey) =>
  v.state !== undefined &&
  !v.state.is_suspended &&
  (v.state.synchronization_state_desc === 'SYNCHRONIZED' ||
    v.state.synchronization_state_desc === 'SYNCHRONIZING') &&
  v.state.synchronization_health_desc === 'HEALTHY'

/** A seed is under way: bytes are moving, or the newest attempt has not ended. */
const running = (v: Survey) =>
  v.progress !== undefined ||
  (v.history[0] !== undefined && !TERMINAL.has(v.history[0].current_state.toUpperCase()))

/** The operator's line for one database. */
class Board {
  private readonly lines = new Map<string, { text: string; percent: number }>()
  constructor(
    private readonly ctx: StepContext,
    databases: string[],
  ) {
    for (const db of databases) this.lines.set(db, { text: `${db}: waiting`, percent: 0 })
  }
  set(db: string, percent: number, text: string) {
    this.lines.set(db, { percent, text: `${db}: ${text}` })
    const all = [...this.lines.values()]
    this.ctx.progress({
      percent: Math.floor(all.reduce((sum, l) => sum + l.percent, 0) / all.length),
      message: all.map((l) => l.text).join('; '),
    })
  }
}

function describeProgress(row: SeedingProgressRow): { percent: number; text: string } {
  const done = bytes(row.transferred_size_bytes)
  const size = bytes(row.database_size_bytes)
  const rate = bytes(row.transfer_rate_bytes_per_second)
  const percent = size > 0 ? Math.min(100, Math.floor((done / size) * 100)) : 0
  const eta = rate > 0 ? ` ETA ${formatSeconds((size - done) / rate)}` : ''
  return {
    percent,
    text: `${percent}% ${formatBytes(done)} of ${formatBytes(size)}, ${formatBytes(rate)}/s${eta}`,
  }
}

/** Automatic seeding of one database: start (or re-attach), watch, retry a failed seed per the policy. */
async function seedAutomatically(
  ctx: StepContext,
  s: Seeding,
  p: SeedReplicaParams,
  db: string,
  board: Board,
) {
  const every = pollMs(parseDuration(p.poll ?? '10s'))
  const stallMs = parseDuration(p.stall_after ?? '5m')
  const attempts = p.seed_attempts ?? 3
  let tries = 0
  let lastBytes = -1
  let lastMove = performance.now()
  const first = await survey(s, db)
  // Failed attempts from before this step are history, not this step's failures.
  const seen = new Set(
    first.history.filter((h) => h.current_state.toUpperCase() === 'FAILED').map((h) => h.operation_id),
  )
  let view = first
  if (running(view)) {
    // The seed under way is this step's first try, whoever started it.
    tries = 1
    board.set(db, 0, 're-attached to the seed already running')
  }

  const start = async () => {
    tries++
    lastBytes = -1
    lastMove = performance.now()
    const [row] = await s.primary.read<DatabaseRow>(DATABASE, { db })
    if (!row) throw new SwitchyardError(`database ${db} is not on the primary`)
    if (row.ag_name === null) {
      board.set(db, 0, `adding to ${p.ag} (seeding starts)`)
      await s.primary
        .change('add a database to the availability group', addDatabase(p.ag, db), {}, DDL_TIMEOUT_MS)
        .catch((e) => {
          if (!hasError(e, 35280, 41145)) throw e // already in the AG: the seed starts all the same
        })
    } else {
      board.set(db, 0, tries > 1 ? `starting seed again (try ${tries} of ${attempts})` : 'starting seed')
      await s.primary.change(
        'restart automatic seeding',
        modifyReplica(p.ag, s.name, 'SEEDING_MODE', 'AUTOMATIC'),
        {},
        DDL_TIMEOUT_MS,
      )
    }
    await ctx.checkpoint({ db, seed: 'started', try: tries })
  }

  if (!healthy(view) && !running(view)) await start()
  for (;;) {
    if (healthy(view)) {
      board.set(db, 100, `${view.state?.synchronization_state_desc} on ${s.name}`)
      return { state: view.state?.synchronization_state_desc, tries: Math.max(tries, 1) }
    }
    const failed = view.history.find(
      (h) => h.current_state.toUpperCase() === 'FAILED' && !seen.has(h.operation_id),
    )
    if (failed && !view.progress) {
      seen.add(failed.operation_id)
      const failure = describeSeedFailure(failed.failure_state, failed.failure_state_desc, failed.error_code)
      const what = `seeding ${db} to ${s.name} failed: ${failure.description}`
      if (!failure.retry || tries >= attempts)
        throw new SwitchyardError(`${what}${tries >= attempts && failure.retry ? ` (${tries} tries)` : ''}`, {
          hint:
            failure.hint ?? 'see the SQL Server error log on both replicas; run the step again once fixed',
        })
      board.set(db, 0, `${what}; trying again`)
      await start()
    } else if (view.progress) {
      const shown = describeProgress(view.progress)
      const moved = bytes(view.progress.transferred_size_bytes)
      if (moved !== lastBytes) {
        lastBytes = moved
        lastMove = performance.now()
      }
      if (view.progress.failure_message)
        throw new SwitchyardError(`seeding ${db} to ${s.name} failed: ${view.progress.failure_message}`, {
          hint: 'see the SQL Server error log on both replicas',
        })
      board.set(db, shown.percent, shown.text)
    }
    if (performance.now() - lastMove > stallMs) {
      const at = view.progress ? describeProgress(view.progress).text : 'no bytes reported'
      const wait = view.progress ? `, network wait ${view.progress.total_network_wait_time_ms} ms` : ''
      throw new SwitchyardError(
        `seeding ${db} to ${s.name} stalled: no progress for ${formatSeconds(stallMs / 1000)} (${at}${wait})`,
        {
          hint: 'check the network between the sites and the disk on the replica; running the step again re-attaches to the seed',
        },
      )
    }
    await pause(ctx, every, () => `${db} to seed`)
    view = await survey(s, db)
  }
}

type Stage = 'full' | 'log' | 'restored-full' | 'restored-log' | 'joined'

/** Manual seeding of one database (§4): backup full + log to the share, restore WITH NORECOVERY, join. */
async function seedManually(ctx: StepContext, s: Seeding, p: SeedReplicaParams, db: string, board: Board) {
  const share = p.backup_share ?? ''
  const sep = share.includes('/') && !share.includes('\\') ? '/' : '\\'
  const base = `${share.replace(/[\\/]+$/, '')}${sep}${db}_${ctx.runId}`
  const full = `${base}_full.bak`
  const log = `${base}_log.trn`
  const done = new Set(
    ctx.checkpoints
      .filter(
        (c): c is { db: string; stage: Stage } =>
          (c as { db?: string }).db === db && 'stage' in (c as object),
      )
      .map((c) => c.stage),
  )
  const mark = async (stage: Stage) => {
    done.add(stage)
    await ctx.checkpoint({ db, stage })
  }
  const every = pollMs(parseDuration(p.poll ?? '10s'))
  let view = await survey(s, db)
  if (healthy(view)) {
    board.set(db, 100, `${view.state?.synchronization_state_desc} on ${s.name}`)
    return { state: view.state?.synchronization_state_desc, tries: 1 }
  }
  const joined = view.local?.group_database_id != null
  // A copy that is RESTORING but was not restored by this step may lack log: restore it afresh.
  if (!joined && !(view.local?.state_desc === 'RESTORING' && done.has('restored-log'))) {
    if (view.local && view.local.state_desc !== 'RESTORING')
      throw new SwitchyardError(
        `${db} is already ${view.local.state_desc} on ${s.name}; manual seeding restores over nothing`,
        {
          hint: 'drop or rename that copy on the replica first',
        },
      )
    board.set(db, 10, `backing up to ${full}`)
    await s.primary.change('back up the database', BACKUP_FULL, { db, path: full }, BACKUP_TIMEOUT_MS)
    await mark('full')
    board.set(db, 30, `backing up the log to ${log}`)
    await s.primary.change('back up the log', BACKUP_LOG, { db, path: log }, BACKUP_TIMEOUT_MS)
    await mark('log')
    board.set(db, 50, `restoring on ${s.name} WITH NORECOVERY`)
    await s.replica.change('restore the database', RESTORE_FULL, { db, path: full }, BACKUP_TIMEOUT_MS)
    await mark('restored-full')
    await s.replica.change('restore the log', RESTORE_LOG, { db, path: log }, BACKUP_TIMEOUT_MS)
    await mark('restored-log')
  }
  if (!joined) {
    const [row] = await s.primary.read<DatabaseRow>(DATABASE, { db })
    if (row?.ag_name === null) {
      // An automatic-seeding replica would try to seed over the restored copy: hold it to manual meanwhile.
      const automatic = s.seedingMode === 'AUTOMATIC'
      if (automatic)
        await s.primary.change(
          'hold seeding',
          modifyReplica(p.ag, s.name, 'SEEDING_MODE', 'MANUAL'),
          {},
          DDL_TIMEOUT_MS,
        )
      board.set(db, 70, `adding to ${p.ag} on the primary`)
      await s.primary
        .change('add a database to the availability group', addDatabase(p.ag, db), {}, DDL_TIMEOUT_MS)
        .catch((e) => {
          if (!hasError(e, 35280)) throw e
        })
      await joinOnReplica(ctx, s, p, db, board)
      if (automatic)
        await s.primary.change(
          'restore seeding mode',
          modifyReplica(p.ag, s.name, 'SEEDING_MODE', 'AUTOMATIC'),
          {},
          DDL_TIMEOUT_MS,
        )
    } else await joinOnReplica(ctx, s, p, db, board)
    await mark('joined')
  }
  for (;;) {
    view = await survey(s, db)
    if (healthy(view)) {
      board.set(db, 100, `${view.state?.synchronization_state_desc} on ${s.name}`)
      return { state: view.state?.synchronization_state_desc, tries: 1 }
    }
    board.set(
      db,
      90,
      `joined; ${view.state?.synchronization_state_desc ?? 'waiting for the first'} synchronization`,
    )
    await pause(ctx, every, () => `${db} to synchronize`)
  }
}

async function joinOnReplica(ctx: StepContext, s: Seeding, p: SeedReplicaParams, db: string, board: Board) {
  board.set(db, 80, `joining ${db} to ${p.ag} on ${s.name}`)
  try {
    await retryTransient(
      ctx,
      `join ${db} on ${s.name}`,
      () =>
        s.replica.change('join the database', joinDatabase(p.ag, db), {}, DDL_TIMEOUT_MS).catch((e) => {
          if (!hasError(e, 41145)) throw e // already joined
        }),
      { numbers: [35250, 41190, 41132] },
    )
  } catch (error) {
    if (hasError(error, 1478, 1408, 1412))
      throw new SwitchyardError(
        `${db} on ${s.name} lacks log the primary has already backed up: it cannot join`,
        {
          cause: error,
          hint: 'pause log backups on every replica until the join, then run the step again (it backs up and restores afresh)',
        },
      )
    throw error
  }
}

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
    else
      changes.push({
        action: 'create',
        target: `${db} on ${s.name}`,
        summary:
          p.seeding === 'automatic'
            ? `seed ${db} onto ${s.name} automatically and wait until it synchronizes`
            : `back up ${db} (full + log) to ${p.backup_share}, restore on ${s.name} WITH NORECOVERY, join ${p.ag}`,
      })
  }
  return { changes, states }
}

export const seedReplicaStep: StepImplementation<SeedReplicaParams> = {
  async plan(ctx, p) {
    const { changes, states } = await changesFor(ctx, p)
    return changes.length ? { changes } : { changes, outputs: { databases: states } }
  },

  async apply(ctx, p) {
    const s = await seedingContext(ctx, p)
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

  async check(ctx, p) {
    const { changes } = await changesFor(ctx, p)
    if (changes.length)
      throw new SwitchyardError(
        `not every database is on the replica and synchronizing: ${changes.map((c) => c.target).join(', ')}`,
      )
  },
}

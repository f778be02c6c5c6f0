// What sql.seed-replica reads to follow a database onto the replica, and how it shows it.
import type { SqlConnection } from '../../clients/sql.js'
import { SwitchyardError } from '../../errors.js'
import { parseDuration } from '../../runbook/duration.js'
import type { StepContext } from '../contract.js'
import { databaseStatesOf, pollMs, replicaNameOf, replicasOf, requirePrimary, sameName } from './common.js'
import {
  DATABASE_STATE,
  type DatabaseReplicaStateRow,
  type DatabaseStateRow,
  SEEDING_HISTORY,
  SEEDING_PROGRESS,
  type SeedingHistoryRow,
  type SeedingProgressRow,
} from './queries.js'
import type { SeedReplicaParams } from './seed-replica.js'
import type { OtherSecondary } from './seeding-secondaries.js'

/** BACKUP and RESTORE of a large database take as long as they take; the step's own timeout bounds them. */
export const BACKUP_TIMEOUT_MS = 24 * 3600_000
export const TERMINAL = new Set(['COMPLETED', 'FAILED'])

export interface Seeding {
  reads: SharedReads
  primary: SqlConnection
  replica: SqlConnection
  name: string
  seedingMode: string
  /** Seeding attempts toward the replica that ended before this step acted: history, never this step's tries. */
  endedBefore: Set<string>
  /** Manual seeding: the AG's other secondaries, which get a restored copy too. */
  others: OtherSecondary[]
}

export class NotAReplica extends SwitchyardError {
  constructor(
    readonly replica: string,
    ag: string,
  ) {
    super(`${replica} is not a replica of ${ag}`, {
      hint: 'add it first (sql.add-replica), in an earlier step',
    })
  }
}

export async function seedingContext(ctx: StepContext, p: SeedReplicaParams): Promise<Seeding> {
  const [primary, replica] = await Promise.all([ctx.sql(p.primary), ctx.sql(p.replica)])
  await requirePrimary(primary, p.ag)
  const name = await replicaNameOf(replica, p.replica_name)
  const row = (await replicasOf(primary, p.ag)).find((r) => sameName(r.replica_server_name, name))
  if (!row) throw new NotAReplica(name, p.ag)
  const s = {
    primary,
    replica,
    name,
    seedingMode: row.seeding_mode_desc,
    endedBefore: new Set<string>(),
    others: [] as OtherSecondary[],
  } as Seeding
  // Fresh for half a poll: databases polled in the same round share the reads.
  s.reads = new SharedReads(s, p, pollMs(parseDuration(p.poll ?? '10s')) / 2)
  return s
}

/** Everything known about one database's way onto the replica, from one round of reads. */
export interface Survey {
  /** The replica's copy as the primary sees it (after the join). */
  state: DatabaseReplicaStateRow | undefined
  /** The copy on the replica itself (RESTORING before a manual join). */
  local: DatabaseStateRow | undefined
  progress: SeedingProgressRow | undefined
  /** Seeding attempts toward the replica, newest first. */
  history: SeedingHistoryRow[]
}

/**
 * The primary-wide reads (replica states, running seeds, seed history) answer for every database at
 * once, so databases polled together share one round of them: a poll costs three reads on the
 * primary plus one on the replica per database, not four per database.
 */
export class SharedReads {
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

export async function survey(s: Seeding, db: string): Promise<Survey> {
  const [[states, progress, history], [local]] = await Promise.all([
    s.reads.get(),
    s.replica.read<DatabaseStateRow>(DATABASE_STATE, { db }),
  ])
  return {
    state: states.find((r) => sameName(r.database_name, db) && sameName(r.replica_server_name, s.name)),
    local,
    progress: progress.find(
      (r) =>
        sameName(r.local_database_name, db) &&
        sameName(r.replica_server_name, s.name) &&
        r.role_desc !== 'Destination',
    ),
    history: history.filter((r) => sameName(r.database_name, db)),
  }
}

/** Notes the attempts that have already ended, before the step changes anything that starts a seed. */
export async function noteEndedAttempts(s: Seeding, ag: string): Promise<void> {
  const attempts = await s.primary.read<SeedingHistoryRow>(SEEDING_HISTORY, { ag, replica: s.name })
  for (const a of attempts) if (TERMINAL.has(a.current_state.toUpperCase())) s.endedBefore.add(a.operation_id)
}

/** A copy is HEALTHY: SYNCHRONIZED under synchronous commit, SYNCHRONIZING under asynchronous, not suspended. */
export const healthyCopy = (state: DatabaseReplicaStateRow | undefined) =>
  state !== undefined &&
  !state.is_suspended &&
  (state.synchronization_state_desc === 'SYNCHRONIZED' ||
    state.synchronization_state_desc === 'SYNCHRONIZING') &&
  state.synchronization_health_desc === 'HEALTHY'

export const healthy = (v: Survey) => healthyCopy(v.state)

/** A seed is under way: bytes are moving, or the newest attempt has not ended. */
export const running = (v: Survey) =>
  v.progress !== undefined ||
  (v.history[0] !== undefined && !TERMINAL.has(v.history[0].current_state.toUpperCase()))

/** The operator's line for one database. */
export class Board {
  private readonly lines = new Map<string, { text: string; percent: number }>()
  constructor(
    private readonly ctx: StepContext,
    databases: string[],
  ) {
    for (const db of databases) this.lines.set(db, { text: `${db}: waiting`, percent: 0 })
  }
  /** Each database's seed start and end is a milestone of its own: a CI log keeps both. */
  set(db: string, percent: number, text: string) {
    const before = this.lines.get(db)
    if (before?.text === `${db}: waiting` || (percent === 100 && (before?.percent ?? 0) < 100))
      this.ctx.progress({ message: `${db}: ${text}`, milestone: true })
    this.lines.set(db, { percent, text: `${db}: ${text}` })
    const all = [...this.lines.values()]
    this.ctx.progress({
      percent: Math.floor(all.reduce((sum, l) => sum + l.percent, 0) / all.length),
      message: all.map((l) => l.text).join('; '),
    })
  }
}

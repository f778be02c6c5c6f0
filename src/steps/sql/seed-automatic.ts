import { SwitchyardError } from '../../errors.js'
import { parseDuration } from '../../runbook/duration.js'
import type { StepContext } from '../contract.js'
import { DDL_TIMEOUT_MS, formatBytes, formatSeconds, hasError, pause, pollMs } from './common.js'
import {
  addDatabase,
  bytes,
  DATABASE,
  type DatabaseRow,
  modifyReplica,
  type SeedingProgressRow,
} from './queries.js'
import type { SeedReplicaParams } from './seed-replica.js'
import { describeSeedFailure } from './seeding-failures.js'

import { type Board, healthy, running, type Seeding, type Survey, survey } from './seeding-survey.js'

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
export async function seedAutomatically(
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
  // Attempts that ended before this step acted are history; every other one is this step's try, whoever started it
  // (the seeding-mode switch in apply starts one; a seed already running is re-attached to).
  const mine = (v: Survey) => v.history.filter((h) => !s.endedBefore.has(h.operation_id))
  const seen = new Set(s.endedBefore)
  let view = await survey(s, db)
  tries = mine(view).length
  const newest = view.history[0]
  // A seed that completed just before the step acted (started by add-replica's GRANT) is still news to the operator.
  if (tries === 0 && healthy(view) && newest?.current_state.toUpperCase() === 'COMPLETED')
    board.set(
      db,
      0,
      `seeded by the attempt that completed at ${new Date(newest.completion_time ?? newest.start_time).toISOString()}`,
    )
  if (tries > 0)
    board.set(
      db,
      0,
      running(view)
        ? 're-attached to the seed already running'
        : 'following the seed started by the switch to automatic seeding',
    )

  const start = async () => {
    tries = Math.max(tries, mine(view).length) + 1
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

  if (!healthy(view) && !running(view) && tries === 0) await start()
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
      tries = Math.max(tries, mine(view).length)
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

import { SwitchyardError } from '../../errors.js'
import { parseDuration } from '../../runbook/duration.js'
import type { StepContext } from '../contract.js'
import { DDL_TIMEOUT_MS, hasError, instanceOf, pause, pollMs, retryTransient } from './common.js'
import {
  addDatabase,
  BACKUP_FULL,
  BACKUP_LOG,
  DATABASE,
  type DatabaseRow,
  joinDatabase,
  modifyReplica,
  RESTORE_LOG,
} from './queries.js'
import type { SeedReplicaParams } from './seed-replica.js'
import {
  type FilePlacement,
  folderExists,
  folderOfFile,
  placementOf,
  restoreWithMove,
} from './seeding-files.js'

import { BACKUP_TIMEOUT_MS, type Board, healthy, type Seeding, survey } from './seeding-survey.js'

type Stage = 'full' | 'log' | 'restored-full' | 'restored-log' | 'joined'

/** Manual seeding of one database (§4): backup full + log to the share, restore WITH NORECOVERY, join. */
export async function seedManually(
  ctx: StepContext,
  s: Seeding,
  p: SeedReplicaParams,
  db: string,
  board: Board,
) {
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
  const made = { backup_files: [full, log] }
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
    const placement = await placementOf(s.primary, await instanceOf(s.replica), db, p.file_map)
    await requireFolders(s, db, placement)
    board.set(db, 10, `backing up to ${full}`)
    await s.primary.change('back up the database', BACKUP_FULL, { db, path: full }, BACKUP_TIMEOUT_MS)
    await mark('full')
    board.set(db, 30, `backing up the log to ${log}`)
    await s.primary.change('back up the log', BACKUP_LOG, { db, path: log }, BACKUP_TIMEOUT_MS)
    await mark('log')
    board.set(db, 50, `restoring on ${s.name} WITH NORECOVERY`)
    const restore = restoreWithMove(db, full, placement)
    await s.replica
      .change('restore the database', restore.sql, restore.params, BACKUP_TIMEOUT_MS)
      .catch((error: unknown) => {
        throw restoreRefused(error, db, s.name)
      })
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
      return { state: view.state?.synchronization_state_desc, tries: 1, ...made }
    }
    board.set(
      db,
      90,
      `joined; ${view.state?.synchronization_state_desc ?? 'waiting for the first'} synchronization`,
    )
    await pause(ctx, every, () => `${db} to synchronize`)
  }
}

/** Every folder the restore writes to exists on the replica: RESTORE creates files, never folders. */
async function requireFolders(s: Seeding, db: string, placement: FilePlacement[]) {
  const folders = [...new Set(placement.map((f) => folderOfFile(f.to)))]
  const exists = await Promise.all(folders.map((folder) => folderExists(s.replica, folder)))
  const missing = folders.filter((_, i) => !exists[i])
  if (missing.length > 0)
    throw new SwitchyardError(
      `${db} cannot be restored on ${s.name}: ${missing.length === 1 ? 'the folder' : 'the folders'} ${missing.join(', ')} ${missing.length === 1 ? 'does' : 'do'} not exist there`,
      {
        hint: 'create the folder on the replica, or send the files elsewhere with file_map (logical name or primary folder -> replica path); nothing was backed up',
      },
    )
}

/** A RESTORE refused for where its files would go says which files and what to change. */
function restoreRefused(error: unknown, db: string, replica: string): unknown {
  if (!hasError(error, 5133, 3156, 3234, 3257)) return error
  const preceding = (error as { precedingErrors?: { message?: string }[] }).precedingErrors ?? []
  const reasons = preceding.map((e) => e.message ?? '').filter((m) => !/^Problems were identified/.test(m))
  return new SwitchyardError(
    `RESTORE of ${db} on ${replica} was refused: ${reasons.join(' ') || (error as Error).message}`,
    {
      cause: error,
      hint: 'create the folders on the replica or free the space, or send the files elsewhere with file_map; then run the step again',
    },
  )
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

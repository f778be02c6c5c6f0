import type { SqlConnection } from '../../clients/sql.js'
import { SwitchyardError } from '../../errors.js'
import { parseDuration } from '../../runbook/duration.js'
import type { StepContext } from '../contract.js'
import {
  DDL_TIMEOUT_MS,
  hasError,
  instanceOf,
  JOIN_TIMEOUT_MS,
  pause,
  pollMs,
  retryTransient,
  sameName,
} from './common.js'
import {
  addDatabase,
  BACKUP_FULL,
  BACKUP_LOG,
  DATABASE,
  DATABASE_STATE,
  type DatabaseRow,
  type DatabaseStateRow,
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

import {
  BACKUP_TIMEOUT_MS,
  type Board,
  healthy,
  healthyCopy,
  type Seeding,
  survey,
} from './seeding-survey.js'

type Stage = 'full' | 'log' | 'restored-full' | 'restored-log' | 'joined'

/** A replica that gets a restored copy: the step's own, or another secondary of the AG. */
interface Holder {
  name: string
  conn: SqlConnection
  /** Checkpoint key suffix: the step's replica has none (checkpoints of earlier versions stay valid). */
  key: string
}

/**
 * Manual seeding of one database (§4): backup full + log (COPY_ONLY) to the share, restore WITH MOVE and NORECOVERY on
 * the replica and on every other secondary (ADD DATABASE adds it for all of them), add it on the primary, join each.
 */
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
        (c): c is { db: string; stage: Stage; on?: string } =>
          (c as { db?: string }).db === db && 'stage' in (c as object),
      )
      .map((c) => `${c.stage}${c.on ? `@${c.on}` : ''}`),
  )
  const mark = async (stage: Stage, holder?: Holder) => {
    done.add(`${stage}${holder?.key ?? ''}`)
    await ctx.checkpoint(holder?.key ? { db, stage, on: holder.name } : { db, stage })
  }
  const every = pollMs(parseDuration(p.poll ?? '10s'))
  const made = { backup_files: [full, log] }
  let view = await survey(s, db)
  const others = await Promise.all(
    s.others.map(async (o) => {
      const [copy] = await o.conn.read<DatabaseStateRow>(DATABASE_STATE, { db })
      return { holder: { name: o.name, conn: o.conn, key: `@${o.name}` }, copy }
    }),
  )
  if (healthy(view) && others.every((o) => o.copy?.group_database_id)) {
    board.set(db, 100, `${view.state?.synchronization_state_desc} on ${s.name}`)
    return { state: view.state?.synchronization_state_desc, tries: 1 }
  }
  const main: Holder = { name: s.name, conn: s.replica, key: '' }
  const copies = [{ holder: main, copy: view.local }, ...others]
  // A copy that is RESTORING but was not restored by this step may lack log: restore it afresh.
  const toRestore = copies.filter(
    ({ holder, copy }) =>
      !copy?.group_database_id &&
      !(copy?.state_desc === 'RESTORING' && done.has(`restored-log${holder.key}`)),
  )
  if (toRestore.length > 0) {
    for (const { holder, copy } of toRestore)
      if (copy && copy.state_desc !== 'RESTORING')
        throw new SwitchyardError(
          `${db} is already ${copy.state_desc} on ${holder.name}; manual seeding restores over nothing`,
          { hint: 'drop or rename that copy on the replica first' },
        )
    const placements = await Promise.all(
      toRestore.map(async ({ holder }) => {
        // file_map describes the step's replica; another secondary keeps files in its own default folders
        const fileMap = holder === main ? p.file_map : undefined
        const placement = await placementOf(s.primary, await instanceOf(holder.conn), db, fileMap)
        await requireFolders(holder, db, placement)
        return placement
      }),
    )
    board.set(db, 10, `backing up to ${full}`)
    await s.primary.change('back up the database', BACKUP_FULL, { db, path: full }, BACKUP_TIMEOUT_MS)
    await mark('full')
    board.set(db, 30, `backing up the log to ${log}`)
    await s.primary.change('back up the log', BACKUP_LOG, { db, path: log }, BACKUP_TIMEOUT_MS)
    await mark('log')
    for (const [i, { holder }] of toRestore.entries()) {
      board.set(db, 50, `restoring on ${holder.name} WITH NORECOVERY`)
      const restore = restoreWithMove(db, full, placements[i] ?? [])
      await holder.conn
        .change('restore the database', restore.sql, restore.params, BACKUP_TIMEOUT_MS)
        .catch((error: unknown) => {
          throw restoreRefused(error, db, holder.name)
        })
      await mark('restored-full', holder)
      await holder.conn.change('restore the log', RESTORE_LOG, { db, path: log }, BACKUP_TIMEOUT_MS)
      await mark('restored-log', holder)
    }
  }
  const [row] = await s.primary.read<DatabaseRow>(DATABASE, { db })
  // An automatic-seeding replica would try to seed over the restored copy: hold it to manual meanwhile.
  const hold = row?.ag_name === null && s.seedingMode === 'AUTOMATIC'
  if (hold)
    await s.primary.change(
      'hold seeding',
      modifyReplica(p.ag, s.name, 'SEEDING_MODE', 'MANUAL'),
      {},
      DDL_TIMEOUT_MS,
    )
  if (row?.ag_name === null) {
    board.set(db, 70, `adding to ${p.ag} on the primary`)
    await s.primary
      .change('add a database to the availability group', addDatabase(p.ag, db), {}, DDL_TIMEOUT_MS)
      .catch((e) => {
        if (!hasError(e, 35280)) throw e
      })
  }
  for (const { holder, copy } of copies) {
    if (copy?.group_database_id) continue
    await joinOnReplica(ctx, holder, p, db, board)
    await mark('joined', holder)
  }
  if (hold)
    await s.primary.change(
      'restore seeding mode',
      modifyReplica(p.ag, s.name, 'SEEDING_MODE', 'AUTOMATIC'),
      {},
      DDL_TIMEOUT_MS,
    )
  for (;;) {
    view = await survey(s, db)
    const [states] = await s.reads.get()
    const behind = others.filter(
      ({ holder }) =>
        !healthyCopy(
          states.find((r) => sameName(r.database_name, db) && sameName(r.replica_server_name, holder.name)),
        ),
    )
    if (healthy(view) && behind.length === 0) {
      board.set(db, 100, `${view.state?.synchronization_state_desc} on ${s.name}`)
      return {
        state: view.state?.synchronization_state_desc,
        tries: 1,
        ...made,
        ...(others.length > 0 ? { also_on: others.map((o) => o.holder.name) } : {}),
      }
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
async function requireFolders(holder: Holder, db: string, placement: FilePlacement[]) {
  const folders = [...new Set(placement.map((f) => folderOfFile(f.to)))]
  const exists = await Promise.all(folders.map((folder) => folderExists(holder.conn, folder)))
  const missing = folders.filter((_, i) => !exists[i])
  if (missing.length > 0)
    throw new SwitchyardError(
      `${db} cannot be restored on ${holder.name}: ${missing.length === 1 ? 'the folder' : 'the folders'} ${missing.join(', ')} ${missing.length === 1 ? 'does' : 'do'} not exist there`,
      {
        hint: 'create the folder on the replica, or send the files elsewhere with file_map (logical name or primary folder -> replica path); nothing was backed up',
      },
    )
}

/** A RESTORE refused for where its files would go (SQL Server's reasons are in the message) says what to change. */
function restoreRefused(error: unknown, db: string, replica: string): unknown {
  if (!hasError(error, 5133, 3156, 3234, 3257)) return error
  return new SwitchyardError(`RESTORE of ${db} on ${replica} was refused: ${(error as Error).message}`, {
    cause: error,
    hint: 'create the folders on the replica or free the space, or send the files elsewhere with file_map; then run the step again',
  })
}

async function joinOnReplica(ctx: StepContext, s: Holder, p: SeedReplicaParams, db: string, board: Board) {
  board.set(db, 80, `joining ${db} to ${p.ag} on ${s.name}`)
  try {
    await retryTransient(
      ctx,
      `join ${db} on ${s.name}`,
      () =>
        s.conn.change('join the database', joinDatabase(p.ag, db), {}, JOIN_TIMEOUT_MS).catch((e) => {
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

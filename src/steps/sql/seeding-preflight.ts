// sql.preflight's seeding checks: the folders the databases' files will land in exist on the replica and have room.
import type { SqlConnection } from '../../clients/sql.js'
import { formatBytes } from './common.js'
import type { PreflightParams } from './preflight.js'
import { bytes, DATABASE_FILES, type DatabaseFileRow, type InstanceRow } from './queries.js'
import {
  type FilePlacement,
  folderExists,
  folderOfFile,
  placeFiles,
  placeSeededFiles,
  volumesFor,
} from './seeding-files.js'

/** What preflight's report takes: one verdict per check. */
export interface Checks {
  pass(check: string, on: string, detail: string): void
  warn(check: string, on: string, detail: string): void
  fail(check: string, on: string, detail: string): void
}

/** Where each database's files will go on the replica, by the seeding the runbook uses. */
async function placements(
  primary: SqlConnection,
  pi: InstanceRow,
  ri: InstanceRow,
  p: PreflightParams,
): Promise<Map<string, FilePlacement[]>> {
  const byDatabase = new Map<string, FilePlacement[]>()
  for (const db of p.databases) {
    const files = await primary.read<DatabaseFileRow>(DATABASE_FILES, { db })
    byDatabase.set(
      db,
      p.seeding === 'manual' ? placeFiles(files, ri, p.file_map) : placeSeededFiles(files, pi, ri),
    )
  }
  return byDatabase
}

/**
 * 'target folders' per database: every folder a file will be created in exists on the replica (xp_fileexist, as
 * dbatools' Test-DbaPath reads it; RESTORE and seeding create files, never folders). 'free space' per volume: what
 * lands there, times the factor, fits in what sys.dm_os_volume_stats reports free.
 */
export async function seedingPlacementChecks(
  report: Checks,
  primary: SqlConnection,
  replica: SqlConnection,
  pi: InstanceRow,
  ri: InstanceRow,
  on: string,
  p: PreflightParams,
  factor: number,
): Promise<void> {
  const byDatabase = await placements(primary, pi, ri, p)
  const how = p.seeding === 'manual' ? 'RESTORE WITH MOVE' : 'automatic seeding'
  for (const [db, placement] of byDatabase) {
    if (placement.length === 0) continue
    const folders = [...new Set(placement.map((f) => folderOfFile(f.to)))]
    const exists = await Promise.all(folders.map((folder) => folderExists(replica, folder)))
    const missing = folders.filter((_, i) => !exists[i])
    const where = placement.map((f) => `${f.logical} -> ${f.to} (${f.by})`).join(', ')
    if (missing.length === 0) report.pass('target folders', `database ${db}`, `${how}: ${where}`)
    else
      report.fail(
        'target folders',
        `database ${db}`,
        `${missing.join(', ')} does not exist on ${ri.server_name}; ${how} creates files, never folders: create ${missing.length === 1 ? 'it' : 'them'}${p.seeding === 'manual' ? ' or send the files elsewhere with file_map' : ''} (${where})`,
      )
  }
  const all = [...byDatabase.values()].flat()
  const { needs, volumes, unknown } = await volumesFor(replica, all)
  for (const [mountPoint, needed] of needs) {
    const free = bytes(volumes.get(mountPoint)?.available_bytes)
    const want = Math.ceil(needed * factor)
    const detail = `${formatBytes(free)} free on ${mountPoint}, ${formatBytes(want)} needed (${factor} x ${formatBytes(needed)})`
    if (free >= want) report.pass('free space', on, detail)
    else report.fail('free space', on, detail)
  }
  if (unknown.length > 0)
    report.warn(
      'free space',
      on,
      `no volume of the replica's own files holds ${unknown.join(', ')}: check the free space there by hand`,
    )
}

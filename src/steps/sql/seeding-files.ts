// Where a database's files go on a replica, for manual seeding's RESTORE … WITH MOVE and for preflight.
import type { SqlConnection, SqlValue } from '../../clients/sql.js'
import {
  bytes,
  DATABASE_FILES,
  type DatabaseFileRow,
  type InstanceRow,
  VOLUMES,
  type VolumeRow,
} from './queries.js'

/** One file of the database: its logical name, where the primary keeps it, where the replica will. */
export interface FilePlacement {
  logical: string
  type: string
  from: string
  to: string
  sizeBytes: number
  /** What decided `to`: a file_map entry, or the replica's default folder. */
  by: string
}

const hasSeparator = (s: string) => /[\\/]/.test(s)
const fileName = (path: string) => path.split(/[\\/]/).pop() ?? path
/** A folder as SQL Server's defaults write it: with its trailing separator. */
const asFolder = (folder: string) =>
  /[\\/]$/.test(folder) ? folder : `${folder}${folder.includes('/') && !folder.includes('\\') ? '/' : '\\'}`
export const folderOfFile = (path: string) => path.replace(/[^\\/]*$/, '')

/**
 * Where each file goes: a `file_map` key with no separator is a logical file name (its value a path, or a folder
 * when it ends in a separator); a key with one is a folder prefix of the primary's paths (longest wins), replaced
 * by its value. Anything unmapped goes to the replica's default data folder (log files: default log folder).
 */
export function placeFiles(
  files: DatabaseFileRow[],
  replica: Pick<InstanceRow, 'default_data_path' | 'default_log_path'>,
  fileMap: Record<string, string> = {},
): FilePlacement[] {
  const entries = Object.entries(fileMap)
  const prefixes = entries.filter(([k]) => hasSeparator(k)).sort((a, b) => b[0].length - a[0].length)
  return files.map((f) => {
    const base = { logical: f.name, type: f.type_desc, from: f.physical_name, sizeBytes: bytes(f.size_bytes) }
    const named = entries.find(([k]) => !hasSeparator(k) && k.toLowerCase() === f.name.toLowerCase())
    if (named) {
      const to = /[\\/]$/.test(named[1]) ? `${named[1]}${fileName(f.physical_name)}` : named[1]
      return { ...base, to, by: `file_map ${named[0]}` }
    }
    const prefix = prefixes.find(([k]) => f.physical_name.toLowerCase().startsWith(asFolder(k).toLowerCase()))
    if (prefix)
      return {
        ...base,
        to: `${asFolder(prefix[1])}${f.physical_name.slice(asFolder(prefix[0]).length)}`,
        by: `file_map ${prefix[0]}`,
      }
    const folder = f.type_desc === 'LOG' ? replica.default_log_path : replica.default_data_path
    return {
      ...base,
      to: `${asFolder(folder)}${fileName(f.physical_name)}`,
      by: f.type_desc === 'LOG' ? 'default log folder' : 'default data folder',
    }
  })
}

/** The primary's files of a database, placed on the replica. */
export async function placementOf(
  primary: SqlConnection,
  replica: Pick<InstanceRow, 'default_data_path' | 'default_log_path'>,
  db: string,
  fileMap?: Record<string, string>,
): Promise<FilePlacement[]> {
  return placeFiles(await primary.read<DatabaseFileRow>(DATABASE_FILES, { db }), replica, fileMap)
}

/** `RESTORE DATABASE @db FROM DISK = @path WITH MOVE @logical0 TO @physical0, …, NORECOVERY, CHECKSUM;` */
export function restoreWithMove(
  db: string,
  path: string,
  placement: FilePlacement[],
): { sql: string; params: Record<string, SqlValue> } {
  const params: Record<string, SqlValue> = { db, path }
  const moves = placement.map((f, i) => {
    params[`logical${i}`] = f.logical
    params[`physical${i}`] = f.to
    return `MOVE @logical${i} TO @physical${i}`
  })
  return {
    sql: `RESTORE DATABASE @db FROM DISK = @path WITH ${[...moves, 'NORECOVERY', 'CHECKSUM'].join(', ')};`,
    params,
  }
}

/** The row master.dbo.xp_fileexist returns (dbatools' Test-DbaPath reads it the same way). */
export const FOLDER_EXISTS = 'EXEC master.dbo.xp_fileexist @path;'

export async function folderExists(conn: SqlConnection, folder: string): Promise<boolean> {
  const [row] = await conn.read<Record<string, number>>(FOLDER_EXISTS, { path: folder })
  return row?.['File is a Directory'] === 1
}

/** Free space where the files would land: the replica's volumes that hold its own files (sys.dm_os_volume_stats). */
export async function volumesFor(
  replica: SqlConnection,
  placement: FilePlacement[],
): Promise<{ needs: Map<string, number>; volumes: Map<string, VolumeRow>; unknown: string[] }> {
  const rows = await replica.read<VolumeRow>(VOLUMES)
  const needs = new Map<string, number>()
  const volumes = new Map<string, VolumeRow>()
  const unknown: string[] = []
  for (const f of placement) {
    const volume = rows
      .filter((v) => f.to.toLowerCase().startsWith(v.volume_mount_point.toLowerCase()))
      .sort((a, b) => b.volume_mount_point.length - a.volume_mount_point.length)[0]
    if (!volume) {
      unknown.push(f.to)
      continue
    }
    volumes.set(volume.volume_mount_point, volume)
    needs.set(volume.volume_mount_point, (needs.get(volume.volume_mount_point) ?? 0) + f.sizeBytes)
  }
  return { needs, volumes, unknown }
}

/**
 * Where automatic seeding creates each file (Microsoft, "Disk layout"): from SQL Server 2017, a file under the
 * primary's default data or log folder goes to the same place under the replica's; every other file, and every file
 * on 2016, is created at the primary's own path, whose folder must exist on the replica.
 */
export function placeSeededFiles(
  files: DatabaseFileRow[],
  primary: Pick<InstanceRow, 'default_data_path' | 'default_log_path'>,
  replica: Pick<InstanceRow, 'default_data_path' | 'default_log_path' | 'major'>,
): FilePlacement[] {
  const pairs = [
    [primary.default_data_path, replica.default_data_path, 'default data folder'],
    [primary.default_log_path, replica.default_log_path, 'default log folder'],
  ] as const
  return files.map((f) => {
    const base = { logical: f.name, type: f.type_desc, from: f.physical_name, sizeBytes: bytes(f.size_bytes) }
    const under =
      replica.major >= 14
        ? pairs.find(
            ([from]) => from && f.physical_name.toLowerCase().startsWith(asFolder(from).toLowerCase()),
          )
        : undefined
    if (!under) return { ...base, to: f.physical_name, by: "the primary's path" }
    return {
      ...base,
      to: `${asFolder(under[1])}${f.physical_name.slice(asFolder(under[0]).length)}`,
      by: `the replica's ${under[2]}`,
    }
  })
}

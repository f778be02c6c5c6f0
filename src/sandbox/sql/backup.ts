import {
  backupOfOtherDatabase,
  cannotOpenBackupDevice,
  cannotRestoreFileTo,
  databaseMissing,
  databaseRestoring,
  directoryLookupFailed,
  insufficientVolumeSpace,
  logBackupInSimple,
  logicalFileNotInBackup,
  logTooEarly,
  logTooRecent,
  noCurrentBackup,
  nothingToRollForward,
  restoreOverAgDatabase,
  restoreRefused,
  tailNotBackedUp,
  wrongBackupKind,
} from './errors.js'
import type { BackupFile, Database, DatabaseFile, Instance } from './model.js'
import { folderOf, lsnOf } from './model.js'
import { SqlServerError } from './tds/index.js'
import type { SqlWorld } from './world.js'

/** BACKUP and RESTORE against the disk every instance of the world shares (paths are case-insensitive, like Windows). */

const pages = (bytes: number) => Math.ceil(bytes / 8192)

export function backup(
  world: SqlWorld,
  instance: Instance,
  kind: 'DATABASE' | 'LOG',
  name: string,
  path: string,
  copyOnly: boolean,
): string[] {
  const db = world.database(instance, name)
  if (!db) throw databaseMissing(name)
  if (db.state === 'RESTORING') throw databaseRestoring(db.name)
  let firstBytes: number
  if (kind === 'LOG') {
    if (db.recoveryModel === 'SIMPLE') throw logBackupInSimple()
    if (db.lastLogBackupBytes === null) throw noCurrentBackup(db.name)
    firstBytes = db.lastLogBackupBytes
  } else firstBytes = db.logBytes
  const lastBytes = Math.floor(db.logBytes)
  const file: BackupFile = {
    database: db.name,
    guid: db.guid,
    type: kind === 'LOG' ? 'L' : 'D',
    copyOnly,
    firstBytes,
    lastBytes,
    finishedAt: world.now(),
    path,
    recoveryModel: db.recoveryModel,
    files: db.files.map((f) => ({ ...f })),
    madeOn: instance.name,
  }
  world.backupFiles.set(path.toLowerCase(), file)
  instance.backups.push({ ...file })
  // A log backup moves the chain on (AG-wide: every copy shares the primary's chain); a non-copy-only full starts one.
  // A copy-only log backup leaves the chain where it was: the next regular log backup starts from the same point.
  if ((kind === 'LOG' && !copyOnly) || (kind === 'DATABASE' && !copyOnly && db.lastLogBackupBytes === null)) {
    const group = db.ag ? world.group(db.ag) : undefined
    const copies = group ? group.replicas.map((r) => world.copyOf(group, r, db.name)) : [db]
    for (const copy of copies) if (copy) copy.lastLogBackupBytes = lastBytes
  }
  const bytes = kind === 'LOG' ? lastBytes - firstBytes : db.files.reduce((n, f) => n + f.sizeBytes, 0)
  return [
    `Processed ${pages(bytes)} pages for database '${db.name}', file '${db.files[0]?.name}' on file 1.`,
    `BACKUP ${kind} successfully processed ${pages(bytes)} pages in 0.100 seconds (${(bytes / 1024 / 1024 / 0.1).toFixed(3)} MB/sec).`,
  ]
}

/** The volume that holds a path: the longest mount point that prefixes it. */
function volumeOf(instance: Instance, path: string) {
  const lower = path.toLowerCase()
  return [...instance.volumes]
    .sort((a, b) => b.mountPoint.length - a.mountPoint.length)
    .find((v) => lower.startsWith(v.mountPoint.toLowerCase()))
}

/**
 * Where RESTORE DATABASE puts each file of the backup: at its MOVE target, else at the path it had where the backup
 * was made. Refused as SQL Server refuses: a MOVE of a file the backup lacks (3234); a folder that does not exist
 * (5133 + 3156 per file, RESTORE never creates folders); a volume without room (3257).
 */
function restoredFiles(
  instance: Instance,
  file: BackupFile,
  moves: ReadonlyMap<string, string>,
  replacing: Database | undefined,
): DatabaseFile[] {
  const logical = new Set(file.files.map((f) => f.name.toLowerCase()))
  for (const name of moves.keys())
    if (!logical.has(name)) {
      const terminating = new SqlServerError(3013, 'RESTORE DATABASE is terminating abnormally.', 1, 16)
      terminating.preceding = [logicalFileNotInBackup(name, file.database)]
      throw terminating
    }
  const files = file.files.map((f) => ({
    ...f,
    physicalName: moves.get(f.name.toLowerCase()) ?? f.physicalName,
  }))
  const missing = files.filter((f) => !instance.folders.has(folderOf(f.physicalName)))
  if (missing.length > 0)
    throw restoreRefused(
      'DATABASE',
      missing.flatMap((f) => [
        directoryLookupFailed(f.physicalName),
        cannotRestoreFileTo(f.name, f.physicalName),
      ]),
    )
  const needed = new Map<string, number>()
  for (const f of files) {
    const volume = volumeOf(instance, f.physicalName)
    if (volume) needed.set(volume.mountPoint, (needed.get(volume.mountPoint) ?? 0) + f.sizeBytes)
  }
  for (const f of replacing?.files ?? []) {
    const volume = volumeOf(instance, f.physicalName)
    if (volume && needed.has(volume.mountPoint))
      needed.set(volume.mountPoint, (needed.get(volume.mountPoint) ?? 0) - f.sizeBytes)
  }
  for (const [mountPoint, bytes] of needed) {
    const available = volumeOf(instance, mountPoint)?.availableBytes ?? 0
    if (bytes > available)
      throw restoreRefused('DATABASE', [insufficientVolumeSpace(mountPoint, bytes, Math.floor(available))])
  }
  return files
}

export function restore(
  world: SqlWorld,
  instance: Instance,
  kind: 'DATABASE' | 'LOG',
  name: string,
  path: string,
  recover: boolean,
  moves: ReadonlyMap<string, string> = new Map(),
): string[] {
  const file = world.backupFiles.get(path.toLowerCase())
  if (!file) throw cannotOpenBackupDevice(path)
  const existing = world.database(instance, name)
  if (kind === 'DATABASE') {
    if (file.type !== 'D') throw wrongBackupKind(path, 'BACKUP LOG')
    if (existing?.ag) throw restoreOverAgDatabase(existing.name)
    if (existing && existing.state === 'ONLINE') throw tailNotBackedUp(existing.name)
    const files = restoredFiles(instance, file, moves, existing)
    if (existing) world.dropDatabase(instance, existing.name)
    const source: Database = {
      name,
      id: 0,
      guid: file.guid,
      recoveryModel: file.recoveryModel,
      state: 'RESTORING',
      userAccess: 'MULTI_USER',
      readOnly: false,
      files: file.files,
      logBytes: file.lastBytes,
      lastLogBackupBytes: file.lastBytes,
      ag: null,
      groupDatabaseId: null,
      suspended: false,
      suspendReason: null,
      syncSince: world.now(),
      lastCommitTime: file.finishedAt,
    }
    world.copyDatabase(source, instance, recover ? 'ONLINE' : 'RESTORING', files)
  } else {
    if (file.type !== 'L') throw wrongBackupKind(path, 'BACKUP DATABASE')
    if (!existing) throw databaseMissing(name)
    if (existing.state !== 'RESTORING') throw nothingToRollForward()
    if (existing.guid !== file.guid) throw backupOfOtherDatabase(existing.name)
    if (file.firstBytes > existing.logBytes)
      throw logTooRecent(lsnOf(file.firstBytes), lsnOf(existing.logBytes))
    if (file.lastBytes <= existing.logBytes)
      throw logTooEarly(lsnOf(file.lastBytes), lsnOf(existing.logBytes))
    existing.logBytes = file.lastBytes
    existing.lastLogBackupBytes = file.lastBytes
    if (recover) existing.state = 'ONLINE'
  }
  const bytes =
    kind === 'LOG' ? file.lastBytes - file.firstBytes : file.files.reduce((n, f) => n + f.sizeBytes, 0)
  return [
    `Processed ${pages(bytes)} pages for database '${name}', file '${file.files[0]?.name}' on file 1.`,
    `RESTORE ${kind} successfully processed ${pages(bytes)} pages in 0.100 seconds (${(bytes / 1024 / 1024 / 0.1).toFixed(3)} MB/sec).`,
  ]
}

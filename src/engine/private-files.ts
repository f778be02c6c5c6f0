import { closeSync, fchmodSync, fsyncSync, openSync, writeSync } from 'node:fs'
import { dirname } from 'node:path'
import { makeStateFolder } from './state-folder.js'

/** Runs, journals and locks are the operator's alone, whatever the umask says. */
export const PRIVATE_DIR_MODE = 0o700
export const PRIVATE_FILE_MODE = 0o600

/** Creates a folder (and its missing parents) readable by the operator only; folders that existed are left as they are. */
export function ensurePrivateDir(dir: string): void {
  makeStateFolder(dir)
}

/** Opens a new file (flags `wx`: it must not exist) readable by the operator only. */
export function openPrivateFile(path: string): number {
  ensurePrivateDir(dirname(path))
  const fd = openSync(path, 'wx', PRIVATE_FILE_MODE)
  fchmodSync(fd, PRIVATE_FILE_MODE)
  return fd
}

/** Writes a new private file whole and makes it durable before returning. */
export function writePrivateFile(path: string, text: string): void {
  const fd = openPrivateFile(path)
  try {
    writeSync(fd, text)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}

import { chmodSync, mkdirSync, statSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { ExitCode, SwitchyardError } from '../errors.js'
import { describeFsError, isDiskFull } from '../fs-errors.js'

const STATE_DIR_HINT = 'point --state-dir at a folder you can write to (default .switchyard in this folder)'

export class StateFolderError extends SwitchyardError {
  constructor(path: string, error: NodeJS.ErrnoException) {
    // ENOENT from a mkdir whose parent exists: a pseudo file system such as /proc.
    const reason =
      error.code === 'ENOENT' ? `${dirname(path)} does not take new folders (ENOENT)` : describeFsError(error)
    super(`cannot create the state folder ${path}: ${reason}`, {
      exitCode: isDiskFull(error) ? ExitCode.runFailed : ExitCode.invalidInput,
      hint: isDiskFull(error) ? 'free some space on that disk, then run the command again' : STATE_DIR_HINT,
      cause: error,
    })
  }
}

/**
 * Creates a folder of the state directory and any missing parent, one level at a time, private to
 * the operator. Node's recursive mkdir spins forever where a parent exists yet refuses children
 * with ENOENT (/proc/1/x); one plain mkdir per level fails once, naming the level.
 */
export function makeStateFolder(path: string): void {
  const missing: string[] = []
  let at = resolve(path)
  for (;;) {
    const found = kindAt(at)
    if (found === 'directory') break
    if (found === 'other')
      throw new StateFolderError(at, Object.assign(new Error('not a folder'), { code: 'ENOTDIR' }))
    missing.unshift(at)
    const parent = dirname(at)
    if (parent === at) break
    at = parent
  }
  for (const folder of missing) {
    try {
      mkdirSync(folder, { mode: 0o700 })
      // mkdir's mode is filtered by the umask: state folders are the operator's alone whatever it says.
      chmodSync(folder, 0o700)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST')
        throw new StateFolderError(folder, error as NodeJS.ErrnoException)
    }
  }
}

function kindAt(path: string): 'directory' | 'other' | 'none' {
  try {
    return statSync(path).isDirectory() ? 'directory' : 'other'
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return 'none'
    throw new StateFolderError(path, error as NodeJS.ErrnoException)
  }
}

import { closeSync, fsyncSync, linkSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { ExitCode, SwitchyardError } from '../errors.js'
import { makeStateFolder } from './state-folder.js'

export interface LockHolder {
  operator: string
  host: string
  pid: number
  runId: string
  runbook: string
  since: string
  /** The AWS identity (STS caller ARN), once the AWS work records it. */
  awsIdentity?: string
}

export class LockHeldError extends SwitchyardError {
  constructor(
    readonly holder: LockHolder,
    readonly stale: boolean,
  ) {
    const aws = holder.awsIdentity ? `, AWS ${holder.awsIdentity}` : ''
    const who = `${holder.operator} on ${holder.host} (pid ${holder.pid}, run ${holder.runId}, since ${holder.since}${aws})`
    super(
      stale
        ? `runbook ${holder.runbook} is locked by ${who}, but that process is gone: the lock is stale`
        : `runbook ${holder.runbook} is locked by ${who}`,
      {
        exitCode: ExitCode.refused,
        hint: stale
          ? `if no one else is running it, break the lock: switchyard unlock ${holder.runbook} --force`
          : 'one operator at a time: wait for that run to finish or pause, or ask its operator',
      },
    )
  }
}

export const lockPath = (stateDir: string, runbook: string) => join(stateDir, 'locks', `${runbook}.lock`)

/**
 * Takes the runbook's lock: the holder is written to a file of its own, then hard-linked to the
 * lock's name. The link either fails (someone holds it) or appears complete: a rival never reads a
 * lock file half-written.
 */
export function acquireLock(stateDir: string, holder: LockHolder): () => void {
  const path = lockPath(stateDir, holder.runbook)
  makeStateFolder(join(stateDir, 'locks'))
  const draft = `${path}.${holder.pid}.${process.hrtime.bigint()}`
  const fd = openSync(draft, 'wx')
  try {
    writeSync(fd, `${JSON.stringify(holder, null, 2)}\n`)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  try {
    linkSync(draft, path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    const current = readLock(stateDir, holder.runbook)
    if (!current) return acquireLock(stateDir, holder)
    throw new LockHeldError(current, isStale(current))
  } finally {
    rmSync(draft, { force: true })
  }
  let released = false
  return () => {
    if (released) return
    released = true
    const now = readLock(stateDir, holder.runbook)
    if (now && now.pid === holder.pid && now.runId === holder.runId && now.host === holder.host) rmSync(path)
  }
}

export function readLock(stateDir: string, runbook: string): LockHolder | undefined {
  try {
    return JSON.parse(readFileSync(lockPath(stateDir, runbook), 'utf8')) as LockHolder
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    // A lock file cut short by a crash between create and write still means "someone holds it".
    return { operator: 'unknown', host: 'unknown', pid: 0, runId: 'unknown', runbook, since: 'unknown' }
  }
}

/** Stale: held by a process on this host that no longer exists. Other hosts cannot be checked. */
export function isStale(holder: LockHolder): boolean {
  if (holder.host !== hostname()) return false
  if (holder.pid <= 0) return true
  try {
    process.kill(holder.pid, 0)
    return false
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH'
  }
}

export function breakLock(stateDir: string, runbook: string): LockHolder | undefined {
  const holder = readLock(stateDir, runbook)
  if (holder) rmSync(lockPath(stateDir, runbook), { force: true })
  return holder
}

import { closeSync, linkSync, openSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { ExitCode, SwitchyardError } from '../errors.js'
import { invocation } from '../invocation.js'
import { type Lease, LeaseLostError } from './lease.js'
import { ensurePrivateDir, PRIVATE_FILE_MODE, writePrivateFile } from './private-files.js'

export interface LockHolder {
  operator: string
  host: string
  pid: number
  runId: string
  runbook: string
  since: string
  /** The AWS identity (STS caller ARN), once the AWS work records it. */
  awsIdentity?: string
  /** What the holder is doing: run, resume, rollback, unlock. */
  command?: string
  /** The holder's lease epoch: its journal lines carry it. */
  epoch?: number
  /** When the holder's process started (Linux), so a pid reused by another process is not taken for it. */
  pidStart?: string
}

export class LockHeldError extends SwitchyardError {
  constructor(
    readonly holder: LockHolder,
    readonly stale: boolean,
  ) {
    super(
      stale
        ? `runbook ${holder.runbook} is locked by ${describeHolder(holder)}, but that process is gone: the lock is stale`
        : `runbook ${holder.runbook} is locked by ${describeHolder(holder)}`,
      {
        exitCode: ExitCode.refused,
        hint: stale
          ? `if no one else is running it, break the lock: ${invocation()} unlock ${holder.runbook} --force`
          : 'one operator at a time: wait for that run to finish or pause, or ask its operator',
      },
    )
  }
}

/** "ana on web-01 (pid 4242, rollback of run R, since T)". */
export function describeHolder(holder: LockHolder): string {
  const aws = holder.awsIdentity ? `, AWS ${holder.awsIdentity}` : ''
  const what = holder.command ? `${holder.command} of run` : 'run'
  return `${holder.operator} on ${holder.host} (pid ${holder.pid}, ${what} ${holder.runId}, since ${holder.since}${aws})`
}

export const lockPath = (stateDir: string, runbook: string) => join(stateDir, 'locks', `${runbook}.lock`)
const epochDir = (stateDir: string, runbook: string) => join(stateDir, 'locks', `${runbook}.epochs`)

/**
 * Takes the runbook's lock: the holder is written to a file of its own, then hard-linked to the
 * lock's name. The link either fails (someone holds it) or appears complete: a rival never reads a
 * lock file half-written. Then the runbook's epoch is bumped, which fences every earlier holder.
 */
export function acquireLock(stateDir: string, holder: LockHolder): Lease {
  const path = lockPath(stateDir, holder.runbook)
  ensurePrivateDir(join(stateDir, 'locks'))
  const draft = `${path}.${holder.pid}.${process.hrtime.bigint()}`
  writePrivateFile(draft, `${JSON.stringify(holder, null, 2)}\n`)
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
  const epoch = bumpEpoch(stateDir, holder.runbook)
  const pidStart = processStartTime(holder.pid)
  const mine = { ...holder, epoch, ...(pidStart ? { pidStart } : {}) }
  // The lock is ours: replacing it whole (rename) adds the epoch without a moment of no lock.
  writePrivateFile(draft, `${JSON.stringify(mine, null, 2)}\n`)
  renameSync(draft, path)
  return localLease(stateDir, mine, epoch)
}

function localLease(stateDir: string, holder: LockHolder, epoch: number): Lease {
  let released = false
  return {
    runbook: holder.runbook,
    epoch,
    check: async () => {
      const current = currentEpoch(stateDir, holder.runbook)
      if (current === epoch) return
      const now = readLock(stateDir, holder.runbook)
      throw new LeaseLostError(holder.runbook, epoch, current, now ? describeHolder(now) : undefined)
    },
    release: async () => {
      if (released) return
      released = true
      if (readLock(stateDir, holder.runbook)?.epoch === epoch) rmSync(lockPath(stateDir, holder.runbook))
    },
  }
}

/** The runbook's epoch: the highest number claimed in its epoch folder (0 before any lock). */
export function currentEpoch(stateDir: string, runbook: string): number {
  let names: string[]
  try {
    names = readdirSync(epochDir(stateDir, runbook))
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0
    throw error
  }
  let max = 0
  for (const name of names) {
    const n = Number(name)
    if (Number.isSafeInteger(n) && n > max) max = n
  }
  return max
}

/**
 * Claims the next epoch: creating its file exclusively is the atomic step, so two claimants never
 * share a number and the highest number only grows. Older claims are pruned; the highest stays.
 */
function bumpEpoch(stateDir: string, runbook: string): number {
  const dir = epochDir(stateDir, runbook)
  ensurePrivateDir(dir)
  for (;;) {
    const next = currentEpoch(stateDir, runbook) + 1
    try {
      closeSync(openSync(join(dir, String(next)), 'wx', PRIVATE_FILE_MODE))
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue
      throw error
    }
    for (const name of readdirSync(dir)) if (Number(name) < next) rmSync(join(dir, name), { force: true })
    return next
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
  return !holderAlive(holder)
}

/** The holder's process still runs: its pid is alive and, where it can be told, is the same process. */
export function holderAlive(holder: LockHolder): boolean {
  if (!processAlive(holder.pid)) return false
  return holder.pidStart === undefined || processStartTime(holder.pid) === holder.pidStart
}

/** Whether a process of this host is alive; a zombie (exited, not yet reaped by its parent) is not. */
export function processAlive(pid: number): boolean {
  if (pid <= 0) return false
  try {
    process.kill(pid, 0)
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH'
  }
  return procStat(pid)?.[0] !== 'Z'
}

/** A process's start time in clock ticks since boot (field 22 of /proc/PID/stat); undefined off Linux. */
function processStartTime(pid: number): string | undefined {
  return procStat(pid)?.[19]
}

/** The fields of /proc/PID/stat after the command name (state first). */
function procStat(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  } catch {
    return undefined
  }
}

/** Removes the lock if it still names this holder; a lock someone took since is left alone. */
export function removeLockOf(stateDir: string, holder: LockHolder): void {
  const now = readLock(stateDir, holder.runbook)
  if (now && now.pid === holder.pid && now.host === holder.host && now.since === holder.since)
    rmSync(lockPath(stateDir, holder.runbook), { force: true })
}

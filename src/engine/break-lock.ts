import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { ExitCode, SwitchyardError } from '../errors.js'
import { invocation } from '../invocation.js'
import { formatDuration } from '../runbook/duration.js'
import type { Who } from './events.js'
import { JOURNAL_FILE } from './journal.js'
import type { Lease } from './lease.js'
import { describeHolder, LockHeldError, type LockHolder, processAlive } from './lock.js'
import type { RunState } from './state.js'
import { loadRunState, runDir } from './state-dir.js'
import { stateStoreAt } from './state-store/store.js'

/** How often a stopping holder is looked at: it is the pid that is waited on, this is only the pace. */
const EXIT_POLL_MS = 50

/** A live holder on this host: breaking its lock would let two writers act on one run. */
export class HolderAliveError extends SwitchyardError {
  constructor(holder: LockHolder, activity: string | undefined) {
    super(
      `runbook ${holder.runbook} is locked by ${describeHolder(holder)}, and that process is alive${activity ? `: ${activity}` : ''}`,
      {
        exitCode: ExitCode.refused,
        hint:
          `stop it first: Ctrl-C in its terminal or kill ${holder.pid} (it pauses once its running steps end), ` +
          `or let switchyard stop it and break the lock: ${invocation()} unlock ${holder.runbook} --force --kill`,
      },
    )
  }
}

/** What the holder's run is doing, from its journal: "rolling back to start, undoing b". */
export function holderActivity(stateDir: string, holder: LockHolder): string | undefined {
  let state: RunState
  try {
    state = loadRunState(stateDir, holder.runId).state
  } catch {
    return undefined
  }
  const stepsIn = (status: string) =>
    Object.entries(state.steps)
      .filter(([, s]) => s.status === status)
      .map(([id]) => id)
  if (state.status === 'rolling-back') {
    const undoing = stepsIn('compensating')
    return `rolling back to ${state.rollback?.to}${undoing.length > 0 ? `, undoing ${undoing.join(', ')}` : ''}`
  }
  const phase = Object.entries(state.phases).find(([, p]) => p.status === 'running')?.[0]
  const running = stepsIn('running')
  if (state.status === 'paused') return `paused${state.pauseReason ? ` (${state.pauseReason})` : ''}`
  return [
    phase ? `in phase ${phase}` : state.status,
    running.length > 0 ? `running ${running.join(', ')}` : '',
  ]
    .filter(Boolean)
    .join(', ')
}

/**
 * Stops a process of this host: SIGTERM (switchyard pauses once its running steps end), then
 * SIGKILL if it is still there after the grace period. Returns the signal that ended it.
 */
export async function stopProcess(
  pid: number,
  graceMs: number,
  say: (line: string) => void,
): Promise<'SIGTERM' | 'SIGKILL'> {
  process.kill(pid, 'SIGTERM')
  say(`sent SIGTERM to pid ${pid}; waiting up to ${formatDuration(graceMs)} for it to pause and exit`)
  if (await exited(pid, graceMs)) return 'SIGTERM'
  say(`pid ${pid} is still running after ${formatDuration(graceMs)}; sending SIGKILL`)
  process.kill(pid, 'SIGKILL')
  if (await exited(pid, 10_000)) return 'SIGKILL'
  throw new SwitchyardError(`pid ${pid} did not end after SIGKILL; the lock is left as it is`, {
    hint: `look at the process (ps -o pid,stat,cmd -p ${pid}): one stuck in the kernel (state D) ends when its I/O does`,
  })
}

async function exited(pid: number, withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs
  while (processAlive(pid)) {
    if (Date.now() >= deadline) return false
    await sleep(EXIT_POLL_MS)
  }
  return true
}

/**
 * Breaks the lock the holder left, then takes it for a moment to journal the break in the holder's
 * run: the new epoch fences the old holder, so none of its later writes can land.
 */
export async function breakLock(
  stateDir: string,
  holder: LockHolder,
  by: Who,
  stopped?: 'SIGTERM' | 'SIGKILL',
): Promise<{ journaled: boolean; takenBy?: LockHolder }> {
  const store = stateStoreAt(stateDir)
  let lease: Lease
  try {
    lease = await store.breakLock(holder, {
      ...by,
      runId: holder.runId,
      runbook: holder.runbook,
      since: new Date().toISOString(),
      command: 'unlock',
    })
  } catch (error) {
    if (error instanceof LockHeldError) return { journaled: false, takenBy: error.holder }
    throw error
  }
  try {
    const dir = runDir(stateDir, holder.runId)
    if (!existsSync(join(dir, JOURNAL_FILE))) return { journaled: false }
    const { journal } = await store.openJournal(holder.runId, lease)
    const event = journal.append({
      type: 'lock-broken',
      by: `${by.operator}@${by.host}`,
      holder,
      ...(stopped ? { stopped } : {}),
    })
    try {
      await event.durable
    } finally {
      await journal.close()
    }
    return { journaled: true }
  } finally {
    await lease.release()
  }
}

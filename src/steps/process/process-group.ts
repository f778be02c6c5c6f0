import { setTimeout as sleep } from 'node:timers/promises'
import type { CommandEnd } from '../../engine/events.js'
import { groupExists } from './process-table.js'

/** Whether commands run in their own process group, so stopping one stops its children too. */
export const usesProcessGroups = process.platform !== 'win32'

const POLL_MS = 50
// A SIGKILLed process is gone once its parent reaps it; this bounds the wait for that.
const REAP_MS = 2000

/** Signals every process in the group led by `pid`; quiet when the group is already gone. */
export function signalProcessGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error
  }
}

/** Resolves true once the group is empty, false if `ms` pass first (or the signal fires). */
export async function groupEnds(
  pgid: number,
  ms: number,
  signal?: AbortSignal,
  pollMs = POLL_MS,
): Promise<boolean> {
  const until = Date.now() + ms
  while (groupExists(pgid)) {
    if (Date.now() >= until || signal?.aborted) return false
    await sleep(Math.min(pollMs, Math.max(until - Date.now(), 1)))
  }
  return true
}

/** Ends what is left of a group: SIGTERM, then SIGKILL if anything is still there after `graceMs`. */
export async function endProcessGroup(pgid: number, graceMs: number): Promise<CommandEnd> {
  if (!groupExists(pgid)) return 'exited'
  signalProcessGroup(pgid, 'SIGTERM')
  if (await groupEnds(pgid, graceMs)) return 'terminated'
  signalProcessGroup(pgid, 'SIGKILL')
  await groupEnds(pgid, REAP_MS)
  return 'killed'
}

/** A running command's group, ended at most once, and known until it is gone. */
export interface TrackedGroup {
  readonly pgid: number
  /** Ends the group (SIGTERM, then SIGKILL after the grace) and resolves once it is empty. */
  end(): Promise<CommandEnd>
}

const live = new Set<TrackedGroup>()
const lastOfStep = new Map<string, Promise<unknown>>()
let exitHookInstalled = false

/**
 * Remembers a running group until it is gone, so switchyard never exits while it runs, and a
 * retry of the same step (`key`) never starts while the attempt it replaces is still stopping.
 */
export function trackProcessGroup(pgid: number, key: string, graceMs: number): TrackedGroup {
  installExitHook()
  let markEnded = () => {}
  lastOfStep.set(
    key,
    new Promise<void>((resolve) => {
      markEnded = resolve
    }),
  )
  let ending: Promise<CommandEnd> | undefined
  const group: TrackedGroup = {
    pgid,
    end: () => {
      ending ??= endProcessGroup(pgid, graceMs).finally(() => {
        live.delete(group)
        markEnded()
      })
      return ending
    },
  }
  live.add(group)
  return group
}

/** Waits until the previous command of the same step is gone (a timed-out attempt still stopping). */
export async function previousCommandEnded(key: string): Promise<void> {
  await lastOfStep.get(key)
}

/** Ends every group still running and waits until each is gone: SIGTERM, then SIGKILL after its grace. */
export async function endLiveProcessGroups(): Promise<void> {
  await Promise.all([...live].map((group) => group.end()))
}

function installExitHook(): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  // The last resort, when an exit bypassed endLiveProcessGroups: no time is left for a grace period.
  process.once('exit', () => {
    for (const group of live) {
      signalProcessGroup(group.pgid, 'SIGTERM')
      signalProcessGroup(group.pgid, 'SIGKILL')
    }
  })
}

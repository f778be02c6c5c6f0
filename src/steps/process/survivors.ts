import type { CommandEnd, NewEvent, StartedCommand } from '../../engine/events.js'
import { endProcessGroup, groupEnds } from './process-group.js'
import { bootId, groupExists, processStartTime } from './process-table.js'

/** A command as the journal holds it: started, with no end recorded. */
export type JournaledCommand = StartedCommand & { step: string; host: string; at: string }

const SURVIVOR_GRACE_MS = 5000
// A survivor can run for as long as its step's timeout: look at the process table gently meanwhile.
const SURVIVOR_POLL_MS = 250

/** Whether a journaled command's group still has a live process on this machine. */
export function stillRunning(command: JournaledCommand): boolean {
  const boot = bootId()
  if (command.bootId && boot && command.bootId !== boot) return false
  const leader = processStartTime(command.pid)
  // The pid belongs to another process now: the kernel reuses it only once the old group is empty.
  if (leader !== undefined && command.startTime !== undefined && leader !== command.startTime) return false
  return groupExists(command.pgid)
}

export interface SurvivorPolicy {
  /** wait: let it finish, up to `deadline` (resume); stop: end it at once (rollback). */
  action: 'wait' | 'stop'
  /** This machine: a command started on another one cannot be seen from here. */
  host: string
  /** When a survivor being waited for is stopped anyway (ms since the epoch). */
  deadline(command: JournaledCommand): number
  /** Stops the waiting: the survivor is stopped and the caller decides what next. */
  signal: AbortSignal
  record(event: NewEvent): Promise<unknown>
  warn(message: string): void
}

/**
 * Finds the commands a killed switchyard left running and, before anything else acts, waits for
 * them or stops them (SIGTERM, then SIGKILL), saying which in the journal.
 */
export async function settleSurvivors(commands: JournaledCommand[], policy: SurvivorPolicy): Promise<void> {
  for (const command of commands) {
    if (command.host !== policy.host) {
      policy.warn(
        `step ${command.step} started \`${command.command}\` (pid ${command.pid}) on ${command.host}; from ${policy.host} switchyard cannot tell whether it still runs: check there`,
      )
      continue
    }
    if (!stillRunning(command)) continue
    const until = policy.action === 'wait' ? policy.deadline(command) : undefined
    await policy.record({
      type: 'command-survivor',
      step: command.step,
      pid: command.pid,
      command: command.command,
      action: policy.action,
      ...(until === undefined ? {} : { until: new Date(until).toISOString() }),
    })
    let how: CommandEnd = 'exited'
    const finished =
      until !== undefined &&
      (await groupEnds(command.pgid, until - Date.now(), policy.signal, SURVIVOR_POLL_MS))
    if (!finished) how = await endProcessGroup(command.pgid, SURVIVOR_GRACE_MS)
    await policy.record({ type: 'command-ended', step: command.step, pid: command.pid, how })
  }
}

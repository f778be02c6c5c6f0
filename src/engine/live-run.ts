import { ExitCode, SwitchyardError } from '../errors.js'
import { invocation } from '../invocation.js'
import { appendUnderLock } from './append-event.js'
import type { Who } from './events.js'
import { isLive, mayHaveActed, type RunState, type StepState } from './state.js'
import { liveRuns, loadRunState, whereRunStands } from './state-dir.js'

/** A runbook already has a run that may have changed the world: a second one would lose track of it. */
export class LiveRunError extends SwitchyardError {
  constructor(live: RunState, blocked: string) {
    const id = live.runId
    super(`${blocked}: runbook ${live.runbook.name} has a live run, ${id}: ${whereRunStands(live)}`, {
      exitCode: ExitCode.refused,
      hint: `continue it (${invocation()} resume ${id}), undo it (${invocation()} rollback ${id} --to start), or release the runbook without touching the world (${invocation()} abandon ${id} --reason TEXT)`,
    })
  }
}

/**
 * Refuses to act while another run of the same runbook is live. `self` is the run being resumed or
 * rolled back (a live run may go on; one that let go may not take the runbook back from another).
 */
export function refuseOtherLiveRun(stateDir: string, runbook: string, blocked: string, self?: RunState) {
  if (self && isLive(self)) return
  const other = liveRuns(stateDir, runbook).find((s) => s.runId !== self?.runId)
  if (other) throw new LiveRunError(other, blocked)
}

/** An abandoned run is over: neither resume nor rollback may take it up again. */
export function refuseAbandoned(state: RunState, command: string): void {
  if (!state.abandoned) return
  throw new SwitchyardError(
    `run ${state.runId} was abandoned by ${state.abandoned.by} at ${state.abandoned.at} (${state.abandoned.reason}); ${command} refused`,
    {
      exitCode: ExitCode.refused,
      hint: `start a new run of ${state.runbook.name}; steps the abandoned run applied were left as they are`,
    },
  )
}

/**
 * `switchyard abandon`: journals that the operator releases a live run's runbook, and touches
 * nothing else. Returns what it left in place, so the operator knows what is theirs now.
 */
export async function abandonRun(options: {
  stateDir: string
  runId: string
  reason: string
  who: Who
}): Promise<{ runbook: string; leftInPlace: string[] }> {
  const { stateDir, runId, who } = options
  const { state } = loadRunState(stateDir, runId)
  refuseAbandoned(state, 'abandon')
  if (!isLive(state))
    throw new SwitchyardError(`run ${runId} is ${state.status}: it does not hold its runbook`, {
      exitCode: ExitCode.invalidInput,
      hint: `nothing to abandon; ${invocation()} run can start ${state.runbook.name} again`,
    })
  await appendUnderLock({
    stateDir,
    runId,
    runbook: state.runbook.name,
    who,
    command: 'abandon',
    event: { type: 'run-abandoned', reason: options.reason, ...who },
  })
  return {
    runbook: state.runbook.name,
    leftInPlace: Object.keys(state.steps).filter((id) => mayHaveActed(state.steps[id] as StepState)),
  }
}

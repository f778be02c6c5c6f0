import { settleSurvivors } from '../steps/process/survivors.js'
import type { RunContext } from './run-context.js'

/**
 * Commands a killed switchyard left running are dealt with before this invocation acts: resume
 * lets them finish (until their step's timeout), rollback stops them so an undo never races them.
 */
export function settleLeftoverCommands(run: RunContext, action: 'wait' | 'stop'): Promise<void> {
  const steps = new Map(run.runbook.phases.flatMap((p) => p.steps.map((s) => [s.id, s] as const)))
  return settleSurvivors(Object.values(run.log.state.commands), {
    action,
    host: run.who.host,
    deadline: (command) => Date.parse(command.at) + (steps.get(command.step)?.timeoutMs ?? 0),
    signal: run.interrupt.signal,
    record: (event) => run.log.record(event),
    warn: (message) => run.log.show({ type: 'notice', level: 'warning', message }),
  })
}

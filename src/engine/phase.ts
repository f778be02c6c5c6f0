import type { Phase, Step } from '../runbook/model.js'
import type { ErrorInfo } from './events.js'
import type { RunContext } from './run-context.js'
import type { StepState } from './state.js'
import { runStep } from './step-runner.js'

export type PhaseResult =
  | { kind: 'completed' }
  | { kind: 'failed'; step: string; error: ErrorInfo }
  | { kind: 'blocked'; reason: string; hint: string }
  | { kind: 'interrupted' }

/** Done for ordering: applied, rehearsed, skipped by its condition or by the operator, or failed and continued. */
function satisfied(s: StepState | undefined): boolean {
  if (!s) return false
  if (s.status === 'applied' || s.status === 'rehearsed') return true
  if (s.status === 'skipped') return !s.skipReason?.startsWith('upstream')
  return s.status === 'failed' && s.continued === true
}

/**
 * Runs a phase's step graph: a step starts once everything it needs is satisfied, at most
 * `concurrency` at a time; a failure skips its dependents, naming the root cause once.
 */
export async function runPhase(run: RunContext, phase: Phase): Promise<PhaseResult> {
  const { log } = run
  const byId = new Map(phase.steps.map((s) => [s.id, s]))
  /** Step -> the step whose failure keeps it from running. */
  const blockedBy = new Map<string, string>()
  const running = new Map<string, Promise<void>>()
  let firstFailure: { step: string; error: ErrorInfo } | undefined
  let decision: { reason: string; hint: string } | undefined

  const isDone = (id: string) => satisfied(log.state.steps[id])
  const todo = phase.steps.filter((s) => !isDone(s.id))

  const start = (step: Step) => {
    const task = runStep(run, step).then((result) => {
      running.delete(step.id)
      if (result.kind === 'failed') {
        blockedBy.set(step.id, step.id)
        firstFailure ??= { step: step.id, error: result.error }
      } else if (result.kind === 'blocked') {
        blockedBy.set(step.id, step.id)
        decision ??= { reason: result.reason, hint: result.hint }
      }
    })
    running.set(step.id, task)
  }

  for (;;) {
    for (const step of todo) {
      if (running.has(step.id) || isDone(step.id) || blockedBy.has(step.id)) continue
      const failedNeed = step.needs.find((need) => blockedBy.has(need))
      if (failedNeed !== undefined) {
        const root = blockedBy.get(failedNeed) as string
        blockedBy.set(step.id, root)
        if (log.state.steps[root]?.status === 'failed')
          await log.record({ type: 'step-skipped', step: step.id, reason: 'upstream', upstream: root })
        continue
      }
      if (run.interrupt.stopRequested || decision || (firstFailure && !run.dryRun)) continue
      if (running.size >= phase.concurrency) continue
      if (step.needs.every((need) => isDone(need) || !byId.has(need))) start(step)
    }
    if (running.size === 0) break
    await Promise.race(running.values())
  }

  if (decision) return { kind: 'blocked', ...decision }
  if (firstFailure) return { kind: 'failed', ...firstFailure }
  if (phase.steps.some((s) => !isDone(s.id))) return { kind: 'interrupted' }
  return { kind: 'completed' }
}

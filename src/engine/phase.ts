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
 * `concurrency` at a time, in file order among those ready. A failure skips its dependents
 * (transitively), naming the root cause once. Work per step is constant, whatever the phase's size.
 */
export async function runPhase(run: RunContext, phase: Phase): Promise<PhaseResult> {
  const { log } = run
  const isDone = (id: string) => satisfied(log.state.steps[id])
  const inPhase = new Set(phase.steps.map((s) => s.id))
  const waitingOn = new Map<string, number>()
  const dependents = new Map<string, Step[]>()
  const ready: Step[] = []
  let readAt = 0

  for (const step of phase.steps) {
    if (isDone(step.id)) continue
    const open = step.needs.filter((need) => inPhase.has(need) && !isDone(need))
    for (const need of open) {
      const list = dependents.get(need)
      if (list) list.push(step)
      else dependents.set(need, [step])
    }
    waitingOn.set(step.id, open.length)
    if (open.length === 0) ready.push(step)
  }

  const running = new Set<Promise<void>>()
  let firstFailure: { step: string; error: ErrorInfo } | undefined
  let decision: { reason: string; hint: string } | undefined

  /** Everything downstream of a step that did not succeed is skipped, naming the root once. */
  const skipDownstream = (root: string, from: string, journal: boolean) => {
    const pending = [...(dependents.get(from) ?? [])]
    const seen = new Set<string>()
    while (pending.length > 0) {
      const step = pending.pop() as Step
      if (seen.has(step.id)) continue
      seen.add(step.id)
      waitingOn.set(step.id, Number.POSITIVE_INFINITY)
      if (journal) log.note({ type: 'step-skipped', step: step.id, reason: 'upstream', upstream: root })
      pending.push(...(dependents.get(step.id) ?? []))
    }
  }

  const finished = (step: Step, result: Awaited<ReturnType<typeof runStep>>) => {
    if (result.kind === 'done' && isDone(step.id)) {
      for (const next of dependents.get(step.id) ?? []) {
        const left = (waitingOn.get(next.id) ?? 0) - 1
        waitingOn.set(next.id, left)
        if (left === 0) ready.push(next)
      }
      return
    }
    if (result.kind === 'failed') {
      firstFailure ??= { step: step.id, error: result.error }
      skipDownstream(step.id, step.id, true)
    } else if (result.kind === 'blocked') {
      decision ??= { reason: result.reason, hint: result.hint }
      skipDownstream(step.id, step.id, false)
    }
  }

  const mayStart = () => !run.interrupt.stopRequested && !decision && !(firstFailure && !run.dryRun)
  for (;;) {
    while (readAt < ready.length && running.size < phase.concurrency && mayStart()) {
      const step = ready[readAt++] as Step
      const task: Promise<void> = runStep(run, step).then((result) => {
        running.delete(task)
        finished(step, result)
      })
      running.add(task)
    }
    if (running.size === 0) break
    await Promise.race(running)
  }

  if (decision) return { kind: 'blocked', ...decision }
  if (firstFailure) return { kind: 'failed', ...firstFailure }
  if (phase.steps.some((s) => !isDone(s.id))) return { kind: 'interrupted' }
  return { kind: 'completed' }
}

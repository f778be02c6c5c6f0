import { ExitCode, SwitchyardError } from '../errors.js'
import { isUpstream, type StepIndex } from '../runbook/graph.js'
import type { Runbook, Step } from '../runbook/model.js'
import type { StepContext, StepDefinition, StepImplementation } from '../steps/contract.js'
import type { RehearsalCheck } from './events.js'
import type { RunContext } from './run-context.js'
import type { RunState } from './state.js'

/**
 * A dry run's check of a step: a read-only step's check, or the precondition of one that acts, run
 * once against the world as it is. A failure is what would fail today, unless an earlier step that
 * acts on one of the same targets has yet to act.
 */
export async function rehearseCheck(
  run: RunContext,
  step: Step,
  definition: StepDefinition,
  implementation: StepImplementation,
  ctx: StepContext,
  params: unknown,
): Promise<RehearsalCheck | undefined> {
  const probe = definition.readOnly
    ? (implementation.check ?? implementation.verify)
    : implementation.precondition
  if (!probe) return undefined
  try {
    await probe.call(implementation, ctx, params)
    return { result: 'passes' }
  } catch (error) {
    if (ctx.signal.aborted) throw error
    const message = run.redactor.text(error instanceof Error ? error.message : String(error))
    const actors = actorsBefore(run, step, definition, (id) => {
      const state = run.log.state.steps[id]
      return state?.status === 'rehearsed' && (state.changes?.length ?? 0) > 0
    })
    if (actors.length > 0) return { result: 'after', steps: actors, reason: message }
    const hint = error instanceof SwitchyardError ? error.hint : undefined
    return { result: 'would-fail', reason: message, ...(hint ? { hint: run.redactor.text(hint) } : {}) }
  }
}

/**
 * Earlier steps of this run that plan to change one of the targets this step names (`changes` says
 * whether a step planned any change): this step's plan was made before they act.
 */
export function actorsBefore(
  run: RunContext,
  step: Step,
  definition: StepDefinition,
  changes: (stepId: string) => boolean,
): string[] {
  const mine = new Set((definition.targets?.(step.with) ?? []).map((t) => t.target))
  if (mine.size === 0) return []
  const actors: string[] = []
  const index = indexOf(run.runbook)
  for (const other of run.runbook.phases.flatMap((p) => p.steps)) {
    if (!isUpstream(other.id, step.id, index)) continue
    const type = run.stepTypes.get(other.uses)
    if (!changes(other.id) || !type || type.readOnly) continue
    if ((type.targets?.(other.with) ?? []).some((t) => mine.has(t.target)))
      actors.push(`${other.phase}.${other.id}`)
  }
  return actors
}

/** The runbook's step graph as the upstream test reads it. */
function indexOf(runbook: Runbook): StepIndex {
  const steps = runbook.phases.flatMap((p) => p.steps)
  return {
    phaseOf: new Map(steps.map((s) => [s.id, s.phase])),
    phaseOrder: new Map(runbook.phases.map((p, i) => [p.id, i])),
    needsOf: new Map(steps.map((s) => [s.id, s.needs])),
  }
}

/**
 * How a dry run ends. Nothing was changed either way; a check that would fail today makes it exit 1,
 * as the real run would stop there, so `run --dry-run && run` never goes on.
 */
export function rehearsalOutcome(runbook: Runbook, state: RunState) {
  const checked = runbook.phases
    .flatMap((p) => p.steps)
    .flatMap((s) => {
      const check = state.steps[s.id]?.check
      return check ? [{ label: `${s.phase}.${s.id}`, check }] : []
    })
  const failing = checked.filter((c) => c.check.result === 'would-fail').map((c) => c.label)
  const waiting = checked.filter((c) => c.check.result === 'after').length
  const later = waiting > 0 ? `; ${waiting} cannot be checked before earlier steps act` : ''
  if (failing.length > 0)
    return {
      status: 'rehearsed' as const,
      exitCode: ExitCode.runFailed,
      message: `dry run complete: nothing was changed, but ${failing.length} of ${checked.length} check(s) would fail today: ${failing.join(', ')}${later}`,
      next: [],
    }
  return {
    status: 'rehearsed' as const,
    exitCode: ExitCode.ok,
    message: `dry run complete: nothing was changed${checked.length > 0 ? `; ${checked.length - waiting} check(s) pass today${later}` : ''}`,
    next: [],
  }
}

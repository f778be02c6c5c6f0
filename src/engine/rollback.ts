import { stepScope } from '../clients/step-scope.js'
import { ExitCode, InvalidInputError, SwitchyardError } from '../errors.js'
import { invocation } from '../invocation.js'
import { type Runbook, rollbackPoints, START_POINT, type Step } from '../runbook/model.js'
import { ApprovalRefusedError, obtainApproval } from './approvals.js'
import type { Change } from './events.js'
import type { RunContext } from './run-context.js'
import { mayHaveActed, type RunState, type StepState, undoOrder } from './state.js'
import { errorInfo, loadImplementation, resolveParams, scopeOf } from './step-runner.js'
import { stepSignal } from './step-signal.js'

export interface CompensationItem {
  step: string
  phase: string
  /** compensate: switchyard undoes it; manual: an operator must; nothing: it changed nothing. */
  how: 'compensate' | 'manual' | 'nothing'
  /** What the step changed going forward (its plan). */
  changes: Change[]
  /** What its undo will do, a line each (set by a dry run: `rollback --dry-run` shows these). */
  undo?: string[]
  /** Why a step that did not apply is in the plan: skipped by an operator, or cut off mid-apply. */
  why?: string
  /** Its undo was cut off (crash, kill): it may or may not have acted, so an operator decides. */
  interrupted?: boolean
}

export type RollbackResult =
  | { kind: 'completed'; undone: number }
  | { kind: 'failed'; step: string; message: string }
  | { kind: 'paused'; step: string; message: string; hint: string; next?: string[] }

/**
 * `rollback` without --to: one phase back. The run stopped inside a phase (a step after the last
 * completed phase may have acted): back to that phase's start; otherwise the last completed phase
 * is undone. `start` when nothing earlier is left.
 */
export function previousRollbackPoint(state: RunState, runbook: Runbook): string {
  const points = [START_POINT, ...state.completedPhases]
  const last = points.at(-1) as string
  const after = runbook.phases.slice(
    last === START_POINT ? 0 : runbook.phases.findIndex((p) => p.id === last) + 1,
  )
  const actedAfter = after.some((phase) =>
    phase.steps.some((step) => {
      const s = state.steps[step.id]
      return s !== undefined && mayHaveActed(s)
    }),
  )
  return actedAfter ? last : (points.at(-2) ?? START_POINT)
}

/** Checks the rollback point and the point of no return; returns what must be undone, newest first. */
export function compensationPlan(run: RunContext, to: string, force: boolean): CompensationItem[] {
  const { state } = run.log
  const points = [START_POINT, ...state.completedPhases]
  if (!points.includes(to)) {
    const known = rollbackPoints(run.runbook)
    throw new InvalidInputError(
      known.includes(to)
        ? `phase ${to} has not completed in run ${state.runId}, so it is not a rollback point yet`
        : `no rollback point named ${to}`,
      { hint: `rollback points reached so far: ${points.join(', ')}` },
    )
  }
  const order = run.runbook.phases.map((p) => p.id)
  const cut = to === START_POINT ? -1 : order.indexOf(to)
  const crossed = run.runbook.phases.filter(
    (p, i) => i > cut && p.pointOfNoReturn && state.completedPhases.includes(p.id),
  )
  if (crossed.length > 0 && !force)
    throw new SwitchyardError(
      `rolling back to ${to} would undo phase ${crossed[0]?.id}, which is past the point of no return`,
      {
        exitCode: ExitCode.refused,
        hint: `roll back to ${crossed.at(-1)?.id} or later, or add --force if you are sure the world can go back`,
      },
    )

  const steps: Array<{ step: Step; s: StepState; order: number }> = []
  run.runbook.phases.forEach((phase, i) => {
    if (i <= cut) return
    for (const step of phase.steps) {
      const s = state.steps[step.id]
      if (s && mayHaveActed(s)) steps.push({ step, s, order: undoOrder(s) })
    }
  })
  steps.sort((a, b) => b.order - a.order)
  return steps.map(({ step, s }) => {
    const how = howToUndo(run, step, s)
    return {
      step: step.id,
      phase: step.phase,
      how,
      changes: s.plannedChanges ?? [],
      ...whyListed(s, how),
      ...(s.status === 'compensating' ? { interrupted: true } : {}),
    }
  })
}

/**
 * Says what each undo will do, from the step's own description of its undo data; a step type that
 * gives none is described by the changes its undo puts back. A manual step is what to take back by hand.
 */
export async function describeCompensations(run: RunContext, items: CompensationItem[]): Promise<void> {
  const steps = new Map(run.runbook.phases.flatMap((p) => p.steps).map((s) => [s.id, s]))
  for (const item of items) {
    if (item.how === 'nothing') continue
    const lines =
      item.how === 'manual'
        ? item.changes.map((c) => `by hand: ${c.summary}`)
        : await describeUndo(run, steps.get(item.step) as Step, item.changes)
    item.undo = lines.map((line) => run.redactor.text(line))
  }
}

async function describeUndo(run: RunContext, step: Step, changes: Change[]): Promise<string[]> {
  const putBack = changes.map((c) => `put back: ${c.summary}`)
  try {
    const { definition, params } = resolveParams(run, step)
    const undo = run.log.state.steps[step.id]?.undo ?? []
    const described = (await loadImplementation(definition)).describeUndo?.(params, undo)
    return described && described.length > 0 ? described : putBack
  } catch {
    // Params that no longer resolve: the undo itself will say so; the dry run still names the changes.
    return putBack
  }
}

function howToUndo(run: RunContext, step: Step, s: StepState): CompensationItem['how'] {
  // The operator said it acted, perhaps by hand: without undo data only a person can take it back.
  if (s.status === 'skipped') return s.undo.length > 0 ? 'compensate' : 'manual'
  if (!s.plannedChanges && s.undo.length === 0) return 'nothing'
  const definition = run.stepTypes.get(step.uses)
  try {
    // A reversible step records undo data before it changes anything: none recorded, nothing changed.
    if (definition?.reversible(resolveParams(run, step).params))
      return s.undo.length > 0 ? 'compensate' : 'nothing'
  } catch {
    return 'manual'
  }
  return 'manual'
}

function whyListed(s: StepState, how: CompensationItem['how']): { why?: string } {
  if (s.status === 'skipped') return { why: `${s.skipReason ?? 'skipped by an operator'}; it may have acted` }
  if (s.status === 'running')
    return {
      why: how === 'nothing' ? 'cut off before it acted' : 'cut off mid-apply: it may have acted in part',
    }
  // Undone, but not all of it: the plan said which changes an operator must take back.
  const manual = (s.plannedChanges ?? []).filter((c) => c.manualUndo).map((c) => c.target)
  if (how === 'compensate' && manual.length > 0) return { why: `left for an operator: ${manual.join(', ')}` }
  return {}
}

/** Returns the world to the rollback point: every step applied after it, undone newest first. */
export async function rollBack(
  run: RunContext,
  to: string,
  items: CompensationItem[],
  force: boolean,
): Promise<RollbackResult> {
  const { log } = run
  log.note({ type: 'rollback-started', to, force, ...run.who })
  let undone = 0
  for (const item of items) {
    const step = run.runbook.phases.flatMap((p) => p.steps).find((s) => s.id === item.step) as Step
    const s = log.state.steps[item.step]
    if (s?.status === 'compensated') continue
    if (run.interrupt.stopRequested) {
      const reason = `rollback interrupted by the operator before undoing ${item.step}`
      log.note({ type: 'run-paused', reason })
      const again = `${invocation()} rollback ${log.state.runId} --to ${to}${force ? ' --force' : ''}`
      return {
        kind: 'paused',
        step: item.step,
        message: reason,
        hint: 'run the same rollback again',
        next: [again],
      }
    }
    if (s?.status === 'compensating' && !run.retrySteps.has(item.step)) {
      const decided = await decideCutOffUndo(run, to, item.step)
      if (decided.kind === 'paused') return decided
      undone++
      continue
    }
    if (item.how === 'nothing') {
      log.note({ type: 'step-compensated', step: item.step })
      continue
    }
    if (item.how === 'manual') {
      try {
        const approval = await obtainApproval(
          run.approvals,
          {
            id: item.step,
            kind: 'step',
            message: `${item.step} cannot be undone by switchyard${item.why ? ` (${item.why})` : ''}. Undo it by hand, then confirm: ${
              item.changes.map((c) => c.summary).join('; ') || 'see the run report'
            }`,
            manual: true,
          },
          run.who,
        )
        log.note({ type: 'manual-undo-confirmed', step: item.step, ...approval })
        undone++
      } catch (error) {
        const info = errorInfo(run, error)
        log.note({ type: 'run-paused', reason: `rollback waits for a manual undo of ${item.step}` })
        return { kind: 'paused', step: item.step, message: info.message, hint: info.hint ?? '' }
      }
      continue
    }
    try {
      const { definition, params } = resolveParams(run, step)
      const implementation = await loadImplementation(definition)
      if (!implementation.compensate) throw new SwitchyardError(`step type ${step.uses} has no compensate`)
      // Journaled last, right before the undo acts: a started undo without an outcome may have acted.
      await log.record({ type: 'compensation-started', step: item.step })
      const limit = stepSignal(run.interrupt.signal, step.timeoutMs)
      try {
        const undo = log.state.steps[item.step]?.undo ?? []
        await stepScope.run(scopeOf(run, step), () =>
          implementation.compensate?.(run.stepContext(step, limit.signal), params, undo),
        )
      } finally {
        limit.dispose()
      }
      log.note({ type: 'step-compensated', step: item.step })
      undone++
    } catch (error) {
      const info = errorInfo(run, error)
      log.note({ type: 'compensation-failed', step: item.step, error: info })
      return { kind: 'failed', step: item.step, message: info.message }
    }
  }
  log.note({ type: 'rollback-completed', to })
  return { kind: 'completed', undone }
}

/**
 * What `resume` does after a rollback that failed, paused or was killed: undo the rest, to the same
 * point. Going forward would report a run complete while some of its steps stay undone.
 */
export async function finishRollback(
  run: RunContext,
  unfinished: { to: string; force: boolean },
): Promise<RollbackResult> {
  run.log.show({
    type: 'notice',
    level: 'info',
    message: `the rollback to ${unfinished.to} did not finish: resume finishes it (afterwards, resume applies the undone steps again)`,
  })
  const plan = compensationPlan(run, unfinished.to, unfinished.force)
  return rollBack(run, unfinished.to, plan, unfinished.force)
}

/**
 * An undo cut off by a crash or a kill may or may not have acted: like a forward step, it is not
 * run again without the operator's word (--retry-step: undo again; --approve: it is undone).
 */
async function decideCutOffUndo(
  run: RunContext,
  to: string,
  stepId: string,
): Promise<{ kind: 'confirmed' } | Extract<RollbackResult, { kind: 'paused' }>> {
  const message = `the undo of ${stepId} was cut off (a crash or a kill) and may or may not have acted`
  try {
    // A manual question: --yes is no answer, only this step's own approval with a reason.
    const approval = await obtainApproval(
      run.approvals,
      { id: stepId, kind: 'step', message: `${message}. Check the world: is it undone?`, manual: true },
      run.who,
    )
    run.log.note({ type: 'manual-undo-confirmed', step: stepId, ...approval })
    return { kind: 'confirmed' }
  } catch (error) {
    if (!(error instanceof ApprovalRefusedError)) throw error
    run.log.note({ type: 'run-paused', reason: `rollback waits for a decision on ${stepId}: ${message}` })
    const again = `${invocation()} rollback ${run.log.state.runId} --to ${to}`
    return {
      kind: 'paused',
      step: stepId,
      message,
      hint: `check the world, then undo it again (--retry-step ${stepId}) or confirm it is undone (--approve ${stepId} --reason "what you checked")`,
      next: [`${again} --retry-step ${stepId}`, `${again} --approve ${stepId} --reason "what you checked"`],
    }
  }
}

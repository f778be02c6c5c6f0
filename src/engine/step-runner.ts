import pRetry from 'p-retry'
import { type StepScope, stepScope } from '../clients/step-scope.js'
import { ExitCode, GateFailedError, RefusedBeforeActingError, SwitchyardError } from '../errors.js'
import { invocation } from '../invocation.js'
import { formatDuration } from '../runbook/duration.js'
import type { Step } from '../runbook/model.js'
import type { Plan, StepDefinition, StepImplementation } from '../steps/contract.js'
import { ApprovalRefusedError } from './approvals.js'
import { conditionReason } from './condition-reason.js'
import type { Change, ErrorInfo, EventOf } from './events.js'
import { actorsBefore, rehearseCheck } from './rehearsal.js'
import { evaluateCondition, resolveStepWith } from './resolve.js'
import type { RunContext } from './run-context.js'
import { stepSignal } from './step-signal.js'

export type StepResult =
  | { kind: 'done' }
  | { kind: 'failed'; error: ErrorInfo }
  | { kind: 'blocked'; reason: string; hint: string }

export class StepTimeoutError extends SwitchyardError {}

export class StalePlanError extends SwitchyardError {
  constructor(step: string, saved: Change[], now: Change[]) {
    const show = (changes: Change[]) =>
      changes.length === 0 ? 'no change' : changes.map((c) => c.summary).join('; ')
    super(`plan is stale: ${step} now sees ${show(now)} (the saved plan said ${show(saved)})`, {
      exitCode: ExitCode.refused,
      hint: `make a new plan with ${invocation()} plan --out, review it, and run that`,
    })
  }
}

/** Resolves a step's `with` against the run so far and checks it again now that values are known. */
export function resolveParams(run: RunContext, step: Step): { definition: StepDefinition; params: unknown } {
  const definition = run.stepTypes.get(step.uses)
  if (!definition) throw new SwitchyardError(`step ${step.id}: unknown step type ${step.uses}`)
  const scope = run.scope()
  const resolved = resolveStepWith(step.with, scope, definition.shellCommands?.(step.with) ?? [])
  const parsed = definition.params.safeParse(resolved)
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'with'}: ${i.message}`).join('; ')
    throw new SwitchyardError(`step ${step.id}: its parameters are invalid once resolved: ${problems}`, {
      hint: 'an expression in with: produced a value of the wrong kind; check the params and outputs it reads',
    })
  }
  return { definition, params: parsed.data }
}

export function conditionHolds(run: RunContext, step: Step): boolean {
  if (step.if === undefined) return true
  const scope = run.scope()
  return evaluateCondition(step.if, scope)
}

/**
 * How long an aborted step may take to stop: a command's group gets SIGTERM, SIGKILL 5 s later, and
 * up to 2 s to be reaped; the rest is margin.
 */
export const STOPPING_STEP_WAIT_MS = 10_000

/**
 * Settles with the promise; once the signal fires, rejects with its reason as soon as the promise
 * settles, or after STOPPING_STEP_WAIT_MS for a step that ignores it. Waiting lets an aborted step
 * journal how its command ended, and keeps the lock held while that command still lives.
 */
function bounded<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise<T>((resolve, reject) => {
    let giveUp: NodeJS.Timeout | undefined
    const onAbort = () => {
      giveUp = setTimeout(() => reject(signal.reason), STOPPING_STEP_WAIT_MS)
      const stopped = () => {
        clearTimeout(giveUp)
        reject(signal.reason)
      }
      promise.then(stopped, stopped)
    }
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => {
        if (signal.aborted) return
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error) => {
        if (signal.aborted) return
        signal.removeEventListener('abort', onAbort)
        reject(error)
      },
    )
  })
}

export function errorInfo(run: Pick<RunContext, 'redactor'>, error: unknown): ErrorInfo {
  const message = error instanceof Error ? error.message : String(error)
  const hint = error instanceof SwitchyardError ? error.hint : undefined
  return { message: run.redactor.text(message), ...(hint ? { hint: run.redactor.text(hint) } : {}) }
}

/**
 * Runs one step to an outcome: condition, resolved params, plan, apply, verify — with its timeout,
 * its retry policy, and, after a crash, a re-plan instead of a blind second apply.
 */
export async function runStep(run: RunContext, step: Step): Promise<StepResult> {
  const { log } = run
  const previous = log.state.steps[step.id]
  const crashedMidStep = previous?.status === 'running'

  const skipReason = run.skipSteps.get(step.id)
  if (skipReason !== undefined) {
    log.note({
      type: 'step-skipped',
      step: step.id,
      reason: 'operator',
      operator: run.who.operator,
      note: skipReason,
    })
    return { kind: 'done' }
  }

  let definition: StepDefinition
  let params: unknown
  let implementation: StepImplementation
  try {
    if (!conditionHolds(run, step)) {
      // What the condition read is the reason an operator reads, e.g. why a sandbox skips the LDAP checks.
      log.note({
        type: 'step-skipped',
        step: step.id,
        reason: 'condition',
        ...(typeof step.if === 'string' ? { note: conditionReason(step.if, run.scope()) } : {}),
      })
      return { kind: 'done' }
    }
    ;({ definition, params } = resolveParams(run, step))
    implementation = await loadImplementation(definition)
  } catch (error) {
    const info = errorInfo(run, error)
    log.note({ type: 'step-started', step: step.id, attempt: 1 })
    log.note({
      type: 'step-failed',
      step: step.id,
      attempt: 1,
      error: info,
      willRetry: false,
    })
    return { kind: 'failed', error: info }
  }

  // Each invocation (run, resume) has the step's whole retry budget: attempts count from 1 to its maximum.
  let attempt = 0
  let recovering = crashedMidStep
  try {
    await pRetry(
      () =>
        stepScope.run(scopeOf(run, step), async () => {
          attempt++
          log.note({ type: 'step-started', step: step.id, attempt })
          const limit = stepSignal(run.interrupt.signal, step.timeoutMs)
          const signal = limit.signal
          const ctx = run.stepContext(step, signal)
          try {
            const plan: Plan = await bounded(implementation.plan(ctx, params), signal)
            // The journaled changes are redacted, as a saved plan's are: compare those, not the raw ones.
            const planned = await log.record({ type: 'step-planned', step: step.id, changes: plan.changes })
            const changes = (planned as EventOf<'step-planned'>).changes
            if (run.dryRun) {
              const check = await bounded(
                rehearseCheck(run, step, definition, implementation, ctx, params),
                signal,
              )
              log.note({
                type: 'step-rehearsed',
                step: step.id,
                outputs: plan.outputs ?? {},
                ...(check ? { check } : {}),
              })
              return
            }
            const saved = run.expectedPlan?.steps[step.id]
            if (
              run.expectedPlan &&
              !samePlan(saved?.changes ?? [], changes) &&
              !plannedBeforeActors(run, step)
            )
              throw new StalePlanError(step.id, saved?.changes ?? [], changes)
            if (recovering) {
              recovering = false
              if (plan.changes.length === 0) {
                log.note({
                  type: 'step-applied',
                  step: step.id,
                  outputs: plan.outputs ?? {},
                  alreadyDone: true,
                })
                return
              }
              if (!definition.idempotent(params) && !run.retrySteps.has(step.id))
                throw new DecisionNeeded(step.id)
            }
            const outputs = await bounded(implementation.apply(ctx, params, plan), signal)
            if (implementation.verify) await bounded(implementation.verify(ctx, params), signal)
            log.note({ type: 'step-applied', step: step.id, outputs })
          } catch (error) {
            if (limit.timedOut() && !run.interrupt.signal.aborted)
              throw new StepTimeoutError(
                `step ${step.id} timed out after ${formatDuration(step.timeoutMs)}${lastWords(run, step)}`,
                {
                  hint: 'raise its timeout: if it needs longer, or find what it was waiting for',
                },
              )
            throw error
          } finally {
            limit.dispose()
          }
        }),
      {
        retries: step.retry.attempts - 1,
        factor: 2,
        minTimeout: step.retry.backoffMs,
        maxTimeout: step.retry.maxBackoffMs,
        randomize: false,
        signal: run.interrupt.signal,
        shouldRetry: ({ error }) => !endsTheAttempts(error) && !run.interrupt.stopRequested,
        onFailedAttempt: async ({ error, retriesLeft }) => {
          if (error instanceof DecisionNeeded) return
          const willRetry = retriesLeft > 0 && !endsTheAttempts(error) && !run.interrupt.stopRequested
          log.note({
            type: 'step-failed',
            step: step.id,
            attempt,
            error: errorInfo(run, error),
            willRetry,
          })
        },
      },
    )
    return { kind: 'done' }
  } catch (error) {
    if (error instanceof DecisionNeeded)
      return {
        kind: 'blocked',
        reason: `step ${step.id} was interrupted mid-apply and is not idempotent: it may or may not have acted`,
        hint: `check the world, then resume with --retry-step ${step.id} (apply again) or --skip-step ${step.id} --reason "..." (it did act)`,
      }
    const info = errorInfo(run, error)
    if (log.state.steps[step.id]?.status !== 'failed')
      log.note({ type: 'step-failed', step: step.id, attempt, error: info, willRetry: false })
    // A missing approval is the operator's decision to make, not a failure to retry or roll back.
    if (error instanceof ApprovalRefusedError)
      return { kind: 'blocked', reason: info.message, hint: info.hint ?? '' }
    if (step.continueOnError) {
      log.note({ type: 'step-continued', step: step.id })
      return { kind: 'done' }
    }
    return { kind: 'failed', error: info }
  }
}

/** Lets shared clients know which step is calling (the dry-run guard names it) and where to report retries. */
export function scopeOf(run: RunContext, step: Step): StepScope {
  return {
    step: `${step.phase}.${step.id}`,
    dryRun: run.dryRun,
    progress: (message) => run.log.show({ type: 'step-progress', step: step.id, message }),
  }
}

/** What the step last reported, so a timeout says what it was waiting on. */
function lastWords(run: RunContext, step: Step): string {
  const last = run.log.lastProgress.get(step.id)
  return last ? ` (last: ${last})` : ''
}

const loaded = new WeakMap<StepDefinition, StepImplementation>()

/** Each step type's code is imported once per process, not once per step. */
export async function loadImplementation(definition: StepDefinition): Promise<StepImplementation> {
  let implementation = loaded.get(definition)
  if (!implementation) {
    implementation = await definition.load()
    loaded.set(definition, implementation)
  }
  return implementation
}

/** Errors another attempt cannot cure: an operator must decide, re-plan, or fix what the step refused. */
const endsTheAttempts = (error: unknown) =>
  error instanceof DecisionNeeded ||
  error instanceof StalePlanError ||
  error instanceof ApprovalRefusedError ||
  error instanceof RefusedBeforeActingError ||
  error instanceof GateFailedError ||
  (error instanceof SwitchyardError && error.exitCode === ExitCode.invalidInput)

class DecisionNeeded extends Error {
  constructor(readonly step: string) {
    super(`operator decision needed for ${step}`)
  }
}

/**
 * The saved plan of this step was a forecast: an earlier step of the plan changes one of its targets
 * (the replica it seeds was not a replica yet), so what it plans now differs by design.
 */
function plannedBeforeActors(run: RunContext, step: Step): boolean {
  const definition = run.stepTypes.get(step.uses)
  const saved = run.expectedPlan?.steps
  if (!definition || !saved) return false
  return actorsBefore(run, step, definition, (id) => (saved[id]?.changes.length ?? 0) > 0).length > 0
}

function samePlan(a: Change[], b: Change[]): boolean {
  const key = (changes: Change[]) => JSON.stringify(changes.map((c) => [c.action, c.target, c.summary]))
  return key(a) === key(b)
}

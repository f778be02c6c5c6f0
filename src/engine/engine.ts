import { hostname, userInfo } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { AwsClients, type AwsSettings } from '../clients/aws.js'
import { SqlConnections } from '../clients/sql.js'
import { stepScope } from '../clients/step-scope.js'
import { ExitCode, SwitchyardError } from '../errors.js'
import { invocation } from '../invocation.js'
import type { Scope } from '../runbook/expressions.js'
import type { Phase, Runbook, Step, Target } from '../runbook/model.js'
import type { StepContext, StepDefinition } from '../steps/contract.js'
import { stepTypes as registeredStepTypes } from '../steps/index.js'
import { ApprovalLeftError, type ApprovalPolicy, obtainApproval } from './approvals.js'
import { conditionReason } from './condition-reason.js'
import { type EventSink, journalSink, MemorySink, RunLog } from './event-log.js'
import type { NewEvent, Who } from './events.js'
import { JOURNAL_FILE, readJournal } from './journal.js'
import { refuseAbandoned, refuseOtherLiveRun } from './live-run.js'
import { withNotifications } from './notify.js'
import type { Observer, RunOutcome } from './observer.js'
import { runPhase } from './phase.js'
import { Redactor } from './redaction.js'
import { rehearsalOutcome } from './rehearsal.js'
import { createScope } from './resolve.js'
import { compensationPlan, describeCompensations, finishRollback, rollBack } from './rollback.js'
import type { Interrupt, RunContext, SavedPlan } from './run-context.js'
import { resolveSecrets } from './secrets.js'
import { loadRunState, newRunId, pickRun, runDir } from './state-dir.js'
import { stateStoreAt } from './state-store/store.js'
import { conditionHolds, errorInfo, loadImplementation, resolveParams, scopeOf } from './step-runner.js'
import { settleLeftoverCommands } from './survivors.js'
import { hasTagQueries, resolveTagQueries } from './targets.js'

export interface EngineOptions {
  runbook: Runbook
  /** AWS clients for the steps that use AWS; built lazily, so runbooks without AWS never touch it. */
  aws?: AwsClients
  /** --region / --profile, when the engine builds the clients itself. */
  awsSettings?: AwsSettings
  stateDir: string
  observer: Observer
  approvals: ApprovalPolicy
  interrupt: Interrupt
  who?: Who
  stepTypes?: ReadonlyMap<string, StepDefinition>
}

export interface RunOptions extends EngineOptions {
  dryRun?: boolean
  until?: string
  plan?: SavedPlan
  /** Events the caller journals last, once the phases are done, before the journal closes. */
  closingEvents?: () => Promise<NewEvent[]>
}

export interface ResumeOptions extends EngineOptions {
  runId: string
  until?: string
  retrySteps?: ReadonlySet<string>
  skipSteps?: ReadonlyMap<string, string>
}

export interface RollbackOptions extends EngineOptions {
  runId: string
  to: string
  force: boolean
  /** rollback --retry-step: undo these again although their last undo was cut off. */
  retrySteps?: ReadonlySet<string>
}

/** Who acts: the OS user is proven by the system; SWITCHYARD_OPERATOR only renames them in the journal. */
export function currentOperator(): Who {
  let osUser: string | undefined
  try {
    osUser = userInfo().username
  } catch {
    osUser = undefined
  }
  const operator = process.env.SWITCHYARD_OPERATOR || osUser || process.env.USER || 'unknown'
  return { operator, ...(osUser ? { osUser } : {}), host: hostname(), pid: process.pid }
}

/** --until must name a phase still ahead of the run: a typo or a finished phase would run on past it. */
function checkUntil(runbook: Runbook, until: string | undefined, completed: readonly string[] = []): void {
  if (until === undefined) return
  const ahead = runbook.phases.map((p) => p.id).filter((id) => !completed.includes(id))
  if (ahead.includes(until)) return
  throw new SwitchyardError(
    runbook.phases.some((p) => p.id === until)
      ? `--until ${until}: phase ${until} has already completed in this run`
      : `--until ${until}: no such phase`,
    {
      exitCode: ExitCode.invalidInput,
      hint: ahead.length > 0 ? `phases still ahead: ${ahead.join(', ')}` : 'every phase has completed',
    },
  )
}

/** `switchyard run`: a new run (or, with dryRun, a rehearsal that writes nothing at all). */
export async function startRun(options: RunOptions): Promise<RunOutcome> {
  const { runbook } = options
  // Bad input is refused before anything is asked of AWS or the secret stores.
  checkUntil(runbook, options.until)
  if (options.plan) checkPlanMatches(options.plan, runbook)
  const { aws, sql, who, workdir, secrets, redactor } = await prepare(options)
  const runId = newRunId(runbook.name)
  const observer = notifying(options, aws, runId, options.dryRun === true)

  let release = async () => {}
  let sink: EventSink
  if (options.dryRun) sink = new MemorySink()
  else {
    const store = stateStoreAt(options.stateDir)
    const lease = await store.acquireLock({
      ...who,
      runId,
      runbook: runbook.name,
      since: new Date().toISOString(),
      command: 'run',
    })
    release = lease.release
    try {
      // Checked under the lock, so two terminals cannot both find the runbook free.
      refuseOtherLiveRun(options.stateDir, runbook.name, 'run refused')
      sink = journalSink(await store.createRun(runId, runbook.file, lease))
    } catch (error) {
      await release()
      throw error
    }
  }
  try {
    const log = await RunLog.start(
      sink,
      redactor,
      observer,
      {
        type: 'run-started',
        runId,
        runbook: { name: runbook.name, file: runbook.file, path: resolve(runbook.file), hash: runbook.hash },
        params: runbook.paramValues,
        dryRun: options.dryRun === true,
        ...(options.until ? { until: options.until } : {}),
        ...who,
      },
      runbook,
    )
    if (hasTagQueries(runbook)) {
      try {
        await log.record({ type: 'targets-resolved', targets: await resolveTagQueries(runbook, aws) })
      } catch (error) {
        // Nothing has acted yet: the run ends here, and its journal says why.
        log.note({ type: 'run-failed', error: errorInfo({ redactor }, error) })
        await log.close()
        throw error
      }
    }
    const run = runContext(options, log, secrets, redactor, who, workdir, aws, sql, {
      dryRun: options.dryRun === true,
      plan: options.plan,
    })
    const partial = await drive(run, options.until)
    for (const event of (await options.closingEvents?.()) ?? []) log.note(event)
    return await finish(observer, log, partial)
  } catch (error) {
    throw redactor.thrown(error)
  } finally {
    await release()
    await sql.destroy()
    if (!options.aws) await aws.destroy()
  }
}

/** `switchyard resume`: continue a paused, failed or crashed run where its journal says it stopped. */
export async function resumeRun(options: ResumeOptions): Promise<RunOutcome> {
  const { runbook } = options
  const { state } = loadRunState(options.stateDir, options.runId)
  refuseAbandoned(state, 'resume')
  checkUntil(runbook, options.until, state.completedPhases)
  const { aws, sql, who, workdir, secrets, redactor } = await prepare(options)
  const observer = notifying(options, aws, options.runId, false)
  const { release, journal, events, warnings } = await openLocked(options, who, 'resume')
  try {
    const log = RunLog.resume(journalSink(journal), redactor, observer, events, runbook)
    for (const message of warnings) log.show({ type: 'notice', level: 'warning', message })
    if (log.state.status === 'completed') {
      await log.close()
      return finish(observer, log, {
        status: 'completed',
        exitCode: ExitCode.ok,
        message: `run ${options.runId} already completed; nothing to resume`,
        next: [],
      })
    }
    const run = runContext(options, log, secrets, redactor, who, workdir, aws, sql, {
      dryRun: false,
      retrySteps: options.retrySteps,
      skipSteps: options.skipSteps,
    })
    const unfinished = log.state.rollback?.status === 'running' ? log.state.rollback : undefined
    // Commands a killed switchyard left running: a rollback stops them, going forward waits for them.
    await settleLeftoverCommands(run, unfinished ? 'stop' : 'wait')
    if (unfinished)
      return await finish(
        observer,
        log,
        rollbackOutcome(run, unfinished.to, await finishRollback(run, unfinished)),
      )
    log.note({ type: 'run-resumed', ...who })
    return await finish(observer, log, await drive(run, options.until ?? log.state.until))
  } catch (error) {
    throw redactor.thrown(error)
  } finally {
    await release()
    await sql.destroy()
    if (!options.aws) await aws.destroy()
  }
}

/** `switchyard rollback`: undo every step applied after a rollback point, newest first. */
export async function rollbackRun(options: RollbackOptions & { dryRun: boolean }): Promise<{
  outcome: RunOutcome
  plan: ReturnType<typeof compensationPlan>
}> {
  const { runbook } = options
  refuseAbandoned(loadRunState(options.stateDir, options.runId).state, 'rollback')
  const { aws, sql, who, workdir, secrets, redactor } = await prepare(options)
  if (options.dryRun) {
    const { events } = readJournal(join(runDir(options.stateDir, options.runId), JOURNAL_FILE))
    const log = RunLog.resume(new MemorySink(), redactor, silentObserver, events, runbook)
    const run = runContext(options, log, secrets, redactor, who, workdir, aws, sql, { dryRun: true })
    const plan = compensationPlan(run, options.to, options.force)
    await describeCompensations(run, plan)
    await sql.destroy()
    if (!options.aws) await aws.destroy()
    return {
      plan,
      outcome: {
        runId: options.runId,
        status: 'rehearsed',
        exitCode: ExitCode.ok,
        message: `rollback of ${options.runId} to ${options.to} would undo ${plan.length} step(s)`,
        next: [
          `${invocation()} rollback ${options.runId} --to ${options.to}${options.force ? ' --force' : ''}`,
        ],
      },
    }
  }
  const { release, journal, events, warnings } = await openLocked(options, who, 'rollback')
  const observer = notifying(options, aws, options.runId, false)
  try {
    const log = RunLog.resume(journalSink(journal), redactor, observer, events, runbook)
    for (const message of warnings) log.show({ type: 'notice', level: 'warning', message })
    const run = runContext(options, log, secrets, redactor, who, workdir, aws, sql, {
      dryRun: false,
      retrySteps: options.retrySteps,
    })
    const plan = compensationPlan(run, options.to, options.force)
    await settleLeftoverCommands(run, 'stop')
    const result = await rollBack(run, options.to, plan, options.force)
    const outcome = rollbackOutcome(run, options.to, result)
    return { plan, outcome: await finish(observer, log, outcome) }
  } catch (error) {
    throw redactor.thrown(error)
  } finally {
    await release()
    await sql.destroy()
    if (!options.aws) await aws.destroy()
  }
}

/** What every engine entry needs first: AWS clients, who is acting, the runbook's folder, its secrets. */
async function prepare(options: EngineOptions) {
  const aws = options.aws ?? new AwsClients(options.awsSettings)
  const who = await identify(options, aws)
  const workdir = dirname(resolve(options.runbook.file))
  const secrets = await resolveSecrets(options.runbook, workdir, aws)
  const redactor = new Redactor(Object.values(secrets))
  return { aws, sql: new SqlConnections((text) => redactor.text(text)), who, workdir, secrets, redactor }
}

/** Whether a step calls AWS: fixed for most types, decided by the params for some (iis.health's server_side). */
function stepUsesAws(definition: StepDefinition | undefined, params: unknown): boolean {
  const uses = definition?.usesAws
  return typeof uses === 'function' ? uses(params ?? {}) : uses === true
}

/** The observer, with the runbook's `notify:` hook around it for runs that act. */
function notifying(options: EngineOptions, aws: AwsClients, runId: string, dryRun: boolean): Observer {
  const settings = options.runbook.notify
  return settings && !dryRun
    ? withNotifications(options.observer, settings, aws, () => runId)
    : options.observer
}

/** The operator, and their AWS identity when any step (or secret) of the runbook, or the state, uses AWS. */
async function identify(options: EngineOptions, aws: AwsClients): Promise<Who> {
  const who = options.who ?? currentOperator()
  const types = options.stepTypes ?? registeredStepTypes
  const usesAws =
    Object.values(options.runbook.secrets).some((s) => s.from.startsWith('ssm:')) ||
    hasTagQueries(options.runbook) ||
    options.runbook.notify !== undefined ||
    options.runbook.phases.some((p) => p.steps.some((s) => stepUsesAws(types.get(s.uses), s.with)))
  if (who.awsIdentity) return who
  // State kept in S3 names the AWS identity in the lock and the run, whatever the steps use.
  const stateIdentity = await stateStoreAt(options.stateDir).identity()
  if (stateIdentity) return { ...who, awsIdentity: stateIdentity }
  if (!usesAws) return who
  const { callerIdentity } = await import('../clients/identity.js')
  return { ...who, awsIdentity: await callerIdentity(aws) }
}

/**
 * Takes the runbook's lock for an existing run, then opens its journal to append to it under that
 * lease; refused while another run of the runbook is live, unless this one is.
 */
async function openLocked(options: EngineOptions & { runId: string }, who: Who, command: string) {
  const store = stateStoreAt(options.stateDir)
  const lease = await store.acquireLock({
    ...who,
    runId: options.runId,
    runbook: options.runbook.name,
    since: new Date().toISOString(),
    command,
  })
  try {
    const { state } = loadRunState(options.stateDir, options.runId)
    refuseOtherLiveRun(options.stateDir, options.runbook.name, `${command} refused`, state)
    return { release: lease.release, ...(await store.openJournal(options.runId, lease)) }
  } catch (error) {
    await lease.release()
    throw error
  }
}

const silentObserver: Observer = { start() {}, event() {}, finish: async () => {} }

type Partial = Omit<RunOutcome, 'runId'>

async function finish(observer: Observer, log: RunLog, partial: Partial): Promise<RunOutcome> {
  await log.close()
  const outcome = log.redactor.outcome({ runId: log.state.runId, ...partial })
  await observer.finish(outcome)
  return outcome
}

/** Phases in order, with approvals, failure policies and --until. */
async function drive(run: RunContext, until: string | undefined): Promise<Partial> {
  const { log, runbook } = run
  const id = log.state.runId
  const resume = `${invocation()} resume ${id}`
  for (const phase of runbook.phases) {
    if (log.state.phases[phase.id]?.status === 'completed') continue
    if (run.interrupt.stopRequested) return paused(run, 'interrupted by the operator (Ctrl-C)', [resume])
    if (phase.approval && !run.dryRun && !log.state.approvals.some((a) => a.phase === phase.id && !a.step)) {
      try {
        const approval = await obtainApproval(
          run.approvals,
          {
            id: phase.id,
            kind: 'phase',
            message: `Start phase ${phase.id}${phase.description ? `: ${phase.description}` : ''}?`,
          },
          run.who,
        )
        await log.record({ type: 'approval-granted', phase: phase.id, ...approval })
      } catch (error) {
        const info = errorInfo(run, error)
        const left = error instanceof ApprovalLeftError
        log.note({ type: 'run-paused', reason: info.message, ...(left ? { leftApproval: error.left } : {}) })
        const exitCode = error instanceof SwitchyardError ? error.exitCode : ExitCode.refused
        return {
          status: 'paused',
          exitCode,
          message: `${info.message}${info.hint ? ` (${info.hint})` : ''}`,
          // Someone who stepped away is asked again on a terminal; a flag approves without asking.
          next: [...(left ? [resume] : []), `${resume} --approve ${phase.id}`],
        }
      }
    }
    if (log.state.phases[phase.id]?.status !== 'running') log.note({ type: 'phase-started', phase: phase.id })
    const result = await runPhase(run, phase)
    if (result.kind === 'interrupted') return paused(run, 'interrupted by the operator (Ctrl-C)', [resume])
    if (result.kind === 'blocked') {
      log.note({ type: 'run-paused', reason: result.reason })
      return {
        status: 'paused',
        exitCode: ExitCode.refused,
        message: `${result.reason}. ${result.hint}`,
        next: [],
      }
    }
    if (result.kind === 'failed') return onFailure(run, phase, result.step, result.error.message)
    log.note({ type: 'phase-completed', phase: phase.id })
    if (until === phase.id && !run.dryRun) {
      log.note({ type: 'run-paused', reason: `stopped after phase ${phase.id} as asked (--until)` })
      return {
        status: 'paused',
        exitCode: ExitCode.ok,
        message: `stopped after phase ${phase.id}, as asked; rollback point ${phase.id} is reached`,
        next: [resume, `${invocation()} rollback ${id} --to ${phase.id}`],
      }
    }
  }
  if (run.dryRun) return rehearsalOutcome(runbook, log.state)
  log.note({ type: 'run-completed' })
  return { status: 'completed', exitCode: ExitCode.ok, message: `run ${id} completed`, next: [] }
}

async function paused(run: RunContext, reason: string, next: string[]): Promise<Partial> {
  run.log.note({ type: 'run-paused', reason })
  return { status: 'paused', exitCode: ExitCode.runFailed, message: `paused: ${reason}`, next }
}

async function onFailure(run: RunContext, phase: Phase, step: string, error: string): Promise<Partial> {
  const { log } = run
  const id = log.state.runId
  const point = log.state.completedPhases.at(-1) ?? 'start'
  // The error itself was shown when the step failed; the outcome names the step, not the error again.
  const failure = `step ${phase.id}.${step} failed`
  if (run.dryRun)
    return { status: 'failed', exitCode: ExitCode.runFailed, message: `dry run: ${failure}`, next: [] }
  if (phase.onFailure === 'rollback') {
    run.log.show({
      type: 'notice',
      level: 'warning',
      message: `${failure}; rolling back to ${point} (on_failure: rollback)`,
    })
    const result = await rollBack(run, point, compensationPlan(run, point, false), false)
    const outcome = rollbackOutcome(run, point, result)
    return { ...outcome, exitCode: ExitCode.runFailed, message: `${failure}; ${outcome.message}` }
  }
  if (phase.onFailure === 'abort') {
    log.note({ type: 'run-failed', error: { message: `${failure}: ${error}` } })
    return {
      status: 'failed',
      exitCode: ExitCode.runFailed,
      message: `${failure}; run aborted (on_failure: abort)`,
      next: [`${invocation()} rollback ${id} --to ${point}`, `${invocation()} status ${id}`],
    }
  }
  log.note({ type: 'run-paused', reason: failure })
  return {
    status: 'paused',
    exitCode: ExitCode.runFailed,
    message: `${failure}; the run is paused`,
    next: [`${invocation()} resume ${id}`, `${invocation()} rollback ${id} --to ${point}`],
  }
}

function rollbackOutcome(run: RunContext, to: string, result: Awaited<ReturnType<typeof rollBack>>): Partial {
  const id = run.log.state.runId
  if (result.kind === 'completed')
    return {
      status: 'rolled-back',
      exitCode: ExitCode.runFailed,
      message: `rolled back to ${to}: ${result.undone} step(s) undone`,
      next: [`${invocation()} resume ${id}`],
    }
  if (result.kind === 'paused')
    return {
      status: 'paused',
      exitCode: ExitCode.refused,
      message: `rollback paused at ${result.step}: ${result.message}${result.hint ? ` (${result.hint})` : ''}`,
      next: result.next ?? [
        `${invocation()} rollback ${id} --to ${to} --approve ${result.step} --reason "what was done by hand"`,
      ],
    }
  return {
    status: 'failed',
    exitCode: ExitCode.runFailed,
    message: `rollback failed at ${result.step}: ${result.message}`,
    next: [`${invocation()} rollback ${id} --to ${to}`, `${invocation()} status ${id}`],
  }
}

function checkPlanMatches(plan: SavedPlan, runbook: Runbook): void {
  if (plan.runbook.name !== runbook.name || plan.runbook.hash !== runbook.hash)
    throw new SwitchyardError('plan is stale: the runbook has changed since the plan was made', {
      exitCode: ExitCode.refused,
      hint: `make a new plan with ${invocation()} plan --out and review it`,
    })
  if (JSON.stringify(plan.params) !== JSON.stringify(runbook.paramValues))
    throw new SwitchyardError('plan is stale: it was made with other params', {
      exitCode: ExitCode.refused,
      hint: 'pass the same --param values as the plan, or make a new plan',
    })
}

function runContext(
  options: EngineOptions,
  log: RunLog,
  secrets: Record<string, string>,
  redactor: Redactor,
  who: Who,
  workdir: string,
  aws: AwsClients,
  sql: SqlConnections,
  extra: {
    dryRun: boolean
    plan?: SavedPlan | undefined
    retrySteps?: ReadonlySet<string> | undefined
    skipSteps?: ReadonlyMap<string, string> | undefined
  },
): RunContext {
  const run: RunContext = {
    runbook: options.runbook,
    log,
    secrets,
    redactor,
    stepTypes: options.stepTypes ?? registeredStepTypes,
    who,
    dryRun: extra.dryRun,
    approvals: options.approvals,
    interrupt: options.interrupt,
    workdir,
    aws,
    sql,
    expectedPlan: extra.plan,
    retrySteps: extra.retrySteps ?? new Set(),
    skipSteps: extra.skipSteps ?? new Map(),
    stepContext: (step, signal) => stepContext(run, step, signal),
    scope: () => {
      scope ??= createScope(options.runbook, log, secrets, {
        id: log.state.runId,
        operator: who.operator,
        dryRun: extra.dryRun,
      })
      return scope
    },
  }
  let scope: Scope | undefined
  return run
}

/** The runbook's targets with expressions resolved (the scope builds them once per invocation). */
const targetsOf = (run: RunContext) => run.scope().targets as Record<string, Target>

/** `asCheck`: the step runs as another's gate, polled; its milestones are the gating step's to say. */
function stepContext(run: RunContext, step: Step, signal: AbortSignal, asCheck = false): StepContext {
  return {
    runId: run.log.state.runId,
    stepId: step.id,
    dryRun: run.dryRun,
    signal,
    workdir: run.workdir,
    progress: (update) =>
      run.log.show({
        type: 'step-progress',
        step: step.id,
        ...update,
        ...(asCheck ? { milestone: false } : {}),
      }),
    warn: (message) => {
      // A check run as a gate warns each poll; the journal keeps each warning once per step.
      if (run.log.state.steps[step.id]?.warnings?.includes(run.redactor.text(message))) return
      run.log.note({ type: 'step-warning', step: step.id, message })
    },
    recordUndo: async (undo) => {
      if (run.dryRun) throw new SwitchyardError(`step ${step.id} tried to act during a dry run`)
      await run.log.record({ type: 'undo-recorded', step: step.id, undo })
    },
    checkpoint: async (data) => {
      if (run.dryRun) throw new SwitchyardError(`step ${step.id} tried to record progress during a dry run`)
      await run.log.record({ type: 'step-checkpoint', step: step.id, data })
    },
    get checkpoints() {
      return run.log.state.steps[step.id]?.checkpoints ?? []
    },
    recordCommand: async (command) => {
      await run.log.record({ type: 'command-started', step: step.id, host: run.who.host, ...command })
      return {
        ended: (how) => {
          try {
            run.log.note({ type: 'command-ended', step: step.id, pid: command.pid, how })
          } catch {
            // A command a stopped run left ending may end after its journal closed; resume checks it.
          }
        },
      }
    },
    redact: (text) => run.redactor.text(text),
    aws: run.aws,
    sql: (name) => run.sql.connect(name, targetsOf(run)[name]?.sql),
    target: (name) => {
      const target = targetsOf(run)[name]
      if (!target)
        throw new SwitchyardError(`no target is named ${name}`, { exitCode: ExitCode.invalidInput })
      return target
    },
    sleep: (ms) => sleep(ms, undefined, { signal }),
    approve: async (request) => {
      // --approve PHASE opens the phase's gate only: an approval inside it is asked for by its own id.
      const approval = await obtainApproval(
        run.approvals,
        {
          id: step.id,
          kind: 'step',
          message: run.redactor.text(request.message),
          ...(request.approvers ? { approvers: request.approvers } : {}),
        },
        run.who,
      )
      await run.log.record({ type: 'approval-granted', phase: step.phase, step: step.id, ...approval })
      return { operator: approval.operator, reason: approval.reason }
    },
    check: async (stepId) => {
      const target = run.runbook.phases.flatMap((p) => p.steps).find((s) => s.id === stepId)
      if (!target) throw new SwitchyardError(`check ${stepId}: no such step`)
      // `if: false` keeps a step as a probe that only checks; a step that an `if:` expression turns
      // off for this run (LDAP checks where no directory is reachable) gates nothing.
      if (typeof target.if === 'string' && !conditionHolds(run, target))
        return { result: 'stands-down', reason: conditionReason(target.if, run.scope()) }
      const { definition, params } = resolveParams(run, target)
      const implementation = await loadImplementation(definition)
      const probe = implementation.check ?? implementation.verify
      if (!probe) throw new SwitchyardError(`step ${stepId} (${target.uses}) cannot be used as a check`)
      await stepScope.run(scopeOf(run, target), () =>
        probe.call(implementation, stepContext(run, target, signal, true), params),
      )
      return { result: 'passes' }
    },
  }
}

export { pickRun }

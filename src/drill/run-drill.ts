// One drill: a fresh demo platform, its world snapshotted, the runbook run through the engine with
// faults fired at their steps, the failure path followed to a rollback to start, the world
// snapshotted again and compared. The result is journaled in the run as `drill-result`.
import { startSandboxForCommand } from '../cli/sandbox-session.js'
import { currentOperator, resumeRun, rollbackRun, startRun } from '../engine/engine.js'
import type { DrillRecord, Who } from '../engine/events.js'
import type { EngineEvent, Observer, RunOutcome } from '../engine/observer.js'
import type { Interrupt } from '../engine/run-context.js'
import type { Runbook } from '../runbook/model.js'
import { DEMO_RECORD, DEMO_ZONE_ID } from '../sandbox/aws/demo-world.js'
import { canonicalName } from '../sandbox/aws/route53/names.js'
import type { DemoPlatform } from '../sandbox/demo-platform.js'
import type { LoadSummary } from '../sandbox/load/index.js'
import { describeDifferences, diffWorlds, snapshotWorld } from '../sandbox/world-snapshot.js'
import { dataLoss, type LogPositions, logPositions } from './data-loss.js'
import type { Injection } from './injections.js'
import { runUntilKilled } from './kill-child.js'
import { failuresOutsideWindow } from './requests.js'
import { timeToOnPrem, type WatchedRecord, weightsNow } from './traffic.js'
import { type FaultTrigger, faultTrigger } from './trigger.js'
import { whyItFailed } from './verdict.js'

/** The record customers resolve in the demo world; all weight on `onprem` is "traffic on-prem". */
const CUSTOMERS_RECORD: WatchedRecord = {
  zone: DEMO_ZONE_ID,
  name: DEMO_RECORD.name,
  type: DEMO_RECORD.type,
  onPrem: 'onprem',
}

export interface DrillOptions {
  runbook: Runbook
  stateDir: string
  injections: Injection[]
  /** The operator's Ctrl-C: stops the drill's run as it stops any run. */
  interrupt: Interrupt
  /** Shows one engine call's events (a new one per call: run, resume, rollback). */
  show: () => Observer
  /** `run` flags that give the runbook its params, for a drill that runs the CLI as a child. */
  paramArgs: string[]
  /** Customers' requests a second through the sandbox's Route 53 for the whole drill; 0: none. */
  loadRps: number
}

export interface DrillResult extends DrillRecord {
  runId: string
  /** How the run itself ended before the drill rolled it back. */
  runOutcome: RunOutcome['status']
  /** How the rollback to start ended. */
  rollback: string
  /** The clock RTO and detection are measured on. */
  clock: 'wall'
  /** How long the drill took, snapshots and rollback included. */
  elapsed_ms: number
}

const YES = { yes: true, ids: new Set<string>() }

/** A drill is about the failure path, not about seeding speed: the demo's 2.5 GB seed in under a second. */
const DRILL_SEEDING_BYTES_PER_SECOND = 4 * 1024 ** 3

/**
 * Drills one after the other on one demo platform, each with its own faults. Each starts from the world
 * the one before left, which that drill compared with its own start: a drill that did not pass ends
 * the series, as the world is no longer the platform's first.
 */
export async function runDrills(
  options: Omit<DrillOptions, 'injections'>,
  series: Injection[][],
): Promise<DrillResult[]> {
  const platform = await startSandboxForCommand({ seedingBytesPerSecond: DRILL_SEEDING_BYTES_PER_SECOND })
  const results: DrillResult[] = []
  try {
    for (const injections of series) {
      const result = await drillOn(platform, { ...options, injections })
      results.push(result)
      if (!result.passed || options.interrupt.stopRequested) break
    }
    return results
  } finally {
    await platform.close()
  }
}

async function drillOn(platform: DemoPlatform, options: DrillOptions): Promise<DrillResult> {
  const began = Date.now()
  const who = currentOperator()
  const before = await snapshotWorld(platform)
  const startWeights = weightsNow(platform.aws.world.route53, CUSTOMERS_RECORD)
  let atFault: LogPositions | undefined
  const fire = (injection: Injection) => {
    atFault ??= logPositions(platform.sql.world)
    return injection.fault.fire(platform)
  }
  const killing = options.injections.some((i) => i.fault.kind === 'process')
  // Customers start after the first snapshot and stop before the second: what they touch is a request log.
  const { startDemoLoad } = await import('../sandbox/load/index.js')
  const load = options.loadRps > 0 ? startDemoLoad(platform, options.loadRps) : undefined
  let customers: LoadSummary | undefined
  let ran: Awaited<ReturnType<typeof runWithFaults>>
  let state: string
  try {
    ran = killing ? await killThenResume(options, who, fire) : await runWithFaults(options, who, fire)
    state = await rollBackToStart(options, who, ran.runId, ran.outcome)
  } finally {
    customers = await load?.stop()
  }
  const { runId, outcome, trigger } = ran
  trigger.healAll()
  const after = await snapshotWorld(platform)
  const diff = diffWorlds(before, after)
  const faultLog = atFault ?? logPositions(platform.sql.world)
  const rpo = dataLoss(faultLog, logPositions(platform.sql.world, faultLog))

  const injected = trigger.faults.map((f) => f.injectedAt).filter((t): t is number => t !== undefined)
  const detected = trigger.faults.map((f) => f.detectedAt).filter((t): t is number => t !== undefined)
  const firstFault = injected.length > 0 ? Math.min(...injected) : undefined
  const rto =
    firstFault === undefined
      ? undefined
      : timeToOnPrem(platform.aws.world.route53, CUSTOMERS_RECORD, startWeights, firstFault)
  const worldDiff = describeDifferences(diff.differences)
  const detectionMs =
    firstFault === undefined || detected.length === 0 ? null : Math.min(...detected) - firstFault
  const failedOutsideWindow =
    customers === undefined
      ? null
      : failuresOutsideWindow(customers, {
          from: firstFault ?? began,
          to: (firstFault ?? began) + Math.max(detectionMs ?? 0, rto ?? 0) + recordTtlMs(platform),
        })
  const reasons = whyItFailed({
    faults: trigger.faults,
    rollback: state,
    worldDiff,
    rtoMs: rto,
    rpo,
    failedOutsideWindow,
  })
  const record: DrillRecord = {
    passed: reasons.length === 0,
    reasons,
    faults: trigger.faults.map((f) => ({
      name: f.name,
      step: f.step,
      ...(f.injectedAt === undefined ? {} : { injectedAt: new Date(f.injectedAt).toISOString() }),
      ...(f.detectedAt === undefined ? {} : { detectedAt: new Date(f.detectedAt).toISOString() }),
    })),
    detection_ms: detectionMs,
    rto_ms: rto ?? null,
    rpo,
    world_diff: worldDiff,
    kept: diff.kept,
    failed_requests: customers?.failed ?? null,
    total_requests: customers?.total ?? null,
    failed_outside_window: failedOutsideWindow,
    ...(customers ? { load: customers } : {}),
  }
  await journalResult(options, who, runId, record)
  return {
    ...record,
    runId,
    runOutcome: outcome.status,
    rollback: state,
    clock: 'wall',
    elapsed_ms: Date.now() - began,
  }
}

/** The longest TTL of the customers' record: how long a resolver may still send them the old way. */
function recordTtlMs(platform: DemoPlatform): number {
  const sets = platform.aws.world.route53
    .records(CUSTOMERS_RECORD.zone)
    .filter((r) => r.Type === CUSTOMERS_RECORD.type && r.Name === canonicalName(CUSTOMERS_RECORD.name))
  return Math.max(0, ...sets.map((r) => r.TTL ?? 0)) * 1000
}

/** The observer the engine gets: every event goes past the trigger first, then to the screen. */
function watched(show: Observer, trigger?: FaultTrigger): Observer {
  return {
    start: (runbook, state) => show.start(runbook, state),
    event: (event: EngineEvent) => {
      trigger?.onEvent(event)
      show.event(event)
    },
    // The drill goes on after the run: its summary says what to do, not the run's next commands.
    finish: (outcome) => show.finish({ ...outcome, next: [] }),
  }
}

async function runWithFaults(options: DrillOptions, who: Who, fire: (injection: Injection) => () => void) {
  const trigger = faultTrigger(options.injections, fire)
  // Once a fault is noticed the drill stops the run as an operator would (Ctrl-C once): no more retries.
  const interrupt: Interrupt = {
    get stopRequested() {
      return options.interrupt.stopRequested || trigger.detected
    },
    signal: options.interrupt.signal,
  }
  const outcome = await startRun({
    runbook: options.runbook,
    stateDir: options.stateDir,
    observer: watched(options.show(), trigger),
    interrupt,
    who,
    approvals: YES,
  })
  return { runId: outcome.runId, outcome, trigger }
}

/** The CLI as a child, killed with SIGKILL as the step starts; then resumed here, as an operator would. */
async function killThenResume(options: DrillOptions, who: Who, fire: (injection: Injection) => () => void) {
  const { runId, trigger } = await runUntilKilled(options, fire)
  const injection = options.injections[0] as Injection
  const outcome = await resumeRun({
    runbook: options.runbook,
    runId,
    stateDir: options.stateDir,
    observer: watched(options.show(), trigger),
    interrupt: options.interrupt,
    who,
    approvals: YES,
    // The drill knows the step was cut off as it started: the operator checks, and applies it again.
    retrySteps: new Set([injection.step.id]),
  })
  return { runId, outcome, trigger }
}

/** Rolls back to start unless the runbook already did; returns how the run stands after. */
async function rollBackToStart(
  options: DrillOptions,
  who: Who,
  runId: string,
  outcome: RunOutcome,
): Promise<string> {
  const { loadRunState } = await import('../engine/state-dir.js')
  const standing = loadRunState(options.stateDir, runId).state
  if (standing.status === 'rolled-back' && standing.rollback?.to === 'start') return 'rolled-back'
  const { outcome: back } = await rollbackRun({
    runbook: options.runbook,
    runId,
    stateDir: options.stateDir,
    observer: watched(options.show()),
    interrupt: options.interrupt,
    who,
    approvals: YES,
    to: 'start',
    // The drill's own world: going back past the point of no return is the point of the exercise.
    force: true,
    dryRun: false,
  })
  return back.status === 'rolled-back' ? 'rolled-back' : `${back.status}: ${back.message || outcome.message}`
}

/** The result goes into the run's journal; a run the drill could not roll back is let go, as its world is gone. */
async function journalResult(options: DrillOptions, who: Who, runId: string, record: DrillRecord) {
  const [{ appendUnderLock }, { loadRunState }, { isLive }, { abandonRun }] = await Promise.all([
    import('../engine/append-event.js'),
    import('../engine/state-dir.js'),
    import('../engine/state.js'),
    import('../engine/live-run.js'),
  ])
  const runbook = options.runbook.name
  await appendUnderLock({
    stateDir: options.stateDir,
    runId,
    runbook,
    who,
    command: 'drill',
    event: { type: 'drill-result', ...record },
  })
  if (isLive(loadRunState(options.stateDir, runId).state))
    await abandonRun({
      stateDir: options.stateDir,
      runId,
      who,
      reason: 'drill: the sandbox world this run changed is gone',
    })
}

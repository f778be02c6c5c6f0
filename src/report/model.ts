import type { GrantedApproval } from '../engine/approvals.js'
import type { Change, DrillRecord, ErrorInfo, EventOf, JournalEvent, Who } from '../engine/events.js'
import type { RunState } from '../engine/state.js'
import type { ParamValue, Runbook } from '../runbook/model.js'
import type { LoadSummary } from '../sandbox/load/tally.js'
import { buildTimeline, type Timeline } from './timeline.js'
import { type Readings, readOutputs } from './values.js'

/** One invocation that acted on the run: who, from where, doing what. */
export interface Session extends Who {
  at: string
  action: string
}

export interface ApprovalRecord extends GrantedApproval {
  at: string
  /** The phase, or the step inside it, that was approved; or the step undone by hand. */
  what: string
  kind: 'phase gate' | 'approve step' | 'manual undo'
}

/** What a step set out to do and what became of it. */
export interface StepOutcome {
  step: string
  phase: string
  uses: string
  planned: Change[]
  /** applied, already done, failed, skipped, undone by rollback or by hand, rolled back past, not run, ... */
  outcome: string
  detail?: string
  attempts: number
}

export interface Evidence extends Readings {
  step: string
  uses: string
  /** A rollback went past the step: the readings tell what held before it. */
  undone: boolean
}

/** One line of the rollback record, in journal order. */
export interface RollbackEntry {
  at: string
  what: string
}

/** The journal's hash chain as `switchyard verify` checks it. */
export interface ChainHead {
  intact: boolean
  /** False for a journal written before the chain: nothing to check. */
  chained: boolean
  head?: string
  problems: string[]
}

/** What the request curve needs: the load generator's summary, or the part of it a drill keeps. */
export type LoadCurve = Pick<LoadSummary, 'total' | 'failed' | 'buckets'> & Partial<LoadSummary>

export interface ReportModel {
  runId: string
  runbook: RunState['runbook']
  status: RunState['status']
  dryRun: boolean
  startedAt: string
  endedAt: string
  params: Record<string, ParamValue>
  sessions: Session[]
  timeline: Timeline
  approvals: ApprovalRecord[]
  steps: StepOutcome[]
  evidence: Evidence[]
  warnings: string[]
  errors: Array<{ at: string; where: string; error: ErrorInfo }>
  rollback: RollbackEntry[]
  drill?: DrillRecord
  load?: LoadCurve
  chain?: ChainHead
}

const who = (w: Who): Who => ({
  operator: w.operator,
  ...(w.osUser ? { osUser: w.osUser } : {}),
  host: w.host,
  pid: w.pid,
  ...(w.awsIdentity ? { awsIdentity: w.awsIdentity } : {}),
})

function sessionsOf(events: readonly JournalEvent[]): Session[] {
  const sessions: Session[] = []
  for (const e of events) {
    if (e.type === 'run-started') sessions.push({ at: e.at, action: e.dryRun ? 'dry run' : 'run', ...who(e) })
    else if (e.type === 'run-resumed') sessions.push({ at: e.at, action: 'resume', ...who(e) })
    else if (e.type === 'rollback-started')
      sessions.push({ at: e.at, action: `rollback to ${e.to}${e.force ? ' (--force)' : ''}`, ...who(e) })
    else if (e.type === 'run-abandoned')
      sessions.push({ at: e.at, action: `abandon: ${e.reason}`, ...who(e) })
  }
  return sessions
}

function approvalsOf(events: readonly JournalEvent[]): ApprovalRecord[] {
  const approvals: ApprovalRecord[] = []
  for (const e of events) {
    if (e.type === 'approval-granted') {
      const { type: _t, seq: _s, epoch: _e, phase, step, ...granted } = e
      approvals.push({ ...granted, what: step ?? phase, kind: step ? 'approve step' : 'phase gate' })
    } else if (e.type === 'manual-undo-confirmed') {
      const { type: _t, seq: _s, epoch: _e, step, ...granted } = e
      approvals.push({ ...granted, what: step, kind: 'manual undo' })
    }
  }
  return approvals
}

function outcomeOf(
  s: RunState['steps'][string] | undefined,
  alreadyDone: boolean,
): Pick<StepOutcome, 'outcome' | 'detail'> {
  if (!s) return { outcome: 'not run' }
  switch (s.status) {
    case 'applied':
      return s.continued
        ? { outcome: 'failed, continued', ...(s.error ? { detail: s.error.message } : {}) }
        : { outcome: alreadyDone ? 'already done' : 'applied' }
    case 'failed':
      return { outcome: 'failed', ...(s.error ? { detail: s.error.message } : {}) }
    case 'skipped':
      return { outcome: 'skipped', ...(s.skipReason ? { detail: s.skipReason } : {}) }
    case 'compensated':
      return { outcome: 'undone by rollback' }
    case 'compensating':
      return { outcome: 'undo unfinished' }
    case 'running':
      return { outcome: 'interrupted', ...(s.error ? { detail: s.error.message } : {}) }
    default:
      return { outcome: s.status }
  }
}

function stepsOf(events: readonly JournalEvent[], state: RunState, runbook: Runbook): StepOutcome[] {
  const planned = new Map<string, Change[]>()
  const alreadyDone = new Set<string>()
  for (const e of events) {
    // The first plan with changes is what the step set out to do; a re-plan after a crash may find it done.
    if (e.type === 'step-planned' && e.changes.length > 0 && !planned.has(e.step))
      planned.set(e.step, e.changes)
    if (e.type === 'step-applied') {
      if (e.alreadyDone) alreadyDone.add(e.step)
      else alreadyDone.delete(e.step)
    }
  }
  // How rollback last went past each step: undone by its compensate, by hand, or nothing to undo.
  const undoneHow = new Map<string, string>()
  const undoing = new Set<string>()
  for (const e of events) {
    if (e.type === 'compensation-started') undoing.add(e.step)
    if (e.type === 'manual-undo-confirmed') undoneHow.set(e.step, 'undone by hand')
    if (e.type === 'step-compensated')
      undoneHow.set(
        e.step,
        undoing.delete(e.step) ? 'undone by rollback' : 'rolled back past: nothing to undo',
      )
  }
  return runbook.phases.flatMap((phase) =>
    phase.steps.map((step) => {
      const s = state.steps[step.id]
      const outcome = outcomeOf(s, alreadyDone.has(step.id))
      return {
        step: step.id,
        phase: phase.id,
        uses: step.uses,
        planned: planned.get(step.id) ?? [],
        ...(s?.status === 'compensated' ? { outcome: undoneHow.get(step.id) ?? outcome.outcome } : outcome),
        attempts: s?.attempts ?? 0,
      }
    }),
  )
}

function evidenceOf(state: RunState, runbook: Runbook): Evidence[] {
  return runbook.phases.flatMap((phase) =>
    phase.steps.flatMap((step) => {
      const s = state.steps[step.id]
      const outputs = s?.outputs ?? s?.undoneOutputs
      if (!outputs || Object.keys(outputs).length === 0) return []
      return [{ step: step.id, uses: step.uses, undone: !s?.outputs, ...readOutputs(outputs) }]
    }),
  )
}

function errorsOf(events: readonly JournalEvent[]): ReportModel['errors'] {
  return events.flatMap((e) => {
    if (e.type === 'step-failed')
      return [
        {
          at: e.at,
          where: `step ${e.step}, attempt ${e.attempt}${e.willRetry ? ' (retried)' : ''}`,
          error: e.error,
        },
      ]
    if (e.type === 'run-failed') return [{ at: e.at, where: 'run', error: e.error }]
    if (e.type === 'compensation-failed') return [{ at: e.at, where: `undo of ${e.step}`, error: e.error }]
    return []
  })
}

function rollbackOf(events: readonly JournalEvent[]): RollbackEntry[] {
  const undoing = new Set<string>()
  return events.flatMap((e): RollbackEntry[] => {
    switch (e.type) {
      case 'rollback-started':
        return [
          { at: e.at, what: `rollback to ${e.to} started by ${e.operator}${e.force ? ' with --force' : ''}` },
        ]
      case 'compensation-started':
        undoing.add(e.step)
        return [{ at: e.at, what: `undoing ${e.step}` }]
      case 'step-compensated':
        // Without compensation-started, rollback went past a step that changed nothing.
        return [
          { at: e.at, what: undoing.delete(e.step) ? `${e.step} undone` : `${e.step}: nothing to undo` },
        ]
      case 'compensation-failed':
        undoing.delete(e.step)
        return [{ at: e.at, what: `undo of ${e.step} failed: ${e.error.message}` }]
      case 'manual-undo-confirmed':
        return [{ at: e.at, what: `${e.step} undone by hand, confirmed by ${e.operator}: ${e.reason}` }]
      case 'rollback-completed':
        return [{ at: e.at, what: `rollback to ${e.to} completed` }]
      default:
        return []
    }
  })
}

const drillRecord = ({
  type: _t,
  seq: _s,
  at: _a,
  epoch: _e,
  ...record
}: EventOf<'drill-result'>): DrillRecord => record

/**
 * Everything the report shows, from the journal's events (already redacted for display), the state
 * they fold to and the runbook the run pinned. Renderers only lay it out.
 */
export function buildReport(
  events: readonly JournalEvent[],
  state: RunState,
  runbook: Runbook,
  extras: { warnings?: string[]; chain?: ChainHead } = {},
): ReportModel {
  const drill = events.findLast((e) => e.type === 'drill-result')
  const load = events.findLast((e) => e.type === 'sandbox-load')
  return {
    runId: state.runId,
    runbook: state.runbook,
    status: state.status,
    dryRun: state.dryRun,
    startedAt: state.startedAt,
    endedAt: state.updatedAt,
    params: state.params,
    sessions: sessionsOf(events),
    timeline: buildTimeline(events, runbook),
    approvals: approvalsOf(events),
    steps: stepsOf(events, state, runbook),
    evidence: evidenceOf(state, runbook),
    warnings: [...state.warnings, ...(extras.warnings ?? [])],
    errors: errorsOf(events),
    rollback: rollbackOf(events),
    ...(drill ? { drill: drillRecord(drill) } : {}),
    ...(load ? { load: load.summary } : drill?.load ? { load: drill.load } : {}),
    ...(extras.chain ? { chain: extras.chain } : {}),
  }
}

import type { ParamValue } from '../runbook/model.js'
import type { Change, ErrorInfo, JournalEvent, StartedCommand } from './events.js'

export type StepStatus =
  | 'pending'
  | 'running'
  | 'applied'
  | 'rehearsed'
  | 'failed'
  | 'skipped'
  | 'compensating'
  | 'compensated'

export interface StepState {
  status: StepStatus
  attempts: number
  /** The step has started at least once in this run (an apply may have begun). */
  started: boolean
  changes?: Change[]
  outputs?: Record<string, unknown>
  /** Undo data recorded before the step's side effects, in the order recorded. */
  undo: unknown[]
  /** Progress a long step made durable (e.g. the stages of a traffic shift), so a re-run continues. */
  checkpoints: unknown[]
  /** Journal seq of the step-applied event: rollback compensates in reverse of this order. */
  appliedSeq?: number
  /** Journal seq of the last undo data recorded: orders a step that failed after acting. */
  undoSeq?: number
  error?: ErrorInfo
  skipReason?: string
  /** A failure the runbook allowed (continue_on_error): downstream steps still run. */
  continued?: boolean
  startedAt?: string
  endedAt?: string
}

export type PhaseStatus = 'pending' | 'running' | 'completed'
export type RunStatus = 'running' | 'paused' | 'failed' | 'completed' | 'rolling-back' | 'rolled-back'

export interface Approval {
  phase: string
  step?: string
  operator: string
  reason: string
  via: string
  at: string
}

/** The whole truth about a run, computed by folding its journal; nothing else is stored. */
export interface RunState {
  runId: string
  runbook: { name: string; file: string; path: string; hash: string }
  params: Record<string, ParamValue>
  dryRun: boolean
  until: string | undefined
  operator: string
  /** The AWS identity the run started with, when it uses AWS. */
  awsIdentity?: string
  status: RunStatus
  startedAt: string
  updatedAt: string
  phases: Record<string, { status: PhaseStatus; startedAt?: string; completedAt?: string }>
  /** Phases completed, in order: each is a rollback point the world can return to. */
  completedPhases: string[]
  steps: Record<string, StepState>
  /** Instances behind `ec2:` targets, found when the run started and pinned for its whole life. */
  targets: Record<string, { instances: string[]; hosts: string[] }>
  approvals: Approval[]
  rollback?: { to: string; status: 'running' | 'completed'; startedAt: string }
  lastError?: ErrorInfo
  pauseReason?: string
  warnings: string[]
  /** Commands journaled as started and not as ended, by pid: after a crash, they may still run. */
  commands: Record<string, StartedCommand & { step: string; host: string; at: string }>
}

export function foldJournal(events: readonly JournalEvent[]): RunState {
  const first = events[0]
  if (first?.type !== 'run-started') throw new Error('a journal starts with run-started')
  const state: RunState = {
    runId: first.runId,
    runbook: first.runbook,
    params: first.params,
    dryRun: first.dryRun,
    until: first.until,
    operator: first.operator,
    ...(first.awsIdentity ? { awsIdentity: first.awsIdentity } : {}),
    status: 'running',
    startedAt: first.at,
    updatedAt: first.at,
    phases: {},
    completedPhases: [],
    steps: {},
    targets: {},
    approvals: [],
    warnings: [],
    commands: {},
  }
  for (const event of events.slice(1)) applyEvent(state, event)
  return state
}

const step = (state: RunState, id: string): StepState => {
  state.steps[id] ??= { status: 'pending', attempts: 0, started: false, undo: [], checkpoints: [] }
  return state.steps[id]
}

export function applyEvent(state: RunState, event: JournalEvent): void {
  state.updatedAt = event.at
  switch (event.type) {
    case 'run-started':
      throw new Error(`a journal holds one run-started event (seq ${event.seq})`)
    case 'run-resumed':
      state.status = 'running'
      state.pauseReason = undefined
      return
    case 'targets-resolved':
      state.targets = event.targets
      return
    case 'phase-started':
      state.phases[event.phase] = { status: 'running', startedAt: event.at }
      return
    case 'phase-completed': {
      const phase = state.phases[event.phase] ?? { status: 'running' }
      state.phases[event.phase] = { ...phase, status: 'completed', completedAt: event.at }
      if (!state.completedPhases.includes(event.phase)) state.completedPhases.push(event.phase)
      return
    }
    case 'approval-granted':
      state.approvals.push({
        phase: event.phase,
        ...(event.step ? { step: event.step } : {}),
        operator: event.operator,
        reason: event.reason,
        via: event.via,
        at: event.at,
      })
      return
    case 'step-started': {
      const s = step(state, event.step)
      s.status = 'running'
      s.started = true
      s.attempts = event.attempt
      s.startedAt ??= event.at
      s.error = undefined
      return
    }
    case 'command-started': {
      const { type: _type, seq: _seq, ...command } = event
      state.commands[event.pid] = command
      return
    }
    case 'command-ended':
      delete state.commands[event.pid]
      return
    case 'command-survivor':
      return
    case 'step-checkpoint':
      step(state, event.step).checkpoints.push(event.data)
      return
    case 'step-planned':
      step(state, event.step).changes = event.changes
      return
    case 'undo-recorded': {
      const s = step(state, event.step)
      s.undo.push(event.undo)
      s.undoSeq = event.seq
      return
    }
    case 'step-applied': {
      const s = step(state, event.step)
      s.status = 'applied'
      s.outputs = event.outputs
      s.appliedSeq = event.seq
      s.endedAt = event.at
      return
    }
    case 'step-rehearsed': {
      const s = step(state, event.step)
      s.status = 'rehearsed'
      s.outputs = event.outputs
      s.endedAt = event.at
      return
    }
    case 'step-failed': {
      const s = step(state, event.step)
      s.error = event.error
      s.status = event.willRetry ? 'running' : 'failed'
      if (!event.willRetry) s.endedAt = event.at
      return
    }
    case 'step-continued':
      step(state, event.step).continued = true
      return
    case 'step-skipped': {
      const s = step(state, event.step)
      s.status = 'skipped'
      s.skipReason =
        event.reason === 'upstream'
          ? `upstream ${event.upstream} failed`
          : event.reason === 'operator'
            ? `skipped by ${event.operator}${event.note ? `: ${event.note}` : ''}`
            : `condition was false${event.note ? ` (${event.note})` : ''}`
      s.endedAt = event.at
      return
    }
    case 'run-paused':
      state.status = 'paused'
      state.pauseReason = event.reason
      return
    case 'run-failed':
      state.status = 'failed'
      state.lastError = event.error
      return
    case 'run-completed':
      state.status = 'completed'
      return
    case 'rollback-started':
      state.status = 'rolling-back'
      state.rollback = { to: event.to, status: 'running', startedAt: event.at }
      return
    case 'compensation-started':
      step(state, event.step).status = 'compensating'
      return
    case 'step-compensated':
    case 'manual-undo-confirmed':
      step(state, event.step).status = 'compensated'
      return
    case 'compensation-failed': {
      const s = step(state, event.step)
      s.status = 'applied'
      s.error = event.error
      state.lastError = event.error
      return
    }
    case 'rollback-completed': {
      state.status = 'rolled-back'
      if (state.rollback) state.rollback.status = 'completed'
      // Phases after the rollback point are no longer complete: the world is back before them.
      const keep = event.to === 'start' ? 0 : state.completedPhases.indexOf(event.to) + 1
      for (const phase of state.completedPhases.slice(keep)) {
        const p = state.phases[phase]
        if (p) p.status = 'pending'
      }
      state.completedPhases = state.completedPhases.slice(0, keep)
      return
    }
    case 'lock-broken':
      state.warnings.push(`lock broken by ${event.by} at ${event.at}`)
      return
    case 'journal-torn-line':
      state.warnings.push(`journal line ${event.line} was torn by a crash and ignored`)
      return
  }
}

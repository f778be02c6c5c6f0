import type { ParamValue } from '../runbook/model.js'
import type { GrantedApproval } from './approvals.js'
import type { Change, ErrorInfo, JournalEvent, RehearsalCheck, StartedCommand } from './events.js'

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
  /** The latest plan that had changes: what the step set out to do (a re-plan after a crash may find it done). */
  plannedChanges?: Change[]
  outputs?: Record<string, unknown>
  /** What the step output before it was undone: no longer true of the world, kept for the record. */
  undoneOutputs?: Record<string, unknown>
  /** What the step warned about, in the order said (journaled: they outlive the screen). */
  warnings?: string[]
  /** Undo data recorded before the step's side effects, in the order recorded. */
  undo: unknown[]
  /** Progress a long step made durable (e.g. the stages of a traffic shift), so a re-run continues. */
  checkpoints: unknown[]
  /** Journal seq of the step-applied event: rollback compensates in reverse of this order. */
  appliedSeq?: number
  /** Journal seq of the last undo data recorded: orders a step that failed after acting. */
  undoSeq?: number
  /** Journal seq of the latest plan: orders a step cut off mid-apply that records no undo data. */
  plannedSeq?: number
  error?: ErrorInfo
  /** In a dry run: what the step's read-only check found today. */
  check?: RehearsalCheck
  skipReason?: string
  /** Who decided the skip: an operator's skip says the step did act (or was done by hand). */
  skippedFor?: 'condition' | 'upstream' | 'operator'
  /** Journal seq of an operator's skip: rollback orders that step as if it applied then. */
  skippedSeq?: number
  /** A failure the runbook allowed (continue_on_error): downstream steps still run. */
  continued?: boolean
  startedAt?: string
  endedAt?: string
}

/** `paused`, `failed`: the run stopped inside the phase; `resume` goes on with it. */
export type PhaseStatus = 'pending' | 'running' | 'paused' | 'failed' | 'completed'
export type RunStatus =
  | 'running'
  | 'paused'
  | 'failed'
  | 'completed'
  | 'rolling-back'
  | 'rolled-back'
  | 'abandoned'

export type Approval = { phase: string; step?: string; at: string } & GrantedApproval

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
  /** The latest rollback: while `running`, steps after `to` may be half undone and `resume` finishes it. */
  rollback?: { to: string; force: boolean; status: 'running' | 'completed'; startedAt: string }
  /** `switchyard abandon`: released without touching the world. */
  abandoned?: { by: string; reason: string; at: string }
  lastError?: ErrorInfo
  pauseReason?: string
  /** The run's warnings, oldest first: each step's (prefixed with its id) and the journal's own. */
  warnings: string[]
  /** Commands journaled as started and not as ended, by pid: after a crash, they may still run. */
  commands: Record<string, StartedCommand & { step: string; host: string; at: string }>
}

/**
 * A live run holds its runbook: it may have changed the world and is not finished with it. Only
 * completing, a rollback to start, or `abandon` lets it go; a run that failed before any step
 * started never touched the world.
 */
export function isLive(state: RunState): boolean {
  if (state.dryRun || state.status === 'completed' || state.status === 'abandoned') return false
  if (state.status === 'rolled-back' && state.rollback?.to === 'start') return false
  return !(state.status === 'failed' && !Object.values(state.steps).some((s) => s.started))
}

/** A stopped run leaves no phase running: the one it was in is paused or failed until it resumes. */
function markStoppedPhases(state: RunState, status: 'running' | 'paused' | 'failed'): void {
  for (const phase of Object.values(state.phases))
    if (phase.status !== 'completed' && phase.status !== 'pending') phase.status = status
}

/** Going back past a phase withdraws the approvals given for it: going forward again asks again. */
function revokeApprovalsPast(state: RunState, to: string): void {
  const kept = to === 'start' ? [] : state.completedPhases.slice(0, state.completedPhases.indexOf(to) + 1)
  state.approvals = state.approvals.filter((a) => kept.includes(a.phase))
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
      markStoppedPhases(state, 'running')
      return
    case 'targets-resolved':
      state.targets = event.targets
      return
    case 'phase-started':
      state.phases[event.phase] = {
        status: 'running',
        startedAt: state.phases[event.phase]?.startedAt ?? event.at,
      }
      return
    case 'phase-completed': {
      const phase = state.phases[event.phase] ?? { status: 'running' }
      state.phases[event.phase] = { ...phase, status: 'completed', completedAt: event.at }
      if (!state.completedPhases.includes(event.phase)) state.completedPhases.push(event.phase)
      return
    }
    case 'approval-granted': {
      const { type: _type, seq: _seq, ...approval } = event
      state.approvals.push(approval)
      return
    }
    case 'step-started': {
      const s = step(state, event.step)
      s.status = 'running'
      s.started = true
      // Every attempt of the run, across invocations; each invocation numbers its own from 1.
      s.attempts += 1
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
    case 'step-planned': {
      const s = step(state, event.step)
      s.changes = event.changes
      if (event.changes.length > 0) s.plannedChanges = event.changes
      s.plannedSeq = event.seq
      return
    }
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
      s.undoneOutputs = undefined
      s.appliedSeq = event.seq
      s.endedAt = event.at
      return
    }
    case 'step-rehearsed': {
      const s = step(state, event.step)
      s.status = 'rehearsed'
      s.outputs = event.outputs
      if (event.check) s.check = event.check
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
    case 'step-warning': {
      const s = step(state, event.step)
      s.warnings = [...(s.warnings ?? []), event.message]
      state.warnings.push(`${event.step}: ${event.message}`)
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
      s.skippedFor = event.reason
      if (event.reason === 'operator') s.skippedSeq = event.seq
      s.endedAt = event.at
      return
    }
    case 'run-paused':
      state.status = 'paused'
      state.pauseReason = event.reason
      markStoppedPhases(state, 'paused')
      return
    case 'run-failed':
      state.status = 'failed'
      state.lastError = event.error
      markStoppedPhases(state, 'failed')
      return
    case 'run-completed':
      state.status = 'completed'
      return
    case 'run-abandoned':
      state.status = 'abandoned'
      state.pauseReason = undefined
      state.abandoned = { by: event.operator, reason: event.reason, at: event.at }
      return
    case 'rollback-started':
      state.status = 'rolling-back'
      state.rollback = { to: event.to, force: event.force, status: 'running', startedAt: event.at }
      revokeApprovalsPast(state, event.to)
      return
    case 'compensation-started':
      step(state, event.step).status = 'compensating'
      return
    case 'step-compensated':
    case 'manual-undo-confirmed': {
      // Undone: its undo data is spent, and applying it again records afresh what to undo next time.
      const s = step(state, event.step)
      s.status = 'compensated'
      s.undo = []
      s.plannedChanges = undefined
      if (s.outputs) s.undoneOutputs = s.outputs
      s.outputs = undefined
      return
    }
    case 'compensation-failed': {
      const s = step(state, event.step)
      s.status = 'applied'
      s.error = event.error
      state.status = 'failed'
      state.lastError = event.error
      return
    }
    case 'rollback-completed': {
      state.status = 'rolled-back'
      if (state.rollback) state.rollback.status = 'completed'
      // Phases after the rollback point are pending again, with no times from the attempt undone.
      const keep = event.to === 'start' ? 0 : state.completedPhases.indexOf(event.to) + 1
      state.completedPhases = state.completedPhases.slice(0, keep)
      for (const phase of Object.keys(state.phases))
        if (!state.completedPhases.includes(phase)) state.phases[phase] = { status: 'pending' }
      return
    }
    case 'lock-broken':
      state.warnings.push(
        `lock broken by ${event.by} at ${event.at}${event.stopped ? ` (its holder was stopped with ${event.stopped})` : ''}`,
      )
      return
    case 'journal-torn-line':
      state.warnings.push(`journal line ${event.line} was torn by a crash and ignored`)
      return
  }
}

/**
 * Whether rollback must consider a step: applied, being undone, or possibly part-way — undo data
 * recorded before a failure, a plan with changes recorded before a crash cut the apply off, or an
 * operator's skip ("it did act").
 */
export function mayHaveActed(s: StepState): boolean {
  if (s.status === 'applied' || s.status === 'compensating') return true
  if (s.status === 'skipped') return s.skippedFor === 'operator'
  if (s.status === 'failed') return s.undo.length > 0
  return s.status === 'running' && (s.undo.length > 0 || (s.changes?.length ?? 0) > 0)
}

/** Rollback undoes newest first: by when the step applied, was skipped, recorded undo data, or planned. */
export const undoOrder = (s: StepState): number =>
  s.appliedSeq ?? s.skippedSeq ?? s.undoSeq ?? s.plannedSeq ?? 0

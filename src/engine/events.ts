import type { ParamValue } from '../runbook/model.js'
import type { LoadSummary } from '../sandbox/load/tally.js'
import type { GrantedApproval, LeftApproval } from './approvals.js'

/** A planned change, as a step's `plan` reports it and the operator reads it. */
export interface Change {
  /** What kind of change: `update`, `create`, `delete`, `run` (a command), `wait`, `approve`. */
  action: string
  /** What it acts on: a record name, a host, a command line. */
  target: string
  /** One line an operator reads: "onprem 100 -> 90, aws 0 -> 10". */
  summary: string
  /** True when rollback cannot undo it and an operator must (shown as manual). */
  manualUndo?: boolean
}

/**
 * What a dry run found when it ran a read-only step's check against the world as it is today:
 * it passes, it would fail (and why), or it reads what earlier steps have yet to change.
 */
export type RehearsalCheck =
  | { result: 'passes' }
  | { result: 'would-fail'; reason: string; hint?: string }
  | { result: 'after'; steps: string[]; reason: string }

/** A command a step started, journaled before switchyard waits on it. */
export interface StartedCommand {
  /** The command line as the operator reads it (redacted). */
  command: string
  pid: number
  pgid: number
  /** The kernel's start time of `pid` (ticks after boot): a pid given to another process does not match. */
  startTime?: string
  /** The boot the start time counts from. */
  bootId?: string
}

/** How a command's process group ended: by itself, at SIGTERM, or only at SIGKILL. */
export type CommandEnd = 'exited' | 'terminated' | 'killed'

export interface Who {
  /** The name journaled: SWITCHYARD_OPERATOR, else the OS user. A label; it proves nothing. */
  operator: string
  /** The OS user this process runs as (os.userInfo()): what `approvers:` can trust. */
  osUser?: string
  host: string
  pid: number
  /** The AWS identity (STS caller ARN) when the runbook uses AWS. */
  awsIdentity?: string
}

export interface ErrorInfo {
  message: string
  hint?: string
}

/** What `switchyard drill` measured for its run: written once, after the drill's rollback. */
export interface DrillRecord {
  passed: boolean
  /** Why it did not pass, a line each (empty when it passed). */
  reasons: string[]
  /** injectedAt / detectedAt: ISO times on the drill's wall clock. */
  faults: { name: string; step: string; injectedAt?: string; detectedAt?: string }[]
  detection_ms: number | null
  /** Fault to all traffic back on-prem, as the sandbox's Route 53 answers (wall clock). */
  rto_ms: number | null
  rpo: { lost_commit_ms: number; lost_bytes: number; databases: Record<string, unknown>[] }
  /** Differences between the world before and after, a line each, outside what is kept on purpose. */
  world_diff: string[]
  kept: { path: string; why: string; paths: number }[]
  failed_requests: number | null
  total_requests: number | null
  /** Failed requests sent outside the fault's window (the fault to max(detection, RTO) plus one TTL). */
  failed_outside_window: number | null
  /** What the sandbox's customers saw from the fault to the end of the drill's rollback. */
  load?: LoadSummary
}

/** Every event a run's journal holds. `seq` and `at` are added by the journal. */
export type NewEvent =
  | ({
      type: 'run-started'
      runId: string
      /** `file` as the operator typed it; `path` absolute, so resume works from any folder. */
      runbook: { name: string; file: string; path: string; hash: string }
      params: Record<string, ParamValue>
      dryRun: boolean
      until?: string
    } & Who)
  | ({ type: 'run-resumed' } & Who)
  | { type: 'targets-resolved'; targets: Record<string, { instances: string[]; hosts: string[] }> }
  | { type: 'phase-started'; phase: string }
  | { type: 'phase-completed'; phase: string }
  | ({ type: 'approval-granted'; phase: string; step?: string } & GrantedApproval)
  | { type: 'step-started'; step: string; attempt: number }
  | { type: 'step-planned'; step: string; changes: Change[] }
  | { type: 'undo-recorded'; step: string; undo: unknown }
  | { type: 'step-checkpoint'; step: string; data: unknown }
  | { type: 'step-applied'; step: string; outputs: Record<string, unknown>; alreadyDone?: boolean }
  | { type: 'step-rehearsed'; step: string; outputs: Record<string, unknown>; check?: RehearsalCheck }
  | { type: 'step-failed'; step: string; attempt: number; error: ErrorInfo; willRetry: boolean }
  | {
      type: 'step-skipped'
      step: string
      reason: 'condition' | 'upstream' | 'operator'
      upstream?: string
      operator?: string
      note?: string
    }
  | { type: 'step-warning'; step: string; message: string }
  | { type: 'step-continued'; step: string }
  | ({ type: 'command-started'; step: string; host: string } & StartedCommand)
  | { type: 'command-ended'; step: string; pid: number; how: CommandEnd }
  | {
      type: 'command-survivor'
      step: string
      pid: number
      command: string
      /** wait: resume lets it finish (until `until`, its step's timeout); stop: rollback ends it first. */
      action: 'wait' | 'stop'
      until?: string
    }
  /** `leftApproval`: paused because the operator left an approval prompt unanswered (Ctrl-D, Ctrl-C). */
  | { type: 'run-paused'; reason: string; leftApproval?: LeftApproval }
  | { type: 'run-failed'; error: ErrorInfo }
  | { type: 'run-completed' }
  | ({ type: 'run-abandoned'; reason: string } & Who)
  | ({ type: 'rollback-started'; to: string; force: boolean } & Who)
  | { type: 'compensation-started'; step: string }
  | { type: 'step-compensated'; step: string }
  | { type: 'compensation-failed'; step: string; error: ErrorInfo }
  | ({ type: 'manual-undo-confirmed'; step: string } & GrantedApproval)
  | { type: 'rollback-completed'; to: string }
  | {
      type: 'lock-broken'
      by: string
      holder: unknown
      /** Set when `unlock --kill` stopped the holder first: the signal that ended it. */
      stopped?: 'SIGTERM' | 'SIGKILL'
    }
  | { type: 'journal-torn-line'; line: number }
  /** What the sandbox's customers saw during the run (`run --sandbox --load RPS`), journaled as the run ends. */
  | { type: 'sandbox-load'; summary: LoadSummary }
  | ({ type: 'drill-result' } & DrillRecord)

/**
 * `epoch`: the lease epoch of the writer (absent in a dry run's memory and in older journals).
 * `prev`: sha256 (hex) of the previous event's line as written, or for the first event of the pinned
 * runbook: the hash chain `verify` checks (absent in a dry run's memory and in older journals).
 */
export type JournalEvent = NewEvent & { seq: number; at: string; epoch?: number; prev?: string }

export type EventOf<T extends NewEvent['type']> = Extract<JournalEvent, { type: T }>

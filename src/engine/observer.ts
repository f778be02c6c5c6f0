import type { Runbook } from '../runbook/model.js'
import type { JournalEvent } from './events.js'
import type { RunState } from './state.js'

/** Progress and notices reach the screen but not the journal: they are not part of the run's truth. */
export type TransientEvent =
  | { type: 'step-progress'; step: string; percent?: number; message?: string; milestone?: boolean }
  | { type: 'notice'; level: 'info' | 'warning'; message: string }

export type EngineEvent = JournalEvent | TransientEvent

export interface RunOutcome {
  runId: string
  status: 'completed' | 'paused' | 'failed' | 'rolled-back' | 'rehearsed'
  exitCode: number
  /** One line: what happened. */
  message: string
  /** Commands the operator may run next, exactly as they would type them. */
  next: string[]
}

/**
 * How a run is shown: the engine calls it, never the other way round. Renderers (listr2 on a
 * terminal, a line per event in CI, NDJSON for --json) implement it; steps never see it.
 * Events arrive as they are journaled, in journal order; an event is on disk before any side
 * effect that follows it, but may reach the screen a moment before it reaches the disk.
 */
export interface Observer {
  start(runbook: Runbook, state: RunState): void
  event(event: EngineEvent): void
  finish(outcome: RunOutcome): Promise<void>
}

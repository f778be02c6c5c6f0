import type { Writable } from 'node:stream'
import { approvalProof } from '../engine/approvals.js'
import type { JournalEvent } from '../engine/events.js'
import type { EngineEvent, Observer, RunOutcome, TransientEvent } from '../engine/observer.js'
import { applyEvent, type RunState } from '../engine/state.js'
import type { Phase, Runbook } from '../runbook/model.js'
import { coloursFor } from './ansi.js'
import { doneBefore } from './done-before.js'
import type { PromptHost } from './prompt-host.js'
import { indexRunbook, type RunbookIndex } from './runbook-index.js'
import { between, clockTime, elapsed } from './time.js'
import {
  changeLine,
  errorText,
  outcomeLines,
  pointAtShownErrors,
  progressText,
  rehearsalCheckLines,
  skipMessage,
  survivorEndText,
  survivorText,
} from './wording.js'

export interface LinesRendererOptions {
  stream?: Writable & { isTTY?: boolean }
  env?: NodeJS.ProcessEnv
  /** The clock for transient events and the progress throttle (journal events carry their own time). */
  now?: () => Date
  /** At most one progress line per step in this many milliseconds. */
  progressEveryMs?: number
}

/** For CI and pipes: one timestamped line per event, progress throttled, no colour off a terminal. */
export function createLinesRenderer(options: LinesRendererOptions = {}): Observer & PromptHost {
  const stream = options.stream ?? process.stdout
  const paint = coloursFor(stream, options.env ?? process.env)
  const now = options.now ?? (() => new Date())
  const every = options.progressEveryMs ?? 5000
  let index: RunbookIndex | undefined
  const lastProgress = new Map<string, { at: number; text: string }>()
  const started = new Map<string, string>()
  /** Commands left running by a killed switchyard: their end is worth a line, others' is not. */
  const survivors = new Set<number>()
  /** Step errors already printed: later lines that quote one point at it instead. */
  const printed = new Set<string>()
  /** Every warning of this invocation, printed again in a summary at the end. */
  const warnings: string[] = []
  /** The run as the events tell it, to say which phases a stop or a rollback leaves as what. */
  let state: RunState | undefined
  let phases: Phase[] = []

  const label = (step: string) => index?.label(step) ?? step
  /** The first line is stamped; the rest (a plan's changes, the next commands) are indented under it. */
  const write = (at: Date, lines: string[], done?: () => void) => {
    const stamp = paint.dim(clockTime(at))
    const text = lines.map((line, i) => (i === 0 ? `${stamp} ${line}\n` : `         ${line}\n`)).join('')
    stream.write(text, done && (() => done()))
  }
  const withoutRepeats = (text: string) => pointAtShownErrors(text, printed)
  const journalTime = (at: string) => {
    const date = new Date(at)
    return Number.isNaN(date.getTime()) ? now() : date
  }

  const journalLines = (event: JournalEvent): string[] | undefined => {
    switch (event.type) {
      case 'run-started':
        return [
          `run ${event.runId} started by ${event.operator}@${event.host}${event.dryRun ? ', dry run: nothing will change' : ''}${event.until ? `, until ${event.until}` : ''}`,
        ]
      case 'run-resumed':
        return [`run resumed by ${event.operator}@${event.host}`]
      case 'phase-started': {
        const noReturn = index?.phase(event.phase)?.pointOfNoReturn
        return [`phase ${event.phase} started${noReturn ? ` ${paint.yellow('(point of no return)')}` : ''}`]
      }
      case 'phase-completed':
        return [paint.green(`phase ${event.phase} completed`)]
      case 'approval-granted':
        return [
          `${event.step ? `step ${label(event.step)}` : `phase ${event.phase}`} approved by ${event.operator} (${event.via}): ${event.reason}${approvalProof(event)}`,
        ]
      case 'step-started':
        started.set(event.step, started.get(event.step) ?? event.at)
        return [`${label(event.step)} started (attempt ${event.attempt}${maxAttempts(event.step)})`]
      case 'step-planned':
        return event.changes.length === 0
          ? [`${label(event.step)} planned: no change needed`]
          : [`${label(event.step)} planned:`, ...event.changes.map((c) => `  ${changeLine(c)}`)]
      case 'undo-recorded':
        return [paint.dim(`${label(event.step)} undo recorded`)]
      case 'step-applied': {
        const took = between(started.get(event.step), event.at)
        const notes = [event.alreadyDone ? 'already done' : '', took === undefined ? '' : elapsed(took)]
        const extra = notes.filter(Boolean).join(', ')
        return [`${label(event.step)} ${paint.green('applied')}${extra ? paint.dim(` (${extra})`) : ''}`]
      }
      case 'step-rehearsed': {
        if (!event.check) return [`${label(event.step)} ${paint.green('rehearsed')}`]
        const { verdict, detail } = rehearsalCheckLines(event.check, paint)
        return [
          `${label(event.step)} ${paint.green('rehearsed')}; ${verdict}`,
          ...detail.map((d) => `  ${d}`),
        ]
      }
      case 'step-failed': {
        if (!event.willRetry) printed.add(event.error.message)
        const text = `${label(event.step)} ${paint.red('failed')}: ${errorText(event.error)}`
        return [event.willRetry ? `${text} ${paint.yellow('(retrying)')}` : text]
      }
      case 'step-skipped':
        return [`${label(event.step)} ${paint.yellow(skipMessage(event))}`]
      case 'step-warning':
        warnings.push(`${label(event.step)}: ${event.message}`)
        return [`${label(event.step)} ${paint.yellow(`warning: ${event.message}`)}`]
      case 'step-continued':
        return [`${label(event.step)} ${paint.yellow('failed, continued')} (continue_on_error)`]
      case 'run-paused':
        return [...stoppedPhaseLines(), paint.yellow(`run paused: ${withoutRepeats(event.reason)}`)]
      case 'run-failed':
        return [...stoppedPhaseLines(), paint.red(`run failed: ${withoutRepeats(errorText(event.error))}`)]
      case 'run-completed':
        return [paint.green('run completed')]
      case 'rollback-started':
        return [
          paint.yellow(
            `rollback to ${event.to} started by ${event.operator}@${event.host}${event.force ? ' (forced)' : ''}`,
          ),
        ]
      case 'compensation-started':
        return [`${label(event.step)} undo started`]
      case 'step-compensated':
        return [`${label(event.step)} ${paint.green('undone')}`]
      case 'compensation-failed':
        return [`${label(event.step)} ${paint.red('undo failed')}: ${errorText(event.error)}`]
      case 'manual-undo-confirmed':
        return [`${label(event.step)} ${paint.green('undone by hand')}, confirmed by ${event.operator}`]
      case 'rollback-completed':
        return [
          ...phasesAfter(event.to).map((phase) => paint.yellow(`phase ${phase} rolled back`)),
          paint.green(`rollback to ${event.to} completed`),
        ]
      case 'lock-broken':
        return [paint.yellow(`warning: the run's lock was broken by ${event.by}`)]
      case 'journal-torn-line':
        return [paint.yellow(`warning: journal line ${event.line} was torn by a crash and ignored`)]
      case 'command-survivor':
        survivors.add(event.pid)
        return [paint.yellow(`warning: ${survivorText(event)}`)]
      case 'command-ended':
        return survivors.has(event.pid) ? [survivorEndText(event)] : undefined
      case 'command-started':
        return undefined
    }
  }

  /** A stopped run's open phase says how far it got, never that it completed. */
  const stoppedPhaseLines = (): string[] =>
    phases
      .filter((phase) => state?.phases[phase.id]?.status === 'running')
      .map((phase) => {
        const left = phase.steps.filter((s) => !doneBefore(state?.steps[s.id])).map((s) => s.id)
        const done = phase.steps.length - left.length
        return paint.yellow(
          `phase ${phase.id} stopped: ${done} of ${phase.steps.length} steps finished; not finished: ${left.join(', ')}`,
        )
      })

  /** Phases a rollback to `to` takes back: every one after it that had started. */
  const phasesAfter = (to: string): string[] => {
    const cut = to === 'start' ? 0 : phases.findIndex((p) => p.id === to) + 1
    return phases
      .slice(cut)
      .filter((p) => state?.phases[p.id] !== undefined)
      .map((p) => p.id)
  }

  const maxAttempts = (step: string) => {
    const attempts = index?.place(step)?.step.retry.attempts
    return attempts && attempts > 1 ? ` of ${attempts}` : ''
  }

  const transientLines = (event: TransientEvent, at: Date): string[] | undefined => {
    if (event.type === 'notice') {
      if (event.level === 'warning') warnings.push(event.message)
      return [
        event.level === 'warning'
          ? paint.yellow(`warning: ${withoutRepeats(event.message)}`)
          : withoutRepeats(event.message),
      ]
    }
    const text = progressText(event)
    const last = lastProgress.get(event.step)
    // A milestone is never throttled: it is a line the log must keep.
    const throttled = !event.milestone && last !== undefined && at.getTime() - last.at < every
    if (!text || text === last?.text || throttled) return undefined
    lastProgress.set(event.step, { at: at.getTime(), text })
    return [`${label(event.step)} ${paint.dim(text)}`]
  }

  return {
    start(runbook: Runbook, initial: RunState) {
      index = indexRunbook(runbook)
      state = structuredClone(initial)
      phases = runbook.phases
      const total = runbook.phases.reduce((n, p) => n + p.steps.length, 0)
      const done = Object.values(initial.steps).filter(doneBefore).length
      const resumed = done > 0 ? `, ${done} of ${total} steps already done` : ''
      write(now(), [
        paint.bold(
          `${runbook.name} (${runbook.file}): run ${initial.runId}, ${runbook.phases.length} phases, ${total} steps${resumed}`,
        ),
      ])
    },
    event(event: EngineEvent) {
      if ('seq' in event) {
        const lines = journalLines(event)
        if (state && event.type !== 'run-started') foldQuietly(state, event)
        if (lines) write(journalTime(event.at), lines)
        return
      }
      const at = now()
      const lines = transientLines(event, at)
      if (lines) write(at, lines)
    },
    async finish(outcome: RunOutcome) {
      const summary =
        warnings.length === 0
          ? []
          : [paint.yellow(`${warnings.length} warning(s):`), ...warnings.map((w) => paint.yellow(`  ${w}`))]
      await new Promise<void>((resolve) =>
        write(now(), [...summary, ...outcomeLines(outcome, paint)], resolve),
      )
    },
    prompt: (_about, ask) => ask(stream),
  }
}

/** A renderer folds the events to describe them; the engine's own fold has accepted each already. */
export function foldQuietly(state: RunState, event: JournalEvent): void {
  try {
    applyEvent(state, event)
  } catch {
    // A renderer must not be the one to fail.
  }
}

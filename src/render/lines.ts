import type { Writable } from 'node:stream'
import { approvalProof } from '../engine/approvals.js'
import type { JournalEvent } from '../engine/events.js'
import type { EngineEvent, Observer, RunOutcome, TransientEvent } from '../engine/observer.js'
import type { RunState } from '../engine/state.js'
import type { Runbook } from '../runbook/model.js'
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
      case 'step-continued':
        return [`${label(event.step)} ${paint.yellow('failed, continued')} (continue_on_error)`]
      case 'run-paused':
        return [paint.yellow(`run paused: ${withoutRepeats(event.reason)}`)]
      case 'run-failed':
        return [paint.red(`run failed: ${withoutRepeats(errorText(event.error))}`)]
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
        return [paint.green(`rollback to ${event.to} completed`)]
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

  const maxAttempts = (step: string) => {
    const attempts = index?.place(step)?.step.retry.attempts
    return attempts && attempts > 1 ? ` of ${attempts}` : ''
  }

  const transientLines = (event: TransientEvent, at: Date): string[] | undefined => {
    if (event.type === 'notice')
      return [
        event.level === 'warning'
          ? paint.yellow(`warning: ${withoutRepeats(event.message)}`)
          : withoutRepeats(event.message),
      ]
    const text = progressText(event)
    const last = lastProgress.get(event.step)
    if (!text || text === last?.text || (last && at.getTime() - last.at < every)) return undefined
    lastProgress.set(event.step, { at: at.getTime(), text })
    return [`${label(event.step)} ${paint.dim(text)}`]
  }

  return {
    start(runbook: Runbook, state: RunState) {
      index = indexRunbook(runbook)
      const total = runbook.phases.reduce((n, p) => n + p.steps.length, 0)
      const done = Object.values(state.steps).filter(doneBefore).length
      const resumed = done > 0 ? `, ${done} of ${total} steps already done` : ''
      write(now(), [
        paint.bold(
          `${runbook.name} (${runbook.file}): run ${state.runId}, ${runbook.phases.length} phases, ${total} steps${resumed}`,
        ),
      ])
    },
    event(event: EngineEvent) {
      if ('seq' in event) {
        const lines = journalLines(event)
        if (lines) write(journalTime(event.at), lines)
        return
      }
      const at = now()
      const lines = transientLines(event, at)
      if (lines) write(at, lines)
    },
    async finish(outcome: RunOutcome) {
      await new Promise<void>((resolve) => write(now(), outcomeLines(outcome, paint), resolve))
    },
    prompt: (_about, ask) => ask(stream),
  }
}

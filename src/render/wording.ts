import type { Change, EventOf, RehearsalCheck } from '../engine/events.js'
import type { RunOutcome } from '../engine/observer.js'
import type { Paint } from './ansi.js'
import { clockTime } from './time.js'

/** Why a step did not run, in the words every renderer uses; an upstream failure is named, not repeated. */
export function skipMessage(
  event: Pick<EventOf<'step-skipped'>, 'reason' | 'upstream' | 'operator' | 'note'>,
) {
  if (event.reason === 'upstream') return `skipped: upstream ${event.upstream ?? '(unknown)'} failed`
  if (event.reason === 'operator')
    return `skipped by ${event.operator ?? 'an operator'}${event.note ? `: ${event.note}` : ''}`
  return `skipped: condition was false${event.note ? ` (${event.note})` : ''}`
}

/** The same wording from a folded state's `skipReason` (a resumed run's earlier skips). */
export function skipMessageFromState(reason: string | undefined): string {
  if (!reason) return 'skipped'
  return reason.startsWith('skipped') ? reason : `skipped: ${reason}`
}

/** The summary is the operator's line ("onprem 100 -> 90, aws 0 -> 10"); action and target are for machines. */
export function changeLine(change: Change): string {
  return `${change.summary}${change.manualUndo ? '  [rollback: manual]' : ''}`
}

/** What a dry run's check found, first line then detail lines: the same words in every renderer. */
export function rehearsalCheckLines(
  check: RehearsalCheck,
  paint: Paint,
): { verdict: string; detail: string[] } {
  if (check.result === 'passes') return { verdict: paint.green('check passes today'), detail: [] }
  const reason = check.reason.split('\n')
  if (check.result === 'after') {
    const steps = check.steps.length === 1 ? `${check.steps[0]} acts` : `${check.steps.join(', ')} act`
    return {
      verdict: paint.yellow(`cannot be checked before ${steps}`),
      detail: [`today: ${reason[0]}`, ...reason.slice(1)],
    }
  }
  return {
    verdict: paint.red(`would fail today: ${reason[0]}`),
    detail: [...reason.slice(1), ...(check.hint ? [`hint: ${check.hint}`] : [])],
  }
}

export function progressText(progress: { percent?: number; message?: string }): string {
  const percent =
    progress.percent === undefined || !Number.isFinite(progress.percent)
      ? undefined
      : `${Math.round(progress.percent)}%`
  return [percent, progress.message].filter(Boolean).join(' ')
}

/** A command a killed switchyard left running, and what this invocation does about it. */
export function survivorText(event: EventOf<'command-survivor'>): string {
  const what = `step ${event.step}'s \`${event.command}\` (pid ${event.pid}) outlived the switchyard that started it`
  if (event.action === 'stop') return `${what}; stopping it before anything is undone`
  const until = event.until ? ` until ${clockTime(new Date(event.until))} (its step's timeout)` : ''
  return `${what}; waiting for it to end${until} before going on (Ctrl-C twice stops it)`
}

/** How a left-over command ended. */
export function survivorEndText(event: EventOf<'command-ended'>): string {
  const how = { exited: 'ended by itself', terminated: 'stopped (SIGTERM)', killed: 'killed (SIGKILL)' }
  return `step ${event.step}'s command (pid ${event.pid}) ${how[event.how]}`
}

export function errorText(error: { message: string; hint?: string }): string {
  return error.hint ? `${error.message} (hint: ${error.hint})` : error.message
}

/**
 * A run-level message (a pause reason, a notice) often quotes the step error that caused it; that
 * error is on screen already, where it happened, so the quote points there instead.
 */
export function pointAtShownErrors(text: string, shown: Iterable<string>): string {
  let result = text
  for (const message of shown) {
    if (!message) continue
    if (result.includes(`: ${message}`)) result = result.replace(`: ${message}`, ' (error above)')
    else if (result.includes(message)) result = result.replace(message, '(error above)')
  }
  return result
}

const OUTCOME_COLOUR: Record<RunOutcome['status'], keyof Paint> = {
  completed: 'green',
  rehearsed: 'green',
  paused: 'yellow',
  failed: 'red',
  'rolled-back': 'red',
}

/** The last thing a run prints: what happened, then the commands to type next, one per line. */
export function outcomeLines(outcome: RunOutcome, paint: Paint): string[] {
  const lines = [paint[OUTCOME_COLOUR[outcome.status]](outcome.message)]
  if (outcome.next.length > 0) lines.push('next:', ...outcome.next.map((command) => `  ${command}`))
  return lines
}

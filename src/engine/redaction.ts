import { SwitchyardError } from '../errors.js'
import type { ErrorInfo, NewEvent } from './events.js'
import type { EngineEvent, RunOutcome } from './observer.js'
import { encodedForms } from './secret-forms.js'

const MASK = '***'

const escapeForRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/**
 * Replaces secret values, in every form the CLI itself writes them (see secret-forms.ts), with `***`.
 * It works on values only: ids, keys, types and hashes are data and are never rewritten.
 */
export class Redactor {
  private readonly pattern: RegExp | undefined

  constructor(secrets: Iterable<string>) {
    const forms = [...new Set([...secrets].flatMap(encodedForms))]
    // Longest first: the regex takes the first alternative that matches, so overlaps go whole.
    forms.sort((a, b) => b.length - a.length)
    this.pattern = forms.length > 0 ? new RegExp(forms.map(escapeForRegExp).join('|'), 'g') : undefined
  }

  text(input: string): string {
    return this.pattern ? input.replace(this.pattern, MASK) : input
  }

  /** A copy with every string leaf redacted; object keys are left as they are. */
  leaves<T>(input: T): T {
    if (!this.pattern) return input
    return this.walk(input) as T
  }

  private walk(input: unknown): unknown {
    if (typeof input === 'string') return this.text(input)
    if (Array.isArray(input)) return input.map((item) => this.walk(item))
    if (input !== null && typeof input === 'object')
      return Object.fromEntries(Object.entries(input).map(([key, value]) => [key, this.walk(value)]))
    return input
  }

  private error(info: ErrorInfo): ErrorInfo {
    return { message: this.text(info.message), ...(info.hint ? { hint: this.text(info.hint) } : {}) }
  }

  /**
   * What the journal keeps: the free text a step or an error produced (outputs, planned changes,
   * error messages, pause reasons), redacted; everything else (ids, params, undo data) as it is.
   */
  forJournal<E extends NewEvent>(event: E): E {
    if (!this.pattern) return event
    const e = event as NewEvent
    switch (e.type) {
      case 'step-applied':
      case 'step-rehearsed':
        return { ...e, outputs: this.leaves(e.outputs) } as E
      case 'step-planned':
        return {
          ...e,
          changes: e.changes.map((c) => ({
            ...c,
            target: this.text(c.target),
            summary: this.text(c.summary),
          })),
        } as E
      case 'step-failed':
      case 'run-failed':
      case 'compensation-failed':
        return { ...e, error: this.error(e.error) } as E
      case 'run-paused':
        return { ...e, reason: this.text(e.reason) } as E
      case 'step-warning':
        return { ...e, message: this.text(e.message) } as E
      // A command line is text a step wrote: the journal holds it as the operator may read it.
      case 'command-started':
      case 'command-survivor':
        return { ...e, command: this.text(e.command) } as E
      default:
        return event
    }
  }

  /**
   * What a person sees (terminal, CI log, --json, notifications): the journal's redaction plus the
   * inputs an operator typed (params, approval reasons, notes) and undo data, redacted too. Ids stay
   * as written, so renderers still find the step or phase an event is about.
   */
  forDisplay<E extends EngineEvent>(event: E): E {
    if (!this.pattern) return event
    const e = event as EngineEvent
    switch (e.type) {
      case 'run-started':
        return { ...e, params: this.leaves(e.params) } as E
      case 'approval-granted':
      case 'manual-undo-confirmed':
      case 'run-abandoned':
        return { ...e, reason: this.text(e.reason) } as E
      case 'step-skipped':
        return (e.note === undefined ? e : { ...e, note: this.text(e.note) }) as E
      case 'undo-recorded':
        return { ...e, undo: this.leaves(e.undo) } as E
      case 'step-checkpoint':
        return { ...e, data: this.leaves(e.data) } as E
      case 'lock-broken':
        return { ...e, holder: this.leaves(e.holder) } as E
      case 'step-progress':
        return (e.message === undefined ? e : { ...e, message: this.text(e.message) }) as E
      case 'notice':
        return { ...e, message: this.text(e.message) } as E
      default:
        return this.forJournal(e as NewEvent) as E
    }
  }

  /** The outcome a command prints: its message may quote an error. */
  outcome(outcome: RunOutcome): RunOutcome {
    return { ...outcome, message: this.text(outcome.message) }
  }

  /** The same error, its message and hint redacted, before it leaves the engine to be printed. */
  thrown(error: unknown): unknown {
    if (!this.pattern || !(error instanceof Error)) return error
    error.message = this.text(error.message)
    if (error instanceof SwitchyardError && error.hint)
      Object.defineProperty(error, 'hint', { value: this.text(error.hint) })
    return error
  }
}

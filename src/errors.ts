/** Exit codes every command shares: see "Commands" in the design. */
export const ExitCode = {
  ok: 0,
  runFailed: 1,
  invalidInput: 2,
  refused: 3,
} as const

/** An error an operator can act on; carries the exit code the CLI ends with. */
export class SwitchyardError extends Error {
  readonly exitCode: number
  readonly hint: string | undefined

  constructor(message: string, options: { exitCode?: number; hint?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause })
    this.name = new.target.name
    this.exitCode = options.exitCode ?? ExitCode.runFailed
    this.hint = options.hint
  }
}

/** Bad input from the operator: a flag, a params file, a runbook. Exit 2, nothing done. */
export class InvalidInputError extends SwitchyardError {
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, { ...options, exitCode: ExitCode.invalidInput })
  }
}

/**
 * A step refused before it acted (a failed preflight, a value it cannot use): nothing was changed,
 * and another attempt would find the same, so it is never retried.
 */
export class RefusedBeforeActingError extends SwitchyardError {}

/**
 * A gate judged what the step did and said no (the step has already put things back where it could):
 * another attempt would send customers to what just failed, so it is never retried; an operator resumes.
 */
export class GateFailedError extends SwitchyardError {}

import { InvalidInputError, type SwitchyardError } from '../errors.js'
import { type Diagnostic, formatDiagnostic } from '../runbook/diagnostics.js'

/** A runbook (or its params) that did not load: every problem, as file:line:col. */
export class InvalidRunbookError extends InvalidInputError {
  constructor(
    readonly file: string,
    readonly diagnostics: readonly Diagnostic[],
  ) {
    const errors = diagnostics.filter((d) => d.severity === 'error').length
    super(`${errors} error${errors === 1 ? '' : 's'}: ${file} is not valid`)
  }
}

/** Whether the command line asked for JSON (before a `--` that ends the flags). */
export function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--')
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json')
}

/**
 * How every command ends with an error: in words on stderr (the hint says what to do next) and,
 * under --json, also as one line `{"error": {...}}` on stdout, so stdout is JSON whatever happened.
 */
export function reportError(error: SwitchyardError, json: boolean): void {
  const diagnostics = error instanceof InvalidRunbookError ? error.diagnostics : []
  const words =
    diagnostics.length > 0
      ? [...diagnostics.map(formatDiagnostic), error.message]
      : [`error: ${error.message}`]
  if (error.hint) words.push(`  hint: ${error.hint}`)
  process.stderr.write(`${words.join('\n')}\n`)
  if (!json) return
  const body = {
    message: error.message,
    ...(error.hint ? { hint: error.hint } : {}),
    exitCode: error.exitCode,
    ...(diagnostics.length > 0 ? { diagnostics } : {}),
  }
  process.stdout.write(`${JSON.stringify({ error: body })}\n`)
}

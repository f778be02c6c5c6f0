import { Command } from '@oclif/core'
import { ExitCode, SwitchyardError } from '../errors.js'
import { describeFsError, isDiskFull, isFsError } from '../fs-errors.js'
import { type Diagnostic, formatDiagnostic } from '../runbook/diagnostics.js'

/** Every command: SwitchyardErrors end with their own exit code and hint, never a stack trace. */
export abstract class SwitchyardCommand extends Command {
  protected override async catch(
    error: Error & { exitCode?: number; oclif?: { exit?: number } },
  ): Promise<unknown> {
    if (isFsError(error)) return this.catch(fileSystemError(error as NodeJS.ErrnoException))
    if (error instanceof SwitchyardError) {
      // oclif wraps what a flag's parser throws in "Parsing --flag … See more help"; ours names the flag itself.
      const message = error.message
        .replace(/^Parsing --[\w-]+ \n\t/, '')
        .replace(/\nSee more help with --help$/, '')
      process.stderr.write(`error: ${message}\n${error.hint ? `  hint: ${error.hint}\n` : ''}`)
      return this.exit(error.exitCode)
    }
    // oclif's own flag and argument errors are bad input: exit 2, as for every other bad input.
    if (error.oclif?.exit === undefined && /flag|argument|Missing|Unexpected/i.test(error.message))
      error.oclif = { exit: ExitCode.invalidInput }
    return super.catch(error)
  }

  /** Diagnostics go to stderr so that stdout stays clean for the command's own output. */
  protected printDiagnostics(diagnostics: readonly Diagnostic[]): void {
    if (diagnostics.length === 0) return
    process.stderr.write(`${diagnostics.map(formatDiagnostic).join('\n')}\n`)
  }

  protected printJson(value: unknown): void {
    process.stdout.write(`${JSON.stringify(value, null, 2)}\n`)
  }
}

/** A file system error no step or engine part turned into words: the path, the reason, what to do. */
function fileSystemError(error: NodeJS.ErrnoException): SwitchyardError {
  const where = error.path ? ` ${error.path}` : ''
  const full = isDiskFull(error)
  return new SwitchyardError(`cannot ${error.syscall ?? 'use'}${where}: ${describeFsError(error)}`, {
    exitCode: full ? ExitCode.runFailed : ExitCode.invalidInput,
    hint: full
      ? 'free space on that disk, then run the command again (switchyard status shows what a run recorded)'
      : 'check the path and its permissions (--state-dir names the folder switchyard writes to)',
    cause: error,
  })
}

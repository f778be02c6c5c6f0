import { Command } from '@oclif/core'
import { ExitCode, InvalidInputError, SwitchyardError } from '../errors.js'
import { describeFsError, isDiskFull, isFsError } from '../fs-errors.js'
import { invocation } from '../invocation.js'
import { type Diagnostic, formatDiagnostic } from '../runbook/diagnostics.js'
import { InvalidRunbookError, reportError, wantsJson } from './report-error.js'

/** Every command: errors end with their own exit code and hint, never a stack trace, and as JSON under --json. */
export abstract class SwitchyardCommand extends Command {
  protected override async catch(
    error: Error & { exitCode?: number; oclif?: { exit?: number }; code?: string },
  ): Promise<unknown> {
    if (isFsError(error)) return this.catch(fileSystemError(error as NodeJS.ErrnoException))
    if (error instanceof SwitchyardError) {
      // oclif wraps what a flag's parser throws in "Parsing --flag … See more help"; ours names the flag itself.
      error.message = error.message
        .replace(/^Parsing --[\w-]+ \n\t/, '')
        .replace(/\nSee more help with --help$/, '')
      reportError(error, wantsJson(this.argv))
      return this.exit(error.exitCode)
    }
    // this.exit() throws to end the command: it carries the code and has nothing to say.
    if (error.code === 'EEXIT') return super.catch(error)
    // oclif's own flag and argument errors are bad input: exit 2, said as every other bad input is.
    if ('parse' in error || /flag|argument|Missing|Unexpected|Expected/i.test(error.message))
      return this.catch(this.commandLineError(error.message))
    return super.catch(error)
  }

  /** Diagnostics go to stderr so that stdout stays clean for the command's own output. */
  protected printDiagnostics(diagnostics: readonly Diagnostic[]): void {
    if (diagnostics.length === 0) return
    process.stderr.write(`${diagnostics.map(formatDiagnostic).join('\n')}\n`)
  }

  /** The runbook a load produced, its warnings shown; a runbook that did not load ends the command (exit 2). */
  protected loaded<R>(result: { runbook?: R; diagnostics: readonly Diagnostic[] }, file: string): R {
    if (!result.runbook) throw new InvalidRunbookError(file, result.diagnostics)
    this.printDiagnostics(result.diagnostics)
    return result.runbook
  }

  protected printJson(value: unknown): void {
    process.stdout.write(`${JSON.stringify(value, null, 2)}\n`)
  }

  /** oclif's parse errors ("Nonexistent flag: --dry-rn\nSee more help with --help"), in our words. */
  private commandLineError(message: string): InvalidInputError {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: oclif colours its messages
    const [first = message, ...rest] = message.replace(/\x1b\[[0-9;]*m/g, '').split('\n')
    const detail = rest
      .filter((line) => line.trim() && !/See more help/i.test(line))
      .map((line) => line.trim().replace(/\s{2,}/g, ': '))
    const help = `${invocation()} ${this.id?.replaceAll(':', ' ') ?? ''} --help`.replace('  ', ' ')
    // "Missing 1 required arg:" is followed by what is missing: one sentence, then where to look.
    const lead = first.trim().replace(/^The following errors? occurred:/, '')
    const said = !lead || lead.endsWith(':') ? `${lead} ${detail.splice(0).join(', ')}`.trim() : lead
    return new InvalidInputError(said, { hint: [...detail, `${help} lists what it takes`].join('; ') })
  }
}

/** A file system error no step or engine part turned into words: the path, the reason, what to do. */
function fileSystemError(error: NodeJS.ErrnoException): SwitchyardError {
  const where = error.path ? ` ${error.path}` : ''
  const full = isDiskFull(error)
  return new SwitchyardError(`cannot ${error.syscall ?? 'use'}${where}: ${describeFsError(error)}`, {
    exitCode: full ? ExitCode.runFailed : ExitCode.invalidInput,
    hint: full
      ? `free space on that disk, then run the command again (${invocation()} status shows what a run recorded)`
      : 'check the path and its permissions (--state-dir names the folder switchyard writes to)',
    cause: error,
  })
}

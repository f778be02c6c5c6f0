import { resolve } from 'node:path'
import type { Result } from 'execa'
import { SwitchyardError } from '../../errors.js'
import type { StepContext } from '../contract.js'
import { type CommandSpec, displayCommand } from './command-line.js'
import { createLatestLine } from './latest-line.js'
import { createOutputTail } from './output-tail.js'
import {
  previousCommandEnded,
  type TrackedGroup,
  trackProcessGroup,
  usesProcessGroups,
} from './process-group.js'
import { bootId } from './process-table.js'
import { execFailure, spawnCommand } from './spawn.js'

export interface CommandResult extends Record<string, unknown> {
  exitCode: number
  stdout: string
  stderr: string
}

export interface RunOptions {
  successCodes?: number[]
  /** How long a stopped command has between SIGTERM and SIGKILL. */
  forceKillAfterMs?: number
}

const OUTPUT_LIMIT = 64 * 1024
const PROGRESS_EVERY_MS = 200
const FORCE_KILL_AFTER_MS = 5000
const ERROR_TAIL_LINES = 10
const MAX_LINE_SHOWN = 300

/**
 * Runs a command for a step: relative paths against the runbook's folder, output kept to its tail
 * and redacted, the last line shown as progress, and the whole process group stopped with the step.
 */
export async function runCommand(
  ctx: StepContext,
  spec: CommandSpec,
  options: RunOptions = {},
): Promise<CommandResult> {
  const line = ctx.redact(displayCommand(spec))
  const key = `${ctx.runId}/${ctx.stepId}`
  // A retry after a timeout never overlaps the attempt it replaces while that one is still stopping.
  await previousCommandEnded(key)
  if (ctx.signal.aborted) throw notStarted(line, ctx.signal.reason)
  const forceKillAfterMs = options.forceKillAfterMs ?? FORCE_KILL_AFTER_MS
  const cwd = spec.cwd === undefined ? ctx.workdir : resolve(ctx.workdir, spec.cwd)
  const command =
    !spec.shell && /^\.\.?\//.test(spec.command) ? resolve(ctx.workdir, spec.command) : spec.command

  const { subprocess, pid, startTime, release } = spawnCommand(spec, {
    program: command,
    cwd,
    signal: ctx.signal,
    graceMs: forceKillAfterMs,
  })

  const stdout = createOutputTail(OUTPUT_LIMIT)
  const stderr = createOutputTail(OUTPUT_LIMIT)
  const showLatest = throttledProgress(ctx)
  for (const [stream, tail] of [
    [subprocess.stdout, stdout],
    [subprocess.stderr, stderr],
  ] as const) {
    const latest = createLatestLine()
    stream?.on('data', (chunk: Buffer | string) => {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
      tail.write(bytes)
      const newest = latest.write(bytes)
      if (newest !== undefined) showLatest(newest)
    })
  }

  const group: TrackedGroup | undefined =
    usesProcessGroups && pid !== undefined ? trackProcessGroup(pid, key, forceKillAfterMs) : undefined
  const stopGroup = () => void group?.end()
  ctx.signal.addEventListener('abort', stopGroup, { once: true })
  let result: Result
  try {
    const journaled =
      group &&
      (await ctx.recordCommand({
        command: line,
        pid: group.pgid,
        pgid: group.pgid,
        ...(startTime ? { startTime } : {}),
        ...(bootId() ? { bootId: bootId() } : {}),
      }))
    release()
    result = await subprocess
    // Whatever the command left in its group ends with it: nothing it started outlives the step.
    const how = await group?.end()
    if (how) journaled?.ended(how)
  } finally {
    ctx.signal.removeEventListener('abort', stopGroup)
    await group?.end()
    showLatest.cancel()
  }

  const output = { stdout: stdout.text(ctx.redact), stderr: stderr.text(ctx.redact) }
  if (ctx.signal.aborted && result.failed) throw stopped(line, ctx.signal.reason)
  const cannotRun = execFailure(result.exitCode, output.stderr)
  if (result.exitCode === undefined || cannotRun !== undefined)
    throw notFinished(ctx, line, result, output.stderr, cwd, cannotRun)
  const successCodes = options.successCodes ?? [0]
  if (!successCodes.includes(result.exitCode)) {
    const expected = options.successCodes ? ` (success: ${successCodes.join(', ')})` : ''
    throw new SwitchyardError(
      `\`${line}\` exited with code ${result.exitCode}${expected}${outputEnd(output)}`,
    )
  }
  return { exitCode: result.exitCode, ...output }
}

function throttledProgress(ctx: StepContext): ((line: string) => void) & { cancel(): void } {
  let last = 0
  let waiting: string | undefined
  let timer: NodeJS.Timeout | undefined
  const send = (line: string) => {
    last = Date.now()
    waiting = undefined
    ctx.progress({ message: ctx.redact(line).slice(0, MAX_LINE_SHOWN) })
  }
  const show = (line: string) => {
    const wait = last + PROGRESS_EVERY_MS - Date.now()
    if (wait <= 0) return send(line)
    waiting = line
    timer ??= setTimeout(() => {
      timer = undefined
      if (waiting !== undefined) send(waiting)
    }, wait)
  }
  return Object.assign(show, { cancel: () => clearTimeout(timer) })
}

/** The last lines of stderr (or of stdout when stderr is empty), for an error message. */
function outputEnd(output: { stdout: string; stderr: string }): string {
  const [name, text] = output.stderr.trim() ? ['stderr', output.stderr] : ['stdout', output.stdout]
  const lines = text.trimEnd().split('\n').slice(-ERROR_TAIL_LINES)
  if (lines.join('').trim() === '') return ''
  const shown = lines.map((l) => `  ${l.length > MAX_LINE_SHOWN ? `${l.slice(0, MAX_LINE_SHOWN)}…` : l}`)
  return `; ${name} ends with:\n${shown.join('\n')}`
}

const reasonText = (reason: unknown) =>
  reason instanceof Error ? reason.message : String(reason ?? 'aborted')

function stopped(line: string, reason: unknown): SwitchyardError {
  return new SwitchyardError(
    `\`${line}\` was stopped (${reasonText(reason)}); its processes were terminated`,
    {
      cause: reason,
    },
  )
}

function notStarted(line: string, reason: unknown): SwitchyardError {
  return new SwitchyardError(`\`${line}\` was not started (${reasonText(reason)})`, { cause: reason })
}

function notFinished(
  ctx: StepContext,
  line: string,
  result: Result,
  stderr: string,
  cwd: string,
  cannotRun: string | undefined,
): SwitchyardError {
  if (result.signal !== undefined && cannotRun === undefined)
    return new SwitchyardError(
      `\`${line}\` was killed by ${result.signal}${outputEnd({ stdout: '', stderr })}`,
    )
  const reason = ctx.redact(cannotRun ?? (result.originalMessage || result.shortMessage || 'unknown error'))
  return new SwitchyardError(`\`${line}\` could not start: ${reason}`, {
    hint: `it runs in ${cwd}; a command starting with ./ or ../ is found from the runbook's folder, ${ctx.workdir}`,
  })
}

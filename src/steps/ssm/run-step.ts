import { SwitchyardError } from '../../errors.js'
import { parseDuration } from '../../runbook/duration.js'
import type { StepContext, StepImplementation } from '../contract.js'
import { type InstanceResult, isTerminal, readInvocations } from './invocations.js'
import { DEFAULT_DOCUMENT, type SsmRunParams, timeoutSeconds, usesScript } from './run.js'
import { scriptPrologue } from './script-prologue.js'
import { type CommandRequest, sendCommands } from './send-commands.js'

const DEFAULT_POLL = '5s'
const LISTED_FAILURES = 20

/** The undo data ssm.run records: the rollback script itself is in the params. */
const ROLLBACK_MARKER = { rollback: true } as const

const isRollbackMarker = (undo: unknown) =>
  typeof undo === 'object' && undo !== null && (undo as { rollback?: unknown }).rollback === true

const firstLine = (script: string) => script.trim().split('\n')[0]?.trim() ?? ''

function requestFor(ctx: StepContext, p: SsmRunParams, document: string, script?: string): CommandRequest {
  const seconds = p.timeout === undefined ? undefined : timeoutSeconds(p.timeout)
  const parameters: Record<string, string[]> = { ...p.parameters }
  if (usesScript(document) && script !== undefined) {
    parameters.commands = [...scriptPrologue(document, p.values), script]
    if (seconds !== undefined) parameters.executionTimeout = [String(seconds)]
  }
  return {
    document,
    parameters,
    comment: `switchyard ${ctx.runId} ${ctx.stepId}`.slice(0, 100),
    ...(p.max_concurrency !== undefined ? { maxConcurrency: String(p.max_concurrency) } : {}),
    ...(p.max_errors !== undefined ? { maxErrors: String(p.max_errors) } : {}),
    // Run-script documents time out each instance with executionTimeout; for any other document the
    // command's own timeout is the only one SSM takes (30 s at least).
    ...(seconds !== undefined && !usesScript(document) ? { timeoutSeconds: Math.max(30, seconds) } : {}),
  }
}

const tally = (results: Map<string, InstanceResult>) => {
  let done = 0
  let failed = 0
  for (const result of results.values())
    if (isTerminal(result)) {
      done++
      if (result.status !== 'Success') failed++
    }
  return { done, failed }
}

/** Sends the command to every instance in batches of 50 and polls until every run has ended. */
async function runEverywhere(
  ctx: StepContext,
  p: SsmRunParams,
  request: CommandRequest,
): Promise<{ results: Map<string, InstanceResult>; commandIds: string[] }> {
  const ssm = await ctx.aws.ssm()
  const redact = (text: string) => ctx.redact(text)
  const sent = await sendCommands(ssm, p.instances, request, ctx.signal)
  const commandIds = sent.map((s) => s.commandId)
  const results = new Map<string, InstanceResult>()
  const which = `command ${commandIds[0]}${commandIds.length > 1 ? ` and ${commandIds.length - 1} more` : ''}`
  const every = parseDuration(p.poll ?? DEFAULT_POLL)
  const total = p.instances.length
  const stopped = (error: unknown) => {
    const { done, failed } = tally(results)
    return new SwitchyardError(
      `stopped waiting for ${request.document} at ${done}/${total} done, ${failed} failed; the commands keep running on AWS (command ${commandIds.join(', ')})`,
      {
        cause: error,
        hint: `follow them with: aws ssm list-command-invocations --details --command-id ${commandIds[0]}`,
      },
    )
  }
  for (;;) {
    try {
      for (const batch of sent) {
        if (batch.instances.every((id) => isTerminal(results.get(id)))) continue
        for (const [id, result] of await readInvocations(ssm, batch.commandId, redact, ctx.signal))
          results.set(id, result)
      }
    } catch (error) {
      if (ctx.signal.aborted) throw stopped(error)
      throw error
    }
    const { done, failed } = tally(results)
    // The engine's timeout message quotes the last progress: it must say the commands outlive us.
    ctx.progress({
      percent: Math.floor((done / total) * 100),
      message: `${done}/${total} done, ${failed} failed; SSM keeps running them if this stops (${which})`,
    })
    if (done === total) return { results, commandIds }
    try {
      await ctx.sleep(every)
    } catch (error) {
      throw stopped(error)
    }
  }
}

function failureOf(document: string, results: Map<string, InstanceResult>): SwitchyardError | undefined {
  const failed = [...results].filter(([, r]) => r.status !== 'Success')
  if (failed.length === 0) return undefined
  const lines = failed.slice(0, LISTED_FAILURES).map(([id, r]) => {
    const tail = r.output.length > 400 ? `…${r.output.slice(-400)}` : r.output
    return `  ${id}: ${r.status}, exit code ${r.exitCode}${tail ? `\n    ${tail.replace(/\n/g, '\n    ')}` : ''}`
  })
  if (failed.length > LISTED_FAILURES) lines.push(`  and ${failed.length - LISTED_FAILURES} more`)
  return new SwitchyardError(
    `${document} failed on ${failed.length} of ${results.size} instances:\n${lines.join('\n')}`,
    {
      hint: "each instance's status, exit code and output tail are above; the full output is in SSM Run Command",
    },
  )
}

async function runAndCheck(ctx: StepContext, p: SsmRunParams, request: CommandRequest) {
  const { results, commandIds } = await runEverywhere(ctx, p, request)
  const failure = failureOf(request.document, results)
  if (failure) throw failure
  return { instances: Object.fromEntries(results), commands: commandIds }
}

// A dry run only plans; reaching here in one is a bug to stop loudly before anything is sent.
function refuseDryRun(ctx: StepContext, document: string): void {
  if (ctx.dryRun)
    throw new SwitchyardError(`refusing to send ${document} in a dry run`, {
      hint: 'a dry run only plans ssm.run steps; this is a bug in switchyard',
    })
}

export const ssmRunStep: StepImplementation<SsmRunParams> = {
  async plan(ctx, p) {
    const document = p.document ?? DEFAULT_DOCUMENT
    const count = p.instances.length === 1 ? '1 instance' : `${p.instances.length} instances`
    const what = p.script !== undefined ? `: ${ctx.redact(firstLine(p.script))}` : ''
    const change = { action: 'run', target: count, summary: `run ${document} on ${count}${what}` }
    return { changes: [p.rollback ? change : { ...change, manualUndo: true }] }
  },

  async apply(ctx, p) {
    const document = p.document ?? DEFAULT_DOCUMENT
    refuseDryRun(ctx, document)
    if (p.rollback) await ctx.recordUndo(ROLLBACK_MARKER)
    return runAndCheck(ctx, p, requestFor(ctx, p, document, p.script))
  },

  async check(ctx, p) {
    const document = p.document ?? DEFAULT_DOCUMENT
    if (!p.idempotent)
      throw new SwitchyardError(
        `ssm.run of ${document} cannot serve as a check: it is not marked idempotent`,
        {
          hint: 'set idempotent: true on the ssm.run step if running it repeatedly is safe',
        },
      )
    await runAndCheck(ctx, p, requestFor(ctx, p, document, p.script))
  },

  describeUndo(p, undo) {
    if (!undo.some(isRollbackMarker) || !p.rollback) return []
    const document = p.rollback.document ?? p.document ?? DEFAULT_DOCUMENT
    return [`run the rollback script on ${p.instances.length} instance(s) through SSM (${document})`]
  },

  async compensate(ctx, p, undo) {
    if (!undo.some(isRollbackMarker)) return
    if (!p.rollback) throw new SwitchyardError('this ssm.run has no rollback script; undo it by hand')
    const document = p.rollback.document ?? p.document ?? DEFAULT_DOCUMENT
    refuseDryRun(ctx, document)
    await runAndCheck(ctx, p, requestFor(ctx, p, document, p.rollback.script))
  },
}

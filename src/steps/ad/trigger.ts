import { GetCommandInvocationCommand, type SSMClient } from '@aws-sdk/client-ssm'
import { SwitchyardError } from '../../errors.js'
import type { StepContext } from '../contract.js'
import { sendCommands } from '../ssm/send-commands.js'
import {
  describeLink,
  ENTRA_WAIT_SECONDS,
  type EntraReport,
  entraDeltaScript,
  isFailing,
  parseShowrepl,
  type RepadminReport,
  readReport,
  repadminScript,
} from './repadmin.js'

export type TriggerMethod = 'repadmin' | 'entra-delta'

const DOCUMENT = 'AWS-RunPowerShellScript'
const TERMINAL = new Set(['Success', 'Failed', 'TimedOut', 'Cancelled', 'Cancelling'])
const LISTED = 20

/** What the trigger found on each instance, for the step's outputs. */
export interface TriggerResult {
  method: TriggerMethod
  command: string
  instances: Record<string, { links?: number; failing?: string[]; scheduler?: EntraReport['scheduler'] }>
}

/** The full stdout of one instance's run (GetCommandInvocation keeps up to 24,000 characters). */
async function invocationOf(ssm: SSMClient, commandId: string, instanceId: string, signal: AbortSignal) {
  try {
    const answer = await ssm.send(
      new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId }),
      { abortSignal: signal },
    )
    return {
      status: answer.Status ?? 'Pending',
      stdout: answer.StandardOutputContent ?? '',
      stderr: answer.StandardErrorContent ?? '',
    }
  } catch (error) {
    // Just after SendCommand the invocation may not exist yet.
    if ((error as { name?: string }).name === 'InvocationDoesNotExist')
      return { status: 'Pending', stdout: '', stderr: '' }
    throw error
  }
}

/** Runs the trigger script on every instance, waits for it, and fails listing every reported failure. */
export async function triggerReplication(
  ctx: StepContext,
  trigger: { instances: string[]; method?: TriggerMethod },
  pollMs: number,
): Promise<TriggerResult> {
  const method = trigger.method ?? 'repadmin'
  const ssm = await ctx.aws.ssm()
  const script = method === 'repadmin' ? repadminScript() : entraDeltaScript()
  const [sent] = await sendCommands(
    ssm,
    trigger.instances,
    {
      document: DOCUMENT,
      parameters: { commands: [script], executionTimeout: [String(ENTRA_WAIT_SECONDS + 300)] },
      comment: `switchyard ${ctx.runId} ${ctx.stepId} ad.sync ${method}`.slice(0, 100),
    },
    ctx.signal,
  )
  if (!sent) throw new SwitchyardError('ad.sync trigger: SSM sent no command')
  const what = method === 'repadmin' ? 'repadmin /syncall /AdeP' : 'Start-ADSyncSyncCycle -PolicyType Delta'
  const runs = new Map<string, { status: string; stdout: string; stderr: string }>()
  for (;;) {
    for (const id of trigger.instances) {
      if (TERMINAL.has(runs.get(id)?.status ?? '')) continue
      runs.set(id, await invocationOf(ssm, sent.commandId, id, ctx.signal))
    }
    const done = [...runs.values()].filter((r) => TERMINAL.has(r.status)).length
    ctx.progress({
      message: `${what}: ${done}/${trigger.instances.length} done (SSM command ${sent.commandId})`,
    })
    if (done === trigger.instances.length) break
    await ctx.sleep(pollMs)
  }

  const failures: string[] = []
  const result: TriggerResult = { method, command: sent.commandId, instances: {} }
  for (const [id, run] of runs) {
    const report = readReport(run.stdout)
    if (run.status !== 'Success' || !report) {
      const tail = ctx.redact(`${run.stdout}\n${run.stderr}`.trim()).slice(-400)
      failures.push(
        `${id}: ${run.status}${report ? '' : ', no SWITCHYARD-AD line in its output'}${tail ? `: ${tail}` : ''}`,
      )
      continue
    }
    if (report.method === 'repadmin') failures.push(...repadminFailures(id, report, result))
    else failures.push(...entraFailures(id, report, result))
  }
  if (failures.length > 0) {
    const listed = failures.slice(0, LISTED).map((f) => `  ${f}`)
    if (failures.length > LISTED) listed.push(`  and ${failures.length - LISTED} more`)
    throw new SwitchyardError(
      `${what} reported failures (SSM command ${sent.commandId}):\n${listed.join('\n')}`,
      {
        hint:
          method === 'repadmin'
            ? 'fix the failing links (repadmin /showrepl shows them on the DC), then run the step again'
            : 'run the cycle on the active (non-staging) Entra Connect server, or wait for the running one to end',
      },
    )
  }
  return result
}

function repadminFailures(id: string, report: RepadminReport, result: TriggerResult): string[] {
  if (report.error) return [`${id}: repadmin did not run: ${report.error}`]
  const links = parseShowrepl(report.showrepl ?? '')
  const failing = links.filter(isFailing).map(describeLink)
  result.instances[id] = { links: links.length, failing }
  if (links.length === 0)
    return [
      `${id}: repadmin /showrepl printed no replication links: ${(report.showrepl ?? '').trim().slice(-300)}`,
    ]
  const failures = failing.map((f) => `${id}: ${f}`)
  if (failing.length === 0 && report.syncall_exit !== 0)
    failures.push(
      `${id}: repadmin /syncall exited ${report.syncall_exit}: ${(report.syncall ?? '').trim().slice(-400)}`,
    )
  return failures
}

function entraFailures(id: string, report: EntraReport, result: TriggerResult): string[] {
  result.instances[id] = { scheduler: report.scheduler }
  if (report.error) return [`${id}: the Entra Connect sync cycle failed: ${report.error}`]
  if (report.refused || report.scheduler?.staging)
    return [`${id}: refused: Entra Connect is in staging mode here (it imports and syncs but never exports)`]
  if (report.scheduler?.in_progress)
    return [`${id}: the delta sync cycle was still running after ${ENTRA_WAIT_SECONDS}s`]
  return []
}

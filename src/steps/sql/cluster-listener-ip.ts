import { SwitchyardError } from '../../errors.js'
import type { StepContext } from '../contract.js'
import { type InstanceResult, isTerminal, readInvocations } from '../ssm/invocations.js'
import { sendCommands } from '../ssm/send-commands.js'
import { type ListenerIpQuery, listenerIpRemovalScript, parseListenerIpReport } from './cluster-script.js'

const DOCUMENT = 'AWS-RunPowerShellScript'
const EXECUTION_TIMEOUT_S = 120
const POLL_MS = 1_000
/** ListCommandInvocations' plugin output: stdout, then the agent's separator, then stderr. */
const STDERR_SEPARATOR = '\n----------ERROR-------\n'

const tail = (text: string, max = 400) => {
  const trimmed = text.trim()
  return trimmed.length > max ? `…${trimmed.slice(-max)}` : trimmed
}

/** A PowerShell single-quoted literal: quotes (and the curly ones PowerShell also reads as quotes) doubled. */
const psQuote = (value: string) => `'${value.replace(/['\u2018\u2019\u201A\u201B]/g, (c) => c + c)}'`

/** The command the operator runs by hand on a cluster node when switchyard could not. */
export const manualRemoval = (q: ListenerIpQuery) =>
  `on a node of the cluster: Import-Module FailoverClusters; Get-ClusterGroup -Name ${psQuote(q.ag)} | Get-ClusterResource | Where-Object { $_.ResourceType.Name -eq 'IP Address' -and ($_ | Get-ClusterParameter -Name Address).Value -eq ${psQuote(q.ip)} }, take it out of the ${psQuote(q.listener)} network name's dependencies (Set-ClusterResourceDependency), then Remove-ClusterResource -Force it`

/** Why a node could not take the command at all, so the next node is worth trying; undefined when it ran. */
function undelivered(error: unknown): string | undefined {
  const name = (error as { name?: string }).name
  // SendCommand refuses instances that are not online in SSM (agent stopped, instance stopped, no route).
  return name === 'InvalidInstanceId' && error instanceof Error ? error.message : undefined
}

// Unverified: that an Undeliverable / DeliveryTimedOut / Terminated invocation ends with ResponseCode -1
// (the script never ran); a run that printed anything is never retried elsewhere.
const neverRan = (r: InstanceResult) => r.status !== 'Success' && r.exitCode === -1 && r.output.trim() === ''

/** Sends the script to one node and waits for its run to end, or says why SSM could not deliver it. */
async function runOn(
  ctx: StepContext,
  instance: string,
  script: string,
): Promise<InstanceResult | { undelivered: string }> {
  const ssm = await ctx.aws.ssm()
  let commandId: string
  try {
    const [sent] = await sendCommands(
      ssm,
      [instance],
      {
        document: DOCUMENT,
        parameters: { commands: [script], executionTimeout: [String(EXECUTION_TIMEOUT_S)] },
        comment: `switchyard ${ctx.runId} ${ctx.stepId} cluster listener IP`.slice(0, 100),
      },
      ctx.signal,
    )
    if (!sent) throw new Error(`SSM sent no command to ${instance}`)
    commandId = sent.commandId
  } catch (error) {
    const why = undelivered(error)
    if (why !== undefined) return { undelivered: why }
    throw error
  }
  const deadline = Date.now() + (EXECUTION_TIMEOUT_S + 60) * 1000
  for (;;) {
    const result = (await readInvocations(ssm, commandId, (t) => ctx.redact(t), ctx.signal)).get(instance)
    if (result && isTerminal(result))
      return neverRan(result) ? { undelivered: `SSM says ${result.status} (command ${commandId})` } : result
    if (Date.now() > deadline)
      throw new SwitchyardError(
        `removing listener IP through the cluster on ${instance} did not finish (SSM command ${commandId})`,
        { hint: `follow it with: aws ssm list-command-invocations --details --command-id ${commandId}` },
      )
    await ctx.sleep(POLL_MS)
  }
}

/**
 * Removes a listener IP through the Windows failover cluster (T-SQL cannot): runs the marker script on
 * the first node, trying the next only when SSM could not deliver it. Fails naming the node, the
 * listener, the IP and what the script said, with the manual command as the hint.
 */
export async function removeListenerIpThroughCluster(
  ctx: StepContext,
  nodes: readonly string[],
  query: ListenerIpQuery,
): Promise<'removed' | 'already_absent'> {
  const script = listenerIpRemovalScript(query)
  const what = `listener IP ${query.ip} of ${query.listener}`
  const unreachable: string[] = []
  for (const node of nodes) {
    ctx.progress({ message: `removing ${what} through the cluster on ${node}` })
    const result = await runOn(ctx, node, script)
    if ('undelivered' in result) {
      unreachable.push(`${node}: ${result.undelivered}`)
      continue
    }
    const [stdout = '', stderr = ''] = result.output.split(STDERR_SEPARATOR)
    try {
      const outcome = parseListenerIpReport(stdout)
      if (result.status !== 'Success') throw new Error(`ended ${result.status}, exit code ${result.exitCode}`)
      return outcome
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error)
      const said = tail(stderr)
      throw new SwitchyardError(
        `could not remove ${what} through the cluster on ${node}: the script ${why}${said ? `; stderr: ${said}` : ''}`,
        { cause: error, hint: manualRemoval(query) },
      )
    }
  }
  throw new SwitchyardError(
    `could not remove ${what}: no cluster node took the command:\n${unreachable.map((u) => `  ${u}`).join('\n')}`,
    { hint: `check the SSM agent on the nodes in cluster_node.instances, or ${manualRemoval(query)}` },
  )
}

// The Windows failover cluster behind the sandbox's SQL Servers, for the sandbox's SSM: answers the script
// sql.add-replica's rollback sends (recognised by its marker line) by removing the listener IP from the
// SQL world, and prints the line the real script prints.
import { CLUSTER_RESULT_PREFIX, listenerIpQueryInScript } from '../../steps/sql/cluster-script.js'
import type { CommandResponder, CommandResult } from '../aws/ssm/world.js'
import type { SqlWorld } from '../sql/world.js'

const DURATION_MS = 200

/**
 * Answers the cluster listener-IP script on `nodes` (the instance ids that are WSFC nodes); any other
 * command, or the script on another instance, passes through. Register with `world.ssm.respond(...)`.
 */
export function clusterResponder(world: SqlWorld, nodes: readonly string[]): CommandResponder {
  return (instanceId, document, parameters) => {
    if (document !== 'AWS-RunPowerShellScript' || !nodes.includes(instanceId)) return undefined
    const query = listenerIpQueryInScript((parameters.commands ?? []).join('\n'))
    if (!query) return undefined
    let report: Record<string, unknown>
    try {
      const outcome = world.removeListenerIp(query.ag, query.listener, query.ip)
      report = { v: 1, [outcome]: true }
    } catch (error) {
      report = { v: 1, error: error instanceof Error ? error.message : String(error) }
    }
    const result: CommandResult = {
      stdout: `${CLUSTER_RESULT_PREFIX}${JSON.stringify(report)}\r\n`,
      exitCode: 0,
      durationMs: DURATION_MS,
    }
    return result
  }
}

import type { SqlConnection } from '../../clients/sql.js'
import { type ClusterTypeFacts, clusterTypeOf } from './cluster-type.js'
import { sameName, unsupportedVersion } from './common.js'
import type { Report } from './preflight-report.js'
import { CLUSTER, type ClusterRow, type InstanceRow } from './queries.js'

/**
 * Both instances run a release switchyard supports, and the same one. False when either is unsupported: the other
 * checks' queries are written for 2016–2022 and would only fail with Msg 207/208 there.
 */
export function versionChecks(
  report: Report,
  pi: InstanceRow,
  ri: InstanceRow,
  on: { P: string; T: string },
): boolean {
  const unsupported = [
    [pi, on.P],
    [ri, on.T],
  ].flatMap(([i, where]) => {
    const why = unsupportedVersion(i as InstanceRow)
    return why ? [{ why, where: where as string }] : []
  })
  for (const u of unsupported) report.fail('version', u.where, u.why)
  if (unsupported.length > 0) return false
  if (pi.major === ri.major)
    report.pass('version', on.T, `SQL Server ${ri.product_version}, the same major version as the primary`)
  else
    report.fail(
      'version',
      on.T,
      `major version ${ri.major} vs the primary's ${pi.major}: a replica of another major version cannot join; that needs a distributed availability group`,
    )
  return true
}

/** Reports the AG's cluster type and what switchyard will do with it, and the WSFC membership that type needs. */
export async function clusterChecks(
  report: Report,
  primary: SqlConnection,
  replica: SqlConnection,
  ag: string,
  pi: InstanceRow,
  on: { P: string; T: string },
): Promise<ClusterTypeFacts> {
  const facts = await clusterTypeOf(primary, ag, pi.major)
  if (facts.refusal) report.fail('cluster type', on.P, `${ag} is ${facts.type}: ${facts.refusal}`)
  else
    report.pass(
      'cluster type',
      on.P,
      `${ag} is ${facts.type}${facts.joinOption ? `; the replica joins ${facts.joinOption}` : ''}; failover: ${facts.failover}`,
    )
  if (!facts.needsWsfcNode) return facts
  const [[pc], [rc]] = await Promise.all([
    primary.read<ClusterRow>(CLUSTER),
    replica.read<ClusterRow>(CLUSTER),
  ])
  if (!pc) report.fail('cluster', on.P, 'the primary is in no Windows Server failover cluster')
  else if (!rc) report.fail('cluster', on.T, `not a node of the cluster ${pc.cluster_name}`)
  else if (!sameName(pc.cluster_name, rc.cluster_name))
    report.fail(
      'cluster',
      on.T,
      `in cluster ${rc.cluster_name}, outside the AG's cluster ${pc.cluster_name}: add the node to ${pc.cluster_name}, or use a distributed AG`,
    )
  else report.pass('cluster', on.T, `node of ${rc.cluster_name} (quorum ${rc.quorum_state_desc})`)
  return facts
}

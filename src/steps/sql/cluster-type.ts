import type { SqlConnection } from '../../clients/sql.js'
import { AG_CLUSTER_TYPE, type AgClusterTypeRow } from './queries.js'

/**
 * What each availability group cluster type means for a cutover, from Microsoft's pages (ALTER AVAILABILITY GROUP,
 * "Operate HA availability group for SQL Server on Linux", "Configure read-scale availability groups"). One place,
 * so preflight, add-replica and failover agree.
 */
export type ClusterType = 'WSFC' | 'EXTERNAL' | 'NONE'

/** sys.availability_groups.cluster_type_desc exists from SQL Server 2017 (14); every 2016 AG is a WSFC one. */
export const CLUSTER_TYPE_SINCE_MAJOR = 14

export interface ClusterTypeFacts {
  type: ClusterType
  /** A new replica must be a node of the primary's Windows Server failover cluster. */
  needsWsfcNode: boolean
  /** What a secondary sends to join (JOIN WITH (CLUSTER_TYPE = ...) outside a WSFC). */
  joinOption: string
  /** How a planned failover is done. */
  failover: string
  /** Why switchyard cannot cut over an AG of this type; undefined when it can. */
  refusal?: string
}

export const CLUSTER_TYPES: Record<ClusterType, ClusterTypeFacts> = {
  WSFC: {
    type: 'WSFC',
    needsWsfcNode: true,
    joinOption: '',
    failover:
      'ALTER AVAILABILITY GROUP ... FAILOVER on the target once it is synchronous and SYNCHRONIZED (FORCE_FAILOVER_ALLOW_DATA_LOSS only for disaster recovery)',
  },
  EXTERNAL: {
    type: 'EXTERNAL',
    needsWsfcNode: false,
    joinOption: 'WITH (CLUSTER_TYPE = EXTERNAL)',
    failover:
      'the cluster manager moves the AG (Pacemaker: pcs resource move ... --master, then pcs resource clear); FAILOVER_MODE must be EXTERNAL and T-SQL FAILOVER is not used',
    refusal:
      'an EXTERNAL (Pacemaker) AG is failed over and joined through the cluster manager, which switchyard does not drive: add the node to the Pacemaker resource and fail over with pcs',
  },
  NONE: {
    type: 'NONE',
    needsWsfcNode: false,
    joinOption: 'WITH (CLUSTER_TYPE = NONE)',
    failover:
      'read-scale, no automatic failover and T-SQL FAILOVER is refused (Msg 47122): both replicas SYNCHRONOUS_COMMIT and SYNCHRONIZED, SET (ROLE = SECONDARY) on the primary, then FORCE_FAILOVER_ALLOW_DATA_LOSS on the target once its hardened LSNs match, then SET HADR RESUME on the old primary',
  },
}

/** cluster_type_desc is lower case (wsfc, external, none); NULL or absent (2016) is WSFC. */
export function clusterTypeFrom(desc: string | null | undefined): ClusterType {
  const upper = (desc ?? 'WSFC').toUpperCase()
  return upper === 'EXTERNAL' || upper === 'NONE' ? upper : 'WSFC'
}

/** The AG's cluster type as `conn` (a replica of it, of major version `major`) reads it, without Msg 207 on 2016. */
export async function clusterTypeOf(
  conn: SqlConnection,
  ag: string,
  major: number,
): Promise<ClusterTypeFacts> {
  if (major < CLUSTER_TYPE_SINCE_MAJOR) return CLUSTER_TYPES.WSFC
  const [row] = await conn.read<AgClusterTypeRow>(AG_CLUSTER_TYPE, { ag })
  return CLUSTER_TYPES[clusterTypeFrom(row?.cluster_type_desc)]
}

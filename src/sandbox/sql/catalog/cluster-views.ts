// Columns checked against the Microsoft page named in `doc` on 2026-12-04.
import { clusterNodes } from '../cluster.js'
import { type CatalogView, columns } from './types.js'

const LEARN = 'https://learn.microsoft.com/sql/relational-databases'

/** Every node of the instance's WSFC with its vote; none when the instance is in no cluster. */
export const hadrClusterMembers: CatalogView = {
  name: 'sys.dm_hadr_cluster_members',
  doc: `${LEARN}/system-dynamic-management-views/sys-dm-hadr-cluster-members-transact-sql`,
  columns: columns(`
    member_name nvarchar(128)
    member_type tinyint
    member_type_desc nvarchar(50)
    member_state tinyint
    member_state_desc nvarchar(60)
    number_of_quorum_votes tinyint`),
  rows: ({ world, instance }) =>
    instance.cluster
      ? clusterNodes(world, instance.cluster).map((node) => ({
          member_name: node.name,
          member_type: 0,
          member_type_desc: 'CLUSTER_NODE',
          member_state: node.down ? 0 : 1,
          member_state_desc: node.down ? 'DOWN' : 'UP',
          number_of_quorum_votes: 1,
        }))
      : [],
}

import * as z from 'zod/mini'
import { defineStep } from '../contract.js'
import { ManagedInstanceIds } from '../ec2/instance-ids.js'
import { Sysname } from './identifiers.js'
import { AgName, PrimaryTarget, primaryAndReplica, ReplicaName, ReplicaTarget } from './params.js'

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/

/** Where the listener's AWS IP lives in EC2: the SQL node's ENI, named or found as its instance's primary one. */
export const ListenerEni = z
  .strictObject({
    network_interface: z.optional(
      z
        .string()
        .check(
          z.regex(/^eni-[0-9a-f]{8,17}$/, { error: 'an ENI id looks like eni-0123456789abcdef0' }),
          z.describe("The SQL node's network interface (ENI) id"),
        ),
    ),
    instance: z.optional(
      z
        .string()
        .check(
          z.regex(/^i-[0-9a-f]{8,17}$/, { error: 'an instance id looks like i-0123456789abcdef0' }),
          z.describe("The SQL node's instance id: its primary network interface (device 0) takes the IP"),
        ),
    ),
  })
  .check(
    z.refine((a) => (a.network_interface === undefined) !== (a.instance === undefined), {
      error: 'name exactly one of network_interface or instance',
    }),
    z.describe(
      "On AWS the listener IP must also be a secondary private IP of the SQL node's ENI (EC2 AssignPrivateIpAddresses), or the listener is unreachable after failover; rollback unassigns it",
    ),
  )

export const addReplicaParams = z
  .strictObject({
    ag: AgName,
    primary: PrimaryTarget,
    replica: ReplicaTarget,
    replica_name: ReplicaName,
    endpoint_url: z.string().check(
      z.regex(/^TCP:\/\/[^\s:/]+:\d{1,5}$/i, {
        error: 'an endpoint URL looks like TCP://sql-aws-1.corp.example:5022',
      }),
      z.describe("The new replica's database mirroring endpoint, TCP://host:port"),
    ),
    availability_mode: z.optional(
      z
        .enum(['asynchronous', 'synchronous'])
        .check(z.describe('Commit mode (default asynchronous: over a WAN, commits do not wait for AWS)')),
    ),
    failover_mode: z.optional(
      z
        .enum(['manual', 'automatic'])
        .check(z.describe('Failover mode (default manual: no automatic failover to AWS)')),
    ),
    seeding_mode: z.optional(
      z
        .enum(['automatic', 'manual'])
        .check(z.describe('How databases reach the replica (default automatic)')),
    ),
    backup_priority: z.optional(
      z.int().check(z.gte(0), z.lte(100), z.describe('0-100 (default 0: no backups on AWS)')),
    ),
    secondary_connections: z.optional(
      z
        .enum(['no', 'read_only', 'all'])
        .check(z.describe('Connections allowed while secondary (default no)')),
    ),
    listener_ip: z.optional(
      z
        .strictObject({
          listener: Sysname.check(z.describe("The listener's name, e.g. giftcard-lsn")),
          ip: z.string().check(z.regex(IPV4, { error: 'an IPv4 address, e.g. 10.20.1.50' })),
          mask: z.string().check(z.regex(IPV4, { error: 'a subnet mask, e.g. 255.255.255.0' })),
          aws: z.optional(ListenerEni),
        })
        .check(
          z.describe(
            "A listener IP in the new replica's subnet, added before the join (multi-subnet clusters; without it the join fails with 19456)",
          ),
        ),
    ),
    cluster_node: z.optional(
      z
        .strictObject({
          instances: ManagedInstanceIds.check(
            z.describe(
              'SSM instance ids of Windows failover cluster nodes (the first is used; the next only when SSM cannot reach it)',
            ),
          ),
        })
        .check(
          z.describe(
            'Where to run cluster commands: with it, rollback removes the listener IP through the cluster (Remove-ClusterResource); without it, that IP is left for the operator',
          ),
        ),
    ),
  })
  .check(
    z.refine((p) => !(p.failover_mode === 'automatic' && p.availability_mode !== 'synchronous'), {
      error:
        'failover_mode: automatic needs availability_mode: synchronous (SQL Server refuses automatic failover with asynchronous commit)',
      path: ['failover_mode'],
    }),
  )

export type AddReplicaParams = z.infer<typeof addReplicaParams>
export type ListenerEniParams = z.infer<typeof ListenerEni>

export const sqlAddReplica = defineStep({
  type: 'sql.add-replica',
  summary: 'Add a replica to an availability group and join it (and the listener IP for its subnet first)',
  params: addReplicaParams,
  idempotent: () => true,
  reversible: () => true,
  usesAws: (p) => p.cluster_node !== undefined || p.listener_ip?.aws !== undefined,
  targets: primaryAndReplica,
  load: () => import('./add-replica-step.js').then((m) => m.addReplicaStep),
})

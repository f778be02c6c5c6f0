// Columns, types and first versions checked against the Microsoft pages named in each view's `doc` on 2026-12-04.
import { listenerIpOnline } from '../ag-commands.js'
import type { AvailabilityGroup, Instance, Replica } from '../model.js'
import { lsnOf, sameName } from '../model.js'
import { copyState, groupHealth, replicaHealth } from '../sync.js'
import type { SqlWorld } from '../world.js'
import { type CatalogView, columns, type Row } from './types.js'

const LEARN = 'https://learn.microsoft.com/sql/relational-databases'

const ROLE = { PRIMARY: 1, SECONDARY: 2 } as const
const HEALTH = { NOT_HEALTHY: 0, PARTIALLY_HEALTHY: 1, HEALTHY: 2 } as const
const SYNC_STATE = { 'NOT SYNCHRONIZING': 0, SYNCHRONIZING: 1, SYNCHRONIZED: 2 } as const
const AVAILABILITY_MODE = { ASYNCHRONOUS_COMMIT: 0, SYNCHRONOUS_COMMIT: 1 } as const
const FAILOVER_MODE = { AUTOMATIC: 0, MANUAL: 1 } as const
const SEEDING_MODE = { AUTOMATIC: 0, MANUAL: 1 } as const
const CONNECTIONS = { NO: 0, READ_ONLY: 1, ALL: 2 } as const
const CLUSTER_TYPE = { WSFC: 0, NONE: 1, EXTERNAL: 2 } as const

/** An AG appears in an instance's catalog once the instance hosts a joined replica of it. */
export function groupsOn(
  world: SqlWorld,
  instance: Instance,
): { group: AvailabilityGroup; local: Replica }[] {
  return world.groups.flatMap((group) => {
    const local = group.replicas.find((r) => sameName(r.server, instance.name))
    return local?.joined ? [{ group, local }] : []
  })
}

export const availabilityGroups: CatalogView = {
  name: 'sys.availability_groups',
  doc: `${LEARN}/system-catalog-views/sys-availability-groups-transact-sql`,
  // The page gives no version for any column: the @14 and @16 markers below are not from it (is_contained is
  // documented only as the big data cluster flag).
  columns: columns(`
    group_id uniqueidentifier
    name sysname
    resource_id nvarchar(40)
    resource_group_id nvarchar(40)
    failure_condition_level int
    health_check_timeout int
    automated_backup_preference tinyint
    automated_backup_preference_desc nvarchar(60)
    version smallint @14
    basic_features bit
    dtc_support bit
    db_failover bit
    is_distributed bit
    cluster_type tinyint @14
    cluster_type_desc nvarchar(60) @14
    required_synchronized_secondaries_to_commit int @14
    sequence_number bigint @14
    is_contained bit @16`),
  rows: ({ world, instance }) =>
    groupsOn(world, instance).map(({ group }) => ({
      group_id: group.id,
      name: group.name,
      resource_id: group.id.toLowerCase(),
      resource_group_id: group.id.toLowerCase(),
      failure_condition_level: 3,
      health_check_timeout: 30000,
      automated_backup_preference: 2,
      automated_backup_preference_desc: 'secondary',
      version: 1,
      basic_features: group.basicFeatures,
      dtc_support: false,
      db_failover: true,
      is_distributed: false,
      cluster_type: CLUSTER_TYPE[group.clusterType],
      cluster_type_desc: group.clusterType.toLowerCase(),
      required_synchronized_secondaries_to_commit: group.requiredSynchronizedSecondaries ?? 0,
      sequence_number: 1n,
      is_contained: false,
    })),
}

export const availabilityGroupStates: CatalogView = {
  name: 'sys.dm_hadr_availability_group_states',
  doc: `${LEARN}/system-dynamic-management-views/sys-dm-hadr-availability-group-states-transact-sql`,
  columns: columns(`
    group_id uniqueidentifier
    primary_replica varchar(128)
    primary_recovery_health tinyint
    primary_recovery_health_desc nvarchar(60)
    secondary_recovery_health tinyint
    secondary_recovery_health_desc nvarchar(60)
    synchronization_health tinyint
    synchronization_health_desc nvarchar(60)`),
  rows: ({ world, instance }) =>
    groupsOn(world, instance).map(({ group, local }) => {
      const health = groupHealth(world, group)
      const isPrimary = local.role === 'PRIMARY'
      return {
        group_id: group.id,
        primary_replica: world.primaryIn(group)?.server ?? null,
        primary_recovery_health: isPrimary ? 1 : null,
        primary_recovery_health_desc: isPrimary ? 'ONLINE' : null,
        secondary_recovery_health: isPrimary ? null : 1,
        secondary_recovery_health_desc: isPrimary ? null : 'ONLINE',
        synchronization_health: HEALTH[health],
        synchronization_health_desc: health,
      }
    }),
}

export const availabilityReplicas: CatalogView = {
  name: 'sys.availability_replicas',
  doc: `${LEARN}/system-catalog-views/sys-availability-replicas-transact-sql`,
  // seeding_mode(_desc) and read_write_routing_url are absent from the page's 2017 copy; the current page gives no version.
  columns: columns(`
    replica_id uniqueidentifier
    group_id uniqueidentifier
    replica_metadata_id int
    replica_server_name nvarchar(256)
    owner_sid varbinary(85)
    endpoint_url nvarchar(128)
    availability_mode tinyint
    availability_mode_desc nvarchar(60)
    failover_mode tinyint
    failover_mode_desc nvarchar(60)
    session_timeout int
    primary_role_allow_connections tinyint
    primary_role_allow_connections_desc nvarchar(60)
    secondary_role_allow_connections tinyint
    secondary_role_allow_connections_desc nvarchar(60)
    create_date datetime
    modify_date datetime
    backup_priority int
    read_only_routing_url nvarchar(256)
    seeding_mode tinyint
    seeding_mode_desc nvarchar(60)
    read_write_routing_url nvarchar(256) @15`),
  rows: ({ world, instance }) =>
    groupsOn(world, instance).flatMap(({ group }) =>
      group.replicas.map((r, i) => ({
        replica_id: r.id,
        group_id: group.id,
        replica_metadata_id: sameName(r.server, instance.name) ? 65536 + i : null,
        replica_server_name: r.server,
        endpoint_url: r.endpointUrl,
        availability_mode: AVAILABILITY_MODE[r.availabilityMode],
        availability_mode_desc: r.availabilityMode,
        failover_mode: FAILOVER_MODE[r.failoverMode],
        failover_mode_desc: r.failoverMode,
        session_timeout: 10,
        primary_role_allow_connections: 2,
        primary_role_allow_connections_desc: 'ALL',
        secondary_role_allow_connections: CONNECTIONS[r.secondaryConnections],
        secondary_role_allow_connections_desc: r.secondaryConnections,
        backup_priority: r.backupPriority,
        seeding_mode: SEEDING_MODE[r.seedingMode],
        seeding_mode_desc: r.seedingMode,
      })),
    ),
}

/** The primary sees every replica's live state; a secondary only its own. */
export const availabilityReplicaStates: CatalogView = {
  name: 'sys.dm_hadr_availability_replica_states',
  doc: `${LEARN}/system-dynamic-management-views/sys-dm-hadr-availability-replica-states-transact-sql`,
  // The last three are internal-only on the page, with no version and absent from its 2017 copy: the first two as a public
  // inventory script selects them (2017, 2019), is_internal assumed to come with contained groups in 2022.
  columns: columns(`
    replica_id uniqueidentifier
    group_id uniqueidentifier
    is_local bit
    role tinyint
    role_desc nvarchar(60)
    operational_state tinyint
    operational_state_desc nvarchar(60)
    connected_state tinyint
    connected_state_desc nvarchar(60)
    recovery_health tinyint
    recovery_health_desc nvarchar(60)
    synchronization_health tinyint
    synchronization_health_desc nvarchar(60)
    last_connect_error_number int
    last_connect_error_description nvarchar(1024)
    last_connect_error_timestamp datetime
    write_lease_remaining_ticks bigint @14
    current_configuration_commit_start_time_utc datetime @15
    is_internal bit @16`),
  rows: ({ world, instance }) =>
    groupsOn(world, instance).flatMap(({ group, local }) =>
      group.replicas
        .filter((r) => r === local || local.role === 'PRIMARY')
        .map((r) => {
          const isLocal = r === local
          const connected = r.joined && r.connected
          const health = replicaHealth(world, group, r)
          return {
            replica_id: r.id,
            group_id: group.id,
            is_local: isLocal,
            role: r.joined ? ROLE[r.role] : null,
            role_desc: r.joined ? r.role : null,
            operational_state: isLocal ? 2 : null,
            operational_state_desc: isLocal ? 'ONLINE' : null,
            connected_state: connected ? 1 : 0,
            connected_state_desc: connected ? 'CONNECTED' : 'DISCONNECTED',
            recovery_health: isLocal ? 1 : null,
            recovery_health_desc: isLocal ? 'ONLINE' : null,
            synchronization_health: HEALTH[health],
            synchronization_health_desc: health,
          }
        }),
    ),
}

const JOIN_STATE = { NOT_JOINED: 0, JOINED_STANDALONE_INSTANCE: 1 } as const

/** Cluster state is the WSFC's: every node of a replica sees every replica's join state. */
export const availabilityReplicaClusterStates: CatalogView = {
  name: 'sys.dm_hadr_availability_replica_cluster_states',
  doc: `${LEARN}/system-dynamic-management-views/sys-dm-hadr-availability-replica-cluster-states-transact-sql`,
  columns: columns(`
    replica_id uniqueidentifier
    replica_server_name nvarchar(256)
    group_id uniqueidentifier
    join_state tinyint
    join_state_desc nvarchar(60)`),
  rows: ({ world, instance }) =>
    world.groups
      .filter((g) => g.replicas.some((r) => sameName(r.server, instance.name)))
      .flatMap((group) =>
        group.replicas.map((r) => {
          const state = r.joined ? 'JOINED_STANDALONE_INSTANCE' : 'NOT_JOINED'
          return {
            replica_id: r.id,
            replica_server_name: r.server,
            group_id: group.id,
            join_state: JOIN_STATE[state],
            join_state_desc: state,
          }
        }),
      ),
}

/**
 * From the primary: a row per AG database per joined replica (NOT SYNCHRONIZING where the copy has not joined yet).
 * From a secondary: its own rows only.
 */
export const databaseReplicaStates: CatalogView = {
  name: 'sys.dm_hadr_database_replica_states',
  doc: `${LEARN}/system-dynamic-management-views/sys-dm-hadr-database-replica-states-transact-sql`,
  // quorum_commit_lsn/time: the page gives no version and its 2018 copy lacks them (kept @15).
  columns: columns(`
    database_id int
    group_id uniqueidentifier
    replica_id uniqueidentifier
    group_database_id uniqueidentifier
    is_local bit
    is_primary_replica bit
    synchronization_state tinyint
    synchronization_state_desc nvarchar(60)
    is_commit_participant bit
    synchronization_health tinyint
    synchronization_health_desc nvarchar(60)
    database_state tinyint
    database_state_desc nvarchar(60)
    is_suspended bit
    suspend_reason tinyint
    suspend_reason_desc nvarchar(60)
    recovery_lsn numeric(25,0)
    truncation_lsn numeric(25,0)
    last_sent_lsn numeric(25,0)
    last_sent_time datetime
    last_received_lsn numeric(25,0)
    last_received_time datetime
    last_hardened_lsn numeric(25,0)
    last_hardened_time datetime
    last_redone_lsn numeric(25,0)
    last_redone_time datetime
    log_send_queue_size bigint
    log_send_rate bigint
    redo_queue_size bigint
    redo_rate bigint
    filestream_send_rate bigint
    end_of_log_lsn numeric(25,0)
    last_commit_lsn numeric(25,0)
    last_commit_time datetime
    low_water_mark_for_ghosts bigint
    secondary_lag_seconds bigint
    quorum_commit_lsn numeric(25,0) @15
    quorum_commit_time datetime @15`),
  rows: ({ world, instance }) => {
    const rows: Row[] = []
    for (const { group, local } of groupsOn(world, instance)) {
      const primary = world.primaryIn(group)
      const replicas = local.role === 'PRIMARY' ? group.replicas.filter((r) => r.joined) : [local]
      for (const db of group.databases) {
        const source = primary && world.copyOf(group, primary, db.name)
        const here = world.database(instance, db.name)
        for (const replica of replicas) {
          const { copy, state, health } = copyState(world, group, replica, db.name)
          const isPrimary = replica.role === 'PRIMARY'
          const behind = copy && source && !isPrimary ? Math.max(0, source.logBytes - copy.logBytes) : 0
          rows.push({
            database_id: here?.id ?? null,
            group_id: group.id,
            replica_id: replica.id,
            group_database_id: db.groupDatabaseId,
            is_local: replica === local,
            is_primary_replica: isPrimary,
            synchronization_state: SYNC_STATE[state],
            synchronization_state_desc: state,
            is_commit_participant: state === 'SYNCHRONIZED',
            synchronization_health: HEALTH[health],
            synchronization_health_desc: health,
            database_state: copy ? 0 : null,
            database_state_desc: copy ? 'ONLINE' : null,
            is_suspended: copy?.suspended ?? false,
            suspend_reason_desc: copy?.suspendReason ?? null,
            log_send_queue_size: copy && !isPrimary ? BigInt(Math.round(behind / 1024)) : null,
            redo_queue_size: copy && !isPrimary ? BigInt(Math.round(behind / 2048)) : null,
            last_hardened_lsn: copy ? lsnOf(copy.logBytes) : null,
            end_of_log_lsn: copy ? lsnOf(copy.logBytes) : null,
            last_commit_lsn: copy ? lsnOf(copy.logBytes) : null,
            last_commit_time: copy ? new Date(copy.lastCommitTime) : null,
            secondary_lag_seconds:
              copy && !isPrimary ? BigInt(Math.round(behind / world.logBytesPerSecond)) : null,
          })
        }
      }
    }
    return rows
  },
}

export const availabilityGroupListeners: CatalogView = {
  name: 'sys.availability_group_listeners',
  doc: `${LEARN}/system-catalog-views/sys-availability-group-listeners-transact-sql`,
  columns: columns(`
    group_id uniqueidentifier
    listener_id nvarchar(36)
    dns_name nvarchar(63)
    port int
    is_conformant bit
    ip_configuration_string_from_cluster nvarchar(max)`),
  rows: ({ world, instance }) =>
    groupsOn(world, instance).flatMap(({ group }) =>
      group.listener
        ? [
            {
              group_id: group.id,
              listener_id: `${group.id}-listener`,
              dns_name: group.listener.dnsName,
              port: group.listener.port,
              is_conformant: true,
              ip_configuration_string_from_cluster: group.listener.ips
                .map((ip) => `('IP Address: ${ip.ip}')`)
                .join(' OR '),
            },
          ]
        : [],
    ),
}

export const availabilityGroupListenerIpAddresses: CatalogView = {
  name: 'sys.availability_group_listener_ip_addresses',
  doc: `${LEARN}/system-catalog-views/sys-availability-group-listener-ip-addresses-transact-sql`,
  columns: columns(`
    listener_id nvarchar(36)
    ip_address nvarchar(48)
    ip_subnet_mask nvarchar(15)
    is_dhcp bit
    network_subnet_ip nvarchar(48)
    network_subnet_prefix_length int
    network_subnet_ipv4_mask nvarchar(45)
    state tinyint
    state_desc nvarchar(60)`),
  rows: ({ world, instance }) =>
    groupsOn(world, instance).flatMap(({ group }) =>
      (group.listener?.ips ?? []).map((ip) => {
        const online = listenerIpOnline(world, group, ip.ip)
        return {
          listener_id: `${group.id}-listener`,
          ip_address: ip.ip,
          ip_subnet_mask: ip.mask,
          is_dhcp: false,
          network_subnet_ipv4_mask: ip.mask,
          state: online ? 1 : 0,
          state_desc: online ? 'ONLINE' : 'OFFLINE',
        }
      }),
    ),
}

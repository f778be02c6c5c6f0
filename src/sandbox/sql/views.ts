import { listenerIpOnline } from './ag-commands.js'
import { invalidObject, mustDeclare } from './errors.js'
import type { Instance, Login, Permission } from './model.js'
import { failureStateDesc, lsnOf, sameName } from './model.js'
import { seedRate } from './seeding.js'
import { copyState, groupHealth, replicaHealth } from './sync.js'
import type { ResultSet, SqlType } from './tds/index.js'
import type { SqlWorld } from './world.js'

/**
 * The catalog views and DMVs behind each `-- switchyard:<tag>` read, as the instance that was asked sees them.
 * Column names and types follow the statements' aliases and CASTs (bigint → 'bigint', LSNs → 'varchar').
 */

type Row = Record<string, unknown>
type Columns = [name: string, type: SqlType][]

function table(columns: Columns, rows: Row[]): ResultSet {
  return {
    columns: columns.map(([name, type]) => ({ name, type })),
    rows: rows.map((row) => columns.map(([name]) => row[name] ?? null)),
  }
}

export interface ReadContext {
  world: SqlWorld
  instance: Instance
  login: Login
  param(name: string): unknown
}

const text = (context: ReadContext, name: string) => {
  const value = context.param(name)
  return value === null || value === undefined ? null : String(value)
}

const bigint = (n: number) => BigInt(Math.floor(n))
const when = (ms: number | null) => (ms === null ? null : new Date(ms))

function instanceView({ instance }: ReadContext): ResultSet {
  return table(
    [
      ['server_name', 'nvarchar'],
      ['product_version', 'nvarchar'],
      ['major', 'int'],
      ['edition', 'nvarchar'],
      ['engine_edition', 'int'],
      ['hadr_enabled', 'int'],
      ['hadr_manager_status', 'int'],
      ['collation', 'nvarchar'],
      ['default_data_path', 'nvarchar'],
      ['default_log_path', 'nvarchar'],
    ],
    [
      {
        server_name: instance.name,
        product_version: instance.productVersion,
        major: Number(instance.productVersion.split('.')[0]),
        edition: instance.edition,
        engine_edition: instance.engineEdition,
        hadr_enabled: instance.hadrEnabled ? 1 : 0,
        hadr_manager_status: instance.hadrManagerStatus,
        collation: instance.collation,
        default_data_path: instance.defaultDataPath,
        default_log_path: instance.defaultLogPath,
      },
    ],
  )
}

function clusterView({ instance }: ReadContext): ResultSet {
  const rows = instance.cluster
    ? [{ cluster_name: instance.cluster, quorum_state_desc: 'NORMAL_QUORUM' }]
    : []
  return table(
    [
      ['cluster_name', 'nvarchar'],
      ['quorum_state_desc', 'nvarchar'],
    ],
    rows,
  )
}

function permissionsView({ login }: ReadContext): ResultSet {
  const has = (p: Permission) => (login.sysadmin || login.permissions.includes(p) ? 1 : 0)
  const control = has('CONTROL SERVER')
  return table(
    [
      ['sysadmin', 'int'],
      ['control_server', 'int'],
      ['alter_any_ag', 'int'],
      ['create_any_db', 'int'],
      ['view_server_state', 'int'],
    ],
    [
      {
        sysadmin: login.sysadmin ? 1 : 0,
        control_server: control,
        alter_any_ag: control || has('ALTER ANY AVAILABILITY GROUP'),
        create_any_db: control || has('CREATE ANY DATABASE'),
        view_server_state: control || has('VIEW SERVER STATE'),
      },
    ],
  )
}

function availabilityGroupView(context: ReadContext): ResultSet {
  const { world, instance } = context
  const group = world.groupOn(instance, text(context, 'ag') ?? '')
  const local = group && world.replicaOn(group, instance)
  const rows =
    group && local
      ? [
          {
            name: group.name,
            group_id: group.id,
            basic_features: group.basicFeatures,
            is_distributed: false,
            cluster_type_desc: 'wsfc',
            primary_replica: world.primaryOf(group).server,
            synchronization_health_desc: groupHealth(world, group),
            local_role: local.role,
          },
        ]
      : []
  return table(
    [
      ['name', 'nvarchar'],
      ['group_id', 'nvarchar'],
      ['basic_features', 'bit'],
      ['is_distributed', 'bit'],
      ['cluster_type_desc', 'nvarchar'],
      ['primary_replica', 'nvarchar'],
      ['synchronization_health_desc', 'nvarchar'],
      ['local_role', 'nvarchar'],
    ],
    rows,
  )
}

/** The primary sees every replica's live state; a secondary only its own (config of all replicas is replicated). */
function replicasView(context: ReadContext): ResultSet {
  const { world, instance } = context
  const group = world.groupOn(instance, text(context, 'ag') ?? '')
  const local = group && world.replicaOn(group, instance)
  const rows =
    group && local
      ? group.replicas.map((r) => {
          const isLocal = r === local
          const visible = isLocal || local.role === 'PRIMARY'
          const live = visible && r.joined
          return {
            replica_server_name: r.server,
            endpoint_url: r.endpointUrl,
            availability_mode_desc: r.availabilityMode,
            failover_mode_desc: r.failoverMode,
            seeding_mode_desc: r.seedingMode,
            secondary_role_allow_connections_desc: r.secondaryConnections,
            backup_priority: r.backupPriority,
            role_desc: live ? r.role : null,
            connected_state_desc: visible ? (r.joined && r.connected ? 'CONNECTED' : 'DISCONNECTED') : null,
            synchronization_health_desc: visible ? replicaHealth(world, group, r) : null,
            operational_state_desc: isLocal ? 'ONLINE' : null,
          }
        })
      : []
  return table(
    [
      ['replica_server_name', 'nvarchar'],
      ['endpoint_url', 'nvarchar'],
      ['availability_mode_desc', 'nvarchar'],
      ['failover_mode_desc', 'nvarchar'],
      ['seeding_mode_desc', 'nvarchar'],
      ['secondary_role_allow_connections_desc', 'nvarchar'],
      ['backup_priority', 'int'],
      ['role_desc', 'nvarchar'],
      ['connected_state_desc', 'nvarchar'],
      ['synchronization_health_desc', 'nvarchar'],
      ['operational_state_desc', 'nvarchar'],
    ],
    rows,
  )
}

function databaseView(context: ReadContext): ResultSet {
  const { world, instance } = context
  const db = world.database(instance, text(context, 'db') ?? '')
  const rows = db
    ? [
        {
          name: db.name,
          database_id: db.id,
          recovery_model_desc: db.recoveryModel,
          state_desc: db.state,
          user_access_desc: db.userAccess,
          is_read_only: db.readOnly,
          group_database_id: db.groupDatabaseId,
          ag_name: db.ag,
          database_guid: db.guid,
          last_log_backup_lsn: db.lastLogBackupBytes === null ? null : lsnOf(db.lastLogBackupBytes),
          mirroring_guid: null,
        },
      ]
    : []
  return table(
    [
      ['name', 'nvarchar'],
      ['database_id', 'int'],
      ['recovery_model_desc', 'nvarchar'],
      ['state_desc', 'nvarchar'],
      ['user_access_desc', 'nvarchar'],
      ['is_read_only', 'bit'],
      ['group_database_id', 'nvarchar'],
      ['ag_name', 'nvarchar'],
      ['database_guid', 'nvarchar'],
      ['last_log_backup_lsn', 'varchar'],
      ['mirroring_guid', 'nvarchar'],
    ],
    rows,
  )
}

function fullBackupView(context: ReadContext): ResultSet {
  const db = text(context, 'db') ?? ''
  const guid = (text(context, 'database_guid') ?? '').toUpperCase()
  const newest = context.instance.backups
    .filter((b) => sameName(b.database, db) && b.type === 'D' && b.guid.toUpperCase() === guid)
    .sort((a, b) => b.finishedAt - a.finishedAt)
    .slice(0, 1)
  return table(
    [
      ['backup_finish_date', 'datetime2'],
      ['is_copy_only', 'bit'],
      ['last_lsn', 'varchar'],
      ['physical_device_name', 'nvarchar'],
    ],
    newest.map((b) => ({
      backup_finish_date: when(b.finishedAt),
      is_copy_only: b.copyOnly,
      last_lsn: lsnOf(b.lastBytes),
      physical_device_name: b.path,
    })),
  )
}

function endpointView({ instance }: ReadContext): ResultSet {
  const e = instance.endpoint
  return table(
    [
      ['name', 'nvarchar'],
      ['state_desc', 'nvarchar'],
      ['role_desc', 'nvarchar'],
      ['is_encryption_enabled', 'bit'],
      ['port', 'int'],
    ],
    e
      ? [
          {
            name: e.name,
            state_desc: e.state,
            role_desc: e.role,
            is_encryption_enabled: e.encrypted,
            port: e.port,
          },
        ]
      : [],
  )
}

function databaseFilesView(context: ReadContext): ResultSet {
  const db = context.world.database(context.instance, text(context, 'db') ?? '')
  return table(
    [
      ['type_desc', 'nvarchar'],
      ['name', 'nvarchar'],
      ['physical_name', 'nvarchar'],
      ['size_bytes', 'bigint'],
    ],
    (db?.files ?? []).map((f) => ({
      type_desc: f.type,
      name: f.name,
      physical_name: f.physicalName,
      size_bytes: bigint(f.sizeBytes),
    })),
  )
}

function volumesView({ instance }: ReadContext): ResultSet {
  return table(
    [
      ['volume_mount_point', 'nvarchar'],
      ['total_bytes', 'bigint'],
      ['available_bytes', 'bigint'],
    ],
    instance.volumes.map((v) => ({
      volume_mount_point: v.mountPoint,
      total_bytes: bigint(v.totalBytes),
      available_bytes: bigint(v.availableBytes),
    })),
  )
}

/** Running seeds: 'Source' rows on the primary (remote = the target's endpoint URL), 'Destination' rows on the target. */
function seedingProgressView({ world, instance }: ReadContext): ResultSet {
  const rows: Row[] = []
  for (const seed of world.seeds) {
    if (seed.state !== 'SEEDING') continue
    const group = world.group(seed.ag)
    if (!group) continue
    const isSource = sameName(seed.source, instance.name)
    if (!isSource && !sameName(seed.target, instance.name)) continue
    const remote = group.replicas.find((r) => sameName(r.server, isSource ? seed.target : seed.source))
    const rate = seedRate(world, seed)
    const left = seed.sizeBytes - seed.transferredBytes
    rows.push({
      local_database_name: seed.database,
      remote_machine_name: remote?.endpointUrl ?? null,
      role_desc: isSource ? 'Source' : 'Destination',
      internal_state_desc: 'ReadingAndSendingData',
      transferred_size_bytes: bigint(seed.transferredBytes),
      database_size_bytes: bigint(seed.sizeBytes),
      transfer_rate_bytes_per_second: bigint(rate),
      estimate_time_complete_utc: rate > 0 ? when(world.now() + (left / rate) * 1000) : null,
      total_network_wait_time_ms: bigint(seed.networkWaitMs),
      failure_code: null,
      failure_message: null,
      operation_id: seed.operationId,
    })
  }
  return table(
    [
      ['local_database_name', 'nvarchar'],
      ['remote_machine_name', 'nvarchar'],
      ['role_desc', 'nvarchar'],
      ['internal_state_desc', 'nvarchar'],
      ['transferred_size_bytes', 'bigint'],
      ['database_size_bytes', 'bigint'],
      ['transfer_rate_bytes_per_second', 'bigint'],
      ['estimate_time_complete_utc', 'datetime2'],
      ['total_network_wait_time_ms', 'bigint'],
      ['failure_code', 'int'],
      ['failure_message', 'nvarchar'],
      ['operation_id', 'nvarchar'],
    ],
    rows,
  )
}

/** History on both ends: the primary lists seeds toward @replica, the target lists seeds from @replica. */
function seedingHistoryView(context: ReadContext): ResultSet {
  const { world, instance } = context
  const ag = text(context, 'ag') ?? ''
  const replica = text(context, 'replica') ?? ''
  const rows = world.seeds
    .filter(
      (s) =>
        sameName(s.ag, ag) &&
        ((sameName(s.source, instance.name) && sameName(s.target, replica)) ||
          (sameName(s.target, instance.name) && sameName(s.source, replica))),
    )
    .sort((a, b) => b.startTime - a.startTime)
    .map((s) => ({
      database_name: s.database,
      operation_id: s.operationId,
      start_time: when(s.startTime),
      completion_time: when(s.completionTime),
      current_state: s.state,
      failure_state: s.failureState,
      failure_state_desc: s.failureState === null ? null : failureStateDesc(s.failureState),
      error_code: s.errorCode,
      number_of_attempts: 1,
    }))
  return table(
    [
      ['database_name', 'nvarchar'],
      ['operation_id', 'nvarchar'],
      ['start_time', 'datetime2'],
      ['completion_time', 'datetime2'],
      ['current_state', 'nvarchar'],
      ['failure_state', 'int'],
      ['failure_state_desc', 'nvarchar'],
      ['error_code', 'int'],
      ['number_of_attempts', 'int'],
    ],
    rows,
  )
}

/**
 * From the primary: a row per AG database per joined replica (NOT SYNCHRONIZING where the copy has not joined yet).
 * From a secondary: its own rows only.
 */
function databaseReplicaStatesView(context: ReadContext): ResultSet {
  const { world, instance } = context
  const group = world.groupOn(instance, text(context, 'ag') ?? '')
  const local = group && world.replicaOn(group, instance)
  const rows: Row[] = []
  if (group && local) {
    const primary = world.primaryOf(group)
    const replicas = local.role === 'PRIMARY' ? group.replicas.filter((r) => r.joined) : [local]
    for (const db of group.databases) {
      const source = world.copyOf(group, primary, db.name)
      for (const replica of replicas) {
        const { copy, state, health } = copyState(world, group, replica, db.name)
        const isPrimary = replica.role === 'PRIMARY'
        const behind = copy && source && !isPrimary ? Math.max(0, source.logBytes - copy.logBytes) : 0
        rows.push({
          database_name: db.name,
          replica_server_name: replica.server,
          is_local: replica === local,
          is_primary_replica: isPrimary,
          synchronization_state_desc: state,
          synchronization_health_desc: health,
          database_state_desc: copy ? 'ONLINE' : null,
          is_suspended: copy?.suspended ?? false,
          suspend_reason_desc: copy?.suspendReason ?? null,
          log_send_queue_size: copy && !isPrimary ? BigInt(Math.round(behind / 1024)) : null,
          redo_queue_size: copy && !isPrimary ? BigInt(Math.round(behind / 2048)) : null,
          last_hardened_lsn: copy ? lsnOf(copy.logBytes) : null,
          end_of_log_lsn: copy ? lsnOf(copy.logBytes) : null,
          last_commit_time: copy ? when(copy.lastCommitTime) : null,
        })
      }
    }
  }
  return table(
    [
      ['database_name', 'nvarchar'],
      ['replica_server_name', 'nvarchar'],
      ['is_local', 'bit'],
      ['is_primary_replica', 'bit'],
      ['synchronization_state_desc', 'nvarchar'],
      ['synchronization_health_desc', 'nvarchar'],
      ['database_state_desc', 'nvarchar'],
      ['is_suspended', 'bit'],
      ['suspend_reason_desc', 'nvarchar'],
      ['log_send_queue_size', 'bigint'],
      ['redo_queue_size', 'bigint'],
      ['last_hardened_lsn', 'varchar'],
      ['end_of_log_lsn', 'varchar'],
      ['last_commit_time', 'datetime2'],
    ],
    rows,
  )
}

function listenerView(context: ReadContext): ResultSet {
  const { world, instance } = context
  const group = world.groupOn(instance, text(context, 'ag') ?? '')
  const listener = group?.listener
  const rows: Row[] = []
  if (group && listener) {
    const base = { dns_name: listener.dnsName, port: listener.port }
    if (listener.ips.length === 0)
      rows.push({ ...base, ip_address: null, ip_subnet_mask: null, state_desc: null })
    for (const ip of listener.ips)
      rows.push({
        ...base,
        ip_address: ip.ip,
        ip_subnet_mask: ip.mask,
        state_desc: listenerIpOnline(world, group, ip.ip) ? 'ONLINE' : 'OFFLINE',
      })
  }
  return table(
    [
      ['dns_name', 'nvarchar'],
      ['port', 'int'],
      ['ip_address', 'nvarchar'],
      ['ip_subnet_mask', 'nvarchar'],
      ['state_desc', 'nvarchar'],
    ],
    rows,
  )
}

function databaseStateView(context: ReadContext): ResultSet {
  const db = context.world.database(context.instance, text(context, 'db') ?? '')
  return table(
    [
      ['name', 'nvarchar'],
      ['state_desc', 'nvarchar'],
      ['group_database_id', 'nvarchar'],
    ],
    db ? [{ name: db.name, state_desc: db.state, group_database_id: db.groupDatabaseId }] : [],
  )
}

/** sys.databases' user databases (database_id > 4) of the instance asked. */
function databasesView({ instance }: ReadContext): ResultSet {
  return table(
    [
      ['name', 'nvarchar'],
      ['state_desc', 'nvarchar'],
      ['group_database_id', 'nvarchar'],
    ],
    instance.databases.map((db) => ({
      name: db.name,
      state_desc: db.state,
      group_database_id: db.groupDatabaseId,
    })),
  )
}

/** Each read tag, with the parameters its statement binds (a missing one is SQL Server's 137). */
const VIEWS: Record<string, { params: string[]; view: (context: ReadContext) => ResultSet }> = {
  instance: { params: [], view: instanceView },
  cluster: { params: [], view: clusterView },
  permissions: { params: [], view: permissionsView },
  'availability-group': { params: ['ag'], view: availabilityGroupView },
  replicas: { params: ['ag'], view: replicasView },
  database: { params: ['db'], view: databaseView },
  'full-backup': { params: ['db', 'database_guid'], view: fullBackupView },
  endpoint: { params: [], view: endpointView },
  'database-files': { params: ['db'], view: databaseFilesView },
  volumes: { params: [], view: volumesView },
  'seeding-progress': { params: [], view: seedingProgressView },
  'seeding-history': { params: ['ag', 'replica'], view: seedingHistoryView },
  'database-replica-states': { params: ['ag'], view: databaseReplicaStatesView },
  listener: { params: ['ag'], view: listenerView },
  'database-state': { params: ['db'], view: databaseStateView },
  databases: { params: [], view: databasesView },
}

export const READ_TAGS = Object.keys(VIEWS)

/** Answers a tagged read; an unknown tag is an unknown object (208), naming what the statement reads FROM. */
export function answerRead(
  tag: string,
  sql: string,
  context: ReadContext,
  bound: ReadonlySet<string>,
): ResultSet {
  const entry = VIEWS[tag]
  if (!entry) throw invalidObject(/\bFROM\s+([\w.[\]]+)/i.exec(sql)?.[1] ?? `switchyard:${tag}`)
  for (const name of entry.params) if (!bound.has(name)) throw mustDeclare(name)
  return entry.view(context)
}

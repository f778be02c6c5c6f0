import { quoteLiteral, quoteName } from './identifiers.js'

/**
 * Every statement the SQL Server steps send, in one place, as plain T-SQL that SQL Server (and the
 * sandbox, which parses it and binds it against each version's catalog) reads as written; values are
 * always parameters (@ag, @db, @replica ...). Statements that cannot take parameters (the DDL of
 * availability groups) are built from names quoted by `quoteName` / `quoteLiteral`.
 *
 * LSNs are numeric(25,0): they are read as strings (CAST to varchar) and compared as BigInt, never
 * as floats. Sizes are bigint.
 */

/** SERVERPROPERTY facts of one instance (§1a). */
export const INSTANCE = `SELECT CAST(SERVERPROPERTY('ServerName') AS nvarchar(128)) AS server_name,
       CAST(SERVERPROPERTY('ProductVersion') AS nvarchar(128)) AS product_version,
       CAST(SERVERPROPERTY('ProductMajorVersion') AS int) AS major,
       CAST(SERVERPROPERTY('Edition') AS nvarchar(128)) AS edition,
       CAST(SERVERPROPERTY('EngineEdition') AS int) AS engine_edition,
       CAST(SERVERPROPERTY('IsHadrEnabled') AS int) AS hadr_enabled,
       CAST(SERVERPROPERTY('HadrManagerStatus') AS int) AS hadr_manager_status,
       CAST(SERVERPROPERTY('Collation') AS nvarchar(128)) AS collation,
       CAST(SERVERPROPERTY('InstanceDefaultDataPath') AS nvarchar(260)) AS default_data_path,
       CAST(SERVERPROPERTY('InstanceDefaultLogPath') AS nvarchar(260)) AS default_log_path;`

export interface InstanceRow {
  server_name: string
  product_version: string
  major: number
  edition: string
  engine_edition: number
  hadr_enabled: number
  hadr_manager_status: number
  collation: string
  default_data_path: string
  default_log_path: string
}

/** The WSFC this instance belongs to (no row when it is in none). */
export const CLUSTER = `SELECT cluster_name, quorum_state_desc FROM sys.dm_hadr_cluster;`

export interface ClusterRow {
  cluster_name: string
  quorum_state_desc: string
}

/** What the login switchyard uses may do (§1f). */
export const PERMISSIONS = `SELECT IS_SRVROLEMEMBER('sysadmin') AS sysadmin,
       HAS_PERMS_BY_NAME(NULL, NULL, 'CONTROL SERVER') AS control_server,
       HAS_PERMS_BY_NAME(NULL, NULL, 'ALTER ANY AVAILABILITY GROUP') AS alter_any_ag,
       HAS_PERMS_BY_NAME(NULL, NULL, 'CREATE ANY DATABASE') AS create_any_db,
       HAS_PERMS_BY_NAME(NULL, NULL, 'VIEW SERVER STATE') AS view_server_state;`

export interface PermissionsRow {
  sysadmin: number
  control_server: number
  alter_any_ag: number
  create_any_db: number
  view_server_state: number
}

/** The AG as this instance sees it, with the local replica's role (§1e). No row: not on this instance. */
export const AVAILABILITY_GROUP = `SELECT ag.name, CAST(ag.group_id AS nvarchar(36)) AS group_id, ag.basic_features, ag.is_distributed,
       ags.primary_replica, ags.synchronization_health_desc, ars.role_desc AS local_role
FROM sys.availability_groups ag
JOIN sys.dm_hadr_availability_group_states ags ON ags.group_id = ag.group_id
JOIN sys.dm_hadr_availability_replica_states ars ON ars.group_id = ag.group_id AND ars.is_local = 1
WHERE ag.name = @ag;`

export interface AvailabilityGroupRow {
  name: string
  group_id: string
  basic_features: boolean
  is_distributed: boolean
  primary_replica: string
  synchronization_health_desc: string
  local_role: string
}

/** The AG's cluster type (wsfc, external, none): the column exists from SQL Server 2017 only (Msg 207 on 2016). */
export const AG_CLUSTER_TYPE = `SELECT ag.cluster_type_desc FROM sys.availability_groups ag WHERE ag.name = @ag;`

export interface AgClusterTypeRow {
  cluster_type_desc: string
}

/** Whether each replica of the AG has joined, as the cluster records it (NOT_JOINED, JOINED_STANDALONE_INSTANCE ...). */
export const REPLICA_JOIN_STATES = `SELECT cs.replica_server_name, cs.join_state_desc
FROM sys.dm_hadr_availability_replica_cluster_states cs
JOIN sys.availability_groups ag ON ag.group_id = cs.group_id
WHERE ag.name = @ag;`

export interface ReplicaJoinStateRow {
  replica_server_name: string
  join_state_desc: string
}

/** Every replica of the AG with its configuration and, where known, its live state. */
export const REPLICAS = `SELECT ar.replica_server_name, ar.endpoint_url, ar.availability_mode_desc, ar.failover_mode_desc,
       ar.seeding_mode_desc, ar.secondary_role_allow_connections_desc, ar.backup_priority,
       ars.role_desc, ars.connected_state_desc, ars.synchronization_health_desc, ars.operational_state_desc
FROM sys.availability_replicas ar
JOIN sys.availability_groups ag ON ag.group_id = ar.group_id
LEFT JOIN sys.dm_hadr_availability_replica_states ars ON ars.replica_id = ar.replica_id
WHERE ag.name = @ag;`

export interface ReplicaRow {
  replica_server_name: string
  endpoint_url: string
  availability_mode_desc: 'SYNCHRONOUS_COMMIT' | 'ASYNCHRONOUS_COMMIT' | string
  failover_mode_desc: 'AUTOMATIC' | 'MANUAL' | string
  seeding_mode_desc: 'AUTOMATIC' | 'MANUAL' | string
  secondary_role_allow_connections_desc: string
  backup_priority: number
  role_desc: string | null
  connected_state_desc: string | null
  synchronization_health_desc: string | null
  operational_state_desc: string | null
}

/** One database as the instance holds it (§1b): recovery model, state, AG membership, log chain. */
export const DATABASE = `SELECT d.name, d.database_id, d.recovery_model_desc, d.state_desc, d.user_access_desc, d.is_read_only,
       CAST(d.group_database_id AS nvarchar(36)) AS group_database_id, ag.name AS ag_name,
       CAST(rs.database_guid AS nvarchar(36)) AS database_guid,
       CAST(rs.last_log_backup_lsn AS varchar(32)) AS last_log_backup_lsn,
       CAST(m.mirroring_guid AS nvarchar(36)) AS mirroring_guid
FROM sys.databases d
JOIN sys.database_recovery_status rs ON rs.database_id = d.database_id
JOIN sys.database_mirroring m ON m.database_id = d.database_id
LEFT JOIN sys.availability_databases_cluster adc ON adc.group_database_id = d.group_database_id
LEFT JOIN sys.availability_groups ag ON ag.group_id = adc.group_id
WHERE d.name = @db;`

export interface DatabaseRow {
  name: string
  database_id: number
  recovery_model_desc: string
  state_desc: string
  user_access_desc: string
  is_read_only: boolean
  group_database_id: string | null
  ag_name: string | null
  database_guid: string | null
  last_log_backup_lsn: string | null
  mirroring_guid: string | null
}

/** The newest full backup of a database (this instance's msdb), ignoring older databases of the same name. */
export const FULL_BACKUP = `SELECT TOP (1) bs.backup_finish_date, bs.is_copy_only, CAST(bs.last_lsn AS varchar(32)) AS last_lsn,
       bmf.physical_device_name
FROM msdb.dbo.backupset bs
JOIN msdb.dbo.backupmediafamily bmf ON bmf.media_set_id = bs.media_set_id
WHERE bs.database_name = @db AND bs.type = 'D' AND bs.database_guid = @database_guid
ORDER BY bs.backup_finish_date DESC;`

export interface FullBackupRow {
  backup_finish_date: Date
  is_copy_only: boolean
  last_lsn: string
  physical_device_name: string
}

/** The database mirroring endpoint that AG traffic uses (§1d). */
export const ENDPOINT = `SELECT e.name, e.state_desc, e.role_desc, e.is_encryption_enabled, e.connection_auth_desc,
       e.encryption_algorithm_desc, e.certificate_id, t.port
FROM sys.database_mirroring_endpoints e
JOIN sys.tcp_endpoints t ON t.endpoint_id = e.endpoint_id;`

export interface EndpointRow {
  name: string
  state_desc: string
  role_desc: string
  is_encryption_enabled: boolean
  /** NEGOTIATE, CERTIFICATE, NEGOTIATE_CERTIFICATE ...: the methods it accepts, in order. */
  connection_auth_desc: string
  /** AES, NONE_AES (supported, not required), RC4_AES ... or NONE (disabled). */
  encryption_algorithm_desc: string
  /** The certificate it authenticates with (sys.certificates); 0: none. */
  certificate_id: number
  port: number
}

/** A database's files: where they live on the primary and how big they are. */
export const DATABASE_FILES = `SELECT type_desc, name, physical_name, CAST(size AS bigint) * 8192 AS size_bytes
FROM sys.master_files WHERE database_id = DB_ID(@db);`

export interface DatabaseFileRow {
  type_desc: 'ROWS' | 'LOG' | string
  name: string
  physical_name: string
  size_bytes: string | number
}

/** Free space on the volumes that hold the instance's files. */
export const VOLUMES = `SELECT DISTINCT vs.volume_mount_point, CAST(vs.total_bytes AS bigint) AS total_bytes,
       CAST(vs.available_bytes AS bigint) AS available_bytes
FROM sys.master_files mf CROSS APPLY sys.dm_os_volume_stats(mf.database_id, mf.file_id) vs;`

export interface VolumeRow {
  volume_mount_point: string
  total_bytes: string | number
  available_bytes: string | number
}

/**
 * Running seeds (on the primary): bytes, rate, failures (§3). Finished rows (Success/Failed) stay in the view until a
 * restart; each row is tied to its attempt by local_physical_seeding_id = operation_id, and so to the replica it
 * seeds, never by remote_machine_name.
 */
export const SEEDING_PROGRESS = `SELECT s.local_database_name, s.remote_machine_name, ar.replica_server_name, s.role_desc, s.internal_state_desc,
       CAST(s.transferred_size_bytes AS bigint) AS transferred_size_bytes,
       CAST(s.database_size_bytes AS bigint) AS database_size_bytes,
       CAST(s.transfer_rate_bytes_per_second AS bigint) AS transfer_rate_bytes_per_second,
       s.estimate_time_complete_utc, s.total_network_wait_time_ms, s.failure_code, s.failure_message,
       CAST(s.local_physical_seeding_id AS nvarchar(36)) AS operation_id
FROM sys.dm_hadr_physical_seeding_stats s
JOIN sys.dm_hadr_automatic_seeding a ON a.operation_id = s.local_physical_seeding_id
JOIN sys.availability_replicas ar ON ar.replica_id = a.ag_remote_replica_id
WHERE s.internal_state_desc NOT IN ('Success', 'Failed') AND a.current_state NOT IN ('COMPLETED', 'FAILED');`

export interface SeedingProgressRow {
  local_database_name: string
  remote_machine_name: string
  replica_server_name: string
  role_desc: string
  internal_state_desc: string
  transferred_size_bytes: string | number
  database_size_bytes: string | number
  transfer_rate_bytes_per_second: string | number
  estimate_time_complete_utc: Date | null
  total_network_wait_time_ms: string | number
  failure_code: number | null
  failure_message: string | null
  operation_id: string
}

/** Seeding attempts toward one replica, newest first (history, §3). */
export const SEEDING_HISTORY = `SELECT adc.database_name, CAST(a.operation_id AS nvarchar(36)) AS operation_id, a.start_time, a.completion_time,
       a.current_state, a.failure_state, a.failure_state_desc, a.error_code, a.number_of_attempts
FROM sys.dm_hadr_automatic_seeding a
JOIN sys.availability_groups ag ON ag.group_id = a.ag_id
JOIN sys.availability_databases_cluster adc ON adc.group_database_id = a.ag_db_id
JOIN sys.availability_replicas ar ON ar.replica_id = a.ag_remote_replica_id
WHERE ag.name = @ag AND ar.replica_server_name = @replica
ORDER BY a.start_time DESC;`

export interface SeedingHistoryRow {
  database_name: string
  operation_id: string
  start_time: Date
  completion_time: Date | null
  current_state: string
  failure_state: number | null
  failure_state_desc: string | null
  error_code: number | null
  number_of_attempts: number
}

/** Every database of the AG on every replica: synchronization, queues, LSNs (as strings). */
export const DATABASE_REPLICA_STATES = `SELECT adc.database_name, ar.replica_server_name, drs.is_local, drs.is_primary_replica,
       drs.synchronization_state_desc, drs.synchronization_health_desc, drs.database_state_desc,
       drs.is_suspended, drs.suspend_reason_desc,
       CAST(drs.log_send_queue_size AS bigint) AS log_send_queue_size,
       CAST(drs.redo_queue_size AS bigint) AS redo_queue_size,
       CAST(drs.last_hardened_lsn AS varchar(32)) AS last_hardened_lsn,
       CAST(drs.end_of_log_lsn AS varchar(32)) AS end_of_log_lsn,
       drs.last_commit_time
FROM sys.dm_hadr_database_replica_states drs
JOIN sys.availability_groups ag ON ag.group_id = drs.group_id
JOIN sys.availability_replicas ar ON ar.replica_id = drs.replica_id
JOIN sys.availability_databases_cluster adc ON adc.group_database_id = drs.group_database_id
WHERE ag.name = @ag;`

export interface DatabaseReplicaStateRow {
  database_name: string
  replica_server_name: string
  is_local: boolean
  is_primary_replica: boolean
  synchronization_state_desc: string
  synchronization_health_desc: string
  database_state_desc: string | null
  is_suspended: boolean
  suspend_reason_desc: string | null
  log_send_queue_size: string | number | null
  redo_queue_size: string | number | null
  last_hardened_lsn: string | null
  end_of_log_lsn: string | null
  last_commit_time: Date | null
}

/** The AG's listener and its IPs, one row per IP. */
export const LISTENER = `SELECT l.dns_name, l.port, ip.ip_address, ip.ip_subnet_mask, ip.state_desc
FROM sys.availability_group_listeners l
JOIN sys.availability_groups ag ON ag.group_id = l.group_id
LEFT JOIN sys.availability_group_listener_ip_addresses ip ON ip.listener_id = l.listener_id
WHERE ag.name = @ag;`

export interface ListenerRow {
  dns_name: string
  port: number
  ip_address: string | null
  ip_subnet_mask: string | null
  state_desc: string | null
}

/** A database's state on this instance (RESTORING before a join, ONLINE ...); no row: absent. */
export const DATABASE_STATE = `SELECT name, state_desc, CAST(group_database_id AS nvarchar(36)) AS group_database_id
FROM sys.databases WHERE name = @db;`

export interface DatabaseStateRow {
  name: string
  state_desc: string
  group_database_id: string | null
}

/** Every user database of the instance, as DATABASE_STATE reads one. */
export const DATABASES = `SELECT name, state_desc, CAST(group_database_id AS nvarchar(36)) AS group_database_id
FROM sys.databases WHERE database_id > 4;`

// ---- changes: availability group DDL cannot take parameters; names are quoted here ----

export type AvailabilityMode = 'SYNCHRONOUS_COMMIT' | 'ASYNCHRONOUS_COMMIT'
export type FailoverMode = 'AUTOMATIC' | 'MANUAL'
export type SeedingMode = 'AUTOMATIC' | 'MANUAL'
export type SecondaryConnections = 'NO' | 'READ_ONLY' | 'ALL'

export interface ReplicaOptions {
  endpointUrl: string
  availabilityMode: AvailabilityMode
  failoverMode: FailoverMode
  seedingMode: SeedingMode
  backupPriority: number
  secondaryConnections: SecondaryConnections
}

const ag = (name: string) => `ALTER AVAILABILITY GROUP ${quoteName(name)}`

export const addReplica = (group: string, replica: string, o: ReplicaOptions) =>
  `${ag(group)} ADD REPLICA ON ${quoteLiteral(replica)} WITH (ENDPOINT_URL = ${quoteLiteral(o.endpointUrl)}, ` +
  `AVAILABILITY_MODE = ${o.availabilityMode}, FAILOVER_MODE = ${o.failoverMode}, SEEDING_MODE = ${o.seedingMode}, ` +
  `BACKUP_PRIORITY = ${Math.trunc(o.backupPriority)}, SECONDARY_ROLE (ALLOW_CONNECTIONS = ${o.secondaryConnections}));`

export const removeReplica = (group: string, replica: string) =>
  `${ag(group)} REMOVE REPLICA ON ${quoteLiteral(replica)};`

export const addListenerIp = (group: string, listener: string, ip: string, mask: string) =>
  `${ag(group)} MODIFY LISTENER ${quoteLiteral(listener)} (ADD IP (${quoteLiteral(ip)}, ${quoteLiteral(mask)}));`

/** `option` is the cluster type's JOIN option (WITH (CLUSTER_TYPE = NONE) outside a WSFC), empty for a WSFC. */
export const joinGroup = (group: string, option = '') => `${ag(group)} JOIN${option ? ` ${option}` : ''};`

export const grantCreateAnyDatabase = (group: string) => `${ag(group)} GRANT CREATE ANY DATABASE;`

export const modifyReplica = (
  group: string,
  replica: string,
  setting: 'AVAILABILITY_MODE' | 'FAILOVER_MODE' | 'SEEDING_MODE',
  value: AvailabilityMode | FailoverMode | SeedingMode,
) => `${ag(group)} MODIFY REPLICA ON ${quoteLiteral(replica)} WITH (${setting} = ${value});`

export const addDatabase = (group: string, database: string) =>
  `${ag(group)} ADD DATABASE ${quoteName(database)};`

export const removeDatabase = (group: string, database: string) =>
  `${ag(group)} REMOVE DATABASE ${quoteName(database)};`

/** On a secondary: only its local copy leaves the AG, and stays RESTORING. */
export const leaveGroup = (database: string) => `ALTER DATABASE ${quoteName(database)} SET HADR OFF;`

export const dropDatabase = (database: string) => `DROP DATABASE ${quoteName(database)};`

export const joinDatabase = (group: string, database: string) =>
  `ALTER DATABASE ${quoteName(database)} SET HADR AVAILABILITY GROUP = ${quoteName(group)};`

export const resumeDatabase = (database: string) => `ALTER DATABASE ${quoteName(database)} SET HADR RESUME;`

export const failover = (group: string) => `${ag(group)} FAILOVER;`

export const forceFailover = (group: string) => `${ag(group)} FORCE_FAILOVER_ALLOW_DATA_LOSS;`

/** BACKUP and RESTORE take the database and the path as parameters (@db, @path). */
export const BACKUP_FULL = 'BACKUP DATABASE @db TO DISK = @path WITH CHECKSUM, COPY_ONLY, INIT, FORMAT;'
/** COPY_ONLY: the log switchyard backs up stays out of the DBAs' own log chain and truncates nothing. */
export const BACKUP_LOG = 'BACKUP LOG @db TO DISK = @path WITH CHECKSUM, COPY_ONLY, INIT, FORMAT;'
export const RESTORE_FULL = 'RESTORE DATABASE @db FROM DISK = @path WITH NORECOVERY, CHECKSUM;'
export const RESTORE_LOG = 'RESTORE LOG @db FROM DISK = @path WITH NORECOVERY, CHECKSUM;'

/** Compares two LSNs (numeric(25,0) read as text) exactly. */
export function compareLsn(a: string | null, b: string | null): number {
  const x = BigInt(a ?? '0')
  const y = BigInt(b ?? '0')
  return x < y ? -1 : x > y ? 1 : 0
}

/** bigint columns arrive as strings from mssql; sizes fit a double well below 2^53 bytes. */
export const bytes = (value: string | number | null | undefined): number => Number(value ?? 0)

/** What NT AUTHORITY\SYSTEM may do on the server: the WSFC health check logs in as it (41131 without). */
export const SYSTEM_ACCOUNT_PERMISSIONS = `SELECT p.permission_name
FROM sys.server_permissions p
JOIN sys.server_principals sp ON sp.principal_id = p.grantee_principal_id
WHERE sp.name = N'NT AUTHORITY\\SYSTEM' AND p.class_desc = 'SERVER' AND p.state IN ('G', 'W');`

export interface PermissionNameRow {
  permission_name: string
}

/** The Windows accounts the instance's services run as (the Database Engine's is 'SQL Server (INSTANCE)'). */
export const SERVICE_ACCOUNTS = `SELECT servicename, service_account FROM sys.dm_server_services;`

export interface ServiceAccountRow {
  servicename: string
  service_account: string
}

/** The logins that may CONNECT to the mirroring endpoint. */
export const ENDPOINT_CONNECT_GRANTEES = `SELECT sp.name AS grantee
FROM sys.server_permissions p
JOIN sys.server_principals sp ON sp.principal_id = p.grantee_principal_id
JOIN sys.database_mirroring_endpoints e ON e.endpoint_id = p.major_id
WHERE p.class_desc = 'ENDPOINT' AND p.permission_name = 'CONNECT' AND p.state IN ('G', 'W');`

export interface GranteeRow {
  grantee: string
}

/** TDE: the certificate (by thumbprint) that protects a database's encryption key; no row: not encrypted. */
export const DATABASE_ENCRYPTION = `SELECT d.name AS database_name, k.encryptor_thumbprint, k.encryptor_type
FROM sys.dm_database_encryption_keys k
JOIN sys.databases d ON d.database_id = k.database_id
WHERE d.name = @db;`

export interface DatabaseEncryptionRow {
  database_name: string
  encryptor_thumbprint: Buffer | null
  encryptor_type: string
}

/** The certificates in master, with whether their private key is there. */
export const CERTIFICATES = `SELECT certificate_id, name, thumbprint, pvt_key_encryption_type_desc FROM sys.certificates;`

export interface CertificateRow {
  certificate_id: number
  name: string
  thumbprint: Buffer
  pvt_key_encryption_type_desc: string
}

/** Who owns a database: the login with its owner SID (NULL: an orphaned SID no login here has). */
export const DATABASE_OWNER = `SELECT d.name, sp.name AS owner
FROM sys.databases d
LEFT JOIN sys.server_principals sp ON sp.sid = d.owner_sid
WHERE d.name = @db;`

export interface DatabaseOwnerRow {
  name: string
  owner: string | null
}

/** Whether a login exists on this instance. */
export const LOGIN = `SELECT name FROM sys.server_principals WHERE name = @login;`

/** On the primary of a CLUSTER_TYPE = NONE AG: it becomes a (read-only) secondary; FORCE on the target promotes it. */
export const demoteToSecondary = (group: string) => `${ag(group)} SET (ROLE = SECONDARY);`

/** REQUIRED_SYNCHRONIZED_SECONDARIES_TO_COMMIT (2017+): commits wait for that many synchronized secondaries. */
export const AG_REQUIRED_SYNCHRONIZED = `SELECT ag.required_synchronized_secondaries_to_commit AS required
FROM sys.availability_groups ag WHERE ag.name = @ag;`

export const setRequiredSynchronized = (group: string, count: number) =>
  `${ag(group)} SET (REQUIRED_SYNCHRONIZED_SECONDARIES_TO_COMMIT = ${Math.trunc(count)});`

// Columns, types and first versions checked against the Microsoft pages named in each view's `doc` on 2026-12-04.
import { quorumState } from '../cluster.js'
import type { Database, Instance } from '../model.js'
import { type CatalogView, columns, type Row } from './types.js'

const LEARN = 'https://learn.microsoft.com/sql/relational-databases'

/** master, tempdb, model and msdb: sys.databases and sys.master_files list them before the user databases. */
const SYSTEM_DATABASES = ['master', 'tempdb', 'model', 'msdb']

/** Every database of the instance as the catalog lists it: the four system databases, then the world's. */
export function catalogDatabases(instance: Instance): (Database & { system: boolean })[] {
  const system = SYSTEM_DATABASES.map((name, i) => ({
    name,
    id: i + 1,
    guid: `00000000-0000-0000-0000-00000000000${i + 1}`,
    recoveryModel: name === 'model' || name === 'msdb' ? 'FULL' : 'SIMPLE',
    state: 'ONLINE',
    userAccess: 'MULTI_USER',
    readOnly: false,
    files: [
      {
        type: 'ROWS',
        name: name === 'master' ? 'master' : `${name}dev`,
        physicalName: `${instance.defaultDataPath}${name}.mdf`,
        sizeBytes: 8 * 1024 * 1024,
      },
      {
        type: 'LOG',
        name: name === 'master' ? 'mastlog' : `${name}log`,
        physicalName: `${instance.defaultLogPath}${name}log.ldf`,
        sizeBytes: 8 * 1024 * 1024,
      },
    ],
    logBytes: 0,
    lastLogBackupBytes: null,
    ag: null,
    groupDatabaseId: null,
    suspended: false,
    suspendReason: null,
    syncSince: 0,
    lastCommitTime: 0,
    system: true,
  })) satisfies (Database & { system: boolean })[]
  return [...system, ...instance.databases.map((db) => ({ ...db, system: false }))]
}

const ENDPOINT_COLUMNS = `
  name sysname
  endpoint_id int
  principal_id int
  protocol tinyint
  protocol_desc nvarchar(60)
  type tinyint
  type_desc nvarchar(60)
  state tinyint
  state_desc nvarchar(60)
  is_admin_endpoint bit`

/** The AG mirroring endpoint's id; SQL Server numbers its own endpoints 1-5 and user ones from 65536. */
export const HADR_ENDPOINT_ID = 65536

const AUTH = [
  'NTLM',
  'KERBEROS',
  'NEGOTIATE',
  'CERTIFICATE',
  'NTLM_CERTIFICATE',
  'KERBEROS_CERTIFICATE',
  'NEGOTIATE_CERTIFICATE',
  'CERTIFICATE_NTLM',
  'CERTIFICATE_KERBEROS',
  'CERTIFICATE_NEGOTIATE',
]
const ALGORITHMS = [
  'NONE',
  'RC4',
  'AES',
  'NONE_RC4',
  'NONE_AES',
  'RC4_AES',
  'AES_RC4',
  'NONE_RC4_AES',
  'NONE_AES_RC4',
]

/** sys.certificates numbers master's certificates from 256 in order; 0: none. */
export function certificateIdOf(instance: Instance, name: string | undefined): number {
  const at =
    name === undefined
      ? -1
      : instance.certificates.findIndex((c) => c.name.toLowerCase() === name.toLowerCase())
  return at < 0 ? 0 : 256 + at
}

/** What an endpoint offers, as sys.database_mirroring_endpoints words it. */
export const endpointAuth = (e: NonNullable<Instance['endpoint']>) => e.auth ?? 'NEGOTIATE'
export const endpointAlgorithm = (e: NonNullable<Instance['endpoint']>) =>
  e.algorithm ?? (e.encrypted ? 'AES' : 'NONE')

function endpointRow(instance: Instance): Row[] {
  const e = instance.endpoint
  if (!e) return []
  return [
    {
      name: e.name,
      endpoint_id: HADR_ENDPOINT_ID,
      principal_id: 1,
      protocol: 2,
      protocol_desc: 'TCP',
      type: 4,
      type_desc: 'DATABASE_MIRRORING',
      state: e.state === 'STARTED' ? 0 : 1,
      state_desc: e.state,
      is_admin_endpoint: false,
      role: e.role === 'ALL' ? 3 : 1,
      role_desc: e.role,
      is_encryption_enabled: endpointAlgorithm(e) !== 'NONE',
      connection_auth: AUTH.indexOf(endpointAuth(e)) + 1,
      connection_auth_desc: endpointAuth(e),
      certificate_id: certificateIdOf(instance, e.certificate),
      encryption_algorithm: ALGORITHMS.indexOf(endpointAlgorithm(e)),
      encryption_algorithm_desc: endpointAlgorithm(e),
      port: e.port,
      is_dynamic_port: false,
      ip_address: null,
    },
  ]
}

export const databaseMirroringEndpoints: CatalogView = {
  name: 'sys.database_mirroring_endpoints',
  doc: `${LEARN}/system-catalog-views/sys-database-mirroring-endpoints-transact-sql`,
  columns: columns(`${ENDPOINT_COLUMNS}
    role tinyint
    role_desc nvarchar(60)
    is_encryption_enabled bit
    connection_auth tinyint
    connection_auth_desc nvarchar(60)
    certificate_id int
    encryption_algorithm tinyint
    encryption_algorithm_desc nvarchar(60)`),
  rows: ({ instance }) => endpointRow(instance),
}

export const tcpEndpoints: CatalogView = {
  name: 'sys.tcp_endpoints',
  doc: `${LEARN}/system-catalog-views/sys-tcp-endpoints-transact-sql`,
  columns: columns(`${ENDPOINT_COLUMNS}
    port int
    is_dynamic_port bit
    ip_address nvarchar(45)`),
  rows: ({ instance }) => endpointRow(instance),
}

export const hadrCluster: CatalogView = {
  name: 'sys.dm_hadr_cluster',
  doc: `${LEARN}/system-dynamic-management-views/sys-dm-hadr-cluster-transact-sql`,
  columns: columns(`
    cluster_name nvarchar(128)
    quorum_type tinyint
    quorum_type_desc varchar(50)
    quorum_state tinyint
    quorum_state_desc varchar(50)`),
  rows: ({ world, instance }) => {
    if (!instance.cluster) return []
    const quorum = quorumState(world, instance.cluster)
    return [
      {
        cluster_name: instance.cluster,
        quorum_type: 0,
        quorum_type_desc: 'NODE_MAJORITY',
        quorum_state: { UNKNOWN_QUORUM_STATE: 0, NORMAL_QUORUM: 1, FORCED_QUORUM: 2 }[quorum],
        quorum_state_desc: quorum,
      },
    ]
  },
}

/** The volume that holds a path: the longest mount point that prefixes it. */
function volumeOf(instance: Instance, path: string) {
  const lower = path.toLowerCase()
  return [...instance.volumes]
    .sort((a, b) => b.mountPoint.length - a.mountPoint.length)
    .find((v) => lower.startsWith(v.mountPoint.toLowerCase()))
}

export const osVolumeStats: CatalogView = {
  name: 'sys.dm_os_volume_stats',
  doc: `${LEARN}/system-dynamic-management-views/sys-dm-os-volume-stats-transact-sql`,
  arity: 2,
  columns: columns(`
    database_id int
    file_id int
    volume_mount_point nvarchar(512)
    volume_id nvarchar(512)
    logical_volume_name nvarchar(512)
    file_system_type nvarchar(512)
    total_bytes bigint
    available_bytes bigint
    supports_compression tinyint
    supports_alternate_streams tinyint
    supports_sparse_files tinyint
    is_read_only tinyint
    is_compressed tinyint
    incurs_seek_penalty tinyint @15`),
  rows: ({ instance }, [databaseId, fileId]) => {
    const db = catalogDatabases(instance).find((d) => d.id === Number(databaseId))
    const file = db?.files[Number(fileId) - 1]
    const volume = file && volumeOf(instance, file.physicalName)
    if (!volume) return []
    return [
      {
        database_id: Number(databaseId),
        file_id: Number(fileId),
        volume_mount_point: volume.mountPoint,
        volume_id: `\\\\?\\Volume{${volume.mountPoint.charCodeAt(0)}}\\`,
        logical_volume_name: '',
        file_system_type: 'NTFS',
        total_bytes: BigInt(Math.floor(volume.totalBytes)),
        available_bytes: BigInt(Math.floor(volume.availableBytes)),
        supports_compression: 1,
        supports_alternate_streams: 1,
        supports_sparse_files: 1,
        is_read_only: 0,
        is_compressed: 0,
        incurs_seek_penalty: 0,
      },
    ]
  },
}

/** The connection of the session that asks (a login without VIEW SERVER STATE sees only its own, as here). */
export const execConnections: CatalogView = {
  name: 'sys.dm_exec_connections',
  doc: `${LEARN}/system-dynamic-management-views/sys-dm-exec-connections-transact-sql`,
  columns: columns(`
    session_id int
    most_recent_session_id int
    connect_time datetime
    net_transport nvarchar(40)
    protocol_type nvarchar(40)
    protocol_version int
    endpoint_id int
    encrypt_option nvarchar(40)
    auth_scheme nvarchar(40)
    node_affinity smallint
    num_reads int
    num_writes int
    last_read datetime
    last_write datetime
    net_packet_size int
    client_net_address varchar(48)
    client_tcp_port int
    local_net_address varchar(48)
    local_tcp_port int
    connection_id uniqueidentifier
    parent_connection_id uniqueidentifier
    most_recent_sql_handle varbinary(64)`),
  rows: ({ session }) =>
    session
      ? [
          {
            session_id: session.id,
            most_recent_session_id: session.id,
            net_transport: 'TCP',
            protocol_type: 'TSQL',
            protocol_version: session.tdsVersion | 0,
            endpoint_id: 4,
            encrypt_option: session.encrypted ? 'TRUE' : 'FALSE',
            auth_scheme: 'SQL',
            node_affinity: 0,
            net_packet_size: 4096,
            client_net_address: session.clientAddress.replace(/^::ffff:/, ''),
            client_tcp_port: session.clientPort,
          },
        ]
      : [],
}

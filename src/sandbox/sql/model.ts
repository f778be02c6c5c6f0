/** The state of the sandbox's SQL Server world: instances, their databases, availability groups and seeds. */

import type { ServerObjects } from './server-objects.js'

export type RecoveryModel = 'FULL' | 'SIMPLE' | 'BULK_LOGGED'
export type AvailabilityMode = 'SYNCHRONOUS_COMMIT' | 'ASYNCHRONOUS_COMMIT'
export type FailoverMode = 'AUTOMATIC' | 'MANUAL'
export type SeedingMode = 'AUTOMATIC' | 'MANUAL'
export type SecondaryConnections = 'NO' | 'READ_ONLY' | 'ALL'
export type Permission =
  | 'CONTROL SERVER'
  | 'ALTER ANY AVAILABILITY GROUP'
  | 'CREATE ANY DATABASE'
  | 'VIEW SERVER STATE'

export type LoginType = 'SQL_LOGIN' | 'WINDOWS_LOGIN' | 'WINDOWS_GROUP'

/** A login (sys.server_principals, and sys.sql_logins for SQL logins). */
export interface Login {
  /** As created (the map key is its lower case). */
  name: string
  principalId: number
  type: LoginType
  sid: Buffer
  /** SQL logins: what LOGINPROPERTY(name, 'PasswordHash') returns; logins are checked against it. */
  passwordHash: Buffer | null
  sysadmin: boolean
  /** Server roles besides sysadmin (sys.server_role_members). */
  serverRoles: string[]
  permissions: Permission[]
  disabled: boolean
  defaultDatabase: string
  defaultLanguage: string
  checkPolicy: boolean
  checkExpiration: boolean
  createdAt: number
}

/** A GRANT to a Windows login: on the server, or CONNECT ON ENDPOINT::[the mirroring endpoint]. */
export interface WindowsGrant {
  principal: string
  permission: 'ALTER ANY AVAILABILITY GROUP' | 'CONNECT SQL' | 'VIEW SERVER STATE' | 'CONNECT'
  on: 'SERVER' | 'ENDPOINT'
}

export interface Volume {
  mountPoint: string
  totalBytes: number
  availableBytes: number
}

export interface DatabaseFile {
  type: 'ROWS' | 'LOG'
  name: string
  physicalName: string
  sizeBytes: number
}

export interface Database {
  name: string
  id: number
  guid: string
  recoveryModel: RecoveryModel
  state: 'ONLINE' | 'RESTORING'
  userAccess: 'MULTI_USER' | 'SINGLE_USER' | 'RESTRICTED_USER'
  readOnly: boolean
  files: DatabaseFile[]
  /** Position of this copy's end of log, in bytes of log since the database was created (LSNs derive from it). */
  logBytes: number
  /** Log position of the newest log backup (or the full backup that started the chain); null: no chain. */
  lastLogBackupBytes: number | null
  /** The AG this copy is joined to (null: not joined). */
  ag: string | null
  groupDatabaseId: string | null
  suspended: boolean
  suspendReason: string | null
  /** The login that owns it (default sa); the owner's SID travels with a backup or a seed. */
  owner?: string
  /** TDE: the thumbprint (hex) of the master certificate that protects the database encryption key; absent: not encrypted. */
  tdeThumbprint?: string
  /** When this copy last started catching up (joined, resumed, reconnected, mode change): SYNCHRONIZED after a delay. */
  syncSince: number
  lastCommitTime: number
}

export interface BackupRecord {
  database: string
  guid: string
  type: 'D' | 'L'
  copyOnly: boolean
  firstBytes: number
  lastBytes: number
  finishedAt: number
  path: string
}

/** What a backup file on the shared virtual disk holds. */
export interface BackupFile extends BackupRecord {
  recoveryModel: RecoveryModel
  files: DatabaseFile[]
  madeOn: string
}

export interface Instance {
  name: string
  productVersion: string
  edition: string
  engineEdition: number
  hadrEnabled: boolean
  hadrManagerStatus: number
  collation: string
  defaultDataPath: string
  defaultLogPath: string
  cluster: string | null
  /** CIDR of the instance's public cluster network, e.g. 10.10.1.0/24. */
  subnet: string
  endpoint: {
    name: string
    state: string
    role: string
    encrypted: boolean
    port: number
    /** connection_auth_desc (default NEGOTIATE): Windows methods and/or CERTIFICATE, in order of preference. */
    auth?: string
    /** The certificate in master the endpoint authenticates with (AUTHENTICATION = CERTIFICATE ...). */
    certificate?: string
    /** encryption_algorithm_desc when set (NONE_AES: supported, not required); else AES or NONE by `encrypted`. */
    algorithm?: string
  } | null
  logins: Map<string, Login>
  /** Agent jobs, linked servers and credentials. */
  serverObjects: ServerObjects
  /** Certificates in master (TDE protectors, endpoint certificates); privateKey false: public part only. */
  certificates: { name: string; thumbprint: string; privateKey: boolean }[]
  /** The Windows account the SQL Server service runs as (sys.dm_server_services). */
  serviceAccount: string
  /** Server-level grants to Windows principals (sys.server_permissions): AG health, endpoint CONNECT. */
  windowsGrants: WindowsGrant[]
  volumes: Volume[]
  /** The folders that exist on the instance's disks (lower-case, ending in a separator): RESTORE creates files, never folders. */
  folders: Set<string>
  databases: Database[]
  /** msdb.dbo.backupset of this instance. */
  backups: BackupRecord[]
  refuseLogins: boolean
  /** The host is down: its TDS server refuses connections, it writes no log and holds no cluster vote. */
  down: boolean
  nextDatabaseId: number
}

export interface Replica {
  server: string
  id: string
  endpointUrl: string
  availabilityMode: AvailabilityMode
  failoverMode: FailoverMode
  seedingMode: SeedingMode
  backupPriority: number
  secondaryConnections: SecondaryConnections
  role: 'PRIMARY' | 'SECONDARY'
  joined: boolean
  connected: boolean
  createAnyDatabaseGranted: boolean
  /** Fault: the replica never catches up (log send queue grows). */
  neverSynchronize: boolean
}

export interface ListenerIp {
  ip: string
  mask: string
}

export interface AvailabilityGroup {
  name: string
  id: string
  cluster: string
  basicFeatures: boolean
  /** sys.availability_groups.cluster_type_desc (2017+); every 2016 AG is WSFC. */
  clusterType: 'WSFC' | 'EXTERNAL' | 'NONE'
  /** REQUIRED_SYNCHRONIZED_SECONDARIES_TO_COMMIT (2017+); 0 when absent. */
  requiredSynchronizedSecondaries?: number
  replicas: Replica[]
  databases: { name: string; groupDatabaseId: string }[]
  listener: { dnsName: string; port: number; ips: ListenerIp[] } | null
}

export type SeedState = 'LIMIT_CONCURRENT_BACKUPS' | 'SEEDING' | 'COMPLETED' | 'FAILED'

export interface Seed {
  operationId: string
  ag: string
  database: string
  source: string
  target: string
  startTime: number
  completionTime: number | null
  state: SeedState
  failureState: number | null
  errorCode: number | null
  transferredBytes: number
  sizeBytes: number
  networkWaitMs: number
  /** Injected: fail when half the bytes have moved. */
  failWith: { failureState: number; errorCode: number } | null
}

/** `failure_state` reasons of sys.dm_hadr_automatic_seeding (the hundreds digit says which side failed). */
export const SEEDING_FAILURE_REASONS = [
  'Internal Error',
  'User Cancellation',
  'SQL Error',
  'Request Denied',
  'Thread Abort',
  'Primary Failure',
  'Transport',
  'Transport Replica',
  'Check If Seeding Needed',
  'Send Database File Info',
  'Create Callback',
  'Create Operation',
  'Create VDI Client',
  'Open VDI Client',
  'Create USC Session',
  'Seeding',
  'Restore String Creation',
  'Database ID Lookup',
  'Create Async Task',
  'Create Timeout Task',
  'Async Task Failure',
  'Seeding Check Message Timeout',
  'File Message Timeout',
  'Database With Name Already Exists',
  'Secondary Catchup Timeout',
  'Secondary Restore Stream Ready Timeout',
]

export const failureStateDesc = (failureState: number): string =>
  SEEDING_FAILURE_REASONS[failureState % 100] ?? 'Internal Error'

/** LSNs are numeric(25,0) (VLF * 10^15 + block * 10^5 + slot); ours start above 2^53 so floats would lose them. */
const LSN_BASE = 98_000_000_123_400_001n

export const lsnOf = (logBytes: number): string =>
  (LSN_BASE + BigInt(Math.floor(logBytes / 512)) * 100_000n).toString()

export const sameName = (a: string, b: string) => a.toLowerCase() === b.toLowerCase()

/** How a folder is compared: Windows paths ignore case, and a folder ends in its separator. */
export const folderKey = (path: string) => `${path.toLowerCase().replace(/[\\/]+$/, '')}\\`

/** The folder that holds a file. */
export const folderOf = (path: string) => folderKey(path.replace(/[^\\/]*$/, ''))

function ipToNumber(ip: string): number {
  const parts = ip.split('.').map(Number)
  if (parts.length !== 4 || parts.some((p) => !(p >= 0 && p <= 255)))
    throw new TypeError(`not an IPv4 address: ${ip}`)
  return parts.reduce((n, p) => n * 256 + p, 0)
}

/** Does the address fall in the CIDR block (e.g. 10.20.1.50 in 10.20.1.0/24)? */
export function inSubnet(ip: string, cidr: string): boolean {
  const [network = '', bits = '32'] = cidr.split('/')
  const size = 2 ** (32 - Number(bits))
  return Math.floor(ipToNumber(ip) / size) === Math.floor(ipToNumber(network) / size)
}

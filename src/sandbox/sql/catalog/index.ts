import {
  syscategories,
  sysjobs,
  sysjobschedules,
  sysjobservers,
  sysjobsteps,
  sysschedules,
} from './agent-views.js'
import { hadrClusterMembers } from './cluster-views.js'
import {
  availabilityDatabasesCluster,
  backupmediafamily,
  backupset,
  databaseMirroring,
  databaseRecoveryStatus,
  databases,
  masterFiles,
} from './database-views.js'
import {
  availabilityGroupListenerIpAddresses,
  availabilityGroupListeners,
  availabilityGroupStates,
  availabilityGroups,
  availabilityReplicaClusterStates,
  availabilityReplicaStates,
  availabilityReplicas,
  databaseReplicaStates,
} from './hadr-views.js'
import {
  credentials,
  linkedLogins,
  serverPrincipals,
  serverRoleMembers,
  servers,
  sqlLogins,
} from './principal-views.js'
import { certificates, databaseEncryptionKeys, serverPermissions, serverServices } from './security-views.js'
import { automaticSeeding, physicalSeedingStats } from './seeding-views.js'
import {
  databaseMirroringEndpoints,
  execConnections,
  hadrCluster,
  osVolumeStats,
  tcpEndpoints,
} from './server-views.js'
import type { CatalogColumn, CatalogView } from './types.js'

export { catalogDatabases } from './server-views.js'
export type { CatalogColumn, CatalogView, Row, ViewContext } from './types.js'
export { majorVersion, SUPPORTED_MAJOR_VERSIONS } from './types.js'

/** Every system view, DMV and msdb table the sandbox answers, transcribed from Microsoft's pages (`doc`). */
export const CATALOG: readonly CatalogView[] = [
  availabilityDatabasesCluster,
  availabilityGroupListenerIpAddresses,
  availabilityGroupListeners,
  availabilityGroupStates,
  availabilityGroups,
  availabilityReplicaClusterStates,
  availabilityReplicaStates,
  availabilityReplicas,
  automaticSeeding,
  backupmediafamily,
  backupset,
  certificates,
  databaseEncryptionKeys,
  databaseMirroring,
  databaseMirroringEndpoints,
  databaseRecoveryStatus,
  databaseReplicaStates,
  databases,
  execConnections,
  hadrCluster,
  hadrClusterMembers,
  masterFiles,
  osVolumeStats,
  physicalSeedingStats,
  serverPermissions,
  serverServices,
  tcpEndpoints,
  // Outside the databases: logins, linked servers, credentials, Agent jobs (sql.sync-objects)
  credentials,
  linkedLogins,
  serverPrincipals,
  serverRoleMembers,
  servers,
  sqlLogins,
  syscategories,
  sysjobs,
  sysjobschedules,
  sysjobservers,
  sysjobsteps,
  sysschedules,
]

const BY_NAME = new Map(CATALOG.map((view) => [view.name.toLowerCase(), view]))

/**
 * The view a (possibly database-qualified) name refers to from a session in `database`: sys views resolve from any
 * database (master.sys.databases = sys.databases); msdb tables need msdb, by name or as the current database.
 */
export function findView(parts: string[], database: string): CatalogView | undefined {
  const lower = parts.map((p) => p.toLowerCase())
  if (lower.length === 3 && lower[1] === 'sys') return BY_NAME.get(`sys.${lower[2]}`)
  if (lower.length === 3) return BY_NAME.get(lower.join('.'))
  if (lower.length === 2 && lower[0] === 'sys') return BY_NAME.get(lower.join('.'))
  if (lower.length === 2) return BY_NAME.get(`${database.toLowerCase()}.${lower.join('.')}`)
  return undefined
}

/** Whether this version has the view at all (before it, a query names an invalid object, Msg 208). */
export const viewExists = (view: CatalogView, major: number): boolean => (view.since ?? 0) <= major

/**
 * The columns this version has. Before 2016 the catalog is not transcribed: such a release (2012, 2014) gets the
 * 2016 columns, enough for what a client asks on connect and for switchyard to read the version and refuse it.
 */
export const columnsOf = (view: CatalogView, major: number): CatalogColumn[] =>
  view.columns.filter((c) => c.since <= Math.max(major, 13))

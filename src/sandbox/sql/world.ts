import { createHash, randomUUID } from 'node:crypto'
import { type Clock, systemClock } from '../aws/clock.js'
import { cannotDropMissing, dropJoinedDatabase } from './errors.js'
import type {
  AvailabilityGroup,
  AvailabilityMode,
  BackupFile,
  Database,
  FailoverMode,
  Instance,
  Permission,
  RecoveryModel,
  Replica,
  SecondaryConnections,
  Seed,
  SeedingMode,
  Volume,
} from './model.js'
import { folderKey, inSubnet, sameName } from './model.js'
import { advanceSeeds } from './seeding.js'
import { emptyServerObjects } from './server-objects.js'
import {
  type ServerObjectsSpec,
  seedLogins,
  seedServerObjects,
  snapshotServerObjects,
} from './server-objects-seed.js'
import { advanceLog } from './sync.js'

export interface LoginSpec {
  /** A SQL login's password; a Windows login (`windows: true`, named DOMAIN\\name) has none. */
  password?: string
  windows?: boolean
  /** Default true: the sandbox's logins are sysadmins unless a test says otherwise. */
  sysadmin?: boolean
  permissions?: Permission[]
  /** Server roles besides sysadmin, e.g. ['dbcreator']. */
  roles?: string[]
  disabled?: boolean
  defaultDatabase?: string
  defaultLanguage?: string
  checkPolicy?: boolean
  checkExpiration?: boolean
}

export interface DatabaseSpec {
  name: string
  recoveryModel?: RecoveryModel
  /** Size of the data file (default 100 MB); the log file is a quarter of it. */
  sizeBytes?: number
  /** Default true: a full backup exists in msdb and the log chain is live. */
  backedUp?: boolean
  state?: 'ONLINE' | 'RESTORING'
}

/** The releases the sandbox's catalog models, and the build each instance of that release reports. */
export const SQL_SERVER_BUILDS = {
  2016: '13.0.5830.85',
  2017: '14.0.3456.2',
  2019: '15.0.4385.2',
  2022: '16.0.4135.4',
} as const

export type SqlServerRelease = keyof typeof SQL_SERVER_BUILDS

export interface InstanceSpec {
  name: string
  /** The build, whose major version picks the catalog (13 = 2016 SP2 … 16 = 2022). Default SQL Server 2022. */
  productVersion?: string
  edition?: string
  engineEdition?: number
  hadrEnabled?: boolean
  collation?: string
  defaultDataPath?: string
  defaultLogPath?: string
  /** The WSFC the node belongs to; null or omitted: none. */
  cluster?: string | null
  /** CIDR of the node's network, e.g. '10.10.1.0/24'. */
  subnet?: string
  /** Mirroring endpoint port (Hadr_endpoint, STARTED, role ALL); null: no endpoint. Default 5022. */
  endpointPort?: number | null
  logins?: Record<string, LoginSpec>
  /** Agent jobs, linked servers and credentials the instance starts with. */
  serverObjects?: ServerObjectsSpec
  /** Default GIFTCARD\\svc-sql, granted CONNECT on every instance's endpoint. */
  serviceAccount?: string
  volumes?: Volume[]
  /** Folders that exist besides the volume roots and the default data and log folders (e.g. 'G:\\SQLData\\'). */
  folders?: string[]
  databases?: DatabaseSpec[]
}

export interface ReplicaSpec {
  server: string
  endpointUrl?: string
  availabilityMode?: AvailabilityMode
  failoverMode?: FailoverMode
  seedingMode?: SeedingMode
  backupPriority?: number
  secondaryConnections?: SecondaryConnections
  primary?: boolean
}

export interface AvailabilityGroupSpec {
  name: string
  /** The first replica is the primary unless one says `primary: true`. Every replica starts joined and synchronized. */
  replicas: ReplicaSpec[]
  /** Databases of the primary that are in the AG (copied to every secondary, joined). */
  databases: string[]
  listener?: { dnsName: string; port: number; ips: { ip: string; mask: string }[] }
  /** Default WSFC; EXTERNAL (Pacemaker) and NONE (read-scale) exist from SQL Server 2017 and need no WSFC. */
  clusterType?: AvailabilityGroup['clusterType']
}

export interface SqlWorldOptions {
  instances: InstanceSpec[]
  availabilityGroups?: AvailabilityGroupSpec[]
  /** Milliseconds since the epoch; tests pass their own to move time without sleeping. */
  clock?: Clock
  /** Automatic seeding throughput per target replica (shared by its running seeds). Default 200 MB/s. */
  seedingBytesPerSecond?: number
  /** How long a synchronous-commit copy stays SYNCHRONIZING after it (re)starts catching up. Default 2000 ms. */
  synchronizeAfterMs?: number
  /** Log each primary database writes per second (moves LSNs and queues). Default 64 KB/s. */
  logBytesPerSecond?: number
}

const MB = 1024 * 1024
const GB = 1024 * MB
const SERVICE_ACCOUNT = 'GIFTCARD\\svc-sql'

interface ConnectionDrop {
  match: string | RegExp
  remaining: number
  instance: string | undefined
}

export const newGuid = () => randomUUID().toUpperCase()

const seedKey = (replica: string, db: string) => `${replica.toLowerCase()}\u0000${db.toLowerCase()}`

/** Everything the sandbox's SQL Servers hold, the faults waiting to happen, and the clock that moves seeds and log. */
export class SqlWorld {
  now: Clock
  seedingBytesPerSecond: number
  synchronizeAfterMs: number
  logBytesPerSecond: number
  readonly instances: Instance[] = []
  readonly groups: AvailabilityGroup[] = []
  /** Every automatic seeding attempt (sys.dm_hadr_automatic_seeding), oldest first. */
  readonly seeds: Seed[] = []
  /** The backup files on the disk every instance shares, keyed by lower-case path. */
  readonly backupFiles = new Map<string, BackupFile>()
  private readonly seedCounts = new Map<string, number>()
  private readonly pendingSeedFailures = new Map<string, { failureState: number; errorCode: number }>()
  private readonly stalled = new Set<string>()
  /** Seeds that fail on every try until cleared (a drill's broken link), as against the next one only. */
  private readonly failingSeeds = new Map<string, { failureState: number; errorCode: number }>()
  private readonly drops: ConnectionDrop[] = []
  private lastTick: number

  constructor(options: SqlWorldOptions) {
    this.now = options.clock ?? systemClock
    this.seedingBytesPerSecond = options.seedingBytesPerSecond ?? 200 * MB
    this.synchronizeAfterMs = options.synchronizeAfterMs ?? 2000
    this.logBytesPerSecond = options.logBytesPerSecond ?? 64 * 1024
    this.lastTick = this.now()
    for (const spec of options.instances) this.instances.push(this.createInstance(spec))
    for (const spec of options.availabilityGroups ?? []) this.groups.push(this.createGroup(spec))
  }

  // ---- lookups ----

  instance(name: string): Instance {
    const found = this.findInstance(name)
    if (!found)
      throw new Error(
        `No SQL Server instance '${name}' in the sandbox (have: ${this.instances.map((i) => i.name).join(', ')})`,
      )
    return found
  }

  findInstance(name: string): Instance | undefined {
    return this.instances.find((i) => sameName(i.name, name))
  }

  group(name: string): AvailabilityGroup | undefined {
    return this.groups.find((g) => sameName(g.name, name))
  }

  database(instance: Instance, name: string): Database | undefined {
    return instance.databases.find((d) => sameName(d.name, name))
  }

  /** The replica of the AG hosted by this instance, if any. */
  replicaOn(group: AvailabilityGroup, instance: Instance): Replica | undefined {
    return group.replicas.find((r) => sameName(r.server, instance.name))
  }

  /** None between SET (ROLE = SECONDARY) on a CLUSTER_TYPE = NONE primary and the FORCE that promotes another. */
  primaryIn(group: AvailabilityGroup): Replica | undefined {
    return group.replicas.find((r) => r.role === 'PRIMARY')
  }

  primaryOf(group: AvailabilityGroup): Replica {
    const primary = this.primaryIn(group)
    if (!primary) throw new Error(`availability group ${group.name} has no primary replica`)
    return primary
  }

  /** The AG as an instance sees it: only when it hosts a joined replica (sys.availability_groups' rule). */
  groupOn(instance: Instance, name: string): AvailabilityGroup | undefined {
    const group = this.group(name)
    return group && this.replicaOn(group, instance)?.joined ? group : undefined
  }

  /** The copy of an AG database a replica holds, joined to the AG. */
  copyOf(group: AvailabilityGroup, replica: Replica, db: string): Database | undefined {
    const copy = this.database(this.instance(replica.server), db)
    return copy && copy.ag !== null && sameName(copy.ag, group.name) ? copy : undefined
  }

  /** Finds a replica by server name in any AG (fault helpers take just the server name). */
  replica(server: string): { group: AvailabilityGroup; replica: Replica } {
    for (const group of this.groups) {
      const replica = group.replicas.find((r) => sameName(r.server, server))
      if (replica) return { group, replica }
    }
    throw new Error(`No availability replica '${server}' in the sandbox`)
  }

  // ---- time ----

  /** Moves seeds, log and synchronization up to now(); every statement calls it first. */
  tick(): void {
    const now = this.now()
    const elapsed = Math.max(0, now - this.lastTick)
    this.lastTick = now
    advanceLog(this, elapsed)
    advanceSeeds(this, elapsed)
  }

  // ---- seeding bookkeeping ----

  seedCount(replica: string, db: string): number {
    return this.seedCounts.get(seedKey(replica, db)) ?? 0
  }

  countSeed(replica: string, db: string): void {
    const key = seedKey(replica, db)
    this.seedCounts.set(key, (this.seedCounts.get(key) ?? 0) + 1)
  }

  isStalled(replica: string, db: string): boolean {
    return this.stalled.has(seedKey(replica, db))
  }

  takeSeedFailure(replica: string, db: string): { failureState: number; errorCode: number } | null {
    const key = seedKey(replica, db)
    const failure = this.pendingSeedFailures.get(key) ?? this.failingSeeds.get(key) ?? null
    this.pendingSeedFailures.delete(key)
    return failure
  }

  private runningSeed(replica: string, db: string): Seed | undefined {
    return this.seeds.find(
      (s) =>
        sameName(s.target, replica) &&
        sameName(s.database, db) &&
        (s.state === 'SEEDING' || s.state === 'LIMIT_CONCURRENT_BACKUPS'),
    )
  }

  // ---- the cluster ----

  /**
   * Removes a listener IP as the failover cluster does (T-SQL cannot): 'already_absent' when it is not
   * there. Throws, as the cluster refuses, for the IP that is ONLINE (in the primary's subnet) or the
   * listener's only one.
   */
  removeListenerIp(ag: string, listener: string, ip: string): 'removed' | 'already_absent' {
    this.tick()
    const group = this.group(ag)
    if (!group) throw new Error(`The cluster group '${ag}' was not found.`)
    if (!group.listener || !sameName(group.listener.dnsName, listener))
      throw new Error(
        `cluster group '${group.name}' has no 'Network Name' resource whose DnsName is '${listener}'`,
      )
    const ips = group.listener.ips
    const at = ips.findIndex((i) => i.ip === ip)
    if (at < 0) return 'already_absent'
    const primary = this.instance(this.primaryOf(group).server)
    if (inSubnet(ip, primary.subnet))
      throw new Error(
        `IP resource '${group.name}_${ip}' (${ip}) is Online: the primary replica is in its subnet; fail the availability group over first`,
      )
    if (ips.length === 1)
      throw new Error(
        `IP resource '${group.name}_${ip}' is the only address '${group.name}_${group.listener.dnsName}' depends on; the listener needs one`,
      )
    ips.splice(at, 1)
    return 'removed'
  }

  // ---- faults ----

  /** The running seed of db toward replica (or the next one) fails at half way with this failure_state (e.g. 6, 21, 123). */
  failNextSeed(replica: string, db: string, failureState: number, errorCode = 0): void {
    const failure = { failureState, errorCode }
    const running = this.runningSeed(replica, db)
    if (running) running.failWith = failure
    else this.pendingSeedFailures.set(seedKey(replica, db), failure)
  }

  /** Every seed of db toward replica, running or to come, fails half way until stopFailingSeeds. */
  failEverySeed(replica: string, db: string, failureState: number, errorCode = 0): void {
    const failure = { failureState, errorCode }
    this.failingSeeds.set(seedKey(replica, db), failure)
    const running = this.runningSeed(replica, db)
    if (running) running.failWith = failure
  }

  stopFailingSeeds(replica: string, db: string): void {
    this.failingSeeds.delete(seedKey(replica, db))
  }

  /** Bytes stop moving for this seed (now or when it starts); network wait keeps growing. */
  stallSeed(replica: string, db: string): void {
    this.stalled.add(seedKey(replica, db))
  }

  unstallSeed(replica: string, db: string): void {
    this.tick()
    this.stalled.delete(seedKey(replica, db))
  }

  /**
   * The next `times` requests matching drop their connection before any reply. A string matches any statement
   * containing it, case-insensitively (e.g. the view it reads: 'sys.dm_hadr_physical_seeding_stats'); a RegExp is
   * tested on the SQL.
   */
  dropConnectionOn(match: string | RegExp, times = 1, instance?: string): void {
    this.drops.push({ match, remaining: times, instance })
  }

  /** Consumes a matching connection-drop fault (the TDS server's `fault` hook). */
  takeConnectionDrop(instance: string, sql: string): boolean {
    const drop = this.drops.find(
      (d) =>
        d.remaining > 0 &&
        (d.instance === undefined || sameName(d.instance, instance)) &&
        (typeof d.match === 'string' ? sql.toLowerCase().includes(d.match.toLowerCase()) : d.match.test(sql)),
    )
    if (!drop) return false
    drop.remaining--
    if (drop.remaining === 0) this.drops.splice(this.drops.indexOf(drop), 1)
    return true
  }

  /** Statements answered, by instance and the view a SELECT reads (or the first two keywords): what benchmarks count. */
  readonly statementCounts = new Map<string, number>()

  countStatement(instance: string, kind: string): void {
    const key = `${instance} ${kind}`
    this.statementCounts.set(key, (this.statementCounts.get(key) ?? 0) + 1)
  }

  /** Clusters (lower-case names) whose quorum an operator forced on a surviving node. */
  readonly forcedQuorum = new Set<string>()

  /**
   * The instance's host goes down (the sandbox's TDS server for it stops too): it writes no log, holds no cluster
   * vote, and its replicas lose their connections; when it was a primary, every secondary is disconnected.
   */
  takeDown(name: string): void {
    this.tick()
    const instance = this.instance(name)
    instance.down = true
    for (const group of this.groups) {
      const local = this.replicaOn(group, instance)
      if (!local) continue
      const lost = local.role === 'PRIMARY' ? group.replicas : [local]
      for (const r of lost) r.connected = false
    }
  }

  /** Start-ClusterNode -FixQuorum on a node that is up: its cluster runs on fewer than half the votes. */
  forceQuorum(node: string): void {
    const instance = this.instance(node)
    if (instance.down || !instance.cluster) throw new Error(`${node} is down or in no cluster`)
    this.forcedQuorum.add(instance.cluster.toLowerCase())
  }

  /** Every login to the instance fails with 18456 until refused again with false. */
  refuseLogin(instance: string, refuse = true): void {
    this.instance(instance).refuseLogins = refuse
  }

  /** The replica stays SYNCHRONIZING with a growing log send queue: FAILOVER to it gives 41142, FORCE loses data. */
  neverSynchronize(server: string, on = true): void {
    this.tick()
    const { group, replica } = this.replica(server)
    replica.neverSynchronize = on
    if (!on) this.restartCatchUp(group, replica)
  }

  setReplicaConnected(server: string, connected: boolean): void {
    this.tick()
    const { group, replica } = this.replica(server)
    if (replica.connected === connected) return
    replica.connected = connected
    if (connected) this.restartCatchUp(group, replica)
  }

  /** The replica's copies start catching up again: SYNCHRONIZED (if synchronous) after synchronizeAfterMs. */
  restartCatchUp(group: AvailabilityGroup, replica: Replica): void {
    for (const db of group.databases) {
      const copy = this.copyOf(group, replica, db.name)
      if (copy) copy.syncSince = this.now()
    }
  }

  // ---- construction ----

  newDatabase(instance: Instance, spec: DatabaseSpec): Database {
    const size = spec.sizeBytes ?? 100 * MB
    const backedUp = spec.backedUp ?? true
    const logBytes = 40 * MB
    const db: Database = {
      name: spec.name,
      id: instance.nextDatabaseId++,
      guid: newGuid(),
      recoveryModel: spec.recoveryModel ?? 'FULL',
      state: spec.state ?? 'ONLINE',
      userAccess: 'MULTI_USER',
      readOnly: false,
      files: [
        {
          type: 'ROWS',
          name: spec.name,
          physicalName: `${instance.defaultDataPath}${spec.name}.mdf`,
          sizeBytes: size,
        },
        {
          type: 'LOG',
          name: `${spec.name}_log`,
          physicalName: `${instance.defaultLogPath}${spec.name}_log.ldf`,
          sizeBytes: Math.ceil(size / 4 / 8192) * 8192,
        },
      ],
      logBytes,
      lastLogBackupBytes: backedUp && spec.recoveryModel !== 'SIMPLE' ? logBytes - MB : null,
      ag: null,
      groupDatabaseId: null,
      suspended: false,
      suspendReason: null,
      syncSince: this.now(),
      lastCommitTime: this.now(),
    }
    if (backedUp)
      instance.backups.push({
        database: db.name,
        guid: db.guid,
        type: 'D',
        copyOnly: false,
        firstBytes: logBytes - 2 * MB,
        lastBytes: logBytes - MB,
        finishedAt: this.now() - 6 * 3600_000,
        path: `\\\\backup01\\sql\\${instance.name}\\${db.name}_FULL.bak`,
      })
    return db
  }

  /** DROP DATABASE: never one joined to an AG (3752); its files are deleted, so their space comes back. */
  dropDatabase(instance: Instance, name: string): void {
    const db = this.database(instance, name)
    if (!db) throw cannotDropMissing(name)
    if (db.ag) throw dropJoinedDatabase(db.name)
    for (const file of db.files) {
      const volume = this.volumeOf(instance, file.physicalName)
      if (volume) volume.availableBytes = Math.min(volume.totalBytes, volume.availableBytes + file.sizeBytes)
    }
    instance.databases.splice(instance.databases.indexOf(db), 1)
  }

  private volumeOf(instance: Instance, path: string): Volume | undefined {
    return instance.volumes.find((v) => path.toLowerCase().startsWith(v.mountPoint.toLowerCase()))
  }

  /**
   * A copy of `source` on `target`, its files moved to the target's default folders (2017+ seeding behaviour), or
   * where `files` (a RESTORE's MOVE) puts them.
   */
  copyDatabase(
    source: Database,
    target: Instance,
    state: Database['state'],
    files?: Database['files'],
  ): Database {
    const moved = (path: string, folder: string) => `${folder}${path.split(/[\\/]/).pop()}`
    const copy: Database = {
      ...source,
      id: target.nextDatabaseId++,
      state,
      files:
        files ??
        source.files.map((f) => ({
          ...f,
          physicalName: moved(
            f.physicalName,
            f.type === 'ROWS' ? target.defaultDataPath : target.defaultLogPath,
          ),
        })),
      ag: null,
      groupDatabaseId: null,
      suspended: false,
      suspendReason: null,
      syncSince: this.now(),
    }
    for (const file of copy.files) {
      const volume = this.volumeOf(target, file.physicalName)
      if (volume) volume.availableBytes = Math.max(0, volume.availableBytes - file.sizeBytes)
    }
    target.databases.push(copy)
    return copy
  }

  private createInstance(spec: InstanceSpec): Instance {
    const version = spec.productVersion ?? SQL_SERVER_BUILDS[2022]
    const hadrEnabled = spec.hadrEnabled ?? true
    const serverObjects = emptyServerObjects()
    const logins = seedLogins(serverObjects, spec.logins ?? {}, this.now())
    const instance: Instance = {
      name: spec.name,
      productVersion: version,
      edition: spec.edition ?? 'Enterprise Edition (64-bit)',
      engineEdition: spec.engineEdition ?? 3,
      hadrEnabled,
      hadrManagerStatus: hadrEnabled ? 1 : 0,
      collation: spec.collation ?? 'SQL_Latin1_General_CP1_CI_AS',
      defaultDataPath: spec.defaultDataPath ?? 'D:\\SQLData\\',
      defaultLogPath: spec.defaultLogPath ?? 'L:\\SQLLogs\\',
      cluster: spec.cluster ?? null,
      subnet: spec.subnet ?? '10.0.0.0/24',
      endpoint:
        spec.endpointPort === null
          ? null
          : {
              name: 'Hadr_endpoint',
              state: 'STARTED',
              role: 'ALL',
              encrypted: true,
              port: spec.endpointPort ?? 5022,
            },
      logins,
      serverObjects,
      serviceAccount: spec.serviceAccount ?? SERVICE_ACCOUNT,
      certificates: [],
      // What Always On needs on a WSFC node (dbatools grants the same), and the peers' access to the endpoint
      windowsGrants: [
        ...(['ALTER ANY AVAILABILITY GROUP', 'CONNECT SQL', 'VIEW SERVER STATE'] as const).map(
          (permission) => ({
            principal: 'NT AUTHORITY\\SYSTEM',
            permission,
            on: 'SERVER' as const,
          }),
        ),
        { principal: spec.serviceAccount ?? SERVICE_ACCOUNT, permission: 'CONNECT', on: 'ENDPOINT' },
      ],
      volumes: (
        spec.volumes ?? [
          { mountPoint: 'C:\\', totalBytes: 128 * GB, availableBytes: 60 * GB },
          { mountPoint: 'D:\\', totalBytes: 500 * GB, availableBytes: 420 * GB },
          { mountPoint: 'L:\\', totalBytes: 200 * GB, availableBytes: 180 * GB },
        ]
      ).map((v) => ({ ...v })),
      folders: new Set(),
      databases: [],
      backups: [],
      refuseLogins: false,
      down: false,
      nextDatabaseId: 5,
    }
    for (const folder of [
      ...instance.volumes.map((v) => v.mountPoint),
      instance.defaultDataPath,
      instance.defaultLogPath,
      ...(spec.folders ?? []),
    ])
      instance.folders.add(folderKey(folder))
    for (const db of spec.databases ?? []) instance.databases.push(this.newDatabase(instance, db))
    seedServerObjects(instance, spec.serverObjects ?? {}, this.now())
    return instance
  }

  private createGroup(spec: AvailabilityGroupSpec): AvailabilityGroup {
    const primarySpec = spec.replicas.find((r) => r.primary) ?? spec.replicas[0]
    if (!primarySpec) throw new TypeError(`availability group ${spec.name} needs at least one replica`)
    const primaryInstance = this.instance(primarySpec.server)
    const clusterType = spec.clusterType ?? 'WSFC'
    if (clusterType === 'WSFC' && !primaryInstance.cluster)
      throw new TypeError(`${primaryInstance.name} is in no cluster; a WSFC AG needs one`)
    const group: AvailabilityGroup = {
      name: spec.name,
      id: newGuid(),
      cluster: primaryInstance.cluster ?? '',
      basicFeatures: false,
      clusterType,
      replicas: spec.replicas.map((r) => ({
        server: this.instance(r.server).name,
        id: newGuid(),
        endpointUrl: r.endpointUrl ?? `TCP://${r.server.toLowerCase()}.corp.example.com:5022`,
        availabilityMode: r.availabilityMode ?? 'SYNCHRONOUS_COMMIT',
        failoverMode: r.failoverMode ?? 'AUTOMATIC',
        seedingMode: r.seedingMode ?? 'MANUAL',
        backupPriority: r.backupPriority ?? 50,
        secondaryConnections: r.secondaryConnections ?? 'NO',
        role: r === primarySpec ? 'PRIMARY' : 'SECONDARY',
        joined: true,
        connected: true,
        createAnyDatabaseGranted: false,
        neverSynchronize: false,
      })),
      databases: [],
      listener: spec.listener ? { ...spec.listener, ips: spec.listener.ips.map((ip) => ({ ...ip })) } : null,
    }
    for (const name of spec.databases) {
      const source = this.database(primaryInstance, name)
      if (!source)
        throw new TypeError(`database ${name} of ${spec.name} does not exist on ${primaryInstance.name}`)
      const groupDatabaseId = newGuid()
      group.databases.push({ name: source.name, groupDatabaseId })
      source.ag = group.name
      source.groupDatabaseId = groupDatabaseId
      for (const replica of group.replicas) {
        if (replica.role === 'PRIMARY') continue
        const copy = this.copyDatabase(source, this.instance(replica.server), 'ONLINE')
        copy.ag = group.name
        copy.groupDatabaseId = groupDatabaseId
        copy.syncSince = this.now() - this.synchronizeAfterMs
      }
    }
    return group
  }

  /** Instances, availability groups and the shared backup disk as plain data (login passwords as hashes). */
  snapshotState() {
    this.tick()
    const hash = (text: string) => createHash('sha256').update(text).digest('hex')
    return {
      instances: Object.fromEntries(
        this.instances.map(({ logins, serverObjects, volumes, folders, databases, backups, ...instance }) => [
          instance.name,
          {
            ...structuredClone(instance),
            folders: [...folders].sort(),
            logins: Object.fromEntries(
              [...logins].map(([user, { passwordHash, sid, ...login }]) => [
                user,
                {
                  ...login,
                  sid: sid.toString('hex'),
                  serverRoles: [...login.serverRoles],
                  permissions: [...login.permissions],
                  passwordSha256: passwordHash ? hash(passwordHash.toString('hex')) : null,
                },
              ]),
            ),
            ...snapshotServerObjects(serverObjects),
            volumes: Object.fromEntries(volumes.map((v) => [v.mountPoint, { ...v }])),
            databases: Object.fromEntries(databases.map((db) => [db.name, structuredClone(db)])),
            backups: backups.map((b) => ({ database: b.database, type: b.type, path: b.path })),
          },
        ]),
      ),
      availabilityGroups: Object.fromEntries(
        this.groups.map(({ replicas, databases, ...group }) => [
          group.name,
          {
            ...structuredClone(group),
            replicas: Object.fromEntries(replicas.map((r) => [r.server, { ...r }])),
            databases: Object.fromEntries(databases.map((d) => [d.name, { ...d }])),
          },
        ]),
      ),
      seeds: this.seeds.map((s) => ({
        operationId: s.operationId,
        database: s.database,
        target: s.target,
        state: s.state,
      })),
      backupFiles: Object.fromEntries(
        [...this.backupFiles].map(([path, f]) => [path, { database: f.database, type: f.type }]),
      ),
      statementCounts: Object.fromEntries(this.statementCounts),
    }
  }

  /** Test helper: the running (or waiting) seed of db toward replica. */
  activeSeed(replica: string, db: string): Seed | undefined {
    return this.runningSeed(replica, db)
  }
}

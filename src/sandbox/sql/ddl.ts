import {
  addDatabase,
  addListenerIp,
  addReplica,
  demotePrimary,
  failover,
  forceFailover,
  grantCreateAnyDatabase,
  joinDatabase,
  joinGroup,
  leaveGroup,
  modifyReplica,
  removeDatabase,
  removeReplica,
  requireSynchronizedSecondaries,
  resumeDatabase,
} from './ag-commands.js'
import { backup, restore } from './backup.js'
import { cannotFind, syntaxError } from './errors.js'
import { runLoginDdl } from './login-ddl.js'
import type { Instance, Login } from './model.js'
import type { Reply } from './tds/index.js'
import { type TokenReader as Reader, TokenReader, tokenize } from './tokens.js'
import type { SqlWorld } from './world.js'

/**
 * The statements no npm T-SQL grammar parses (measured in BENCHMARKS.md), read by hand from Microsoft's documented
 * syntax, in the forms the steps and DBAs use: ALTER AVAILABILITY GROUP, ALTER DATABASE … SET HADR, BACKUP, RESTORE,
 * and (login-ddl.ts) CREATE/ALTER/DROP LOGIN and ALTER SERVER ROLE.
 */

const ENUMS: Record<string, string[]> = {
  AVAILABILITY_MODE: ['SYNCHRONOUS_COMMIT', 'ASYNCHRONOUS_COMMIT'],
  FAILOVER_MODE: ['AUTOMATIC', 'MANUAL'],
  SEEDING_MODE: ['AUTOMATIC', 'MANUAL'],
  ALLOW_CONNECTIONS: ['NO', 'READ_ONLY', 'ALL'],
  CLUSTER_TYPE: ['WSFC', 'EXTERNAL', 'NONE'],
}

/** A keyword option value from its allow-list, or SQL Server's syntax error near it. */
function keyword(reader: Reader, option: string): string {
  const value = reader.word()
  if (!ENUMS[option]?.includes(value)) throw syntaxError(value)
  return value
}

/** `WITH (ENDPOINT_URL = N'…', AVAILABILITY_MODE = …, …, SECONDARY_ROLE (ALLOW_CONNECTIONS = …))` in any order. */
function replicaOptions(reader: Reader) {
  const options: Record<string, string | number> = {}
  reader.expect('WITH', '(')
  do {
    const option = reader.word()
    if (option === 'SECONDARY_ROLE') {
      reader.expect('(')
      const inner = reader.word()
      if (inner !== 'ALLOW_CONNECTIONS') throw syntaxError(inner)
      reader.expect('=')
      options[inner] = keyword(reader, inner)
      reader.expect(')')
      continue
    }
    reader.expect('=')
    if (option === 'ENDPOINT_URL') options[option] = reader.literal()
    else if (option === 'BACKUP_PRIORITY') options[option] = reader.number()
    else options[option] = keyword(reader, option)
  } while (reader.accept(','))
  reader.expect(')')
  return options
}

type Run = (
  world: SqlWorld,
  instance: Instance,
  reader: Reader,
  params: ReadonlyMap<string, unknown>,
) => Reply

/** ALTER AVAILABILITY GROUP [ag] <action>: every form the steps send. */
const alterGroup: Run = (world, instance, reader) => {
  const ag = reader.name()
  if (reader.accept('ADD', 'REPLICA', 'ON')) {
    const server = reader.literal()
    const o = replicaOptions(reader)
    reader.end()
    if (o.ENDPOINT_URL === undefined || o.AVAILABILITY_MODE === undefined || o.FAILOVER_MODE === undefined)
      throw syntaxError(')')
    const priority = Number(o.BACKUP_PRIORITY ?? 50)
    if (!(priority >= 0 && priority <= 100)) throw syntaxError(String(priority))
    addReplica(world, instance, ag, server, {
      endpointUrl: String(o.ENDPOINT_URL),
      availabilityMode: o.AVAILABILITY_MODE as 'SYNCHRONOUS_COMMIT',
      failoverMode: o.FAILOVER_MODE as 'MANUAL',
      seedingMode: (o.SEEDING_MODE ?? 'MANUAL') as 'MANUAL',
      backupPriority: priority,
      secondaryConnections: (o.ALLOW_CONNECTIONS ?? 'NO') as 'NO',
    })
    return {}
  }
  if (reader.accept('REMOVE', 'REPLICA', 'ON')) {
    const server = reader.literal()
    reader.end()
    removeReplica(world, instance, ag, server)
    return {}
  }
  if (reader.accept('MODIFY', 'LISTENER')) {
    const listener = reader.literal()
    reader.expect('(', 'ADD', 'IP', '(')
    const ip = reader.literal()
    reader.expect(',')
    const mask = reader.literal()
    reader.expect(')', ')')
    reader.end()
    addListenerIp(world, instance, ag, listener, ip, mask)
    return {}
  }
  if (reader.accept('MODIFY', 'REPLICA', 'ON')) {
    const server = reader.literal()
    reader.expect('WITH', '(')
    const setting = reader.word()
    if (!['AVAILABILITY_MODE', 'FAILOVER_MODE', 'SEEDING_MODE'].includes(setting)) throw syntaxError(setting)
    reader.expect('=')
    const value = keyword(reader, setting)
    reader.expect(')')
    reader.end()
    modifyReplica(world, instance, ag, server, setting, value)
    return {}
  }
  if (reader.accept('REMOVE', 'DATABASE')) {
    const db = reader.name()
    reader.end()
    removeDatabase(world, instance, ag, db)
    return {}
  }
  if (reader.accept('ADD', 'DATABASE')) {
    const db = reader.name()
    reader.end()
    addDatabase(world, instance, ag, db)
    return {}
  }
  if (reader.accept('JOIN')) {
    let clusterType = 'WSFC'
    if (reader.accept('WITH', '(', 'CLUSTER_TYPE', '=')) {
      clusterType = keyword(reader, 'CLUSTER_TYPE')
      reader.expect(')')
    }
    reader.end()
    joinGroup(world, instance, ag, clusterType)
    return {}
  }
  if (reader.accept('GRANT', 'CREATE', 'ANY', 'DATABASE')) {
    reader.end()
    grantCreateAnyDatabase(world, instance, ag)
    return {}
  }
  if (reader.accept('SET', '(', 'REQUIRED_SYNCHRONIZED_SECONDARIES_TO_COMMIT', '=')) {
    const count = reader.number()
    reader.expect(')')
    reader.end()
    requireSynchronizedSecondaries(world, instance, ag, count)
    return {}
  }
  if (reader.accept('SET', '(', 'ROLE', '=', 'SECONDARY', ')')) {
    reader.end()
    demotePrimary(world, instance, ag)
    return {}
  }
  if (reader.accept('FAILOVER')) {
    reader.end()
    failover(world, instance, ag)
    return {}
  }
  if (reader.accept('FORCE_FAILOVER_ALLOW_DATA_LOSS')) {
    reader.end()
    forceFailover(world, instance, ag)
    return {}
  }
  throw reader.unexpected()
}

/** ALTER DATABASE [db] SET HADR AVAILABILITY GROUP = [ag] | SET HADR RESUME | SET HADR OFF. */
const alterDatabase: Run = (world, instance, reader) => {
  const db = reader.name()
  reader.expect('SET', 'HADR')
  if (reader.accept('RESUME')) {
    reader.end()
    resumeDatabase(world, instance, db)
    return {}
  }
  if (reader.accept('OFF')) {
    reader.end()
    leaveGroup(world, instance, db)
    return {}
  }
  reader.expect('AVAILABILITY', 'GROUP', '=')
  const ag = reader.name()
  reader.end()
  joinDatabase(world, instance, db, ag)
  return {}
}

/** `WITH a, b, MOVE @logical TO @physical, c` (options of BACKUP/RESTORE): the flags by name, and RESTORE's moves. */
function backupOptions(reader: Reader, params: ReadonlyMap<string, unknown>) {
  const flags = new Set<string>()
  const moves = new Map<string, string>()
  if (!reader.accept('WITH')) return { flags, moves }
  do {
    const option = reader.word()
    if (option !== 'MOVE') {
      flags.add(option)
      continue
    }
    const logical = String(reader.value(params))
    reader.expect('TO')
    moves.set(logical.toLowerCase(), String(reader.value(params)))
  } while (reader.accept(','))
  return { flags, moves }
}

const backupOrRestore =
  (verb: 'BACKUP' | 'RESTORE'): Run =>
  (world, instance, reader, params) => {
    const kind = reader.accept('LOG') ? 'LOG' : 'DATABASE'
    if (kind === 'DATABASE') reader.expect('DATABASE')
    const db = String(reader.value(params))
    reader.expect(verb === 'BACKUP' ? 'TO' : 'FROM', 'DISK', '=')
    const path = String(reader.value(params))
    const { flags, moves } = backupOptions(reader, params)
    reader.end()
    const recover = !flags.has('NORECOVERY') && !flags.has('STANDBY')
    const infoMessages =
      verb === 'BACKUP'
        ? backup(world, instance, kind, db, path, flags.has('COPY_ONLY'))
        : restore(world, instance, kind, db, path, recover, moves)
    return { infoMessages }
  }

/** Runs one hand-read statement; an ALTER AVAILABILITY GROUP without the permission is 15151, as on SQL Server. */
export function runDdl(
  world: SqlWorld,
  instance: Instance,
  login: Login,
  sql: string,
  params: ReadonlyMap<string, unknown>,
): Reply {
  const reader = new TokenReader(tokenize(sql))
  if (reader.accept('ALTER', 'AVAILABILITY', 'GROUP')) {
    const mayAlter =
      login.sysadmin ||
      login.permissions.includes('CONTROL SERVER') ||
      login.permissions.includes('ALTER ANY AVAILABILITY GROUP')
    if (!mayAlter)
      throw cannotFind('alter', 'availability group', new TokenReader(tokenize(sql).slice(3)).name())
    return alterGroup(world, instance, reader, params)
  }
  if (reader.accept('ALTER', 'DATABASE')) return alterDatabase(world, instance, reader, params)
  if (reader.accept('BACKUP')) return backupOrRestore('BACKUP')(world, instance, reader, params)
  if (reader.accept('RESTORE')) return backupOrRestore('RESTORE')(world, instance, reader, params)
  if (runLoginDdl(instance, login, reader, world.now())) return {}
  throw reader.unexpected()
}

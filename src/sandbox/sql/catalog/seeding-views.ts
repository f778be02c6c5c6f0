// Columns, types and first versions checked against the Microsoft pages named in each view's `doc` on 2026-12-04.
import type { Instance, Seed } from '../model.js'
import { failureStateDesc, sameName } from '../model.js'
import { seedRate } from '../seeding.js'
import type { SqlWorld } from '../world.js'
import { type CatalogView, columns } from './types.js'

const LEARN = 'https://learn.microsoft.com/sql/relational-databases/system-dynamic-management-views'

/** The seeds an instance took part in, as source or target, with the replica at the other end. */
function seedsOn(world: SqlWorld, instance: Instance) {
  return world.seeds.flatMap((seed) => {
    const group = world.group(seed.ag)
    const isSource = sameName(seed.source, instance.name)
    if (!group || (!isSource && !sameName(seed.target, instance.name))) return []
    const remote = group.replicas.find((r) => sameName(r.server, isSource ? seed.target : seed.source))
    const entry = group.databases.find((d) => sameName(d.name, seed.database))
    return [{ seed, group, isSource, remote, entry }]
  })
}

/** History of every attempt, kept as SQL Server keeps it (until the instance restarts, which the sandbox never does). */
export const automaticSeeding: CatalogView = {
  name: 'sys.dm_hadr_automatic_seeding',
  since: 13,
  doc: `${LEARN}/sys-dm-hadr-automatic-seeding-transact-sql`,
  // The page types current_state bit and failure_state_desc "ncharvar"; both hold state names (FAILED), so nvarchar.
  columns: columns(`
    start_time datetime
    completion_time datetime
    ag_id uniqueidentifier
    ag_db_id uniqueidentifier
    ag_remote_replica_id uniqueidentifier
    operation_id uniqueidentifier
    is_source bit
    current_state nvarchar(32)
    performed_seeding bit
    failure_state int
    failure_state_desc nvarchar(32)
    error_code int
    number_of_attempts int`),
  rows: ({ world, instance }) =>
    seedsOn(world, instance).map(({ seed, group, isSource, remote, entry }) => ({
      start_time: new Date(seed.startTime),
      completion_time: seed.completionTime === null ? null : new Date(seed.completionTime),
      ag_id: group.id,
      ag_db_id: entry?.groupDatabaseId ?? null,
      ag_remote_replica_id: remote?.id ?? null,
      operation_id: seed.operationId,
      is_source: isSource,
      current_state: seed.state,
      performed_seeding: seed.state !== 'LIMIT_CONCURRENT_BACKUPS',
      failure_state: seed.failureState,
      failure_state_desc: seed.failureState === null ? null : failureStateDesc(seed.failureState),
      error_code: seed.errorCode,
      number_of_attempts: 1,
    })),
}

const INTERNAL_STATE: Record<Seed['state'], string | null> = {
  LIMIT_CONCURRENT_BACKUPS: null,
  SEEDING: 'ReadingAndSendingData',
  COMPLETED: 'Success',
  FAILED: 'Failed',
}

/**
 * One row per physical seeding operation that started; finished (Success) and failed rows stay until the instance
 * restarts. remote_machine_name holds the other replica's endpoint URL.
 */
export const physicalSeedingStats: CatalogView = {
  name: 'sys.dm_hadr_physical_seeding_stats',
  since: 13,
  doc: `${LEARN}/sys-dm-hadr-physical-seeding-stats-transact-sql`,
  // The page's table spells transfered_size_bytes; Microsoft's automatic seeding page queries transferred_size_bytes.
  columns: columns(`
    local_physical_seeding_id uniqueidentifier
    remote_physical_seeding_id uniqueidentifier
    local_database_id int
    local_database_name nvarchar(128)
    remote_machine_name nvarchar(128)
    role_desc nvarchar(60)
    internal_state_desc nvarchar(60)
    transfer_rate_bytes_per_second bigint
    transferred_size_bytes bigint
    database_size_bytes bigint
    start_time_utc datetime
    end_time_utc datetime
    estimate_time_complete_utc datetime
    total_disk_io_wait_time_ms bigint
    total_network_wait_time_ms bigint
    failure_code int
    failure_message nvarchar(max)
    failure_time_utc datetime
    is_compression_enabled bit`),
  rows: ({ world, instance }) =>
    seedsOn(world, instance).flatMap(({ seed, isSource, remote }) => {
      const internal = INTERNAL_STATE[seed.state]
      if (!internal) return []
      const running = seed.state === 'SEEDING'
      const rate = running ? seedRate(world, seed) : 0
      const left = seed.sizeBytes - seed.transferredBytes
      const failed = seed.state === 'FAILED'
      return [
        {
          local_physical_seeding_id: seed.operationId,
          remote_physical_seeding_id: seed.operationId,
          local_database_id: world.database(instance, seed.database)?.id ?? null,
          local_database_name: seed.database,
          remote_machine_name: remote?.endpointUrl ?? null,
          role_desc: isSource ? 'Source' : 'Destination',
          internal_state_desc: internal,
          transfer_rate_bytes_per_second: BigInt(Math.floor(rate)),
          transferred_size_bytes: BigInt(Math.floor(seed.transferredBytes)),
          database_size_bytes: BigInt(Math.floor(seed.sizeBytes)),
          start_time_utc: new Date(seed.startTime),
          end_time_utc: seed.completionTime === null ? null : new Date(seed.completionTime),
          estimate_time_complete_utc:
            running && rate > 0 ? new Date(world.now() + (left / rate) * 1000) : null,
          total_disk_io_wait_time_ms: 0n,
          total_network_wait_time_ms: BigInt(Math.floor(seed.networkWaitMs)),
          failure_code: failed ? seed.errorCode : null,
          failure_message: failed
            ? `Seeding failed: ${failureStateDesc(seed.failureState ?? 0)} (error ${seed.errorCode ?? 0}).`
            : null,
          failure_time_utc: failed && seed.completionTime !== null ? new Date(seed.completionTime) : null,
          is_compression_enabled: false,
        },
      ]
    }),
}

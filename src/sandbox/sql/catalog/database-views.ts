// Columns, types and first versions checked against the Microsoft pages named in each view's `doc` on 2026-12-04.
import { lsnOf, sameName } from '../model.js'
import { ownerSidOf } from './principal-views.js'
import { catalogDatabases } from './server-views.js'
import { type CatalogView, columns } from './types.js'

const LEARN = 'https://learn.microsoft.com/sql/relational-databases'

const RECOVERY_MODEL = { FULL: 1, BULK_LOGGED: 2, SIMPLE: 3 } as const
const STATE = { ONLINE: 0, RESTORING: 1 } as const
const USER_ACCESS = { MULTI_USER: 0, SINGLE_USER: 1, RESTRICTED_USER: 2 } as const

export const databases: CatalogView = {
  name: 'sys.databases',
  doc: `${LEARN}/system-catalog-views/sys-databases-transact-sql`,
  // Left out: the page marks catalog_collation_type(_desc) and is_federation_member Azure SQL Database only,
  // is_result_set_caching_on, is_tempdb_spill_to_remote_store and is_stale_page_detection_on Synapse only,
  // and lists neither is_data_retention_enabled nor is_change_feed_enabled.
  columns: columns(`
    name sysname
    database_id int
    source_database_id int
    owner_sid varbinary(85)
    create_date datetime
    compatibility_level tinyint
    collation_name sysname
    user_access tinyint
    user_access_desc nvarchar(60)
    is_read_only bit
    is_auto_close_on bit
    is_auto_shrink_on bit
    state tinyint
    state_desc nvarchar(60)
    is_in_standby bit
    is_cleanly_shutdown bit
    is_supplemental_logging_enabled bit
    snapshot_isolation_state tinyint
    snapshot_isolation_state_desc nvarchar(60)
    is_read_committed_snapshot_on bit
    recovery_model tinyint
    recovery_model_desc nvarchar(60)
    page_verify_option tinyint
    page_verify_option_desc nvarchar(60)
    is_auto_create_stats_on bit
    is_auto_create_stats_incremental_on bit
    is_auto_update_stats_on bit
    is_auto_update_stats_async_on bit
    is_ansi_null_default_on bit
    is_ansi_nulls_on bit
    is_ansi_padding_on bit
    is_ansi_warnings_on bit
    is_arithabort_on bit
    is_concat_null_yields_null_on bit
    is_numeric_roundabort_on bit
    is_quoted_identifier_on bit
    is_recursive_triggers_on bit
    is_cursor_close_on_commit_on bit
    is_local_cursor_default bit
    is_fulltext_enabled bit
    is_trustworthy_on bit
    is_db_chaining_on bit
    is_parameterization_forced bit
    is_master_key_encrypted_by_server bit
    is_query_store_on bit
    is_published bit
    is_subscribed bit
    is_merge_published bit
    is_distributor bit
    is_sync_with_backup bit
    service_broker_guid uniqueidentifier
    is_broker_enabled bit
    log_reuse_wait tinyint
    log_reuse_wait_desc nvarchar(60)
    is_date_correlation_on bit
    is_cdc_enabled bit
    is_encrypted bit
    is_honor_broker_priority_on bit
    replica_id uniqueidentifier
    group_database_id uniqueidentifier
    resource_pool_id int
    default_language_lcid smallint
    default_language_name nvarchar(128)
    default_fulltext_language_lcid int
    default_fulltext_language_name nvarchar(128)
    is_nested_triggers_on bit
    is_transform_noise_words_on bit
    two_digit_year_cutoff smallint
    containment tinyint
    containment_desc nvarchar(60)
    target_recovery_time_in_seconds int
    delayed_durability int
    delayed_durability_desc nvarchar(60)
    is_memory_optimized_elevate_to_snapshot_on bit
    is_remote_data_archive_enabled bit
    is_mixed_page_allocation_on bit
    is_temporal_history_retention_enabled bit @14
    physical_database_name nvarchar(128) @15
    is_accelerated_database_recovery_on bit @15
    is_memory_optimized_enabled bit @15
    is_ledger_on bit @16`),
  rows: ({ world, instance }) =>
    catalogDatabases(instance).map((db) => {
      const group = db.ag ? world.group(db.ag) : undefined
      const replica = group?.replicas.find((r) => sameName(r.server, instance.name))
      return {
        name: db.name,
        database_id: db.id,
        owner_sid: ownerSidOf(instance, db.owner ?? 'sa'),
        compatibility_level: 130,
        collation_name: instance.collation,
        user_access: USER_ACCESS[db.userAccess],
        user_access_desc: db.userAccess,
        is_read_only: db.readOnly,
        is_auto_close_on: false,
        is_auto_shrink_on: false,
        state: STATE[db.state],
        state_desc: db.state,
        is_in_standby: false,
        recovery_model: RECOVERY_MODEL[db.recoveryModel],
        recovery_model_desc: db.recoveryModel,
        page_verify_option: 2,
        page_verify_option_desc: 'CHECKSUM',
        log_reuse_wait: db.ag ? 9 : 0,
        log_reuse_wait_desc: db.ag ? 'AVAILABILITY_REPLICA' : 'NOTHING',
        is_encrypted: db.tdeThumbprint !== undefined,
        containment: 0,
        containment_desc: 'NONE',
        replica_id: replica?.id ?? null,
        group_database_id: db.groupDatabaseId,
        physical_database_name: db.name,
      }
    }),
}

export const databaseRecoveryStatus: CatalogView = {
  name: 'sys.database_recovery_status',
  doc: `${LEARN}/system-catalog-views/sys-database-recovery-status-transact-sql`,
  columns: columns(`
    database_id int
    database_guid uniqueidentifier
    family_guid uniqueidentifier
    last_log_backup_lsn numeric(25,0)
    recovery_fork_guid uniqueidentifier
    first_recovery_fork_guid uniqueidentifier
    fork_point_lsn numeric(25,0)`),
  rows: ({ instance }) =>
    catalogDatabases(instance).map((db) => ({
      database_id: db.id,
      database_guid: db.guid,
      family_guid: db.guid,
      last_log_backup_lsn: db.lastLogBackupBytes === null ? null : lsnOf(db.lastLogBackupBytes),
      recovery_fork_guid: db.guid,
      first_recovery_fork_guid: db.guid,
    })),
}

export const databaseMirroring: CatalogView = {
  name: 'sys.database_mirroring',
  doc: `${LEARN}/system-catalog-views/sys-database-mirroring-transact-sql`,
  columns: columns(`
    database_id int
    mirroring_guid uniqueidentifier
    mirroring_state tinyint
    mirroring_state_desc nvarchar(60)
    mirroring_role tinyint
    mirroring_role_desc nvarchar(60)
    mirroring_role_sequence int
    mirroring_safety_level tinyint
    mirroring_safety_level_desc nvarchar(60)
    mirroring_safety_sequence int
    mirroring_partner_name nvarchar(128)
    mirroring_partner_instance nvarchar(128)
    mirroring_witness_name nvarchar(128)
    mirroring_witness_state tinyint
    mirroring_witness_state_desc nvarchar(60)
    mirroring_failover_lsn numeric(25,0)
    mirroring_connection_timeout int
    mirroring_redo_queue int
    mirroring_redo_queue_type nvarchar(60)
    mirroring_end_of_log_lsn numeric(25,0)
    mirroring_replication_lsn numeric(25,0)`),
  rows: ({ instance }) => catalogDatabases(instance).map((db) => ({ database_id: db.id })),
}

export const masterFiles: CatalogView = {
  name: 'sys.master_files',
  doc: `${LEARN}/system-catalog-views/sys-master-files-transact-sql`,
  // is_media_read_only: the page's table misspells it is_media_read_onlyF.
  columns: columns(`
    database_id int
    file_id int
    file_guid uniqueidentifier
    type tinyint
    type_desc nvarchar(60)
    data_space_id int
    name sysname
    physical_name nvarchar(260)
    state tinyint
    state_desc nvarchar(60)
    size int
    max_size int
    growth int
    is_media_read_only bit
    is_read_only bit
    is_sparse bit
    is_percent_growth bit
    is_name_reserved bit
    create_lsn numeric(25,0)
    drop_lsn numeric(25,0)
    read_only_lsn numeric(25,0)
    read_write_lsn numeric(25,0)
    differential_base_lsn numeric(25,0)
    differential_base_guid uniqueidentifier
    differential_base_time datetime
    redo_start_lsn numeric(25,0)
    redo_start_fork_guid uniqueidentifier
    redo_target_lsn numeric(25,0)
    redo_target_fork_guid uniqueidentifier
    backup_lsn numeric(25,0)
    credential_id int`),
  rows: ({ instance }) =>
    catalogDatabases(instance).flatMap((db) =>
      db.files.map((f, i) => ({
        database_id: db.id,
        file_id: i + 1,
        type: f.type === 'ROWS' ? 0 : 1,
        type_desc: f.type,
        data_space_id: f.type === 'ROWS' ? 1 : 0,
        name: f.name,
        physical_name: f.physicalName,
        state: db.state === 'ONLINE' ? 0 : 1,
        state_desc: db.state,
        size: Math.ceil(f.sizeBytes / 8192),
        max_size: -1,
        growth: 8192,
        is_media_read_only: false,
        is_read_only: false,
        is_sparse: false,
        is_percent_growth: false,
        is_name_reserved: false,
        redo_start_lsn: db.state === 'RESTORING' ? lsnOf(db.logBytes) : null,
      })),
    ),
}

export const availabilityDatabasesCluster: CatalogView = {
  name: 'sys.availability_databases_cluster',
  doc: `${LEARN}/system-catalog-views/sys-availability-databases-cluster-transact-sql`,
  columns: columns(`
    group_id uniqueidentifier
    group_database_id uniqueidentifier
    database_name sysname`),
  rows: ({ world, instance }) =>
    world.groups
      .filter((g) => g.replicas.some((r) => sameName(r.server, instance.name)))
      .flatMap((g) =>
        g.databases.map((d) => ({
          group_id: g.id,
          group_database_id: d.groupDatabaseId,
          database_name: d.name,
        })),
      ),
}

const BACKUP_TYPE_NAME = { D: 'Database', L: 'Transaction Log' } as const

export const backupset: CatalogView = {
  name: 'msdb.dbo.backupset',
  doc: `${LEARN}/system-tables/backupset-transact-sql`,
  columns: columns(`
    backup_set_id int
    backup_set_uuid uniqueidentifier
    media_set_id int
    first_family_number tinyint
    first_media_number smallint
    last_family_number tinyint
    last_media_number smallint
    catalog_family_number tinyint
    catalog_media_number smallint
    position int
    expiration_date datetime
    software_vendor_id int
    name nvarchar(128)
    description nvarchar(255)
    user_name nvarchar(128)
    software_major_version tinyint
    software_minor_version tinyint
    software_build_version smallint
    time_zone smallint
    mtf_minor_version tinyint
    first_lsn numeric(25,0)
    last_lsn numeric(25,0)
    checkpoint_lsn numeric(25,0)
    database_backup_lsn numeric(25,0)
    database_creation_date datetime
    backup_start_date datetime
    backup_finish_date datetime
    type char(1)
    sort_order smallint
    code_page smallint
    compatibility_level tinyint
    database_version int
    backup_size numeric(20,0)
    database_name nvarchar(128)
    server_name nvarchar(128)
    machine_name nvarchar(128)
    flags int
    unicode_locale int
    unicode_compare_style int
    collation_name nvarchar(128)
    is_password_protected bit
    recovery_model nvarchar(60)
    has_bulk_logged_data bit
    is_snapshot bit
    is_readonly bit
    is_single_user bit
    has_backup_checksums bit
    is_damaged bit
    begins_log_chain bit
    has_incomplete_metadata bit
    is_force_offline bit
    is_copy_only bit
    first_recovery_fork_guid uniqueidentifier
    last_recovery_fork_guid uniqueidentifier
    fork_point_lsn numeric(25,0)
    database_guid uniqueidentifier
    family_guid uniqueidentifier
    differential_base_lsn numeric(25,0)
    differential_base_guid uniqueidentifier
    compressed_backup_size numeric(20,0)
    key_algorithm nvarchar(32)
    encryptor_thumbprint varbinary(20)
    encryptor_type nvarchar(32)
    last_valid_restore_time datetime @16
    compression_algorithm nvarchar(32) @16`),
  rows: ({ instance }) =>
    instance.backups.map((b, i) => ({
      backup_set_id: i + 1,
      media_set_id: i + 1,
      position: 1,
      name: `${b.database}-${BACKUP_TYPE_NAME[b.type]} Backup`,
      first_lsn: lsnOf(b.firstBytes),
      last_lsn: lsnOf(b.lastBytes),
      backup_start_date: new Date(b.finishedAt),
      backup_finish_date: new Date(b.finishedAt),
      type: b.type,
      database_name: b.database,
      server_name: instance.name,
      machine_name: instance.name,
      is_copy_only: b.copyOnly,
      has_backup_checksums: true,
      is_damaged: false,
      database_guid: b.guid,
      family_guid: b.guid,
    })),
}

export const backupmediafamily: CatalogView = {
  name: 'msdb.dbo.backupmediafamily',
  doc: `${LEARN}/system-tables/backupmediafamily-transact-sql`,
  columns: columns(`
    media_set_id int
    family_sequence_number tinyint
    media_family_id uniqueidentifier
    media_count int
    logical_device_name nvarchar(128)
    physical_device_name nvarchar(260)
    device_type tinyint
    physical_block_size int
    mirror tinyint`),
  rows: ({ instance }) =>
    instance.backups.map((b, i) => ({
      media_set_id: i + 1,
      family_sequence_number: 1,
      media_count: 1,
      physical_device_name: b.path,
      device_type: 2,
      physical_block_size: 512,
      mirror: 0,
    })),
}

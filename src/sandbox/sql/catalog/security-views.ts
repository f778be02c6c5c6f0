// Columns checked against the Microsoft pages named in each view's `doc` on 2026-12-04.
import { serverLogins } from './principal-views.js'
import { certificateIdOf, HADR_ENDPOINT_ID } from './server-views.js'
import { type CatalogView, columns } from './types.js'

const LEARN = 'https://learn.microsoft.com/sql/relational-databases'

const PERMISSION_TYPES: Record<string, string> = {
  'ALTER ANY AVAILABILITY GROUP': 'ALAG',
  'CONNECT SQL': 'COSQ',
  'VIEW SERVER STATE': 'VWSS',
  CONNECT: 'CO',
}

export const serverPermissions: CatalogView = {
  name: 'sys.server_permissions',
  doc: `${LEARN}/system-catalog-views/sys-server-permissions-transact-sql`,
  columns: columns(`
    class tinyint
    class_desc nvarchar(60)
    major_id int
    minor_id int
    grantee_principal_id int
    grantor_principal_id int
    type char(4)
    permission_name nvarchar(128)
    state char(1)
    state_desc nvarchar(60)`),
  rows: ({ instance }) => {
    const ids = new Map(serverLogins(instance).map((l) => [l.name.toLowerCase(), l.principalId]))
    return instance.windowsGrants
      .filter((g) => g.on === 'SERVER' || instance.endpoint)
      .map((g) => ({
        class: g.on === 'SERVER' ? 100 : 105,
        class_desc: g.on,
        major_id: g.on === 'SERVER' ? 0 : HADR_ENDPOINT_ID,
        minor_id: 0,
        grantee_principal_id: ids.get(g.principal.toLowerCase()),
        grantor_principal_id: 1,
        type: PERMISSION_TYPES[g.permission],
        permission_name: g.permission,
        state: 'G',
        state_desc: 'GRANT',
      }))
  },
}

export const serverServices: CatalogView = {
  name: 'sys.dm_server_services',
  doc: `${LEARN}/system-dynamic-management-views/sys-dm-server-services-transact-sql`,
  columns: columns(`
    servicename nvarchar(256)
    startup_type int
    startup_type_desc nvarchar(256)
    status int
    status_desc nvarchar(256)
    process_id int
    last_startup_time datetimeoffset
    service_account nvarchar(256)
    filename nvarchar(256)
    is_clustered nvarchar(1)
    cluster_nodename nvarchar(256)
    instant_file_initialization_enabled nvarchar(1)`),
  rows: ({ instance }) => [
    {
      servicename: 'SQL Server (MSSQLSERVER)',
      startup_type: 2,
      startup_type_desc: 'Automatic',
      status: 4,
      status_desc: 'Running',
      service_account: instance.serviceAccount,
      filename: '"C:\\Program Files\\Microsoft SQL Server\\MSSQL\\Binn\\sqlservr.exe" -sMSSQLSERVER',
      is_clustered: 'N',
      instant_file_initialization_enabled: 'Y',
    },
    {
      servicename: 'SQL Server Agent (MSSQLSERVER)',
      startup_type: 2,
      startup_type_desc: 'Automatic',
      status: 4,
      status_desc: 'Running',
      service_account: instance.serviceAccount,
      filename: '"C:\\Program Files\\Microsoft SQL Server\\MSSQL\\Binn\\SQLAGENT.EXE" -i MSSQLSERVER',
      is_clustered: 'N',
    },
  ],
}

const bytesOf = (hex: string) => Buffer.from(hex, 'hex')

/** One row per database with an encryption key (TDE), encrypted by a certificate in master. */
export const databaseEncryptionKeys: CatalogView = {
  name: 'sys.dm_database_encryption_keys',
  doc: `${LEARN}/system-dynamic-management-views/sys-dm-database-encryption-keys-transact-sql`,
  columns: columns(`
    database_id int
    encryption_state int
    create_date datetime
    regenerate_date datetime
    modify_date datetime
    set_date datetime
    opened_date datetime
    key_algorithm nvarchar(32)
    key_length int
    encryptor_thumbprint varbinary(32)
    encryptor_type nvarchar(32)
    percent_complete real
    encryption_state_desc nvarchar(32) @15
    encryption_scan_state int @15
    encryption_scan_state_desc nvarchar(32) @15
    encryption_scan_modify_date datetime @15`),
  rows: ({ instance }) =>
    instance.databases.flatMap((db) =>
      db.tdeThumbprint === undefined
        ? []
        : [
            {
              database_id: db.id,
              encryption_state: 3,
              key_algorithm: 'AES',
              key_length: 256,
              encryptor_thumbprint: bytesOf(db.tdeThumbprint),
              encryptor_type: 'CERTIFICATE',
              percent_complete: 0,
              encryption_state_desc: 'ENCRYPTED',
              encryption_scan_state: 5,
              encryption_scan_state_desc: 'COMPLETE',
            },
          ],
    ),
}

/** master's certificates: what TDE databases and certificate-authenticated endpoints need on every replica. */
export const certificates: CatalogView = {
  name: 'sys.certificates',
  doc: `${LEARN}/system-catalog-views/sys-certificates-transact-sql`,
  columns: columns(`
    name sysname
    principal_id int
    certificate_id int
    pvt_key_encryption_type char(2)
    pvt_key_encryption_type_desc nvarchar(60)
    is_active_for_begin_dialog bit
    issuer_name nvarchar(442)
    cert_serial_number nvarchar(64)
    sid varbinary(85)
    string_sid nvarchar(128)
    subject nvarchar(4000)
    expiry_date datetime
    start_date datetime
    thumbprint varbinary(32)
    attested_by nvarchar(260)
    pvt_key_last_backup_date datetime`),
  rows: ({ instance }) =>
    instance.certificates.map((c, i) => ({
      name: c.name,
      principal_id: 1,
      certificate_id: certificateIdOf(instance, c.name) || 256 + i,
      pvt_key_encryption_type: c.privateKey ? 'MK' : 'NA',
      pvt_key_encryption_type_desc: c.privateKey ? 'ENCRYPTED_BY_MASTER_KEY' : 'NO_PRIVATE_KEY',
      is_active_for_begin_dialog: true,
      issuer_name: c.name,
      subject: c.name,
      thumbprint: bytesOf(c.thumbprint),
    })),
}

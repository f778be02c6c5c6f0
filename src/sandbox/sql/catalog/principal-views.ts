// Columns and types transcribed from the Microsoft pages named in each view's `doc` on 2026-12-04.
import type { Instance, Login } from '../model.js'
import { FIXED_SERVER_ROLES, seededSid, windowsSid } from '../server-objects.js'
import { type CatalogView, columns, type Row, type ViewContext } from './types.js'

const LEARN = 'https://learn.microsoft.com/sql/relational-databases/system-catalog-views'

const PRINCIPAL_COLUMNS = `
  name sysname
  principal_id int
  sid varbinary(85)
  type char(1)
  type_desc nvarchar(60)
  is_disabled int
  create_date datetime
  modify_date datetime
  default_database_name sysname
  default_language_name sysname
  credential_id int
  owning_principal_id int
  is_fixed_role bit`

const LOGIN_TYPES = {
  SQL_LOGIN: 'S',
  WINDOWS_LOGIN: 'U',
  WINDOWS_GROUP: 'G',
} as const

/** CONTROL SERVER (sysadmin implies it) sees every principal and the password hashes; others see themselves. */
const seesAll = ({ login }: ViewContext) => login.sysadmin || login.permissions.includes('CONTROL SERVER')

function loginRow(login: Login): Row {
  return {
    name: login.name,
    principal_id: login.principalId,
    sid: login.sid,
    type: LOGIN_TYPES[login.type],
    type_desc: login.type,
    is_disabled: login.disabled ? 1 : 0,
    create_date: new Date(login.createdAt),
    modify_date: new Date(login.createdAt),
    default_database_name: login.defaultDatabase,
    default_language_name: login.defaultLanguage,
    credential_id: null,
    owning_principal_id: null,
    is_fixed_role: false,
  }
}

/** When setup created the fixed roles and the built-in Windows principals. */
const INSTALLED_AT = Date.UTC(2009, 3, 13)

/** Above any id CREATE LOGIN hands out here; the SID's RID keeps each one's id the same from query to query. */
const IMPLICIT_PRINCIPAL_IDS = 0x10000

/** A Windows principal a GRANT or the service account names without a login in `instance.logins` (NT AUTHORITY\SYSTEM). */
function implicitWindowsLogin(name: string): Login {
  const sid = windowsSid(name)
  return {
    name,
    principalId: IMPLICIT_PRINCIPAL_IDS + sid.readUInt32LE(24),
    type: 'WINDOWS_LOGIN',
    sid,
    passwordHash: null,
    sysadmin: false,
    serverRoles: [],
    permissions: [],
    disabled: false,
    defaultDatabase: 'master',
    defaultLanguage: 'us_english',
    checkPolicy: false,
    checkExpiration: false,
    createdAt: INSTALLED_AT,
  }
}

/** Every login of the instance: its logins, then the Windows principals only its grants and service account name. */
export function serverLogins(instance: Instance): Login[] {
  const named = [instance.serviceAccount, ...instance.windowsGrants.map((g) => g.principal)]
  const implicit = new Map<string, Login>()
  for (const name of named)
    if (!instance.logins.has(name.toLowerCase())) implicit.set(name.toLowerCase(), implicitWindowsLogin(name))
  return [...instance.logins.values(), ...implicit.values()]
}

/** The SID sys.databases.owner_sid keeps for an owner: its login's here, else the one the world gives that name. */
export const ownerSidOf = (instance: Instance, owner: string): Buffer =>
  instance.logins.get(owner.toLowerCase())?.sid ?? seededSid(owner)

const roleRows = (): Row[] =>
  Object.entries(FIXED_SERVER_ROLES).map(([name, id]) => ({
    name,
    principal_id: id,
    sid: Buffer.from([id]),
    type: 'R',
    type_desc: 'SERVER_ROLE',
    is_disabled: 0,
    create_date: new Date(INSTALLED_AT),
    modify_date: new Date(INSTALLED_AT),
    credential_id: null,
    owning_principal_id: 1,
    is_fixed_role: name !== 'public',
  }))

/** Besides themselves, every login sees the system logins (Microsoft's words): here the ones setup and grants named. */
const visibleLogins = (context: ViewContext): Login[] =>
  serverLogins(context.instance).filter(
    (l) => seesAll(context) || l === context.login || !context.instance.logins.has(l.name.toLowerCase()),
  )

export const serverPrincipals: CatalogView = {
  name: 'sys.server_principals',
  doc: `${LEARN}/sys-server-principals-transact-sql`,
  columns: columns(PRINCIPAL_COLUMNS),
  rows: (context) => [...roleRows(), ...visibleLogins(context).map(loginRow)],
}

export const sqlLogins: CatalogView = {
  name: 'sys.sql_logins',
  doc: `${LEARN}/sys-sql-logins-transact-sql`,
  columns: columns(`${PRINCIPAL_COLUMNS}
    is_policy_checked bit
    is_expiration_checked bit
    password_hash varbinary(256)`),
  rows: (context) =>
    visibleLogins(context)
      .filter((l) => l.type === 'SQL_LOGIN')
      .map((l) => ({
        ...loginRow(l),
        is_policy_checked: l.checkPolicy,
        is_expiration_checked: l.checkExpiration,
        password_hash: seesAll(context) ? l.passwordHash : null,
      })),
}

/** Every (role, member) pair: sysadmin from the login's flag, the other roles from its list. */
function roleMembers(instance: Instance): Row[] {
  const rows: Row[] = []
  for (const login of instance.logins.values()) {
    const roles = [...(login.sysadmin ? ['sysadmin'] : []), ...login.serverRoles]
    for (const role of roles) {
      const id = FIXED_SERVER_ROLES[role.toLowerCase()]
      if (id !== undefined) rows.push({ role_principal_id: id, member_principal_id: login.principalId })
    }
  }
  return rows
}

export const serverRoleMembers: CatalogView = {
  name: 'sys.server_role_members',
  doc: `${LEARN}/sys-server-role-members-transact-sql`,
  columns: columns(`
    role_principal_id int
    member_principal_id int`),
  rows: (context) => (seesAll(context) ? roleMembers(context.instance) : []),
}

export const credentials: CatalogView = {
  name: 'sys.credentials',
  doc: `${LEARN}/security-catalog-views-sys-credentials`,
  columns: columns(`
    credential_id int
    name sysname
    credential_identity nvarchar(4000)
    create_date datetime
    modify_date datetime
    target_type nvarchar(100)
    target_id int`),
  rows: ({ instance }) =>
    instance.serverObjects.credentials.map((c) => ({
      credential_id: c.id,
      name: c.name,
      credential_identity: c.identity,
      create_date: new Date(c.createdAt),
      modify_date: new Date(c.createdAt),
      target_type: null,
      target_id: null,
    })),
}

export const servers: CatalogView = {
  name: 'sys.servers',
  doc: `${LEARN}/sys-servers-transact-sql`,
  columns: columns(`
    server_id int
    name sysname
    product sysname
    provider sysname
    data_source nvarchar(4000)
    location nvarchar(4000)
    provider_string nvarchar(4000)
    catalog sysname
    connect_timeout int
    query_timeout int
    is_linked bit
    is_remote_login_enabled bit
    is_rpc_out_enabled bit
    is_data_access_enabled bit
    is_collation_compatible bit
    uses_remote_collation bit
    collation_name sysname
    lazy_schema_validation bit
    is_system bit
    is_publisher bit
    is_subscriber bit
    is_distributor bit
    is_nonsql_subscriber bit
    is_remote_proc_transaction_promotion_enabled bit
    modify_date datetime
    is_rda_server bit`),
  rows: ({ instance }) => [
    {
      server_id: 0,
      name: instance.name,
      product: 'SQL Server',
      provider: 'SQLNCLI',
      data_source: instance.name,
      is_linked: false,
      is_remote_login_enabled: true,
      is_rpc_out_enabled: true,
      is_data_access_enabled: false,
      is_system: false,
    },
    ...instance.serverObjects.linkedServers.map((s) => ({
      server_id: s.id,
      name: s.name,
      product: s.product,
      provider: s.provider,
      data_source: s.dataSource,
      location: s.location,
      provider_string: s.providerString,
      catalog: s.catalog,
      connect_timeout: 0,
      query_timeout: 0,
      is_linked: true,
      is_remote_login_enabled: false,
      is_rpc_out_enabled: false,
      is_data_access_enabled: true,
      is_collation_compatible: false,
      uses_remote_collation: true,
      lazy_schema_validation: false,
      is_system: false,
      is_publisher: false,
      is_subscriber: false,
      is_distributor: false,
      is_nonsql_subscriber: false,
      is_remote_proc_transaction_promotion_enabled: true,
      is_rda_server: false,
    })),
  ],
}

export const linkedLogins: CatalogView = {
  name: 'sys.linked_logins',
  doc: `${LEARN}/sys-linked-logins-transact-sql`,
  columns: columns(`
    server_id int
    local_principal_id int
    uses_self_credential bit
    remote_name sysname
    modify_date datetime`),
  rows: ({ instance }) =>
    instance.serverObjects.linkedServers.flatMap((s) =>
      s.logins.map((l) => ({
        server_id: s.id,
        local_principal_id: l.localPrincipalId,
        uses_self_credential: l.usesSelfCredential,
        remote_name: l.remoteName,
      })),
    ),
}

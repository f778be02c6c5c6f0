import { catalogDatabases, majorVersion } from '../catalog/index.js'
import type { Instance, Permission } from '../model.js'
import type { Env, ValueType } from './types.js'

const RELEASES: Record<number, { year: number; level: string; update: string; built: string }> = {
  13: { year: 2016, level: 'SP2', update: 'CU17', built: 'Mar 12 2021 19:39:35' },
  14: { year: 2017, level: 'RTM', update: 'CU31', built: 'Sep  7 2022 19:09:20' },
  15: { year: 2019, level: 'RTM', update: 'CU28', built: 'Aug 16 2024 17:26:51' },
  16: { year: 2022, level: 'RTM', update: 'CU15', built: 'Sep 12 2024 23:33:28' },
}

const release = (instance: Instance) => RELEASES[majorVersion(instance)] ?? RELEASES[16]

/** @@VERSION as SQL Server words it: product, level, version, build date, copyright, edition and OS. */
export function versionText(instance: Instance): string {
  const r = release(instance)
  const level = r?.update ? `${r.level}-${r.update}` : r?.level
  return (
    `Microsoft SQL Server ${r?.year} (${level}) (KB0000000) - ${instance.productVersion} (X64) \n` +
    `\t${r?.built} \n\tCopyright (C) ${r?.year} Microsoft Corporation\n` +
    `\t${instance.edition} on Windows Server 2022 Datacenter 10.0 <X64> (Build 20348: ) (Hypervisor)\n`
  )
}

type Property = { type: ValueType; value: (instance: Instance) => unknown }

const text = (value: (instance: Instance) => unknown): Property => ({ type: { type: 'nvarchar' }, value })
const int = (value: (instance: Instance) => unknown): Property => ({ type: { type: 'int' }, value })

/** SERVERPROPERTY's documented properties the sandbox knows; any other name is NULL, as on SQL Server. */
const PROPERTIES: Record<string, Property> = {
  servername: text((i) => i.name),
  machinename: text((i) => i.name),
  instancename: text(() => null),
  productversion: text((i) => i.productVersion),
  productmajorversion: text((i) => String(majorVersion(i))),
  productminorversion: text((i) => i.productVersion.split('.')[1] ?? '0'),
  productbuild: text((i) => i.productVersion.split('.')[2] ?? '0'),
  productlevel: text((i) => release(i)?.level ?? 'RTM'),
  productupdatelevel: text((i) => release(i)?.update ?? null),
  edition: text((i) => i.edition),
  engineedition: int((i) => i.engineEdition),
  ishadrenabled: int((i) => (i.hadrEnabled ? 1 : 0)),
  hadrmanagerstatus: int((i) => i.hadrManagerStatus),
  collation: text((i) => i.collation),
  instancedefaultdatapath: text((i) => i.defaultDataPath),
  instancedefaultlogpath: text((i) => i.defaultLogPath),
  isclustered: int(() => 0),
  isintegratedsecurityonly: int(() => 0),
  issingleuser: int(() => 0),
}

export function serverProperty(name: string): Property {
  return PROPERTIES[name.toLowerCase()] ?? { type: { type: 'nvarchar' }, value: () => null }
}

/** The server-scoped permissions HAS_PERMS_BY_NAME(NULL, NULL, …) answers for; CONTROL SERVER implies them all. */
export function hasServerPermission(env: Env, permission: string): number {
  const { login } = env
  if (login.sysadmin || login.permissions.includes('CONTROL SERVER')) return 1
  return login.permissions.includes(permission.toUpperCase() as Permission) ? 1 : 0
}

export function databaseId(env: Env, name: unknown): number | null {
  const wanted = String(name ?? env.database).toLowerCase()
  return catalogDatabases(env.instance).find((d) => d.name.toLowerCase() === wanted)?.id ?? null
}

export function databaseName(env: Env, id: unknown): string | null {
  if (id === null || id === undefined) return env.database
  return catalogDatabases(env.instance).find((d) => d.id === Number(id))?.name ?? null
}

/** @@ functions: what a client asks on connect (@@VERSION, @@SPID, @@SERVERNAME, @@TRANCOUNT …). */
export const GLOBALS: Record<string, { type: ValueType; value: (env: Env) => unknown }> = {
  '@@version': { type: { type: 'nvarchar' }, value: (env) => versionText(env.instance) },
  '@@servername': { type: { type: 'nvarchar' }, value: (env) => env.instance.name },
  '@@servicename': { type: { type: 'nvarchar' }, value: () => 'MSSQLSERVER' },
  '@@spid': { type: { type: 'smallint' }, value: (env) => env.spid },
  '@@trancount': { type: { type: 'int' }, value: (env) => env.tranCount },
  '@@language': { type: { type: 'nvarchar' }, value: () => 'us_english' },
  '@@langid': { type: { type: 'smallint' }, value: () => 0 },
  '@@rowcount': { type: { type: 'int' }, value: () => 0 },
  '@@error': { type: { type: 'int' }, value: () => 0 },
  '@@options': { type: { type: 'int' }, value: () => 5496 },
  '@@textsize': { type: { type: 'int' }, value: () => 2147483647 },
  '@@max_precision': { type: { type: 'tinyint' }, value: () => 38 },
  '@@microsoftversion': {
    type: { type: 'int' },
    value: (env) => {
      const [major = 0, minor = 0, build = 0] = env.instance.productVersion.split('.').map(Number)
      return major * 2 ** 24 + minor * 2 ** 16 + build
    },
  },
}

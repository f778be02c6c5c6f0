import {
  noPermission,
  noProviderForProduct,
  notAValidLogin,
  providerNeeded,
  serverExists,
  serverHasLogins,
  serverMissing,
} from './server-object-errors.js'
import type { LinkedServer } from './server-objects.js'
import type { ProcedureCall, SystemProcedure } from './system-procedures.js'

/**
 * master's linked-server procedures as Microsoft's pages document them (sp-addlinkedserver-transact-sql,
 * sp-addlinkedsrvlogin-…, sp-droplinkedsrvlogin-…, sp-dropserver-…).
 */

/** ALTER ANY LINKED SERVER / ALTER ANY LOGIN: sysadmin or CONTROL SERVER here. */
function requireRights(call: ProcedureCall): void {
  const { caller } = call
  if (!caller.sysadmin && !caller.permissions.includes('CONTROL SERVER')) throw noPermission()
}

function serverOf(call: ProcedureCall, parameter: string): LinkedServer {
  const name = String(call.required(parameter))
  const found = call.instance.serverObjects.linkedServers.find(
    (s) => s.name.toLowerCase() === name.toLowerCase(),
  )
  if (!found) throw serverMissing(name)
  return found
}

/** The principal id a @locallogin names (NULL: every login, id 0). */
function localPrincipal(call: ProcedureCall): number {
  const name = call.text('locallogin')
  if (name === null) return 0
  const login = call.instance.logins.get(name.toLowerCase())
  if (!login) throw notAValidLogin(name)
  return login.principalId
}

/** Adds the server and the default mapping every linked server starts with: each login as itself. */
const addLinkedServer: SystemProcedure = {
  database: 'master',
  parameters: [
    'server',
    'srvproduct',
    'provider',
    'datasrc',
    'location',
    'provstr',
    'catalog',
    'linkedstyle',
  ],
  run(call) {
    requireRights(call)
    const name = String(call.required('server'))
    const objects = call.instance.serverObjects
    if (
      name.toLowerCase() === call.instance.name.toLowerCase() ||
      objects.linkedServers.some((s) => s.name.toLowerCase() === name.toLowerCase())
    )
      throw serverExists(name)
    const product = call.text('srvproduct') ?? ''
    const sqlServer = product.toLowerCase() === 'sql server'
    const properties = ['provider', 'datasrc', 'location', 'provstr', 'catalog'].filter(
      (k) => call.text(k) !== null,
    )
    if (sqlServer && properties.length > 0) throw noProviderForProduct(product)
    if (!sqlServer && call.text('provider') === null) throw providerNeeded(product)
    objects.linkedServers.push({
      id: objects.nextServerId++,
      name,
      product,
      provider: sqlServer ? 'SQLNCLI' : String(call.text('provider')),
      dataSource: sqlServer ? name : call.text('datasrc'),
      location: call.text('location'),
      providerString: call.text('provstr'),
      catalog: call.text('catalog'),
      logins: [{ localPrincipalId: 0, usesSelfCredential: true, remoteName: null, remotePassword: null }],
    })
    return 0
  },
}

const addLinkedLogin: SystemProcedure = {
  database: 'master',
  parameters: ['rmtsrvname', 'useself', 'locallogin', 'rmtuser', 'rmtpassword'],
  run(call) {
    requireRights(call)
    const server = serverOf(call, 'rmtsrvname')
    const principal = localPrincipal(call)
    const useSelf = (call.text('useself') ?? 'TRUE').toUpperCase() === 'TRUE'
    server.logins = [
      ...server.logins.filter((l) => l.localPrincipalId !== principal),
      {
        localPrincipalId: principal,
        usesSelfCredential: useSelf,
        remoteName: useSelf ? null : call.text('rmtuser'),
        remotePassword: useSelf ? null : call.text('rmtpassword'),
      },
    ]
    return 0
  },
}

const dropLinkedLogin: SystemProcedure = {
  database: 'master',
  parameters: ['rmtsrvname', 'locallogin'],
  run(call) {
    requireRights(call)
    const server = serverOf(call, 'rmtsrvname')
    const principal = localPrincipal(call)
    server.logins = server.logins.filter((l) => l.localPrincipalId !== principal)
    return 0
  },
}

/** Refuses (15190) while mappings remain, unless @droplogins = 'droplogins'. */
const dropServer: SystemProcedure = {
  database: 'master',
  parameters: ['server', 'droplogins'],
  run(call) {
    requireRights(call)
    const server = serverOf(call, 'server')
    if (server.logins.length > 0 && call.text('droplogins')?.toLowerCase() !== 'droplogins')
      throw serverHasLogins(server.name)
    const objects = call.instance.serverObjects
    objects.linkedServers.splice(objects.linkedServers.indexOf(server), 1)
    return 0
  },
}

export const LINKED_SERVER_PROCEDURES: Record<string, SystemProcedure> = {
  sp_addlinkedserver: addLinkedServer,
  sp_addlinkedsrvlogin: addLinkedLogin,
  sp_droplinkedsrvlogin: dropLinkedLogin,
  sp_dropserver: dropServer,
}

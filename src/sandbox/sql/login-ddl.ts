import { syntaxError } from './errors.js'
import type { Instance, Login } from './model.js'
import {
  expirationWithoutPolicy,
  invalidPassword,
  loginOwnsJobs,
  noPermission,
  notWindowsName,
  principalExists,
  principalMissing,
  sidInUse,
  sidNotBinary16,
} from './server-object-errors.js'
import { FIXED_SERVER_ROLES, isPasswordHash, newLogin, passwordHash, windowsSid } from './server-objects.js'
import type { TokenReader } from './tokens.js'

/**
 * CREATE LOGIN, ALTER LOGIN, DROP LOGIN and ALTER SERVER ROLE … ADD/DROP MEMBER, read as Microsoft's syntax pages
 * write them (create-login-transact-sql, alter-login-transact-sql, alter-server-role-transact-sql).
 */

interface LoginOptions {
  password?: { hash: Buffer } | { text: string }
  sid?: Buffer
  defaultDatabase?: string
  defaultLanguage?: string
  checkPolicy?: boolean
  checkExpiration?: boolean
}

function onOff(reader: TokenReader): boolean {
  const value = reader.word()
  if (value !== 'ON' && value !== 'OFF') throw syntaxError(value)
  return value === 'ON'
}

/** `PASSWORD = 'x' | 0x… HASHED, SID = 0x…, DEFAULT_DATABASE = [db], …` in any order after the first. */
function loginOptions(reader: TokenReader, allowed: string[]): LoginOptions {
  const options: LoginOptions = {}
  do {
    const option = reader.word()
    if (!allowed.includes(option)) throw syntaxError(option)
    reader.expect('=')
    if (option === 'PASSWORD') {
      if (reader.peek()?.kind === 'binary') {
        const hash = reader.binary()
        reader.expect('HASHED')
        options.password = { hash }
      } else options.password = { text: reader.literal() }
    } else if (option === 'SID') options.sid = reader.binary()
    else if (option === 'DEFAULT_DATABASE') options.defaultDatabase = reader.name()
    else if (option === 'DEFAULT_LANGUAGE') options.defaultLanguage = reader.name()
    else if (option === 'CHECK_POLICY') options.checkPolicy = onOff(reader)
    else if (option === 'CHECK_EXPIRATION') options.checkExpiration = onOff(reader)
  } while (reader.accept(','))
  return options
}

const mayAlterLogins = (login: Login) => login.sysadmin || login.permissions.includes('CONTROL SERVER')

function findLogin(instance: Instance, name: string): Login | undefined {
  return instance.logins.get(name.toLowerCase())
}

function createLogin(instance: Instance, reader: TokenReader, now: number): void {
  const name = reader.name()
  if (reader.accept('FROM', 'WINDOWS')) {
    const options = reader.accept('WITH')
      ? loginOptions(reader, ['DEFAULT_DATABASE', 'DEFAULT_LANGUAGE'])
      : {}
    reader.end()
    if (!/^[^\\]+\\[^\\]+$/.test(name)) throw notWindowsName(name)
    if (findLogin(instance, name)) throw principalExists(name)
    const sid = windowsSid(name)
    if ([...instance.logins.values()].some((l) => l.sid.equals(sid))) throw sidInUse()
    const login = newLogin(
      instance.serverObjects,
      { name, type: 'WINDOWS_LOGIN', sid, passwordHash: null, ...options },
      now,
    )
    instance.logins.set(name.toLowerCase(), login)
    return
  }
  reader.expect('WITH')
  const options = loginOptions(reader, [
    'PASSWORD',
    'SID',
    'DEFAULT_DATABASE',
    'DEFAULT_LANGUAGE',
    'CHECK_POLICY',
    'CHECK_EXPIRATION',
  ])
  reader.end()
  if (!options.password) throw syntaxError(name)
  if (findLogin(instance, name)) throw principalExists(name)
  if (options.sid && options.sid.length !== 16) throw sidNotBinary16()
  if (options.sid && [...instance.logins.values()].some((l) => l.sid.equals(options.sid as Buffer)))
    throw sidInUse()
  const hash = 'hash' in options.password ? options.password.hash : passwordHash(options.password.text)
  if (!isPasswordHash(hash)) throw invalidPassword()
  if (options.checkExpiration && options.checkPolicy === false) throw expirationWithoutPolicy()
  const login = newLogin(
    instance.serverObjects,
    {
      name,
      type: 'SQL_LOGIN',
      sid: options.sid ?? Buffer.from(crypto.getRandomValues(new Uint8Array(16))),
      passwordHash: hash,
      defaultDatabase: options.defaultDatabase,
      defaultLanguage: options.defaultLanguage,
      checkPolicy: options.checkPolicy,
      checkExpiration: options.checkExpiration,
    },
    now,
  )
  instance.logins.set(name.toLowerCase(), login)
}

function alterLogin(instance: Instance, reader: TokenReader): void {
  const name = reader.name()
  const login = findLogin(instance, name)
  if (reader.accept('ENABLE') || reader.accept('DISABLE')) {
    const disable = reader.peek(-1)?.text.toUpperCase() === 'DISABLE'
    reader.end()
    if (!login) throw principalMissing('alter', 'login', name)
    login.disabled = disable
    return
  }
  reader.expect('WITH')
  const options = loginOptions(reader, [
    'PASSWORD',
    'DEFAULT_DATABASE',
    'DEFAULT_LANGUAGE',
    'CHECK_POLICY',
    'CHECK_EXPIRATION',
  ])
  reader.end()
  if (!login) throw principalMissing('alter', 'login', name)
  if (options.password) {
    const hash = 'hash' in options.password ? options.password.hash : passwordHash(options.password.text)
    if (!isPasswordHash(hash)) throw invalidPassword()
    login.passwordHash = hash
  }
  if (options.defaultDatabase) login.defaultDatabase = options.defaultDatabase
  if (options.defaultLanguage) login.defaultLanguage = options.defaultLanguage
  if (options.checkPolicy !== undefined) login.checkPolicy = options.checkPolicy
  if (options.checkExpiration !== undefined) login.checkExpiration = options.checkExpiration
  if (login.checkExpiration && !login.checkPolicy) throw expirationWithoutPolicy()
}

function dropLogin(instance: Instance, reader: TokenReader): void {
  const name = reader.name()
  reader.end()
  const login = findLogin(instance, name)
  if (!login) throw principalMissing('drop', 'login', name)
  const owned = instance.serverObjects.jobs.filter((j) => j.ownerSid.equals(login.sid)).length
  if (owned > 0) throw loginOwnsJobs(owned)
  instance.logins.delete(name.toLowerCase())
}

/** ALTER SERVER ROLE role ADD | DROP MEMBER login: sysadmin is the login's flag, other roles its list. */
function alterServerRole(instance: Instance, reader: TokenReader): void {
  const role = reader.name()
  const adding = reader.accept('ADD')
  if (!adding) reader.expect('DROP')
  reader.expect('MEMBER')
  const member = reader.name()
  reader.end()
  const key = role.toLowerCase()
  if (FIXED_SERVER_ROLES[key] === undefined || key === 'public')
    throw principalMissing('alter', 'server role', role)
  const login = findLogin(instance, member)
  if (!login) throw principalMissing(adding ? 'add' : 'drop', 'principal', member)
  if (key === 'sysadmin') {
    login.sysadmin = adding
    return
  }
  const others = login.serverRoles.filter((r) => r.toLowerCase() !== key)
  login.serverRoles = adding ? [...others, key] : others
}

/** Runs one of the statements above; every one of them needs ALTER ANY LOGIN (CONTROL SERVER here). */
export function runLoginDdl(instance: Instance, caller: Login, reader: TokenReader, now: number): boolean {
  const run = reader.accept('CREATE', 'LOGIN')
    ? () => createLogin(instance, reader, now)
    : reader.accept('ALTER', 'LOGIN')
      ? () => alterLogin(instance, reader)
      : reader.accept('DROP', 'LOGIN')
        ? () => dropLogin(instance, reader)
        : reader.accept('ALTER', 'SERVER', 'ROLE')
          ? () => alterServerRole(instance, reader)
          : undefined
  if (!run) return false
  if (!mayAlterLogins(caller)) throw noPermission()
  run()
  return true
}

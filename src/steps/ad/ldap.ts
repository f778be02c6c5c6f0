import { existsSync, readFileSync } from 'node:fs'
import { isIP } from 'node:net'
import { resolve } from 'node:path'
import type { ConnectionOptions } from 'node:tls'
import { Client } from 'ldapts'
import { RefusedBeforeActingError, SwitchyardError } from '../../errors.js'
import { parseDuration } from '../../runbook/duration.js'
import type { LdapTarget } from '../../runbook/model.js'
import type { StepContext } from '../contract.js'
import { bindReason } from './ldap-answers.js'

const DEFAULT_TIMEOUT = '10s'

/** A directory server the step is bound to, with the names its errors quote. */
export interface Directory {
  /** The runbook's name for the target, e.g. `dc-aws`. */
  name: string
  url: string
  bindDn: string
  client: Client
  /** `<name> (<url>)`: how every message names this DC. */
  label: string
  close(): Promise<void>
}

/** The resolved ldap settings of a target, or an error saying the target is not a directory. */
export function ldapSettings(ctx: StepContext, name: string): LdapTarget {
  const settings = ctx.target(name).ldap
  if (!settings) throw new RefusedBeforeActingError(`target ${name} is not an ldap target`)
  return settings
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EPIPE',
])

/** The DC did not answer (refused, timed out, went away): distinct from a bind or TLS failure. */
export class DirectoryUnreachableError extends SwitchyardError {}

/** True when the error says the server could not be reached or went away (not an LDAP answer). */
export function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false
  const code = (error as { code?: unknown }).code
  if (typeof code === 'string' && CONNECTION_CODES.has(code)) return true
  // ldapts reports timeouts and closed sockets as plain errors (or its own classes) with these words.
  return /timeout|timed out|connection (?:closed|reset|refused)|socket|ECONNREFUSED|ECONNRESET/i.test(
    `${error.name} ${error.message}`,
  )
}

// Node's codes for a certificate chain that does not end at a CA in ca_file (or the system store).
const UNTRUSTED_CHAIN_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
])

/** Node's code for a refused DC certificate and what the operator can do, or undefined for other errors. */
function untrustedCertificate(error: unknown): { code: string; hint: string } | undefined {
  const code = (error as { code?: unknown } | undefined)?.code
  if (typeof code !== 'string') return undefined
  if (UNTRUSTED_CHAIN_CODES.has(code))
    return { code, hint: "give the CA that signed the DC's certificate in the target's ca_file (PEM)" }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID')
    return { code, hint: "use a host name in the url that the DC's certificate lists (its subjectAltName)" }
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID')
    return { code, hint: "renew the DC's certificate, or check this machine's clock" }
  return undefined
}

const isTlsError = (error: unknown) =>
  error instanceof Error &&
  /certificate|self[- ]signed|CERT_|SSL|TLS|ERR_TLS/i.test(
    `${(error as { code?: string }).code ?? ''} ${error.message}`,
  )

/** Connects and binds to one ldap target; errors name the target, the url and the bind DN, never the password. */
export async function openDirectory(ctx: StepContext, name: string): Promise<Directory> {
  const settings = ldapSettings(ctx, name)
  const { url, bind_dn: bindDn, password } = settings
  const label = `${name} (${url})`
  const scrub = (text: string) => ctx.redact(password === '' ? text : text.replaceAll(password, '***'))
  const detail = (error: unknown) => scrub(error instanceof Error ? error.message : String(error))
  const timeout = parseDuration(settings.timeout ?? DEFAULT_TIMEOUT)

  let tlsOptions: ConnectionOptions | undefined
  // An empty ca_file (a param left blank) means the system store.
  if (settings.ca_file !== undefined && settings.ca_file !== '') {
    const file = resolve(ctx.workdir, settings.ca_file)
    const hint = 'ca_file is a PEM file; a relative path is relative to the runbook'
    if (!existsSync(file))
      throw new RefusedBeforeActingError(`${label}: ca_file ${file} does not exist`, { hint })
    try {
      tlsOptions = { ca: [readFileSync(file)] }
    } catch (error) {
      throw new SwitchyardError(`${label}: cannot read ca_file ${file}: ${detail(error)}`, { hint })
    }
  }
  const plain = url.startsWith('ldap:') && settings.starttls !== true
  // The runbook check cannot see values given by expressions (per-environment params): check them now.
  if (!/^ldaps?:\/\/[^/\s]+\/?$/.test(url))
    throw new RefusedBeforeActingError(`${label}: an ldap url is ldap://host[:port] or ldaps://host[:port]`)
  if (plain && settings.insecure !== true)
    throw new RefusedBeforeActingError(`${label}: plain ldap:// sends the password for ${bindDn} in clear`, {
      hint: 'use ldaps://, starttls: true, or say insecure: true',
    })
  if (plain)
    ctx.warn(
      `${label} uses plain LDAP (insecure: true): the password for ${bindDn} crosses the network in clear`,
    )

  const client = new Client({
    url,
    timeout,
    connectTimeout: timeout,
    ...(url.startsWith('ldaps:') && tlsOptions ? { tlsOptions } : {}),
  })
  const close = () => client.unbind().catch(() => {})
  try {
    // Without host, Node checks the upgraded socket's certificate against "localhost".
    if (settings.starttls === true) await client.startTLS({ ...tlsOptions, ...serverIdentity(url) })
    await client.bind(bindDn, password)
  } catch (error) {
    await close()
    throw bindFailure(error, { label, bindDn, detail: detail(error) })
  }
  return { name, url, bindDn, client, label, close }
}

/** The name the certificate must carry: the url's host (an IP is checked against the IP SANs, with no SNI). */
export function serverIdentity(url: string): { host: string; servername?: string } {
  const host = new URL(url).hostname.replace(/^\[(.*)\]$/, '$1')
  return isIP(host) ? { host } : { host, servername: host }
}

const STRONG_AUTH_REQUIRED = 8

function bindFailure(error: unknown, o: { label: string; bindDn: string; detail: string }): SwitchyardError {
  const code = (error as { code?: unknown }).code
  if (code === 49) {
    const reason = bindReason(o.detail)
    if (reason)
      return new SwitchyardError(
        `invalid credentials for ${o.bindDn} on ${o.label}: ${reason.what} (AD data ${reason.code})`,
        { hint: reason.todo },
      )
    return new SwitchyardError(`invalid credentials for ${o.bindDn} on ${o.label}`, {
      hint: 'check the bind DN and the secret the target takes its password from',
    })
  }
  if (code === STRONG_AUTH_REQUIRED)
    return new SwitchyardError(
      `${o.label} refused a bind over plain LDAP: the DC requires LDAPS or StartTLS (LDAP signing / transport encryption; LDAP 8)`,
      {
        hint: "use ldaps:// (port 636) or starttls: true, with the DC's CA in ca_file; Windows Server 2025 DCs require signing by default",
      },
    )
  const untrusted = untrustedCertificate(error)
  if (untrusted) {
    const message = `${o.label}: the DC's certificate is not trusted: ${o.detail} (${untrusted.code})`
    return new SwitchyardError(message, { hint: untrusted.hint })
  }
  if (isTlsError(error))
    return new SwitchyardError(`${o.label}: TLS failed: ${o.detail}`, {
      hint: "give the CA that signed the DC's certificate in the target's ca_file",
    })
  if (isConnectionError(error))
    return new DirectoryUnreachableError(`${o.label} cannot be reached: ${o.detail}`, {
      hint: 'check the url, the port (636 for ldaps, 389 for ldap) and the network path to the DC',
    })
  return new SwitchyardError(`${o.label}: bind as ${o.bindDn} failed: ${o.detail}`)
}

/** Runs `use` with both directories bound, closing both whatever happens. */
export async function withDirectories<T>(
  ctx: StepContext,
  names: { source: string; target: string },
  use: (source: Directory, target: Directory) => Promise<T>,
): Promise<T> {
  const source = await openDirectory(ctx, names.source)
  let target: Directory | undefined
  try {
    target = await openDirectory(ctx, names.target)
    return await use(source, target)
  } finally {
    await source.close()
    await target?.close()
  }
}
